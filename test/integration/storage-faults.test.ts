import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { CallEvent } from '../../src/domain/call-event.js';
import { putEntry } from '../support/put-events.js';
import { SbcFleet } from '../support/sbc-fleet/fleet.js';
import { parkAllHook } from '../support/server-harness.js';
import { ServerProcess } from '../support/server-process.js';
import { SmallFilesystem } from '../support/small-filesystem.js';
import { openStoredCalls } from '../support/stored-calls.js';
import { checkWav } from '../support/wav-check.js';

/**
 * A full disk under a running server: its data directory is a small tmpfs the test fills and
 * empties. While full, control events are refused per entry with InternalFailure (never an
 * EventId that was not stored), /healthz reports degraded, live calls go on and keep their
 * events in memory, recordings stop with an error; nothing crashes. Once space returns,
 * everything held is written, in order, and new calls record again.
 */
const fsAvailable = SmallFilesystem.available();

async function until<T>(probe: () => Promise<T | undefined>, what: string, timeoutMs = 20_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

async function health(baseUrl: string) {
  const res = await fetch(`${baseUrl}/healthz`);
  return {
    status: res.status,
    body: (await res.json()) as { status: string; failing?: { component: string; code: string }[] },
  };
}

describe.skipIf(!fsAvailable)('a full disk under a running server', () => {
  const cleanup: (() => Promise<void> | void)[] = [];
  afterEach(async () => {
    for (const step of cleanup.splice(0).reverse()) await step();
  });

  it('refuses control events it cannot store, keeps live calls going, and catches up when space returns', async () => {
    const fs = SmallFilesystem.mount(24 * 1024 * 1024);
    cleanup.push(() => fs.unmount());
    const server = await ServerProcess.start({
      dataDir: fs.dir,
      hook: parkAllHook,
      recordCalls: true,
      rtpBasePort: 15_000 + 40 * Math.floor(Math.random() * 50),
      env: { CALLSCRIBE_RECORDING_FLUSH_MS: '100' },
    });
    cleanup.push(() => server.stop());
    const fleet = SbcFleet.start({ host: '127.0.0.1', port: server.sipPort });
    cleanup.push(() => fleet.kill());
    const stored = openStoredCalls({ kind: 'sqlite', dataDir: fs.dir });
    cleanup.push(() => stored.close());
    const events = async (callId: string): Promise<CallEvent[]> =>
      (await stored.eventStream.read({ callId })).map((e) => e.event);
    const finals = async (callId: string) =>
      (await events(callId)).filter(
        (e) => e.EventType === 'ADD_TRANSCRIPT_SEGMENT' && !e.IsPartial,
      );

    await fleet.place('live');
    await fleet.place('parked');
    expect(
      await putEntry(server.baseUrl, 'START_CALL_PROCESSING', { callId: 'live' }),
    ).toHaveProperty('eventId');
    await until(
      async () => ((await finals('live')).length > 0 ? true : undefined),
      'a final segment',
    );
    const finalsBefore = (await finals('live')).length;

    fs.fill();
    // Control events that cannot be stored are refused, retryable, per entry.
    const refused = await until(async () => {
      const result = await putEntry(server.baseUrl, 'START_CALL_PROCESSING', { callId: 'parked' });
      return 'errorCode' in result ? result : undefined;
    }, 'a refused PutEvents entry');
    expect(refused).toMatchObject({ errorCode: 'InternalFailure' });
    const rest = await fetch(`${server.baseUrl}/api/calls/parked/start`, { method: 'POST' });
    expect(rest.status).toBe(503);
    expect(await rest.json()).toMatchObject({ code: 'STORE_UNAVAILABLE' });
    const degraded = await health(server.baseUrl);
    expect(degraded.status).toBe(503);
    expect(degraded.body.status).toBe('degraded');
    expect(degraded.body.failing).toContainEqual(
      expect.objectContaining({ component: 'database', code: 'SQLITE_FULL' }),
    );
    // The live call keeps going for a while on a full disk; the process stays up.
    await new Promise((resolve) => setTimeout(resolve, 3000));
    expect(server.running).toBe(true);
    const messages = () => server.logs.map((l) => l.msg);
    expect(messages()).toContain(
      'SQLite database cannot be written; writes are refused and retried',
    );
    expect(messages()).toContain('call event stream refuses writes; events are kept and retried');
    expect(
      server.logs.find(
        (l) => l.msg === 'recording stopped: the recordings directory cannot be written',
      ),
    ).toMatchObject({ code: 'ENOSPC', callId: 'live' });
    const metrics = await (await fetch(`${server.baseUrl}/metrics`)).text();
    expect(metrics).toMatch(/callscribe_recording_failures_total\{code="ENOSPC"\} [1-9]/);
    expect((await stored.store.get('parked'))?.call.state).toBe('PENDING');
    // The recording failed in the media worker that writes it; /healthz says so too.
    await until(async () => {
      const body = (await health(server.baseUrl)).body;
      return (body.failing ?? []).some(
        (c: { component: string; code?: string }) =>
          /^recordings \(media-\d+\)$/.test(c.component) && c.code === 'ENOSPC',
      )
        ? true
        : undefined;
    }, 'the recordings failure in /healthz');

    fs.free();
    await until(
      async () => ((await health(server.baseUrl)).status === 200 ? true : undefined),
      'healthy again',
    );
    // The server's log reaches us over a pipe, which can trail the health response.
    await until(
      async () => (messages().includes('database can be written again') ? true : undefined),
      'the recovery logged',
    );
    // The retried START is acknowledged and applied, and its outcome is stored.
    const accepted = await putEntry(server.baseUrl, 'START_CALL_PROCESSING', { callId: 'parked' });
    if (!('eventId' in accepted)) throw new Error(`still refused: ${accepted.errorCode}`);
    const outcome = (await (
      await fetch(`${server.baseUrl}/api/control-events/${accepted.eventId}`)
    ).json()) as Record<string, unknown>;
    expect(outcome).toMatchObject({ status: 'applied', callId: 'parked' });

    // The segments of the outage were kept and written: more finals than before, ids in order.
    await until(
      async () => ((await finals('live')).length > finalsBefore + 2 ? true : undefined),
      'segments of the outage stored',
    );
    fleet.hangUp('live');
    await until(
      async () =>
        (await events('live')).at(-1)?.EventType === 'ADD_S3_RECORDING_URL' ? true : undefined,
      'END of the live call',
    );
    const live = await events('live');
    const types = live.map((e) => e.EventType);
    expect(types.filter((t) => t === 'END')).toHaveLength(1);
    expect(types.slice(-3)).toEqual(['CALL_STATE', 'END', 'ADD_S3_RECORDING_URL']);
    const segmentIds = (await finals('live')).map((e) => (e as { SegmentId: string }).SegmentId);
    expect(new Set(segmentIds).size).toBe(segmentIds.length);
    expect((await stored.store.get('live'))?.call).toMatchObject({
      state: 'ENDED',
      endReason: 'bye',
    });
    // The recording holds what was written before the disk filled, as a valid file.
    const kept = checkWav(join(fs.dir, 'recordings', 'live.wav'));
    expect(kept.durationMs).toBeGreaterThan(0);

    // A new call records again.
    await fleet.place('after');
    expect(
      await putEntry(server.baseUrl, 'START_CALL_PROCESSING', { callId: 'after' }),
    ).toHaveProperty('eventId');
    await until(
      async () => ((await finals('after')).length > 0 ? true : undefined),
      'a final segment of the new call',
    );
    fleet.hangUp('after');
    await until(
      async () => (existsSync(join(fs.dir, 'recordings', 'after.wav')) ? true : undefined),
      'its recording',
    );
    expect(checkWav(join(fs.dir, 'recordings', 'after.wav')).durationMs).toBeGreaterThan(1000);
    expect(server.running).toBe(true);
  }, 90_000);
});
