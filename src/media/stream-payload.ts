import type { AudioDecoderFactory } from './audio-decoder.js';
import type { SignallingPayload } from './codecs.js';

/** One payload type negotiated on a stream, and what its packets are: audio to decode, or signalling. */
export type StreamPayload =
  | { payloadType: number; kind: 'audio'; decoder: AudioDecoderFactory }
  | { payloadType: number; kind: SignallingPayload };
