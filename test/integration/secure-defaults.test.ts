import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { connect } from 'node:net';
import { networkInterfaces, tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { placeSiprecCall } from '../../src/sbc-sim/index.js';
import { repoRoot, startTestServer } from '../support/server-harness.js';
import { serveProcess as serve } from '../support/serve-process.js';
import { waitFor } from '../support/wait-for.js';

const run = promisify(execFile);
const cli = join(repoRoot, 'bin', 'callscribe.js');
const built = existsSync(join(repoRoot, 'dist', 'cli', 'main.js'));
if (!built) console.warn('SKIPPED: the secure-default process tests need `npm run build` first');

function externalIPv4(): string | undefined {
  for (const entries of Object.values(networkInterfaces())) {
    for (const entry of entries ?? [])
      if (entry.family === 'IPv4' && !entry.internal) return entry.address;
  }
  return undefined;
}

function canConnect(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    socket.setTimeout(2000, () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

describe.skipIf(!built)('secure by default (the real server process)', () => {
  let current: ReturnType<typeof serve> | undefined;
  afterEach(async () => {
    await current?.stop();
    current = undefined;
  });

  it('refuses to start on a non-loopback address without credentials, naming both ways out', async () => {
    const failure = await run('node', [cli, 'serve'], {
      env: {
        PATH: process.env.PATH ?? '',
        CALLSCRIBE_HTTP_HOST: '0.0.0.0',
        CALLSCRIBE_DATA_DIR: tmpdir(),
      },
    }).then(
      () => undefined,
      (error: { code: number; stderr: string }) => error,
    );
    expect(failure?.code).toBe(2);
    expect(failure?.stderr).toContain('CONFIG_INVALID');
    expect(failure?.stderr).toMatch(/set credentials \(apiToken, and accessKeys or sessionKeys/);
    expect(failure?.stderr).toContain('CALLSCRIBE_ALLOW_UNAUTHENTICATED=true');
  });

  it('without credentials listens on loopback only', async () => {
    current = serve({});
    const { httpPort } = await current.started();
    expect(await canConnect('127.0.0.1', httpPort)).toBe(true);
    const external = externalIPv4();
    if (external !== undefined) expect(await canConnect(external, httpPort)).toBe(false);
    expect(
      current.lines.some((l) => l.msg === String(l.msg) && /loopback only/.test(String(l.msg))),
    ).toBe(true);
  });

  it('with allowUnauthenticated binds every address and warns at start', async () => {
    current = serve({ CALLSCRIBE_HTTP_HOST: '0.0.0.0', CALLSCRIBE_ALLOW_UNAUTHENTICATED: 'true' });
    const { httpPort } = await current.started();
    const warning = current.lines.find((l) => /^allowUnauthenticated:/.test(String(l.msg)));
    expect(warning).toMatchObject({ level: 40, httpHost: '0.0.0.0' });
    const external = externalIPv4();
    if (external !== undefined) expect(await canConnect(external, httpPort)).toBe(true);
  });

  it('with apiToken and accessKeys binds every address without a warning', async () => {
    current = serve({ CALLSCRIBE_API_TOKEN: 'tok', CALLSCRIBE_ACCESS_KEYS: 'AKIDS:sec' });
    const { httpPort } = await current.started();
    const external = externalIPv4();
    if (external !== undefined) expect(await canConnect(external, httpPort)).toBe(true);
    expect(current.lines.some((l) => l.level === 40)).toBe(false);
  });
});

describe('files on disk are for the service user only', () => {
  it('creates the data directory, database and recordings owner-only, whatever the umask', async () => {
    const previous = process.umask(0o002);
    const parent = mkdtempSync(join(tmpdir(), 'callscribe-modes-'));
    const dataDir = join(parent, 'data');
    try {
      const server = await startTestServer({ dataDir, engine: 'fake' });
      try {
        const samples = join(repoRoot, 'samples', 'support-call');
        await placeSiprecCall({
          target: { host: '127.0.0.1', port: server.running.sipPorts.udp! },
          transport: 'udp',
          callId: 'modes-call',
          callerAudio: readFileSync(join(samples, 'caller.pcmu')),
          agentAudio: readFileSync(join(samples, 'agent.pcmu')),
          durationMs: 1000,
        });
        await waitFor(
          () => readdirSync(join(dataDir, 'recordings')).some((f) => f.endsWith('.wav')),
          {
            timeoutMs: 10_000,
            what: 'the recording',
          },
        );
      } finally {
        await server.stop();
      }
    } catch (error) {
      process.umask(previous);
      throw error;
    }
    process.umask(previous);
    const mode = (path: string) => statSync(path).mode & 0o777;
    expect(mode(dataDir)).toBe(0o700);
    expect(mode(join(dataDir, 'recordings'))).toBe(0o700);
    for (const file of readdirSync(dataDir).filter((f) => f.startsWith('callscribe.db'))) {
      expect(mode(join(dataDir, file)), file).toBe(0o600);
    }
    const recordings = readdirSync(join(dataDir, 'recordings'));
    expect(recordings.length).toBeGreaterThan(0);
    for (const file of recordings)
      expect(mode(join(dataDir, 'recordings', file)), file).toBe(0o600);
    rmSync(parent, { recursive: true, force: true });
  });
});
