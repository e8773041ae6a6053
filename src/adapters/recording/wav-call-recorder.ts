import { createWriteStream, mkdirSync, type WriteStream } from 'node:fs';
import { open, rename, stat, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from 'pino';
import type { Channel } from '../../domain/call.js';
import type { AudioFrame } from '../../media/audio-frame.js';
import type { CallRecorder, RecordingWriter } from '../../ports/call-recorder.js';
import { OWNER_ONLY_DIR_MODE, OWNER_ONLY_FILE_MODE } from '../storage/owner-only.js';
import { StereoInterleaver } from './stereo-interleaver.js';
import { wavHeader } from './wav-header.js';

/**
 * Stereo WAV files under `<dataDir>/recordings`, LCA's format: 16-bit, caller left, at the rate
 * the call opened it with (8 kHz narrowband, 16 kHz when any of its codecs is wideband).
 */
export class WavCallRecorder implements CallRecorder {
  private readonly dir: string;

  constructor(private readonly deps: { dataDir: string; log: Logger }) {
    this.dir = join(deps.dataDir, 'recordings');
    mkdirSync(this.dir, { recursive: true, mode: OWNER_ONLY_DIR_MODE });
  }

  open(callId: string, options: { sampleRateHz: number }): RecordingWriter {
    return new WavWriter(
      this.fileFor(callId),
      options.sampleRateHz,
      this.deps.log.child({ callId }),
    );
  }

  async pathFor(callId: string): Promise<string | undefined> {
    const path = this.fileFor(callId);
    try {
      return (await stat(path)).isFile() ? path : undefined;
    } catch {
      return undefined;
    }
  }

  private fileFor(callId: string): string {
    // callIds come from SBCs and hooks: keep them from escaping the directory.
    return join(this.dir, `${encodeURIComponent(callId)}.wav`);
  }
}

class WavWriter implements RecordingWriter {
  private readonly partPath: string;
  private readonly stream: WriteStream;
  private readonly interleaver: StereoInterleaver;
  private dataBytes = 0;
  private failed = false;
  private rateMismatchLogged = false;

  constructor(
    private readonly path: string,
    readonly sampleRateHz: number,
    private readonly log: Logger,
  ) {
    this.partPath = `${path}.part`;
    // One second of skew between the channels before the quiet one is padded.
    this.interleaver = new StereoInterleaver(sampleRateHz);
    this.stream = createWriteStream(this.partPath, { mode: OWNER_ONLY_FILE_MODE });
    this.stream.write(wavHeader({ sampleRateHz, channels: 2, dataBytes: 0 }));
    this.stream.on('error', (err) => {
      this.failed = true;
      this.log.error({ err }, 'recording write failed; recording abandoned');
    });
  }

  write(channel: Channel, frame: AudioFrame): void {
    if (this.failed) return;
    if (frame.sampleRateHz !== this.sampleRateHz) {
      // A caller bug, not bad input: never let it garble the file or throw into the RTP path.
      if (!this.rateMismatchLogged) {
        this.rateMismatchLogged = true;
        this.log.error(
          { frameRateHz: frame.sampleRateHz, fileRateHz: this.sampleRateHz },
          'recording frame at the wrong rate dropped',
        );
      }
      return;
    }
    this.append(this.interleaver.push(channel, frame.pcm));
  }

  async close(): Promise<string | undefined> {
    this.append(this.interleaver.flush());
    await new Promise<void>((resolve) => this.stream.end(resolve));
    if (this.failed || this.dataBytes === 0) {
      await unlink(this.partPath).catch(() => undefined);
      return undefined;
    }
    const handle = await open(this.partPath, 'r+');
    try {
      await handle.write(
        wavHeader({ sampleRateHz: this.sampleRateHz, channels: 2, dataBytes: this.dataBytes }),
        0,
        44,
        0,
      );
    } finally {
      await handle.close();
    }
    await rename(this.partPath, this.path);
    return this.path;
  }

  private append(chunk: Buffer | undefined): void {
    if (!chunk) return;
    this.dataBytes += chunk.length;
    this.stream.write(chunk);
  }
}
