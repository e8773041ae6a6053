import { LIBRE_APT_PACKAGE, loadLibreSrtp } from './libre-srtp.js';
import { LIBSRTP_APT_PACKAGE, loadLibsrtp } from './libsrtp.js';
import type { LoadedSrtpLibrary, SrtpLibraryName } from './srtp-library.js';

/** The Debian package that provides each `srtpLibrary`, for start-up errors and warnings. */
export const SRTP_LIBRARY_APT_PACKAGES: Record<SrtpLibraryName, string> = {
  libre: LIBRE_APT_PACKAGE,
  libsrtp2: LIBSRTP_APT_PACKAGE,
};

/** Loads the configured SRTP library (`srtpLibrary`) in the calling thread. */
export function loadSrtpLibrary(name: SrtpLibraryName): LoadedSrtpLibrary {
  return name === 'libsrtp2' ? loadLibsrtp() : loadLibreSrtp();
}
