import { fork } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { pino } from 'pino';
import { WavCallRecorder } from '../../src/adapters/recording/wav-call-recorder.js';

const child = fileURLToPath(new URL('./recorder-crash-child.ts', import.meta.url));

export interface RecordingLoss {
  /** Audio fed to the recorder before the kill, ms. */
  fedMs: number;
  /** Audio the repaired recording holds, ms. */
  keptMs: number;
  /** fedMs − keptMs. */
  lostMs: number;
}

/**
 * Feeds a real-time call to a recorder in a child process, SIGKILLs it after `runMs`, repairs
 * the file the way a restart does, and measures the audio lost: frames carry their index.
 */
export async function measureRecordingLoss(options: {
  flushMs: number;
  runMs: number;
}): Promise<RecordingLoss> {
  const dataDir = mkdtempSync(join(tmpdir(), 'callscribe-loss-'));
  try {
    const process = fork(child, [dataDir, String(options.flushMs)], {
      execArgv: ['--import', 'tsx'],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    const exited = new Promise<void>((resolve) => process.once('exit', () => resolve()));
    await new Promise<void>((resolve, reject) => {
      process.once('message', () => resolve());
      process.once('exit', (code) => reject(new Error(`recorder child exited (${code})`)));
    });
    await new Promise((resolve) => setTimeout(resolve, options.runMs));
    process.kill('SIGKILL');
    await exited;

    const fedFrames = readFileSync(join(dataDir, 'fed')).readUInt32LE(0) + 1;
    const recorder = new WavCallRecorder({ dataDir, log: pino({ level: 'silent' }) });
    const [repaired] = await recorder.recoverInterrupted();
    let keptFrames = 0;
    if (repaired) {
      const data = readFileSync(repaired.path).subarray(44);
      // A kill mid-write can leave part of a frame: only whole frames count as kept.
      keptFrames = Math.floor(data.length / 4 / 160);
      const lastValue = keptFrames === 0 ? 0 : data.readInt16LE((keptFrames * 160 - 1) * 4);
      if (keptFrames > 0 && lastValue !== ((keptFrames - 1) % 32_000) + 1)
        throw new Error(`recording out of order: frame ${keptFrames - 1} holds ${lastValue}`);
    }
    return {
      fedMs: fedFrames * 20,
      keptMs: keptFrames * 20,
      lostMs: (fedFrames - keptFrames) * 20,
    };
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
}
