import { execFileSync } from 'node:child_process';
import { loadCodecs } from '../../src/adapters/codecs/load-codecs.js';
import type { AudioDecoderFactory } from '../../src/media/audio-decoder.js';
import type { CodecName } from '../../src/media/codecs.js';
import { describeAudioDecoderContract } from '../contract/audio-decoder-contract.js';
import {
  encodeG711,
  encodeG722,
  encodeG729,
  encodeOpus,
  loadSource,
  payloadOf,
  type RtpClip,
  type SourceClip,
} from '../support/codec-clips.js';
import { tools } from '../support/tools.js';

const ffmpeg = tools.ffmpeg();
const sox = tools.sox();
const codecLibraries = {
  G722: tools.libspandsp(),
  G729: tools.libbcg729(),
  opus: tools.libopus(),
};
const loaded = loadCodecs();

function factory(name: CodecName): () => AudioDecoderFactory {
  return () => {
    const found = loaded.factories.find((f) => f.codec.name === name);
    if (!found) throw new Error(`no ${name} decoder: ${JSON.stringify(loaded.missing)}`);
    return found;
  };
}

/** The first 12 s of the agent channel: two utterances with a pause between them. */
let source: SourceClip | undefined;
const reference = () => (source ??= loadSource('agent', 0, 12));

/** ffmpeg's own decoder of the same payloads, as raw codec bytes. */
function ffmpegDecode(format: string, rateHz: number, clip: RtpClip): Int16Array {
  const out = execFileSync(
    'ffmpeg',
    [
      ...['-hide_banner', '-loglevel', 'error', '-f', format],
      // Raw G.711 has no header to say its rate.
      ...(format === 'mulaw' || format === 'alaw' ? ['-ar', '8000', '-ac', '1'] : []),
      ...['-i', '-'],
      ...['-f', 's16le', '-ac', '1', '-ar', String(rateHz), '-'],
    ],
    { input: Buffer.concat(clip.packets.map(payloadOf)), maxBuffer: 64 * 1024 * 1024 },
  );
  return new Int16Array(out.buffer, out.byteOffset, Math.floor(out.length / 2));
}

describeAudioDecoderContract(
  {
    name: 'G.711 µ-law (sox-encoded)',
    factory: factory('PCMU'),
    clip: async (s) => encodeG711('PCMU', s.pcm8k),
    minCorrelation: 0.99,
    independentDecode: (clip) => ffmpegDecode('mulaw', 8000, clip),
  },
  reference,
  { skip: !ffmpeg.available || !sox.available },
);

describeAudioDecoderContract(
  {
    name: 'G.711 A-law (sox-encoded)',
    factory: factory('PCMA'),
    clip: async (s) => encodeG711('PCMA', s.pcm8k),
    minCorrelation: 0.99,
    independentDecode: (clip) => ffmpegDecode('alaw', 8000, clip),
  },
  reference,
  { skip: !ffmpeg.available || !sox.available },
);

describeAudioDecoderContract(
  {
    name: 'G.722 via libspandsp2 (ffmpeg-encoded RTP)',
    factory: factory('G722'),
    clip: (s) => encodeG722(s.pcm16k),
    minCorrelation: 0.99,
    independentDecode: (clip) => ffmpegDecode('g722', 16_000, clip),
  },
  reference,
  { skip: !ffmpeg.available || !codecLibraries.G722.available },
);

describeAudioDecoderContract(
  {
    name: 'G.729 via libbcg729-0 (bcg729-encoded)',
    factory: factory('G729'),
    clip: async (s) => encodeG729(s.pcm8k),
    // A CELP codec keeps the envelope, not the waveform: 0.77 measured on this clip.
    minCorrelation: 0.7,
    independentDecode: (clip) => ffmpegDecode('g729', 8000, clip),
  },
  reference,
  { skip: !ffmpeg.available || !codecLibraries.G729.available },
);

describeAudioDecoderContract(
  {
    name: 'G.729 Annex B via libbcg729-0 (VAD on: SID frames and DTX gaps)',
    factory: factory('G729'),
    clip: async (s) => {
      const clip = encodeG729(s.pcm8k, { vad: true });
      if (clip.sidFrames === 0 || clip.untransmittedFrames === 0)
        throw new Error('the VAD clip must hold SID frames and DTX gaps');
      return clip;
    },
    // DTX gaps come back as comfort noise, not as the source's silence.
    minCorrelation: 0.65,
  },
  reference,
  { skip: !ffmpeg.available || !codecLibraries.G729.available },
);

describeAudioDecoderContract(
  {
    name: 'Opus via libopus0 (ffmpeg/libopus-encoded RTP, mono)',
    factory: factory('opus'),
    clip: (s) => encodeOpus(s.pcm16k),
    minCorrelation: 0.85,
  },
  reference,
  { skip: !ffmpeg.available || !codecLibraries.opus.available },
);

describeAudioDecoderContract(
  {
    name: 'Opus via libopus0 (stereo stream, downmixed by the decoder)',
    factory: factory('opus'),
    clip: (s) => encodeOpus(s.pcm16k, { stereo: true }),
    minCorrelation: 0.85,
  },
  reference,
  { skip: !ffmpeg.available || !codecLibraries.opus.available },
);
