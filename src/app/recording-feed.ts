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
  readonly #converters: Record<Channel, FrameRateConverter>;

  constructor(writer: RecordingWriter) {
    this.#writer = writer;
    this.#converters = {
      CALLER: new FrameRateConverter(writer.sampleRateHz),
      AGENT: new FrameRateConverter(writer.sampleRateHz),
    };
  }

  get sampleRateHz(): number {
    return this.#writer.sampleRateHz;
  }

  write(channel: Channel, frame: AudioFrame): void {
    this.#writer.write(channel, this.#converters[channel].convert(frame));
  }

  close(): Promise<string | undefined> {
    return this.#writer.close();
  }
}
