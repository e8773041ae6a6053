/**
 * Mono PCM16 audio that knows its own sample rate. Every layer past the codecs (pipeline,
 * engines, recorder) receives frames, so narrowband and wideband calls travel the same path
 * and nothing assumes 8 kHz.
 *
 * A frame is lent, not given: its PCM may be a decoder's buffer that the next packet
 * overwrites. A receiver reads it during the call that hands it over and copies what it keeps
 * (the recorder's rings, the mixer, held and replayed audio, audio posted to another thread).
 */
export interface AudioFrame {
  readonly pcm: Int16Array;
  readonly sampleRateHz: number;
}

export function audioFrame(pcm: Int16Array, sampleRateHz: number): AudioFrame {
  return { pcm, sampleRateHz };
}

export function frameDurationMs(frame: AudioFrame): number {
  return (frame.pcm.length * 1000) / frame.sampleRateHz;
}

/** Digital silence of `durationMs` at `sampleRateHz`. */
export function silenceFrame(sampleRateHz: number, durationMs: number): AudioFrame {
  return { pcm: new Int16Array(Math.round((sampleRateHz * durationMs) / 1000)), sampleRateHz };
}
