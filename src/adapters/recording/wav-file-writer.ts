import { open, rename, unlink, type FileHandle } from 'node:fs/promises';
import type { Logger } from 'pino';
import type { Channel } from '../../domain/call.js';
import type { AudioFrame } from '../../media/audio-frame.js';
import type { RecordingWriter } from '../../ports/call-recorder.js';
import { OWNER_ONLY_FILE_MODE } from '../storage/owner-only.js';
import { StereoInterleaver } from './stereo-interleaver.js';
import { blockAlign, WAV_HEADER_BYTES, wavHeader } from './wav-header.js';

/** Flush before `flushMs` when this much is waiting (only reached with a long `flushMs`). */
const MAX_BATCH_BYTES = 512 * 1024;

export interface WavFileWriterOptions {
  /** The final path; audio goes to `<path>.part` until close. */
  path: string;
  sampleRateHz: number;
  /** Longest time audio waits in memory before it is written: what a crash can lose. */
  flushMs: number;
  log: Logger;
  /** Told once when the file cannot be written (ENOSPC, EACCES, EIO, ...). */
  onFailure(code: string, err: unknown): void;
  /** Told after each batch that reached the file. */
  onWritten?(): void;
}

/**
 * One call's stereo WAV, written off the hot path: frames are interleaved into memory and
 * written in one `writev` per `flushMs` (never one write per packet), with async I/O, at
 * explicit offsets so a short write is resumed, not duplicated.
 *
 * The file is `<path>.part` until close rewrites its header with the real sizes, syncs it and
 * renames it. A crash leaves the `.part` (its header says "size unknown"), which the recorder
 * repairs at the next start. When the disk is full or the directory unwritable, the recording
 * stops (logged once, counted) and the call goes on; close keeps the audio written until then.
 */
export class WavFileWriter implements RecordingWriter {
  readonly #o: WavFileWriterOptions;
  readonly #partPath: string;
  readonly #interleaver: StereoInterleaver;
  readonly #opened: Promise<FileHandle | undefined>;
  /** Batches filled and waiting for the next flush. */
  #pending: Int16Array[] = [];
  #pendingBytes = 0;
  /** The batch being filled: interleaved samples go straight in, `#batchFill` of them so far. */
  #batch: Int16Array | undefined;
  #batchFill = 0;
  /**
   * Batch buffers whose write finished, for reuse: a new 32 KB (or larger) buffer per call per
   * flush would be external memory that makes V8 collect garbage far more often.
   */
  #spare: Int16Array[] = [];
  /** Bytes of audio confirmed on disk after the header. */
  #writtenBytes = 0;
  #flushing: Promise<void> = Promise.resolve();
  #timer: NodeJS.Timeout | undefined;
  #failed = false;
  #closed = false;
  #rateMismatchLogged = false;

  constructor(options: WavFileWriterOptions) {
    this.#o = options;
    this.#partPath = `${options.path}.part`;
    // Half a second of skew at most: one side's stall (hold, lost stream) is padded with silence.
    this.#interleaver = new StereoInterleaver(Math.round(options.sampleRateHz / 2));
    this.#opened = this.#open();
  }

  get sampleRateHz(): number {
    return this.#o.sampleRateHz;
  }

  write(channel: Channel, frame: AudioFrame): void {
    if (this.#failed || this.#closed) return;
    if (frame.sampleRateHz !== this.#o.sampleRateHz) {
      // A caller bug, not bad input: never let it garble the file or throw into the RTP path.
      if (!this.#rateMismatchLogged) {
        this.#rateMismatchLogged = true;
        this.#o.log.error(
          { frameRateHz: frame.sampleRateHz, fileRateHz: this.#o.sampleRateHz },
          'recording frame at the wrong rate dropped',
        );
      }
      return;
    }
    this.#interleaver.push(channel, frame.pcm);
    if (!this.#takeReady()) return;
    if (this.#pendingBytes + 2 * this.#batchFill >= MAX_BATCH_BYTES) this.#flushNow();
    else this.#timer ??= setTimeout(() => this.#flushNow(), this.#o.flushMs);
  }

  /** Moves the stereo samples the interleaver has ready into the batch; false when none. */
  #takeReady(): boolean {
    const samples = this.#interleaver.ready;
    if (samples === 0) return false;
    let batch = this.#batch;
    if (batch !== undefined && batch.length - this.#batchFill < 2 * samples) {
      this.#retireBatch();
      batch = undefined;
    }
    if (batch === undefined) {
      // Room for one flush interval of stereo audio, so a batch is usually one allocation per flush.
      const perFlush = Math.ceil((this.#o.sampleRateHz * this.#o.flushMs) / 1000) * 2;
      const size = Math.max(2 * samples, Math.min(perFlush + 1024, MAX_BATCH_BYTES / 2));
      const spare = this.#spare.pop();
      batch = spare !== undefined && spare.length >= size ? spare : new Int16Array(size);
      this.#batch = batch;
      this.#batchFill = 0;
    }
    this.#interleaver.take(samples, batch, this.#batchFill);
    this.#batchFill += 2 * samples;
    return true;
  }

  /** The filled part of the batch joins what the next flush writes. */
  #retireBatch(): void {
    const batch = this.#batch;
    if (batch === undefined || this.#batchFill === 0) return;
    const filled = batch.subarray(0, this.#batchFill);
    this.#pending.push(filled);
    this.#pendingBytes += filled.byteLength;
    this.#batch = undefined;
    this.#batchFill = 0;
  }

  async close(): Promise<string | undefined> {
    if (this.#closed) return undefined;
    this.#closed = true;
    if (!this.#failed) {
      this.#interleaver.padToEnd();
      this.#takeReady();
    }
    this.#flushNow();
    await this.#flushing;
    const handle = await this.#opened;
    if (!handle) return undefined;
    try {
      if (this.#writtenBytes === 0) {
        await handle.close();
        await unlink(this.#partPath);
        return undefined;
      }
      if (this.#failed) {
        // Keep what reached the disk, cut to whole sample frames.
        await handle.truncate(WAV_HEADER_BYTES + this.#writtenBytes);
      }
      await handle.write(
        wavHeader({ ...this.#format(), dataBytes: this.#writtenBytes }),
        0,
        WAV_HEADER_BYTES,
        0,
      );
      await handle.datasync();
      await handle.close();
      await rename(this.#partPath, this.#o.path);
      return this.#o.path;
    } catch (err) {
      // The `.part` stays, and is repaired at the next start.
      await handle.close().catch(() => undefined);
      this.#fail(err, 'recording could not be finalised; it is repaired at the next start');
      return undefined;
    }
  }

  #format() {
    return { sampleRateHz: this.#o.sampleRateHz, channels: 2 };
  }

  async #open(): Promise<FileHandle | undefined> {
    let handle: FileHandle | undefined;
    try {
      handle = await open(this.#partPath, 'w', OWNER_ONLY_FILE_MODE);
      await handle.write(wavHeader(this.#format()), 0, WAV_HEADER_BYTES, 0);
      return handle;
    } catch (err) {
      await handle?.close().catch(() => undefined);
      if (handle) await unlink(this.#partPath).catch(() => undefined);
      this.#fail(err, 'recording stopped: the recordings directory cannot be written');
      return undefined;
    }
  }

  #flushNow(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#retireBatch();
    if (this.#pendingBytes === 0) return;
    const batch = this.#pending;
    const bytes = this.#pendingBytes;
    this.#pending = [];
    this.#pendingBytes = 0;
    this.#flushing = this.#flushing.then(() => this.#writeBatch(batch, bytes));
  }

  async #writeBatch(batch: Int16Array[], bytes: number): Promise<void> {
    const handle = await this.#opened;
    if (!handle || this.#failed) return;
    let buffers = batch.map((samples) =>
      Buffer.from(samples.buffer, samples.byteOffset, samples.byteLength),
    );
    let left = bytes;
    try {
      while (left > 0) {
        const { bytesWritten } = await handle.writev(
          buffers,
          WAV_HEADER_BYTES + this.#writtenBytes,
        );
        if (bytesWritten <= 0)
          throw Object.assign(new Error('no progress writing'), { code: 'EIO' });
        this.#writtenBytes += bytesWritten;
        left -= bytesWritten;
        buffers = skip(buffers, bytesWritten);
      }
      this.#o.onWritten?.();
      // Written: the buffers may be filled again (two are enough to alternate).
      for (const samples of batch) {
        if (this.#spare.length < 2) this.#spare.push(new Int16Array(samples.buffer));
      }
    } catch (err) {
      // Whole frames only: a partial frame at the end would shift the channels.
      this.#writtenBytes -= this.#writtenBytes % blockAlign(this.#format());
      this.#fail(err, 'recording stopped: the recordings directory cannot be written');
    }
  }

  #fail(err: unknown, message: string): void {
    if (this.#failed) return;
    this.#failed = true;
    this.#pending = [];
    this.#pendingBytes = 0;
    this.#batch = undefined;
    this.#batchFill = 0;
    this.#spare = [];
    const code = errorCode(err);
    this.#o.log.error({ err, code, recordedBytes: this.#writtenBytes }, message);
    this.#o.onFailure(code, err);
  }
}

function skip(buffers: Buffer[], bytes: number): Buffer[] {
  let rest = bytes;
  const out: Buffer[] = [];
  for (const buffer of buffers) {
    if (rest >= buffer.length) {
      rest -= buffer.length;
      continue;
    }
    out.push(rest > 0 ? buffer.subarray(rest) : buffer);
    rest = 0;
  }
  return out;
}

function errorCode(err: unknown): string {
  return typeof err === 'object' && err !== null && 'code' in err && typeof err.code === 'string'
    ? err.code
    : 'UNKNOWN';
}
