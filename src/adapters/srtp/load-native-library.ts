import koffi, { type LibraryHandle } from 'koffi';
import type { LoadedSrtpLibrary, SrtpLibrary } from './srtp-library.js';

/**
 * Opens a shared library and binds the port to it; a library that is missing or does not bind
 * is reported (not thrown), so the caller can refuse SRTP offers with a reason instead of failing.
 */
export function loadNativeSrtp(
  soname: string,
  bind: (lib: LibraryHandle) => SrtpLibrary,
): LoadedSrtpLibrary {
  try {
    return { ok: true, library: bind(koffi.load(soname)) };
  } catch (error) {
    return { ok: false, reason: error instanceof Error ? error.message : String(error) };
  }
}
