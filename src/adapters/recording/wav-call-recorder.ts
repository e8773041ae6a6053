import { mkdirSync } from 'node:fs';
import { readdir, stat, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from 'pino';
import type { CounterSink } from '../../observability/metric-sinks.js';
import type {
  CallRecorder,
  RecordingWriter,
  RecoveredRecording,
} from '../../ports/call-recorder.js';
import type { ComponentHealth, HealthSource } from '../../ports/health.js';
import { WriteFailures } from '../storage/write-failures.js';
import { OWNER_ONLY_DIR_MODE } from '../storage/owner-only.js';
import { WavFileWriter } from './wav-file-writer.js';
import { repairPartFile } from './wav-repair.js';

const PART_SUFFIX = '.wav.part';

export interface WavCallRecorderOptions {
  dataDir: string;
  log: Logger;
  /** Longest time recorded audio waits in memory before it is written (`recordingFlushMs`). */
  flushMs?: number;
  metrics?: { recordingFailures: CounterSink<'code'> };
  now?: () => number;
}

/**
 * Stereo WAV files under `<dataDir>/recordings`, LCA's format: 16-bit, caller left, at the rate
 * the call opened it with (8 kHz narrowband, 16 kHz when any of its codecs is wideband).
 */
export class WavCallRecorder implements CallRecorder, HealthSource {
  private readonly dir: string;
  /** Each call logs its own failure; this only tells /healthz whether recordings can be written. */
  private readonly writes: WriteFailures;

  constructor(private readonly deps: WavCallRecorderOptions) {
    this.dir = join(deps.dataDir, 'recordings');
    this.writes = new WriteFailures({
      component: 'recordings',
      log: deps.log,
      now: deps.now ?? Date.now,
      message: 'recordings directory cannot be written',
    });
    mkdirSync(this.dir, { recursive: true, mode: OWNER_ONLY_DIR_MODE });
  }

  open(callId: string, options: { sampleRateHz: number }): RecordingWriter {
    return new WavFileWriter({
      path: this.fileFor(callId),
      sampleRateHz: options.sampleRateHz,
      flushMs: this.deps.flushMs ?? 1000,
      log: this.deps.log.child({ callId }),
      onFailure: (code, err) => {
        this.deps.metrics?.recordingFailures.inc({ code });
        this.writes.failed(code, err);
      },
      onWritten: () => this.writes.succeeded(),
    });
  }

  /** While recordings are failing, each check writes and removes a tiny file to see if that passed. */
  async health(): Promise<ComponentHealth> {
    if (this.writes.failing) {
      const probe = join(this.dir, `.probe-${process.pid}`);
      try {
        await writeFile(probe, Buffer.alloc(4096));
        await unlink(probe);
        this.writes.succeeded();
      } catch {
        await unlink(probe).catch(() => undefined);
      }
    }
    return this.writes.health();
  }

  async pathFor(callId: string): Promise<string | undefined> {
    const path = this.fileFor(callId);
    try {
      return (await stat(path)).isFile() ? path : undefined;
    } catch {
      return undefined;
    }
  }

  /** At start, before any call records: every `.part` a crash left is finalised. */
  async recoverInterrupted(): Promise<RecoveredRecording[]> {
    const recovered: RecoveredRecording[] = [];
    for (const name of await readdir(this.dir)) {
      if (!name.endsWith(PART_SUFFIX)) continue;
      const partPath = join(this.dir, name);
      const log = this.deps.log.child({ file: name });
      try {
        const result = await repairPartFile(partPath);
        if (result.kind === 'repaired') {
          const callId = decodeURIComponent(name.slice(0, -PART_SUFFIX.length));
          recovered.push({ callId, path: result.path });
          log.warn(
            { callId, dataBytes: result.dataBytes, sampleRateHz: result.sampleRateHz },
            'interrupted recording repaired',
          );
        } else if (result.kind === 'unreadable') {
          log.error('interrupted recording has no WAV header; left as it is');
        }
      } catch (err) {
        log.error({ err }, 'interrupted recording could not be repaired');
      }
    }
    return recovered;
  }

  private fileFor(callId: string): string {
    // callIds come from SBCs and hooks: keep them from escaping the directory.
    return join(this.dir, `${encodeURIComponent(callId)}.wav`);
  }
}
