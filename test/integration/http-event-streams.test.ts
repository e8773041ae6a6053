import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import type { CallEvent } from '../../src/domain/call-event.js';
import {
  readSse,
  startHttpServer,
  type HttpServerFixture,
} from '../support/http-server-fixture.js';

let f: HttpServerFixture;
beforeAll(async () => {
  f = await startHttpServer();
});
afterAll(async () => f?.close());

let seq = 0;
const segmentEvent = (callId: string): CallEvent => {
  seq += 1;
  return {
    EventType: 'ADD_TRANSCRIPT_SEGMENT',
    CallId: callId,
    CreatedAt: new Date().toISOString(),
    Channel: seq % 2 === 0 ? 'AGENT' : 'CALLER',
    SegmentId: `seg-${seq}`,
    StartTime: seq,
    EndTime: seq + 0.5,
    Transcript: `words ${seq}`,
    IsPartial: false,
  };
};

async function appendMany(callId: string, count: number) {
  const stored = [];
  for (let i = 0; i < count; i++) stored.push(await f.eventStream.append(segmentEvent(callId)));
  return stored;
}

describe('SSE', () => {
  it('sends history then resumes after Last-Event-ID without gaps or duplicates', async () => {
    await f.storedCall('sse-call');
    await appendMany('sse-call', 3);
    await appendMany('other-call', 2);
    const url = `${f.baseUrl}/api/calls/sse-call/events`;

    const first = await readSse(url, 3);
    expect(first.status).toBe(200);
    expect(first.contentType).toMatch(/^text\/event-stream/);
    expect(first.messages.map((m) => m.event)).toEqual([
      'ADD_TRANSCRIPT_SEGMENT',
      'ADD_TRANSCRIPT_SEGMENT',
      'ADD_TRANSCRIPT_SEGMENT',
    ]);
    expect(first.messages.every((m) => (m.data as CallEvent).CallId === 'sse-call')).toBe(true);

    // Missed while disconnected, then live while the second connection is open.
    await appendMany('sse-call', 4);
    const resumed = readSse(url, 6, { 'last-event-id': first.messages.at(-1)?.id ?? '' });
    await appendMany('other-call', 1);
    await appendMany('sse-call', 2);
    const second = await resumed;

    const stored = await f.eventStream.read({ callId: 'sse-call' });
    const seen = [...first.messages, ...second.messages];
    expect(seen.map((m) => m.id)).toEqual(stored.map((s) => s.id));
    expect(seen.map((m) => m.data)).toEqual(stored.map((s) => s.event));
  });

  it('honours ?lastEventId= for the first connect', async () => {
    await f.storedCall('sse-query');
    const [, second, third] = await appendMany('sse-query', 3);
    const res = await readSse(
      `${f.baseUrl}/api/calls/sse-query/events?lastEventId=${second?.id}`,
      1,
    );
    expect(res.messages.map((m) => m.id)).toEqual([third?.id]);
  });

  it('streams every call on /api/events', async () => {
    await appendMany('all-a', 1);
    await appendMany('all-b', 1);
    const all = await f.eventStream.read({});
    const res = await readSse(`${f.baseUrl}/api/events`, all.length);
    expect(res.messages.map((m) => m.id)).toEqual(all.map((e) => e.id));
    expect(new Set(res.messages.map((m) => (m.data as CallEvent).CallId))).toEqual(
      new Set(all.map((e) => e.event.CallId)),
    );
  });

  it('streams the events of a call that arrives after the subscription', async () => {
    const pending = readSse(`${f.baseUrl}/api/calls/later/events`, 2);
    await new Promise((r) => setTimeout(r, 200));
    await f.storedCall('later');
    await appendMany('later', 2);
    const res = await pending;
    expect(res.status).toBe(200);
    expect(res.messages.map((m) => (m.data as CallEvent).CallId)).toEqual(['later', 'later']);
  });
});

function collectWs(
  url: string,
  count: number,
): Promise<{ messages: { id: string; event: CallEvent }[]; closeCode?: number }> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url);
    const messages: { id: string; event: CallEvent }[] = [];
    socket.on('message', (data: Buffer) => {
      messages.push(JSON.parse(data.toString('utf8')) as { id: string; event: CallEvent });
      if (messages.length >= count) socket.close();
    });
    socket.on('close', (code) => resolve({ messages, closeCode: code }));
    socket.on('error', reject);
  });
}

describe('WebSocket', () => {
  it('sends {id, event} messages for one call after lastEventId', async () => {
    await f.storedCall('ws-call');
    const [firstEvent] = await appendMany('ws-call', 3);
    const wsUrl = f.baseUrl.replace('http:', 'ws:');
    const pending = collectWs(`${wsUrl}/api/ws?callId=ws-call&lastEventId=${firstEvent?.id}`, 3);
    await appendMany('ws-call', 1);
    const { messages } = await pending;
    const stored = await f.eventStream.read({ callId: 'ws-call', afterId: firstEvent?.id });
    expect(messages).toEqual(stored.map((s) => ({ id: s.id, event: s.event })));
  });

  it('streams a call that is not known yet once its events arrive', async () => {
    const wsUrl = f.baseUrl.replace('http:', 'ws:');
    const pending = collectWs(`${wsUrl}/api/ws?callId=ws-later`, 1);
    await new Promise((r) => setTimeout(r, 200));
    await f.storedCall('ws-later');
    await appendMany('ws-later', 1);
    const result = await pending;
    expect(result.messages.map((m) => m.event.CallId)).toEqual(['ws-later']);
  });
});

describe('shutdown', () => {
  it('ends open SSE streams and WebSockets so the server closes', async () => {
    const g = await startHttpServer();
    await g.storedCall('closing');
    await g.eventStream.append(segmentEvent('closing'));
    const res = await fetch(`${g.baseUrl}/api/calls/closing/events`);
    const reader = res.body?.getReader();
    await reader?.read();
    const socket = new WebSocket(`${g.baseUrl.replace('http:', 'ws:')}/api/ws`);
    const wsClosed = new Promise<number>((resolve) => socket.on('close', (code) => resolve(code)));
    await new Promise((resolve) => socket.on('open', resolve));
    await g.close();
    let done = false;
    while (!done) done = (await reader?.read())?.done ?? true;
    expect(done).toBe(true);
    expect(await wsClosed).toBeGreaterThan(0);
  });
});
