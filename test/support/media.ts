import { builtInCodecPolicy } from '../../src/media/codec-policy.js';
import type { AudioFrame } from '../../src/media/audio-frame.js';
import { pcmuDecoderFactory } from '../../src/media/g711-decoder.js';
import type { AcceptedStream } from '../../src/adapters/rtp/media-sessions.js';

export { builtInCodecPolicy };

/** Accepted PCMU streams (PT 0, telephone-event 101), one per label, m-line index = position. */
export function pcmuStreams(labels: readonly string[]): AcceptedStream[] {
  return labels.map((label, index) => ({
    index,
    label,
    payloads: [
      { payloadType: 0, kind: 'audio', decoder: pcmuDecoderFactory },
      { payloadType: 101, kind: 'telephone-event' },
    ],
    outputRateHz: 8000,
  }));
}

/** Narrowband PCM as a frame. */
export function frame8k(pcm: Int16Array): AudioFrame {
  return { pcm, sampleRateHz: 8000 };
}

export function concatPcm(parts: readonly Int16Array[]): Int16Array {
  const out = new Int16Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
