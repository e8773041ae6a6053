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

/** A Debian runtime library by soname, in the usual multiarch directories. */
function hasLibrary(soname: string): boolean {
  return ['x86_64-linux-gnu', 'aarch64-linux-gnu'].some((arch) =>
    existsSync(`/usr/lib/${arch}/${soname}`),
  );
}

export const tools = {
  ffmpeg: () =>
    requireTool('ffmpeg (with g722 and libopus encoders)', () =>
      commandWorks('ffmpeg', ['-hide_banner', '-h', 'encoder=libopus']),
    ),
  sox: () => requireTool('sox', () => commandWorks('sox', ['--version'])),
  libspandsp: () => requireTool('libspandsp2', () => hasLibrary('libspandsp.so.2')),
  libbcg729: () => requireTool('libbcg729-0', () => hasLibrary('libbcg729.so.0')),
  libopus: () => requireTool('libopus0', () => hasLibrary('libopus.so.0')),
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
  sipsak: () => requireTool('sipsak', () => commandWorks('sipsak', ['-V'])),
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
