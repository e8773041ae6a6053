import type { AudioFrame } from './audio-frame.js';
import { FrameRateConverter } from './resampler.js';

const INT16_MAX = 32_767;
const INT16_MIN = -32_768;

/** One voice fed to an `AudioMixer`: the frames of one RTP stream, in order. */
export interface MixerInput {
  /** Frames of any rate; they are brought to the mixer's rate and copied. */
  push(frame: AudioFrame): void;
  /**
   * The stream went quiet on purpose (held, `a=inactive`): stop waiting for it until its next
   * frame. What it already delivered is still mixed.
   */
  idle(): void;
  /** The stream is gone (its m-line disabled): never waited for again. */
  remove(): void;
}

export interface AudioMixerOptions {
  /** Rate of every mixed frame; inputs of other rates are resampled to it. */
  outputRateHz: number;
  /**
   * How far one input may run ahead of another that has nothing yet before the mix goes on
   * without the silent one (its audio counts as silence for that span). Streams of one call
   * come from one SBC, so they only drift by network jitter and pacing; this bounds the delay a
   * stalled or stopped input adds to the others.
   */
  maxWaitMs: number;
  emit(frame: AudioFrame): void;
}

interface InputState {
  readonly converter: FrameRateConverter;
  readonly chunks: Int16Array[];
  /** Samples of `chunks[0]` already mixed. */
  headOffset: number;
  buffered: number;
  /** Waited for: it has delivered since it joined or went idle. */
  live: boolean;
  removed: boolean;
}

/**
 * Mixes several streams into one channel (a conference: the supervisor's stream joins the
 * agent's). The streams arrive independently, so the mixer lines them up by arrival: it emits
 * as much as every live input has delivered, summing sample by sample and clamping to 16 bits.
 * An input that joins, or comes back after going quiet, starts where the mix stands: its first
 * sample lands next to the oldest sample the others have not had mixed yet. One input alone
 * passes through with no extra copy beyond the buffering.
 *
 * Pure and clock-free (arrival order is the only time it knows), like the receivers it serves.
 */
export class AudioMixer {
  readonly outputRateHz: number;
  readonly #maxWaitSamples: number;
  readonly #emit: (frame: AudioFrame) => void;
  readonly #inputs: InputState[] = [];

  constructor(options: AudioMixerOptions) {
    this.outputRateHz = options.outputRateHz;
    this.#maxWaitSamples = Math.max(
      1,
      Math.round((options.outputRateHz * options.maxWaitMs) / 1000),
    );
    this.#emit = options.emit;
  }

  get inputCount(): number {
    return this.#inputs.length;
  }

  addInput(): MixerInput {
    const state: InputState = {
      converter: new FrameRateConverter(this.outputRateHz),
      chunks: [],
      headOffset: 0,
      buffered: 0,
      live: false,
      removed: false,
    };
    this.#inputs.push(state);
    return {
      push: (frame) => {
        if (state.removed || frame.pcm.length === 0) return;
        const converted = state.converter.convert(frame).pcm;
        // Receivers and converters may reuse their buffers: keep a copy.
        state.chunks.push(converted.slice());
        state.buffered += converted.length;
        state.live = true;
        this.#pump();
      },
      idle: () => {
        state.live = false;
        this.#pump();
      },
      remove: () => {
        state.removed = true;
        state.live = false;
        this.#pump();
      },
    };
  }

  /** Everything buffered, shorter inputs padded with silence (the call or its processing ends). */
  flush(): void {
    this.#pump();
    const longest = Math.max(0, ...this.#inputs.map((s) => s.buffered));
    if (longest > 0) this.#emit({ pcm: this.#mix(longest), sampleRateHz: this.outputRateHz });
    this.#forgetRemoved();
  }

  /** Drops what is buffered (processing paused: that audio must not reach the engine later). */
  reset(): void {
    for (const input of this.#inputs) {
      input.chunks.length = 0;
      input.headOffset = 0;
      input.buffered = 0;
      input.live = false;
    }
    this.#forgetRemoved();
  }

  #pump(): void {
    for (;;) {
      let fewest = Infinity;
      let most = 0;
      for (const input of this.#inputs) {
        if (!input.live) continue;
        fewest = Math.min(fewest, input.buffered);
        most = Math.max(most, input.buffered);
      }
      if (fewest === Infinity) break;
      if (fewest === 0) {
        if (most <= this.#maxWaitSamples) break;
        // Late or silent without saying so: go on without it; it rejoins on its next frame.
        for (const input of this.#inputs)
          if (input.live && input.buffered === 0) input.live = false;
        continue;
      }
      this.#emit({ pcm: this.#mix(fewest), sampleRateHz: this.outputRateHz });
    }
    this.#forgetRemoved();
  }

  /** Takes `samples` from every input (or what it has) and sums them, clamped to 16 bits. */
  #mix(samples: number): Int16Array {
    const contributing = this.#inputs.filter((s) => s.buffered > 0);
    const only = contributing.length === 1 ? contributing[0] : undefined;
    if (only !== undefined && only.buffered >= samples) return this.#take(only, samples);
    const sum = new Int32Array(samples);
    for (const input of contributing) {
      const pcm = this.#take(input, Math.min(samples, input.buffered));
      for (let i = 0; i < pcm.length; i++) sum[i]! += pcm[i]!;
    }
    const out = new Int16Array(samples);
    for (let i = 0; i < samples; i++) {
      const v = sum[i]!;
      out[i] = v > INT16_MAX ? INT16_MAX : v < INT16_MIN ? INT16_MIN : v;
    }
    return out;
  }

  /** The next `samples` of one input (which has at least that many), as one array. */
  #take(input: InputState, samples: number): Int16Array {
    const head = input.chunks[0];
    if (head !== undefined && input.headOffset === 0 && head.length === samples) {
      input.chunks.shift();
      input.buffered -= samples;
      return head;
    }
    const out = new Int16Array(samples);
    let filled = 0;
    while (filled < samples) {
      const chunk = input.chunks[0];
      if (chunk === undefined) break;
      const n = Math.min(chunk.length - input.headOffset, samples - filled);
      out.set(chunk.subarray(input.headOffset, input.headOffset + n), filled);
      filled += n;
      input.headOffset += n;
      if (input.headOffset === chunk.length) {
        input.chunks.shift();
        input.headOffset = 0;
      }
    }
    input.buffered -= filled;
    return out;
  }

  #forgetRemoved(): void {
    for (let i = this.#inputs.length - 1; i >= 0; i--) {
      const input = this.#inputs[i]!;
      if (input.removed && input.buffered === 0) this.#inputs.splice(i, 1);
    }
  }
}
