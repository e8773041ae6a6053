import { spawn } from 'node:child_process';

export interface ProcessOutcome {
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  /** The last few KB of stderr: native libraries explain themselves there. */
  stderr: string;
}

const KEEP_BYTES = 8192;

/**
 * Runs the module `<baseName>.js` next to `callerUrl` in a child process (through tsx when
 * running from TypeScript sources) and collects its output. For work that may end its process.
 */
export function runModuleProcess(
  callerUrl: string,
  baseName: string,
  args: string[],
  timeoutMs: number,
): Promise<ProcessOutcome> {
  const fromSources = callerUrl.endsWith('.ts');
  const entry = new URL(`./${baseName}.${fromSources ? 'ts' : 'js'}`, callerUrl);
  const nodeArgs = fromSources ? ['--import', 'tsx'] : [];
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...nodeArgs, entry.pathname, ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: timeoutMs,
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout = (stdout + chunk.toString()).slice(-KEEP_BYTES);
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr = (stderr + chunk.toString()).slice(-KEEP_BYTES);
    });
    child.once('error', reject);
    child.once('close', (exitCode, signal) => resolve({ exitCode, signal, stdout, stderr }));
  });
}
