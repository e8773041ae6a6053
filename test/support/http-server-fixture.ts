import type { FastifyInstance } from 'fastify';
import { WavCallRecorder } from '../../src/adapters/recording/wav-call-recorder.js';
import { createHttpServer } from '../../src/adapters/http/create-http-server.js';
import { loadConfig } from '../../src/config/load.js';
import type { Config } from '../../src/config/schema.js';
import { sampleCall } from './sample-call.js';
import type { CallData } from '../../src/domain/call.js';
import { buildAppHarness, functionHook, newSession } from './app-harness.js';
import { answeredSession } from './answered-session.js';

/**
 * The real HTTP edge on 127.0.0.1 (ephemeral port) over the real app layer: SQLite store and
 * event stream, ControlRouter, CallService with a parking hook. Calls are created either as live
 * parked sessions (so control events can apply) or directly in the store.
 */
export async function startHttpServer(
  options: {
    config?: Partial<Record<keyof Config, unknown>>;
    pendingEventTtlMs?: number;
    staticDir?: string;
  } = {},
) {
  const harness = await buildAppHarness({
    hook: functionHook(async () => ({ shouldProcessCall: false })),
    pendingEventTtlMs: options.pendingEventTtlMs ?? 30_000,
  });
  const config = loadConfig({
    env: {},
    overrides: {
      dataDir: harness.dataDir,
      nodeId: 'node-a',
      logLevel: 'silent',
      ...options.config,
    },
  });
  const app: FastifyInstance = createHttpServer({
    config,
    log: harness.captured.log,
    controlEvents: harness.router,
    callStore: harness.store,
    eventStream: harness.eventStream,
    metrics: harness.metrics,
    recordings: new WavCallRecorder({ dataDir: harness.dataDir, log: harness.captured.log }),
    ...(options.staticDir ? { staticDir: options.staticDir } : {}),
  });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const address = app.server.address();
  if (address === null || typeof address === 'string') throw new Error('server has no TCP address');
  const baseUrl = `http://127.0.0.1:${address.port}`;

  return {
    ...harness,
    app,
    config,
    baseUrl,
    port: address.port,
    /** A live call parked by the hook (PENDING), as a SIPREC INVITE would create it. */
    async parkedCall(callId: string) {
      const decision = await answeredSession(
        harness.service,
        newSession({ callId, inviteHeaders: { 'call-id': callId } }),
      );
      if (!decision.accepted) throw new Error(`session ${callId} refused: ${decision.reason}`);
      return decision.handle;
    },
    /** A stored call record with no media on this node (history, listings). */
    async storedCall(callId: string, overrides: Partial<CallData> = {}) {
      return harness.store.create(callRecord(callId, overrides));
    },
    async close() {
      await app.close();
      await harness.close();
    },
  };
}

export type HttpServerFixture = Awaited<ReturnType<typeof startHttpServer>>;

/** An ended call record, for tests that only need something stored. */
export function callRecord(callId: string, overrides: Partial<CallData> = {}): CallData {
  return sampleCall({
    callId,
    originalCallId: callId,
    state: 'ENDED',
    callStreamingStartTime: '2026-11-25T10:00:00.000Z',
    callStreamingEndTime: '2026-11-25T10:05:00.000Z',
    endReason: 'bye',
    ...overrides,
  });
}

export interface SseMessage {
  id: string;
  event: string;
  data: unknown;
}

/**
 * A minimal EventSource for tests (Node 20 has none): collects messages from an SSE response
 * until `count` arrived, then aborts the connection.
 */
export async function readSse(
  url: string,
  count: number,
  headers: Record<string, string> = {},
): Promise<{ status: number; contentType: string | null; messages: SseMessage[] }> {
  const abort = new AbortController();
  const res = await fetch(url, {
    headers: { accept: 'text/event-stream', ...headers },
    signal: abort.signal,
  });
  const messages: SseMessage[] = [];
  if (res.status !== 200 || !res.body) {
    await res.body?.cancel();
    return { status: res.status, contentType: res.headers.get('content-type'), messages };
  }
  const decoder = new TextDecoder();
  let buffer = '';
  try {
    for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
      buffer += decoder.decode(chunk, { stream: true });
      let end: number;
      while ((end = buffer.indexOf('\n\n')) >= 0) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const fields = new Map<string, string>();
        for (const line of block.split('\n')) {
          if (line.startsWith(':')) continue;
          const colon = line.indexOf(':');
          if (colon > 0) fields.set(line.slice(0, colon), line.slice(colon + 1).trimStart());
        }
        const data = fields.get('data');
        if (data === undefined) continue;
        messages.push({
          id: fields.get('id') ?? '',
          event: fields.get('event') ?? 'message',
          data: JSON.parse(data),
        });
        if (messages.length >= count) {
          abort.abort();
          return { status: res.status, contentType: res.headers.get('content-type'), messages };
        }
      }
    }
  } catch (error) {
    if (!abort.signal.aborted) throw error;
  }
  return { status: res.status, contentType: res.headers.get('content-type'), messages };
}
