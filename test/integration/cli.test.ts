import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSiprecCall, type EstablishedSiprecCall } from '../../src/sbc-sim/index.js';
import { reserveRtpPortRange } from '../support/rtp-port-range.js';
import { parkAllHook, repoRoot, startTestServer } from '../support/server-harness.js';

const run = promisify(execFile);
const cli = join(repoRoot, 'bin', 'callscribe.js');
const built = existsSync(join(repoRoot, 'dist', 'cli', 'main.js'));
if (!built) console.warn('SKIPPED: the CLI tests need `npm run build` first');

/** The CLI against a real server that requires SigV4: events put signs with the configured keys. */
describe.skipIf(!built)('callscribe CLI', () => {
  let server: Awaited<ReturnType<typeof startTestServer>>;
  let call: EstablishedSiprecCall;
  const env = () => ({
    ...process.env,
    CALLSCRIBE_ACCESS_KEYS: 'AKIDCLI:cli-secret',
    CALLSCRIBE_LOG_LEVEL: 'silent',
  });

  beforeAll(async () => {
    server = await startTestServer({
      hook: parkAllHook,
      engine: 'fake',
      accessKeys: 'AKIDCLI:cli-secret',
    });
    call = await startSiprecCall({
      target: { host: '127.0.0.1', port: server.running.sipPorts.udp! },
      transport: 'udp',
      callId: 'cli-call',
    });
  });
  afterAll(async () => {
    await call?.hangUp();
    await server?.stop();
  });

  it('events put starts a parked call through signed PutEvents and prints the outcome', async () => {
    const { stdout } = await run(
      'node',
      [
        cli,
        'events',
        'put',
        '--call-id',
        'cli-call',
        '--agent-id',
        'Agent CLI',
        '--url',
        server.baseUrl,
      ],
      { env: env() },
    );
    const printed = JSON.parse(stdout) as {
      eventId: string;
      outcome: { status: string; callId: string };
    };
    expect(printed.outcome).toMatchObject({ status: 'applied', callId: 'cli-call' });
  });

  it('calls show and calls list read the call', async () => {
    const shown = JSON.parse(
      (
        await run('node', [cli, 'calls', 'show', 'cli-call', '--url', server.baseUrl], {
          env: env(),
        })
      ).stdout,
    );
    expect(shown).toMatchObject({ callId: 'cli-call', state: 'PROCESSING', agentId: 'Agent CLI' });
    const listed = JSON.parse(
      (
        await run(
          'node',
          [cli, 'calls', 'list', '--state', 'PROCESSING', '--url', server.baseUrl],
          { env: env() },
        )
      ).stdout,
    );
    expect(JSON.stringify(listed)).toContain('cli-call');
  });

  it('events put --stop pauses it; an unknown call is reported pending, not silently dropped', async () => {
    const stop = JSON.parse(
      (
        await run(
          'node',
          [cli, 'events', 'put', '--stop', '--call-id', 'cli-call', '--url', server.baseUrl],
          { env: env() },
        )
      ).stdout,
    );
    expect(stop.outcome).toMatchObject({ status: 'applied', reason: 'processing paused' });
    const unknown = JSON.parse(
      (
        await run('node', [cli, 'events', 'put', '--call-id', 'nobody', '--url', server.baseUrl], {
          env: env(),
        })
      ).stdout,
    );
    expect(unknown.outcome).toMatchObject({ status: 'pending' });
  });

  it('a bad setting is reported with its variable name and exit code 2', async () => {
    const failure = await run('node', [cli, 'calls', 'list'], {
      env: { ...process.env, CALLSCRIBE_HTTP_PORT: 'eighty' },
    }).catch((e: { code: number; stderr: string }) => e);
    expect(failure).toMatchObject({ code: 2 });
    expect((failure as { stderr: string }).stderr).toContain('CALLSCRIBE_HTTP_PORT');
  });
});

describe.skipIf(!built)('callscribe demo', () => {
  it('parks a sample call, starts it through PutEvents and prints both channels, then END', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'callscribe-demo-'));
    const ports = reserveRtpPortRange(100);
    try {
      const { stdout } = await run(
        'node',
        [cli, 'demo', '--seconds', '12', '--start-after-ms', '2000'],
        {
          cwd: dataDir,
          env: {
            ...process.env,
            CALLSCRIBE_ENGINE: 'fake',
            CALLSCRIBE_HTTP_PORT: '0',
            CALLSCRIBE_RTP_PORTS: `${ports.min}-${ports.max}`,
          },
          timeout: 60_000,
        },
      );
      const lines = stdout.split('\n');
      const index = (text: string) => lines.findIndex((l) => l.includes(text));
      expect(index('Call: PENDING (parked by the hook')).toBeGreaterThanOrEqual(0);
      expect(index('PutEvents accepted')).toBeGreaterThan(index('Call: PENDING'));
      expect(index('Call: START event, agent demo-agent')).toBeGreaterThan(index('Call: PENDING'));
      expect(lines.some((l) => / AGENT {2}\S/.test(l))).toBe(true);
      expect(lines.some((l) => / CALLER \S/.test(l))).toBe(true);
      expect(index('Call: END')).toBeGreaterThan(index('Call: START event'));
      expect(index('Done.')).toBeGreaterThan(index('Call: END'));
    } finally {
      ports.release();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
