import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CallEvent } from '../../src/domain/call-event.js';
import { startHttpServer, type HttpServerFixture } from '../support/http-server-fixture.js';

let f: HttpServerFixture;
beforeAll(async () => {
  f = await startHttpServer();
});
afterAll(async () => f?.close());

async function call(
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
) {
  const res = await fetch(`${f.baseUrl}${path}`, {
    method,
    headers: body === undefined ? headers : { 'content-type': 'application/json', ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const type = res.headers.get('content-type') ?? '';
  const payload: unknown = type.includes('json') ? await res.json() : await res.text();
  return {
    status: res.status,
    headers: res.headers,
    body: payload as Record<string, unknown> & string,
  };
}

describe('calls', () => {
  it('lists call records with version and expiresAfter, filtered by state and limited', async () => {
    await f.storedCall('listed-ended', { state: 'ENDED' });
    await f.parkedCall('listed-pending');
    const all = await call('GET', '/api/calls');
    expect(all.status).toBe(200);
    const calls = all.body.calls as Record<string, unknown>[];
    const ended = calls.find((c) => c.callId === 'listed-ended');
    expect(ended).toMatchObject({
      state: 'ENDED',
      version: expect.any(Number),
      expiresAfter: expect.any(Number),
      fromNumber: '+15551230001',
    });
    const pending = await call('GET', '/api/calls?state=PENDING');
    expect(
      (pending.body.calls as { callId: string; state: string }[]).every(
        (c) => c.state === 'PENDING',
      ),
    ).toBe(true);
    expect((pending.body.calls as { callId: string }[]).map((c) => c.callId)).toContain(
      'listed-pending',
    );
    expect((await call('GET', '/api/calls?limit=1')).body.calls).toHaveLength(1);
    expect(await call('GET', '/api/calls?state=BOGUS')).toMatchObject({
      status: 400,
      body: { code: 'INVALID_REQUEST' },
    });
    expect(await call('GET', '/api/calls?limit=0')).toMatchObject({
      status: 400,
      body: { code: 'INVALID_REQUEST' },
    });
  });

  it('gets one call, or 404 CALL_NOT_FOUND', async () => {
    await f.storedCall('one-call');
    expect(await call('GET', '/api/calls/one-call')).toMatchObject({
      status: 200,
      body: { callId: 'one-call', version: 1 },
    });
    expect(await call('GET', '/api/calls/no-such-call')).toMatchObject({
      status: 404,
      body: { code: 'CALL_NOT_FOUND' },
    });
  });
});

describe('REST control ingress', () => {
  it('start, duplicate start, stop, stop again, resume: 200 with the outcome each time', async () => {
    await f.parkedCall('rest-call');
    const started = await call('POST', '/api/calls/rest-call/start', {
      agentId: 'Dana',
      toNumber: 'CC',
    });
    expect(started).toMatchObject({
      status: 200,
      body: { status: 'applied', type: 'START_CALL_PROCESSING', callId: 'rest-call' },
    });
    expect(await call('POST', '/api/calls/rest-call/start')).toMatchObject({
      status: 200,
      body: { status: 'noop' },
    });
    expect(await call('POST', '/api/calls/rest-call/stop')).toMatchObject({
      status: 200,
      body: { status: 'applied' },
    });
    expect(await call('POST', '/api/calls/rest-call/stop')).toMatchObject({
      status: 200,
      body: { status: 'noop' },
    });
    expect(await call('POST', '/api/calls/rest-call/start')).toMatchObject({
      status: 200,
      body: { status: 'applied', reason: 'processing resumed' },
    });
    expect((await f.store.get('rest-call'))?.call).toMatchObject({
      state: 'PROCESSING',
      agentId: 'Dana',
      toNumber: 'CC',
    });
    const eventId = started.body.eventId as string;
    expect(await call('GET', `/api/control-events/${eventId}`)).toMatchObject({
      status: 200,
      body: { eventId, status: 'applied' },
    });
  });

  it('rejects unknown calls with 404 and ended calls or bad transitions with 409, with the outcome', async () => {
    expect(await call('POST', '/api/calls/ghost/start')).toMatchObject({
      status: 404,
      body: {
        code: 'CALL_NOT_FOUND',
        message: expect.any(String),
        outcome: { status: 'rejected', requestedCallId: 'ghost' },
      },
    });
    await f.storedCall('ended-call', { state: 'ENDED', endReason: 'bye' });
    expect(await call('POST', '/api/calls/ended-call/start')).toMatchObject({
      status: 409,
      body: { code: 'CALL_ENDED', outcome: { status: 'rejected', code: 'CALL_ENDED' } },
    });
    await f.parkedCall('parked-stop');
    expect(await call('POST', '/api/calls/parked-stop/stop')).toMatchObject({
      status: 409,
      body: { code: 'INVALID_TRANSITION' },
    });
  });

  it('updates the agent, and refuses bodies with missing or mistyped fields', async () => {
    await f.parkedCall('agent-call');
    expect(await call('POST', '/api/calls/agent-call/agent', { agentId: 'Erin' })).toMatchObject({
      status: 200,
      body: { status: 'applied', type: 'UPDATE_AGENT' },
    });
    expect((await f.store.get('agent-call'))?.call.agentId).toBe('Erin');
    expect(await call('POST', '/api/calls/agent-call/agent', {})).toMatchObject({
      status: 400,
      body: { code: 'INVALID_REQUEST' },
    });
    expect(await call('POST', '/api/calls/agent-call/start', { agentId: 5 })).toMatchObject({
      status: 400,
      body: { code: 'INVALID_REQUEST' },
    });
    expect(await call('POST', '/api/calls/agent-call/start', [1])).toMatchObject({
      status: 400,
      body: { code: 'INVALID_REQUEST' },
    });
  });

  it('answers 404 CONTROL_EVENT_NOT_FOUND for an unknown event id', async () => {
    expect(await call('GET', '/api/control-events/nope')).toMatchObject({
      status: 404,
      body: { code: 'CONTROL_EVENT_NOT_FOUND' },
    });
  });
});

describe('EventBridge API-destination target', () => {
  const envelope = (id: string, detail: unknown, overrides: Record<string, unknown> = {}) => ({
    version: '0',
    id,
    'detail-type': 'START_CALL_PROCESSING',
    source: 'lca-solution',
    account: '123456789012',
    time: '2026-11-25T12:00:00Z',
    region: 'us-east-1',
    resources: [],
    detail,
    ...overrides,
  });

  it('applies the envelope under its id, and answers a redelivery with the recorded outcome', async () => {
    await f.parkedCall('eb-call');
    const first = await call(
      'POST',
      '/api/eventbridge',
      envelope('b4ec7334-3d4d-ad3a-84e8-cf19a172ab7f', { callId: 'eb-call', agentId: 'Finn' }),
    );
    expect(first).toMatchObject({
      status: 202,
      body: {
        eventId: 'b4ec7334-3d4d-ad3a-84e8-cf19a172ab7f',
        status: 'applied',
        callId: 'eb-call',
      },
    });
    const again = await call(
      'POST',
      '/api/eventbridge',
      envelope('b4ec7334-3d4d-ad3a-84e8-cf19a172ab7f', { callId: 'eb-call', agentId: 'Finn' }),
    );
    expect(again).toMatchObject({
      status: 202,
      body: { status: 'applied', decidedAt: first.body.decidedAt },
    });
    expect((await f.store.get('eb-call'))?.call).toMatchObject({
      state: 'PROCESSING',
      agentId: 'Finn',
    });
    expect(
      await call('GET', '/api/control-events/b4ec7334-3d4d-ad3a-84e8-cf19a172ab7f'),
    ).toMatchObject({ status: 200 });
  });

  it('holds events for unknown calls as pending', async () => {
    expect(
      await call('POST', '/api/eventbridge', envelope('eb-pending-1', { callId: 'eb-not-yet' })),
    ).toMatchObject({
      status: 202,
      body: { status: 'pending' },
    });
  });

  it('ignores other sources and detail types with 202, and refuses malformed envelopes with 400', async () => {
    expect(
      await call(
        'POST',
        '/api/eventbridge',
        envelope('eb-other', { x: 1 }, { source: 'aws.chime' }),
      ),
    ).toMatchObject({
      status: 202,
      body: { eventId: 'eb-other', status: 'ignored' },
    });
    for (const bad of [
      envelope('eb-bad-1', '{"callId":"x"}'),
      envelope('eb-bad-2', { agentId: 'no call id' }),
      envelope('eb-bad-3', { callId: 'x' }, { source: undefined }),
      envelope('eb-bad-4', { callId: 'x' }, { 'detail-type': 'UPDATE_AGENT' }),
      [1, 2],
    ]) {
      expect(await call('POST', '/api/eventbridge', bad)).toMatchObject({
        status: 400,
        body: { code: 'INVALID_CONTROL_EVENT', message: expect.any(String) },
      });
    }
  });
});

describe('transcript', () => {
  const segment = (
    callId: string,
    id: string,
    channel: 'CALLER' | 'AGENT',
    start: number,
    text: string,
    isPartial: boolean,
  ): CallEvent => ({
    EventType: 'ADD_TRANSCRIPT_SEGMENT',
    CallId: callId,
    CreatedAt: new Date().toISOString(),
    Channel: channel,
    SegmentId: id,
    StartTime: start,
    EndTime: start + 1.5,
    Transcript: text,
    IsPartial: isPartial,
  });

  beforeAll(async () => {
    await f.storedCall('tx-call');
    for (const event of [
      segment('tx-call', 's2', 'AGENT', 3.2, 'how can I', true),
      segment('tx-call', 's1', 'CALLER', 0.5, 'hello there', false),
      segment('tx-call', 's3', 'CALLER', 65.9, 'my order is late', false),
      segment('tx-call', 's2', 'AGENT', 3.2, 'how can I help', false),
    ]) {
      await f.eventStream.append(event);
    }
  });

  it('returns the final segments in time order as JSON', async () => {
    const res = await call('GET', '/api/calls/tx-call/transcript');
    expect(res.status).toBe(200);
    expect(res.body.callId).toBe('tx-call');
    expect(
      (res.body.segments as { SegmentId: string; Transcript: string }[]).map((s) => [
        s.SegmentId,
        s.Transcript,
      ]),
    ).toEqual([
      ['s1', 'hello there'],
      ['s2', 'how can I help'],
      ['s3', 'my order is late'],
    ]);
  });

  it('returns text lines with ?format=text or Accept: text/plain', async () => {
    const expected =
      '[00:00] CALLER: hello there\n[00:03] AGENT: how can I help\n[01:05] CALLER: my order is late\n';
    const byQuery = await call('GET', '/api/calls/tx-call/transcript?format=text');
    expect(byQuery.headers.get('content-type')).toMatch(/^text\/plain/);
    expect(byQuery.body).toBe(expected);
    expect(
      (await call('GET', '/api/calls/tx-call/transcript', undefined, { accept: 'text/plain' }))
        .body,
    ).toBe(expected);
  });

  it('answers 404 for an unknown call', async () => {
    expect(await call('GET', '/api/calls/unknown-tx/transcript')).toMatchObject({
      status: 404,
      body: { code: 'CALL_NOT_FOUND' },
    });
  });
});

describe('recording', () => {
  const wav = Buffer.concat([Buffer.from('RIFF'), Buffer.alloc(96, 7)]);
  beforeAll(() => {
    const dir = join(f.dataDir, 'recordings');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'rec-call.wav'), wav);
  });

  it('streams the WAV, whole or by range', async () => {
    const whole = await fetch(`${f.baseUrl}/api/calls/rec-call/recording`);
    expect(whole.status).toBe(200);
    expect(whole.headers.get('content-type')).toBe('audio/wav');
    expect(whole.headers.get('accept-ranges')).toBe('bytes');
    expect(Buffer.from(await whole.arrayBuffer())).toEqual(wav);

    const head = await fetch(`${f.baseUrl}/api/calls/rec-call/recording`, {
      headers: { range: 'bytes=0-3' },
    });
    expect(head.status).toBe(206);
    expect(head.headers.get('content-range')).toBe('bytes 0-3/100');
    expect(Buffer.from(await head.arrayBuffer()).toString()).toBe('RIFF');

    const tail = await fetch(`${f.baseUrl}/api/calls/rec-call/recording`, {
      headers: { range: 'bytes=-10' },
    });
    expect(tail.status).toBe(206);
    expect((await tail.arrayBuffer()).byteLength).toBe(10);

    const beyond = await fetch(`${f.baseUrl}/api/calls/rec-call/recording`, {
      headers: { range: 'bytes=500-' },
    });
    expect(beyond.status).toBe(416);
    expect(beyond.headers.get('content-range')).toBe('bytes */100');
  });

  it('answers 404 RECORDING_NOT_FOUND when there is none', async () => {
    expect(await call('GET', '/api/calls/no-rec/recording')).toMatchObject({
      status: 404,
      body: { code: 'RECORDING_NOT_FOUND' },
    });
  });
});

describe('health and metrics', () => {
  it('reports ok with the node id and uptime', async () => {
    expect(await call('GET', '/healthz')).toMatchObject({
      status: 200,
      body: { status: 'ok', nodeId: 'node-a', uptimeS: expect.any(Number) },
    });
  });

  it('exposes the Prometheus registry, including control event counts', async () => {
    const res = await call('GET', '/metrics');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain/);
    expect(res.body).toMatch(
      /callscribe_control_events_total\{type="START_CALL_PROCESSING",status="applied",code=""\} \d+/,
    );
  });
});

describe('web UI assets', () => {
  it('serves the static build at / next to the API and PutEvents', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'callscribe-ui-'));
    writeFileSync(join(dir, 'index.html'), '<!doctype html><title>callscribe-ui-marker</title>');
    const g = await startHttpServer({ staticDir: dir });
    try {
      const page = await fetch(`${g.baseUrl}/`);
      expect(page.status).toBe(200);
      expect(page.headers.get('content-type')).toMatch(/^text\/html/);
      expect(await page.text()).toContain('callscribe-ui-marker');
      expect((await fetch(`${g.baseUrl}/api/calls`)).status).toBe(200);
      const putEvents = await fetch(`${g.baseUrl}/`, {
        method: 'POST',
        headers: {
          'content-type': 'application/x-amz-json-1.1',
          'x-amz-target': 'AWSEvents.PutEvents',
        },
        body: JSON.stringify({ Entries: [{ Source: 'my.app', DetailType: 'X', Detail: '{}' }] }),
      });
      expect(putEvents.status).toBe(200);
    } finally {
      await g.close();
    }
    const off = await startHttpServer({ staticDir: dir, config: { webUi: false } });
    try {
      expect((await fetch(`${off.baseUrl}/`)).status).toBe(404);
    } finally {
      await off.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
