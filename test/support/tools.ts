import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

/**
 * Tests that need an outside tool (sipp, python3 + boto3, aws, chromium, Redis, pocketsphinx)
 * skip with a visible message on a bare machine, and fail under CI, where .ci/run installs them.
 */
export const inCi = process.env.CI === 'true';

export interface ToolCheck {
  available: boolean;
  why: string;
}

export function commandWorks(command: string, args: string[]): boolean {
  const r = spawnSync(command, args, { stdio: 'ignore', timeout: 15_000 });
  return r.status === 0;
}

export function requireTool(name: string, check: () => boolean): ToolCheck {
  const available = check();
  if (!available) {
    const why = `${name} is not available`;
    if (inCi) throw new Error(`${why}, but CI=true: .ci/run must install it`);
    console.warn(`SKIPPED: ${why}; these tests are skipped (install it, see .ci/run)`);
    return { available, why };
  }
  return { available, why: '' };
}

export const tools = {
  sipp: () =>
    requireTool(
      'sipp (Debian sip-tester)',
      () => commandWorks('sipp', ['-v']) || existsSync('/usr/bin/sipp'),
    ),
  python3Boto3: () =>
    requireTool(
      "python3 with boto3, and Debian's /usr/bin/python3 with python3-boto3",
      () =>
        commandWorks('python3', ['-c', 'import boto3']) &&
        commandWorks('/usr/bin/python3', ['-c', 'import boto3']),
    ),
  awsCli: () => requireTool('aws CLI', () => commandWorks('aws', ['--version'])),
  openssl: () => requireTool('openssl CLI', () => commandWorks('openssl', ['version'])),
  chromium: () => requireTool('chromium', () => existsSync('/usr/bin/chromium')),
  pocketsphinx: () =>
    requireTool(
      'libpocketsphinx3 + pocketsphinx-en-us',
      () =>
        existsSync('/usr/share/pocketsphinx/model/en-us/en-us') &&
        (existsSync('/usr/lib/x86_64-linux-gnu/libpocketsphinx.so.3') ||
          existsSync('/usr/lib/aarch64-linux-gnu/libpocketsphinx.so.3')),
    ),
};
