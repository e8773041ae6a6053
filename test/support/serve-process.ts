import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repoRoot } from './server-harness.js';
import { waitFor } from './wait-for.js';

export const cliPath = join(repoRoot, 'bin', 'callscribe.js');

/** A `callscribe serve` process on free ports; resolves with its log lines once it has started. */
export function serveProcess(env: Record<string, string>) {
  const dataDir = mkdtempSync(join(tmpdir(), 'callscribe-secure-'));
  const child: ChildProcess = spawn('node', [cliPath, 'serve'], {
    env: {
      PATH: process.env.PATH ?? '',
      CALLSCRIBE_DATA_DIR: dataDir,
      CALLSCRIBE_HTTP_PORT: '0',
      CALLSCRIBE_SIP_HOST: '127.0.0.1',
      CALLSCRIBE_SIP_PORT: '0',
      CALLSCRIBE_RTP_HOST: '127.0.0.1',
      CALLSCRIBE_ENGINE: 'fake',
      // A shared, often saturated test box: only the admission tests set low limits.
      CALLSCRIBE_ADMISSION_MAX_LAG_MS: '5000',
      CALLSCRIBE_ADMISSION_MAX_CPU_PERCENT: '100',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: Record<string, unknown>[] = [];
  let buffered = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    buffered += chunk.toString('utf8');
    const parts = buffered.split('\n');
    buffered = parts.pop() ?? '';
    for (const part of parts)
      if (part.trim() !== '') lines.push(JSON.parse(part) as Record<string, unknown>);
  });
  const started = async () => {
    await waitFor(() => lines.some((l) => l.msg === 'callscribe started'), {
      timeoutMs: 15_000,
      what: 'start',
    });
    return lines.find((l) => l.msg === 'callscribe started') as { httpPort: number };
  };
  return {
    child,
    lines,
    started,
    async stop() {
      if (child.exitCode === null) {
        const exited = new Promise((resolve) => child.once('exit', resolve));
        child.kill('SIGTERM');
        await exited;
      }
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
