import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { CallEvent } from '../../src/domain/call-event.js';
import { SbcFleet } from '../support/sbc-fleet/fleet.js';
import { ServerProcess } from '../support/server-process.js';
import { openStoredCalls } from '../support/stored-calls.js';
import { checkWav } from '../support/wav-check.js';

/**
 * The reproduction, as a user would do it: `kill -9` the server during a transcribed,
 * recorded call, then start it again on the same data directory. The call must end
 * (`node-restart`, with an end time and its closing events, once), and its recording must be
 * repaired and announced. The SBC is the project's own simulator, in a process of its own.
 */
const FLUSH_MS = 200;

async function until<T>(probe: () => Promise<T | undefined>, what: string, timeoutMs = 15_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('crash and restart on the same data directory', () => {
  const cleanup: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const step of cleanup.splice(0).reverse()) await step();
  });

  it('ends the call a SIGKILL interrupted, once, and repairs and announces its recording', async () => {
    const rtpBasePort = 13_500 + 40 * Math.floor(Math.random() * 35);
    const settings = {
      recordCalls: true,
      rtpBasePort,
      env: { CALLSCRIBE_RECORDING_FLUSH_MS: String(FLUSH_MS) },
    };
    const first = await ServerProcess.start(settings);
    const dataDir = first.dataDir;
    cleanup.push(async () => {
      await first.stop();
    });
    const firstId = (await (await fetch(`${first.baseUrl}/healthz`)).json()) as { nodeId: string };
    expect(readFileSync(join(dataDir, 'node-id'), 'utf8').trim()).toBe(firstId.nodeId);

    const fleet = SbcFleet.start({ host: '127.0.0.1', port: first.sipPort });
    cleanup.push(() => fleet.kill());
    await fleet.place('crash-call');
    const stored = openStoredCalls({ kind: 'sqlite', dataDir });
    cleanup.push(() => stored.close());
    await until(async () => {
      const events = await stored.eventStream.read({ callId: 'crash-call' });
      return events.some(
        (e) => e.event.EventType === 'ADD_TRANSCRIPT_SEGMENT' && !e.event.IsPartial,
      )
        ? true
        : undefined;
    }, 'a final transcript segment');
    const part = join(dataDir, 'recordings', 'crash-call.wav.part');
    expect(existsSync(part)).toBe(true);

    await first.kill('SIGKILL');
    await fleet.kill();
    expect((await stored.store.get('crash-call'))?.call.state).toBe('PROCESSING');
    expect(existsSync(part)).toBe(true);

    const second = await ServerProcess.start({
      ...settings,
      dataDir,
      httpPort: first.httpPort,
      sipPort: first.sipPort,
    });
    cleanup.push(async () => {
      await second.stop();
    });
    const secondId = (await (await fetch(`${second.baseUrl}/healthz`)).json()) as {
      nodeId: string;
    };
    expect(secondId.nodeId).toBe(firstId.nodeId);

    // Ended before the restarted node took its first call.
    const record = (await (await fetch(`${second.baseUrl}/api/calls/crash-call`)).json()) as Record<
      string,
      unknown
    >;
    expect(record).toMatchObject({ state: 'ENDED', endReason: 'node-restart' });
    expect(Date.parse(String(record.callStreamingEndTime))).toBeGreaterThan(
      Date.parse(String(record.callStreamingStartTime)),
    );
    const events: CallEvent[] = (await stored.eventStream.read({ callId: 'crash-call' })).map(
      (e) => e.event,
    );
    const types = events.map((e) => e.EventType);
    expect(types[0]).toBe('START');
    expect(types.slice(-3)).toEqual(['CALL_STATE', 'END', 'ADD_S3_RECORDING_URL']);
    expect(events.at(-3)).toMatchObject({ State: 'ENDED' });
    expect(types.filter((t) => t === 'END')).toHaveLength(1);
    expect(events.at(-1)).toMatchObject({
      RecordingUrl: `http://127.0.0.1:${second.httpPort}/api/calls/crash-call/recording`,
    });

    expect(existsSync(part)).toBe(false);
    const wav = checkWav(join(dataDir, 'recordings', 'crash-call.wav'));
    expect(wav).toMatchObject({ sampleRateHz: 8000, channels: 2 });
    expect(wav.durationMs).toBeGreaterThan(500);
    const served = await fetch(`${second.baseUrl}/api/calls/crash-call/recording`);
    expect(served.status).toBe(200);
    expect(Number(served.headers.get('content-length'))).toBe(wav.dataBytes + 44);

    const logs = second.logs.map((l) => l.msg);
    expect(logs).toContain('interrupted recording repaired');
    expect(logs).toContain('call ended: its media was lost with an earlier run of this node');
    expect(
      logs.indexOf('call ended: its media was lost with an earlier run of this node'),
    ).toBeLessThan(logs.indexOf('callscribe started'));
  });
});
