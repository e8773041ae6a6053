import { createWriteStream, mkdirSync, type WriteStream } from 'node:fs';
import { open, rename, stat, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from 'pino';
import type { Channel } from '../../domain/call.js';
import type { CallRecorder, RecordingWriter } from '../../ports/call-recorder.js';
import { OWNER_ONLY_DIR_MODE, OWNER_ONLY_FILE_MODE } from '../storage/owner-only.js';
import { StereoInterleaver } from './stereo-interleaver.js';
import { wavHeader } from './wav-header.js';

const SAMPLE_RATE_HZ = 8000;

/** Stereo WAV files under `<dataDir>/recordings`, LCA's format: 8 kHz, 16-bit, caller left. */
export class WavCallRecorder implements CallRecorder {
  private readonly dir: string;

  constructor(private readonly deps: { dataDir: string; log: Logger }) {
    this.dir = join(deps.dataDir, 'recordings');
    mkdirSync(this.dir, { recursive: true, mode: OWNER_ONLY_DIR_MODE });
  }

  open(callId: string): RecordingWriter {
    return new WavWriter(this.fileFor(callId), this.deps.log.child({ callId }));
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
  private readonly interleaver = new StereoInterleaver(SAMPLE_RATE_HZ);
  private dataBytes = 0;
  private failed = false;

  constructor(
    private readonly path: string,
    private readonly log: Logger,
  ) {
    this.partPath = `${path}.part`;
    this.stream = createWriteStream(this.partPath, { mode: OWNER_ONLY_FILE_MODE });
    this.stream.write(wavHeader({ sampleRateHz: SAMPLE_RATE_HZ, channels: 2, dataBytes: 0 }));
    this.stream.on('error', (err) => {
      this.failed = true;
      this.log.error({ err }, 'recording write failed; recording abandoned');
    });
  }

  write(channel: Channel, pcm8k: Int16Array): void {
    if (this.failed) return;
    this.append(this.interleaver.push(channel, pcm8k));
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
      await handle.write(wavHeader({ sampleRateHz: SAMPLE_RATE_HZ, channels: 2, dataBytes: this.dataBytes }), 0, 44, 0);
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
