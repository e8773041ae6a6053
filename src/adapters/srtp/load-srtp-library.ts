import { LIBRE_APT_PACKAGE, loadLibreSrtp } from './libre-srtp.js';
import { LIBSRTP_APT_PACKAGE, loadLibsrtp } from './libsrtp.js';
import type { LoadedSrtpLibrary, SrtpLibrary, SrtpLibraryName } from './srtp-library.js';
import type { SrtpPolicy, SrtpSupport } from './srtp-support.js';

/** The Debian package that provides each `srtpLibrary`, for start-up errors and warnings. */
export const SRTP_LIBRARY_APT_PACKAGES: Record<SrtpLibraryName, string> = {
  libre: LIBRE_APT_PACKAGE,
  libsrtp2: LIBSRTP_APT_PACKAGE,
};

/** Loads the configured SRTP library (`srtpLibrary`) in the calling thread. */
export function loadSrtpLibrary(name: SrtpLibraryName): LoadedSrtpLibrary {
  return name === 'libsrtp2' ? loadLibsrtp() : loadLibreSrtp();
}

/** What a thread that receives RTP needs of SRTP: the answers' policy and the library, if loaded. */
export interface SrtpMedia {
  support: SrtpSupport;
  library: SrtpLibrary | null;
  /** Why the configured library did not load; null when it did or SRTP is off. */
  loadFailure: string | null;
}

/** `srtpPolicy` and `srtpLibrary` as one thread's media sessions use them (nothing loaded when off). */
export function loadSrtpMedia(config: {
  srtpPolicy: SrtpPolicy;
  srtpLibrary: SrtpLibraryName;
}): SrtpMedia {
  const loaded = config.srtpPolicy === 'off' ? null : loadSrtpLibrary(config.srtpLibrary);
  return {
    support: {
      policy: config.srtpPolicy,
      available: loaded?.ok === true,
      aptPackage: SRTP_LIBRARY_APT_PACKAGES[config.srtpLibrary],
    },
    library: loaded?.ok === true ? loaded.library : null,
    loadFailure: loaded?.ok === false ? loaded.reason : null,
  };
}
