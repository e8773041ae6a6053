import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import type { CallData } from '../../src/domain/call.js';
import { RtpPacer, startSiprecCall, type EstablishedSiprecCall } from '../../src/sbc-sim/index.js';
import { agentAudio, callerAudio } from '../support/sipp-flow-harness.js';
import { startTestServer } from '../support/server-harness.js';

type TestServer = Awaited<ReturnType<typeof startTestServer>>;

const caller = readFileSync(callerAudio);
const agent = readFileSync(agentAudio);

/** A SIPREC call over SIP/UDP from the SBC simulator, both legs streaming the sample call. */
async function placeCall(server: TestServer, pacer: RtpPacer, callId: string) {
  const call = await startSiprecCall({
    target: { host: '127.0.0.1', port: server.running.sipPorts.udp ?? 0 },
    transport: 'udp',
    callId,
  });
  [caller, agent].forEach((audio, i) => {
    const socket = call.rtpSockets[i];
    if (socket) pacer.add({ send: (packet) => socket.send(packet), audio, loop: true });
  });
  return call;
}

async function callRecord(server: TestServer, callId: string): Promise<CallData | undefined> {
  const response = await fetch(`${server.baseUrl}/api/calls/${encodeURIComponent(callId)}`);
  return response.ok ? ((await response.json()) as CallData) : undefined;
}

function segmentsOf(messages: { data: string }[], callId: string): number {
  return messages.filter((m) => {
    const event = JSON.parse(m.data) as { CallId?: string; EventType?: string };
    return event.CallId === callId && event.EventType === 'ADD_TRANSCRIPT_SEGMENT';
  }).length;
}

describe('media workers (RTP, decoding, recording and engine streams off the main thread)', () => {
  let server: TestServer | undefined;
  const pacer = new RtpPacer();
  const calls: EstablishedSiprecCall[] = [];

  afterEach(async () => {
    pacer.stop();
    await Promise.allSettled(calls.splice(0).map((call) => call.hangUp()));
    await server?.stop();
    server = undefined;
  });

  it('a media worker that dies ends its calls with media-worker-failed (BYE to the SBC, END stored) and is replaced: the next call is transcribed', async () => {
    server = await startTestServer({ engine: 'fake', mediaWorkers: 1 });
    expect(server.server.mediaWorkers).toBe(1);
    const events = server.subscribe('/api/events');
    const first = await placeCall(server, pacer, `mw-crash-${Date.now()}-a@sbc`);
    calls.push(first);
    await expect
      .poll(() => segmentsOf(events.messages, first.callId), { timeout: 15_000, interval: 200 })
      .toBeGreaterThan(0);

    server.server.terminateMediaWorker(0);
    // The recorder hangs up: the SBC gets its BYE.
    await first.remoteHangup;
    await expect
      .poll(async () => (await callRecord(server!, first.callId))?.state, { timeout: 15_000 })
      .toBe('ENDED');
    const ended = await callRecord(server, first.callId);
    expect(ended?.endReason).toBe('media-worker-failed');
    await expect
      .poll(() =>
        events.messages.some((m) => {
          const event = JSON.parse(m.data) as { CallId?: string; EventType?: string };
          return event.CallId === first.callId && event.EventType === 'END';
        }),
      )
      .toBe(true);
    expect(
      server.captured.lines.some(
        (l) => l.msg === 'media worker exited; its calls end and it is replaced',
      ),
    ).toBe(true);

    // The replacement takes new calls, binds their sockets and transcribes them. Until it has
    // started, an INVITE gets 503 with Retry-After (no worker to hold it): the SBC retries.
    let second: EstablishedSiprecCall | undefined;
    for (let attempt = 0; second === undefined; attempt++) {
      try {
        second = await placeCall(server, pacer, `mw-crash-${Date.now()}-b${attempt}@sbc`);
      } catch (error) {
        if (attempt >= 20 || !String(error).includes('503')) throw error;
        await new Promise((resolve) => setTimeout(resolve, 500));
      }
    }
    calls.push(second);
    await expect
      .poll(() => segmentsOf(events.messages, second.callId), { timeout: 20_000, interval: 200 })
      .toBeGreaterThan(0);
    expect((await callRecord(server, second.callId))?.state).toBe('PROCESSING');
    await events.stop();
  });

  it('reports each media worker loop (lag, utilisation) in /metrics and /healthz; calls spread over the workers', async () => {
    server = await startTestServer({ engine: 'fake', mediaWorkers: 2 });
    const a = await placeCall(server, pacer, `mw-spread-${Date.now()}-a@sbc`);
    const b = await placeCall(server, pacer, `mw-spread-${Date.now()}-b@sbc`);
    calls.push(a, b);
    // One call per worker: the answers name ports from the two workers' shares of the range.
    const range = server.config.rtpPorts;
    const middle = range.min + Math.floor((range.max - range.min + 1) / 4) * 2;
    const lowShare = [a, b].map((call) => (call.answerPorts[0] ?? 0) < middle);
    expect(lowShare.sort()).toEqual([false, true]);

    const text = await (await fetch(`${server.baseUrl}/metrics`)).text();
    for (const thread of ['main', 'media-0', 'media-1']) {
      expect(text).toMatch(
        new RegExp(`callscribe_event_loop_lag_p99_seconds\\{thread="${thread}"\\} [0-9.e-]+`),
      );
      expect(text).toMatch(new RegExp(`callscribe_event_loop_utilization\\{thread="${thread}"\\}`));
    }
    // The load sampler reads the workers once a second.
    await expect
      .poll(
        async () => {
          const health = (await (await fetch(`${server!.baseUrl}/healthz`)).json()) as {
            lagP99Ms?: Record<string, number>;
          };
          return Object.keys(health.lagP99Ms ?? {}).sort();
        },
        { timeout: 5000 },
      )
      .toEqual(['main', 'media-0', 'media-1']);
    await expect
      .poll(
        async () => {
          const metrics = await (await fetch(`${server!.baseUrl}/metrics`)).text();
          return Number(/callscribe_rtp_packets_total (\d+)/.exec(metrics)?.[1] ?? 0);
        },
        { timeout: 10_000, interval: 250 },
      )
      .toBeGreaterThan(0);
  });
});
