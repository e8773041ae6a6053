import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createInterface } from 'node:readline';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HttpHook } from '../../src/adapters/hook/http-hook.js';
import { AppError } from '../../src/domain/errors.js';
import { normalizeHookResponse, type HookEvent } from '../../src/domain/hook-contract.js';

const sampleEvent = JSON.parse(
  readFileSync(new URL('../../examples/hooks/sample-event.json', import.meta.url), 'utf8'),
) as HookEvent;

async function body(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

async function failure(promise: Promise<unknown>): Promise<AppError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(AppError);
  return error as AppError;
}

const signal = (): AbortSignal => new AbortController().signal;

describe('HttpHook against a real HTTP server', () => {
  let server: Server;
  let base = '';
  const received: { method: string; contentType: string | undefined; event: HookEvent }[] = [];
  let slowRequests = 0;

  beforeAll(async () => {
    server = createServer((req, res) => {
      void (async () => {
        const text = await body(req);
        switch (req.url) {
          case '/hook': {
            const event = JSON.parse(text) as HookEvent;
            received.push({
              method: req.method ?? '',
              contentType: req.headers['content-type'],
              event,
            });
            res.writeHead(200, { 'content-type': 'application/json' });
            res.end(
              JSON.stringify({ callId: `W-${event.detail.callId}`, shouldProcessCall: false }),
            );
            return;
          }
          case '/fail':
            res.writeHead(500, { 'content-type': 'text/plain' });
            res.end('database down');
            return;
          case '/forbidden':
            res.writeHead(403);
            res.end();
            return;
          case '/html':
            res.writeHead(200, { 'content-type': 'text/html' });
            res.end('<html>hello</html>');
            return;
          case '/empty':
            res.writeHead(204);
            res.end();
            return;
          case '/big':
            res.writeHead(200, { 'content-type': 'application/json' });
            res.end(JSON.stringify({ metadatajson: 'x'.repeat(200_000) }));
            return;
          case '/auth':
            res.writeHead(200, { 'content-type': 'application/json' });
            res.end(JSON.stringify({ agentId: req.headers.authorization ?? 'none' }));
            return;
          case '/slow':
            slowRequests++;
            return; // never answers; the client has to give up
          case '/slow-body':
            res.writeHead(200, { 'content-type': 'application/json' });
            res.write('{"agentId":');
            return; // headers sent, body never finished
          default:
            res.writeHead(404);
            res.end();
        }
      })();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  it('POSTs the event as JSON and returns the parsed reply', async () => {
    const hook = new HttpHook(`${base}/hook`);
    expect(hook.kind).toBe('http');
    const reply = await hook.invoke(sampleEvent, signal());
    expect(reply).toEqual({ callId: `W-${sampleEvent.detail.callId}`, shouldProcessCall: false });
    expect(received.at(-1)).toEqual({
      method: 'POST',
      contentType: 'application/json',
      event: sampleEvent,
    });
  });

  it('turns a non-2xx reply into HOOK_FAILED with the status', async () => {
    const error = await failure(new HttpHook(`${base}/fail`).invoke(sampleEvent, signal()));
    expect(error.code).toBe('HOOK_FAILED');
    expect(error.details.status).toBe(500);
    expect(error.retryable).toBe(true);
    const forbidden = await failure(
      new HttpHook(`${base}/forbidden`).invoke(sampleEvent, signal()),
    );
    expect(forbidden.details.status).toBe(403);
    expect(forbidden.retryable).toBe(false);
  });

  it('turns a reply that is not JSON into HOOK_INVALID_RESPONSE', async () => {
    const error = await failure(new HttpHook(`${base}/html`).invoke(sampleEvent, signal()));
    expect(error.code).toBe('HOOK_INVALID_RESPONSE');
    expect(error.details.contentType).toBe('text/html');
  });

  it('refuses an oversized reply', async () => {
    const error = await failure(new HttpHook(`${base}/big`).invoke(sampleEvent, signal()));
    expect(error.code).toBe('HOOK_INVALID_RESPONSE');
  });

  it('treats an empty 2xx reply as "keep the defaults"', async () => {
    const reply = await new HttpHook(`${base}/empty`).invoke(sampleEvent, signal());
    expect(reply).toBeNull();
    expect(normalizeHookResponse(reply)).toEqual({ ok: true, value: {} });
  });

  it('sends credentials from the URL as Basic auth', async () => {
    const url = new URL(`${base}/auth`);
    url.username = 'hook-user';
    url.password = 's3cr:et';
    const reply = await new HttpHook(url.href).invoke(sampleEvent, signal());
    expect(reply).toEqual({
      agentId: `Basic ${Buffer.from('hook-user:s3cr:et').toString('base64')}`,
    });
  });

  it('gives up on a slow reply when the signal aborts', async () => {
    const controller = new AbortController();
    const before = slowRequests;
    const pending = new HttpHook(`${base}/slow`).invoke(sampleEvent, controller.signal);
    // Abort once the server holds the request, so this exercises an in-flight abort.
    while (slowRequests === before) await new Promise((resolve) => setTimeout(resolve, 5));
    controller.abort();
    const error = await failure(pending);
    expect(error.code).toBe('HOOK_FAILED');
    expect(error.details.aborted).toBe(true);
  });

  it('gives up on a reply body that never ends when the signal aborts', async () => {
    const error = await failure(
      new HttpHook(`${base}/slow-body`).invoke(sampleEvent, AbortSignal.timeout(100)),
    );
    expect(error.code).toBe('HOOK_TIMEOUT');
  });

  it('reports an unreachable webhook as a retryable HOOK_FAILED', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    const error = await failure(
      new HttpHook(`http://127.0.0.1:${port}/hook`).invoke(sampleEvent, signal()),
    );
    expect(error.code).toBe('HOOK_FAILED');
    expect(error.retryable).toBe(true);
  });
});

describe('examples/hooks/webhook-server.mjs', () => {
  let child: ChildProcess;
  let url = '';

  beforeAll(async () => {
    child = spawn(process.execPath, ['examples/hooks/webhook-server.mjs', '0', '127.0.0.1'], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const lines = createInterface({ input: child.stdout! });
    url = await new Promise<string>((resolve, reject) => {
      child.once('exit', (code) => reject(new Error(`webhook server exited with ${code}`)));
      lines.once('line', (line) => {
        const match = /listening on (\S+)/.exec(line);
        if (match?.[1]) resolve(match[1]);
        else reject(new Error(`unexpected first line: ${line}`));
      });
    });
  });

  afterAll(async () => {
    if (child.exitCode === null) {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    }
  });

  it('parks the call like park-all.mjs', async () => {
    const reply = await new HttpHook(url).invoke(sampleEvent, signal());
    const normalized = normalizeHookResponse(reply);
    if (!normalized.ok) throw normalized.error;
    expect(normalized.value.shouldProcessCall).toBe(false);
    expect(normalized.value.callId).toBe(sampleEvent.detail.callId);
    expect(JSON.parse(normalized.value.metadatajson ?? '{}')).toMatchObject({
      parkedBy: 'park-all',
    });
  });

  it('answers something that is not a hook event with 400', async () => {
    const response = await fetch(url, { method: 'POST', body: '{"hello":1}' });
    expect(response.status).toBe(400);
    await response.body?.cancel();
  });
});
