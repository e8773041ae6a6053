import koffi, { type LibraryHandle } from 'koffi';

/**
 * Loads a Debian runtime library by soname, or says why it could not. A missing codec library
 * is not an error: the codec is just not offered.
 */
export function loadNativeLibrary(
  soname: string,
): { ok: true; lib: LibraryHandle } | { ok: false; reason: string } {
  try {
    return { ok: true, lib: koffi.load(soname) };
  } catch (error) {
    return { ok: false, reason: error instanceof Error ? error.message : String(error) };
  }
}
