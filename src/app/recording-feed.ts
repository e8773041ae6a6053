import type { Channel } from '../domain/call.js';
import type { AudioFrame } from '../media/audio-frame.js';
import { FrameRateConverter } from '../media/resampler.js';
import type { RecordingWriter } from '../ports/call-recorder.js';

/**
 * Feeds one call's recording, which has one rate for its whole life: frames of another rate (a
 * re-INVITE to a codec of another band) are resampled to it per channel.
 */
export class RecordingFeed {
  readonly #writer: RecordingWriter;
  // Per channel as two fields: a record indexed by channel makes a megamorphic keyed load.
  readonly #caller: FrameRateConverter;
  readonly #agent: FrameRateConverter;

  constructor(writer: RecordingWriter) {
    this.#writer = writer;
    this.#caller = new FrameRateConverter(writer.sampleRateHz);
    this.#agent = new FrameRateConverter(writer.sampleRateHz);
  }

  get sampleRateHz(): number {
    return this.#writer.sampleRateHz;
  }

  write(channel: Channel, frame: AudioFrame): void {
    const converter = channel === 'CALLER' ? this.#caller : this.#agent;
    this.#writer.write(channel, converter.convert(frame));
  }

  close(): Promise<string | undefined> {
    return this.#writer.close();
  }
}
