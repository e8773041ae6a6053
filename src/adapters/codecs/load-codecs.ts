import type { LibraryHandle } from 'koffi';
import type { AudioDecoderFactory } from '../../media/audio-decoder.js';
import type { CodecName } from '../../media/codecs.js';
import { pcmaDecoderFactory, pcmuDecoderFactory } from '../../media/g711-decoder.js';
import { BCG729_SONAME, bcg729Factory } from './bcg729-g729.js';
import { LIBOPUS_SONAME, libopusFactory } from './libopus-opus.js';
import { loadNativeLibrary } from './native-library.js';
import { SPANDSP_SONAME, spandspG722Factory } from './spandsp-g722.js';

export interface LoadedCodecs {
  factories: AudioDecoderFactory[];
  /** Codecs left out, with the Debian package that would bring them and why loading failed. */
  missing: { codec: CodecName; aptPackage: string; reason: string }[];
}

const native: {
  codec: CodecName;
  soname: string;
  aptPackage: string;
  make: (lib: LibraryHandle) => AudioDecoderFactory;
}[] = [
  { codec: 'G722', soname: SPANDSP_SONAME, aptPackage: 'libspandsp2', make: spandspG722Factory },
  { codec: 'G729', soname: BCG729_SONAME, aptPackage: 'libbcg729-0', make: bcg729Factory },
  { codec: 'opus', soname: LIBOPUS_SONAME, aptPackage: 'libopus0', make: libopusFactory },
];

/**
 * Every decoder this machine can run: G.711 always (pure TypeScript), the others when their
 * Debian library loads and a first decoder can be created and freed.
 */
export function loadCodecs(): LoadedCodecs {
  const factories: AudioDecoderFactory[] = [pcmuDecoderFactory, pcmaDecoderFactory];
  const missing: LoadedCodecs['missing'] = [];
  for (const entry of native) {
    const loaded = loadNativeLibrary(entry.soname);
    if (!loaded.ok) {
      missing.push({ codec: entry.codec, aptPackage: entry.aptPackage, reason: loaded.reason });
      continue;
    }
    try {
      const factory = entry.make(loaded.lib);
      factory.create().close();
      factories.push(factory);
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      missing.push({ codec: entry.codec, aptPackage: entry.aptPackage, reason });
    }
  }
  return { factories, missing };
}
