import { mkdirSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * RTP port ranges for tests that run servers (or media sessions) side by side: test files run
 * in parallel processes, and two of them picking overlapping random ranges made a recorder
 * answer 503 (RTP_PORTS_EXHAUSTED) once in a while. A range is claimed in whole blocks, each
 * block by a lock file created exclusively, so no two live processes hold the same ports; a
 * block whose holder died is taken over.
 */
// Below Linux's ephemeral range (32768 up), so no client socket takes a claimed port. Every
// test that runs RTP claims its range here: none picks one of its own.
const BAND_MIN_PORT = 16_000;
const BAND_MAX_PORT = 32_000;
const BLOCK_PORTS = 100;
const LOCK_DIR = join(tmpdir(), 'callscribe-test-rtp-ranges');

export interface RtpPortRange {
  min: number;
  max: number;
  /** Frees the range for other test processes (also done when this process exits). */
  release(): void;
}

const held = new Set<string>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.once('exit', () => {
    for (const path of held) unlinkQuietly(path);
  });
}

function unlinkQuietly(path: string): void {
  try {
    unlinkSync(path);
  } catch {
    // Already gone.
  }
}

function holderAlive(path: string): boolean {
  try {
    const pid = Number(readFileSync(path, 'utf8'));
    if (!Number.isInteger(pid) || pid <= 0) return false;
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: a process of another user holds it. ENOENT: released meanwhile (try again).
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function claimBlock(block: number): string | undefined {
  const path = join(LOCK_DIR, String(block));
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      writeFileSync(path, String(process.pid), { flag: 'wx' });
      held.add(path);
      return path;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      if (holderAlive(path)) return undefined;
      unlinkQuietly(path);
    }
  }
  return undefined;
}

/** Claims `ports` consecutive ports (whole blocks of 100) that no other live test process holds. */
export function reserveRtpPortRange(ports: number): RtpPortRange {
  mkdirSync(LOCK_DIR, { recursive: true });
  installExitHook();
  const blocks = Math.ceil(ports / BLOCK_PORTS);
  const starts = (BAND_MAX_PORT - BAND_MIN_PORT) / BLOCK_PORTS - blocks + 1;
  const first = Math.floor(Math.random() * starts);
  for (let i = 0; i < starts; i++) {
    const start = (first + i) % starts;
    const claimed: string[] = [];
    for (let b = start; b < start + blocks; b++) {
      const path = claimBlock(b);
      if (path === undefined) break;
      claimed.push(path);
    }
    const release = () => {
      for (const path of claimed) {
        unlinkQuietly(path);
        held.delete(path);
      }
    };
    if (claimed.length === blocks) {
      const min = BAND_MIN_PORT + start * BLOCK_PORTS;
      return { min, max: min + ports - 1, release };
    }
    release();
  }
  throw new Error(`no ${ports} free RTP test ports between ${BAND_MIN_PORT} and ${BAND_MAX_PORT}`);
}
