import koffi, { type LibraryHandle } from 'koffi';
import { AppError } from '../../../domain/errors.js';

/**
 * koffi bindings to Debian's libpocketsphinx3 (5prealpha). Every call here is synchronous and
 * CPU-bound, so this module is imported only by the decoder worker thread, never by the main loop.
 */
export interface PocketsphinxLib {
  /** Creates a decoder from command-line style arguments; ~0.4 s and ~90 MB. */
  init(argv: readonly string[]): unknown;
  /** Re-reads the decoder's own configuration, which resets all adaptive state (CMN included). */
  reinit(decoder: unknown): void;
  startUtt(decoder: unknown): void;
  endUtt(decoder: unknown): void;
  processRaw(decoder: unknown, pcm16k: Int16Array): void;
  inSpeech(decoder: unknown): boolean;
  hypothesis(decoder: unknown): string;
  free(decoder: unknown): void;
}

const libraryNames = {
  sphinxbase: 'libsphinxbase.so.3',
  pocketsphinx: 'libpocketsphinx.so.3',
};

export function loadPocketsphinx(): PocketsphinxLib {
  let sb: LibraryHandle;
  let ps: LibraryHandle;
  try {
    sb = koffi.load(libraryNames.sphinxbase);
    ps = koffi.load(libraryNames.pocketsphinx);
  } catch (cause) {
    throw new AppError(
      'ENGINE_UNAVAILABLE',
      'cannot load libpocketsphinx3 (apt-get install libpocketsphinx3)',
      {
        cause,
      },
    );
  }
  const cmdLnParseR = sb.func(
    'void *cmd_ln_parse_r(void *, const void *, int, const char **, int)',
  );
  const errSetLogfp = sb.func('void err_set_logfp(void *)');
  const psArgs = ps.func('const void *ps_args()');
  const psInit = ps.func('void *ps_init(void *)');
  const psReinit = ps.func('int ps_reinit(void *, void *)');
  const psStartUtt = ps.func('int ps_start_utt(void *)');
  const psEndUtt = ps.func('int ps_end_utt(void *)');
  const psProcessRaw = ps.func('int ps_process_raw(void *, const int16_t *, size_t, int, int)');
  const psGetHyp = ps.func('const char *ps_get_hyp(void *, void *)');
  const psGetInSpeech = ps.func('uint8_t ps_get_in_speech(void *)');
  const psFree = ps.func('int ps_free(void *)');
  // The library logs every utterance to stderr by default; -logfn /dev/null covers the decoder,
  // this covers messages printed before the config is parsed.
  errSetLogfp(null);

  return {
    init(argv) {
      const config: unknown = cmdLnParseR(null, psArgs(), argv.length, [...argv], 1);
      if (!config) throw new AppError('ENGINE_UNAVAILABLE', 'pocketsphinx rejected its arguments');
      const decoder: unknown = psInit(config);
      if (!decoder)
        throw new AppError('ENGINE_MODEL_MISSING', 'pocketsphinx could not load its model');
      return decoder;
    },
    reinit(decoder) {
      if (psReinit(decoder, null) < 0)
        throw new AppError('ENGINE_UNAVAILABLE', 'pocketsphinx reinit failed');
    },
    startUtt(decoder) {
      psStartUtt(decoder);
    },
    endUtt(decoder) {
      psEndUtt(decoder);
    },
    processRaw(decoder, pcm16k) {
      if (pcm16k.length === 0) return;
      if (psProcessRaw(decoder, pcm16k, pcm16k.length, 0, 0) < 0) {
        throw new AppError('ENGINE_STREAM_FAILED', 'pocketsphinx failed to process audio', {
          retryable: true,
        });
      }
    },
    inSpeech(decoder) {
      return psGetInSpeech(decoder) !== 0;
    },
    hypothesis(decoder) {
      const hyp: unknown = psGetHyp(decoder, null);
      return typeof hyp === 'string' ? hyp.trim() : '';
    },
    free(decoder) {
      psFree(decoder);
    },
  };
}
