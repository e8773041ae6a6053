import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import {
  readSse,
  startHttpServer,
  type HttpServerFixture,
} from '../support/http-server-fixture.js';

const TOKEN = 'test-api-token-123';
let f: HttpServerFixture;
beforeAll(async () => {
  f = await startHttpServer({ config: { apiToken: TOKEN } });
  await f.storedCall('auth-call');
  await f.eventStream.append({
    EventType: 'UPDATE_AGENT',
    CallId: 'auth-call',
    CreatedAt: new Date().toISOString(),
    AgentId: 'Gus',
  });
});
afterAll(async () => f?.close());

const get = (path: string, headers: Record<string, string> = {}) =>
  fetch(`${f.baseUrl}${path}`, { headers });

function wsOutcome(
  url: string,
): Promise<{ opened: boolean; status?: number; firstMessage?: unknown }> {
  return new Promise((resolve) => {
    const socket = new WebSocket(url);
    socket.on('unexpected-response', (_req, res) => {
      resolve({ opened: false, status: res.statusCode });
      socket.terminate();
    });
    socket.on('message', (data: Buffer) => {
      resolve({ opened: true, firstMessage: JSON.parse(data.toString('utf8')) });
      socket.close();
    });
    socket.on('error', () => undefined);
  });
}

describe('bearer token on /api', () => {
  it('refuses requests without a token or with a wrong one with 401 UNAUTHORIZED', async () => {
    const attempts: Record<string, string>[] = [
      {},
      { authorization: 'Bearer wrong' },
      { authorization: `Basic ${TOKEN}` },
    ];
    for (const headers of attempts) {
      const res = await get('/api/calls', headers);
      expect(res.status).toBe(401);
      expect(res.headers.get('www-authenticate')).toMatch(/^Bearer/);
      expect(await res.json()).toMatchObject({ code: 'UNAUTHORIZED' });
    }
    expect((await get(`/api/calls?access_token=wrong`)).status).toBe(401);
    const post = await fetch(`${f.baseUrl}/api/calls/auth-call/start`, { method: 'POST' });
    expect(post.status).toBe(401);
    const eventBridge = await fetch(`${f.baseUrl}/api/eventbridge`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        id: 'x',
        source: 'lca-solution',
        'detail-type': 'START_CALL_PROCESSING',
        detail: { callId: 'auth-call' },
      }),
    });
    expect(eventBridge.status).toBe(401);
    expect((await f.store.get('auth-call'))?.call.state).toBe('ENDED');
  });

  it('accepts the token as a Bearer header or as ?access_token=', async () => {
    expect((await get('/api/calls', { authorization: `Bearer ${TOKEN}` })).status).toBe(200);
    expect((await get(`/api/calls/auth-call?access_token=${TOKEN}`)).status).toBe(200);
  });

  it('guards SSE streams, which can authenticate with ?access_token=', async () => {
    expect((await readSse(`${f.baseUrl}/api/calls/auth-call/events`, 1)).status).toBe(401);
    const res = await readSse(`${f.baseUrl}/api/calls/auth-call/events?access_token=${TOKEN}`, 1);
    expect(res.status).toBe(200);
    expect(res.messages[0]).toMatchObject({ event: 'UPDATE_AGENT', data: { AgentId: 'Gus' } });
  });

  it('guards the WebSocket upgrade', async () => {
    const wsUrl = `${f.baseUrl.replace('http:', 'ws:')}/api/ws?callId=auth-call`;
    expect(await wsOutcome(wsUrl)).toEqual({ opened: false, status: 401 });
    expect(await wsOutcome(`${wsUrl}&access_token=${TOKEN}`)).toMatchObject({
      opened: true,
      firstMessage: { event: { EventType: 'UPDATE_AGENT' } },
    });
  });

  it('leaves health, metrics and PutEvents (SigV4-protected) outside the bearer check', async () => {
    expect((await get('/healthz')).status).toBe(200);
    expect((await get('/metrics')).status).toBe(200);
    const putEvents = await fetch(`${f.baseUrl}/`, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-amz-json-1.1',
        'x-amz-target': 'AWSEvents.PutEvents',
      },
      body: JSON.stringify({ Entries: [{ Source: 'my.app', DetailType: 'X', Detail: '{}' }] }),
    });
    expect(putEvents.status).toBe(200);
  });

  it("accepts the query token next to a proxy's own Authorization header", async () => {
    expect(
      (await get(`/api/calls?access_token=${TOKEN}`, { authorization: 'Basic cHJveHk6cHc=' }))
        .status,
    ).toBe(200);
  });

  it('answers unknown routes with 404 ROUTE_NOT_FOUND without echoing the URL query', async () => {
    const res = await get(`/api/nope?access_token=${TOKEN}`);
    expect(res.status).toBe(404);
    const text = await res.text();
    expect(JSON.parse(text)).toEqual({
      code: 'ROUTE_NOT_FOUND',
      message: 'no route for GET /api/nope',
    });
    expect(text).not.toContain(TOKEN);
  });

  it('keeps the token out of the logs', async () => {
    await get(`/api/calls?access_token=${TOKEN}`);
    await get('/api/calls', { authorization: `Bearer ${TOKEN}` });
    expect(f.captured.lines.length).toBeGreaterThan(0);
    expect(JSON.stringify(f.captured.lines)).not.toContain(TOKEN);
  });
});
