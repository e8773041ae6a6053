import { readFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join, normalize } from 'node:path';
import type { CallEvent, StoredCallEvent } from '../../../src/domain/call-event.js';
import type { CallState, Channel } from '../../../src/domain/call.js';
import type { CallRecord } from '../../../web/src/api/types.js';
import type {
  ControlEventType,
  ControlOutcome,
  ControlOutcomeStatus,
} from '../../../src/domain/control-event.js';

/**
 * A UI-development stand-in for the callscribe HTTP API (calls, SSE events, start/stop,
 * transcript, recording) with scripted data, serving a web build. Its wire shapes follow the
 * real routes in src/adapters/http (`{ calls }`, the outcome itself on 2xx, `{ code, message,
 * outcome }` otherwise). It is not the server: web-ui-acceptance.test.ts drives the real one.
 */
/** The UI's own type for what `GET /api/calls` returns, so the stand-in cannot drift from it. */
export type FixtureCall = CallRecord;

export interface FixtureServerOptions {
  webDistDir: string;
  apiToken?: string;
}

export interface ScriptedRejection {
  code: string;
  reason: string;
  httpStatus: number;
}

interface Subscriber {
  callId: string | undefined;
  res: ServerResponse;
}

const contentTypes: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
};

export class FixtureServer {
  readonly calls = new Map<string, FixtureCall>();
  readonly events: StoredCallEvent[] = [];
  /** Every control request the UI sent, for assertions. */
  readonly controlRequests: {
    type: ControlEventType;
    callId: string;
    body: Record<string, unknown>;
  }[] = [];
  readonly #subscribers = new Set<Subscriber>();
  readonly #rejections = new Map<string, ScriptedRejection>();
  readonly #server = createServer((req, res) => {
    this.#handle(req, res).catch((error: unknown) => {
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ code: 'INTERNAL', message: String(error) }));
    });
  });
  #nextEventId = 1;
  #outcomeSeq = 1;
  baseUrl = '';

  constructor(private readonly options: FixtureServerOptions) {}

  async start(): Promise<string> {
    await new Promise<void>((resolve) => this.#server.listen(0, '127.0.0.1', resolve));
    const { port } = this.#server.address() as AddressInfo;
    this.baseUrl = `http://127.0.0.1:${port}/`;
    return this.baseUrl;
  }

  async stop(): Promise<void> {
    for (const s of this.#subscribers) s.res.end();
    this.#subscribers.clear();
    this.#server.closeAllConnections();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  /** Adds a call (PENDING unless given) and announces it like the server does. */
  addCall(
    partial: Partial<FixtureCall> & { callId: string },
    options: { silent?: boolean } = {},
  ): FixtureCall {
    const now = new Date().toISOString();
    const call: FixtureCall = {
      originalCallId: partial.callId,
      state: 'PENDING',
      callStreamingStartTime: now,
      callProcessingStartTime: '',
      callStreamingEndTime: '',
      fromNumber: '+15550100',
      toNumber: '+15550199',
      agentId: null,
      metadatajson: null,
      languageCode: 'en-US',
      shouldRecordCall: true,
      channelMapping: {
        callerStreamLabel: '1',
        agentStreamLabel: '2',
        rule: 'metadata-direction',
        swappedByHook: false,
      },
      siprec: null,
      endReason: null,
      version: 1,
      expiresAfter: Math.floor(Date.now() / 1000) + 86_400,
      ...partial,
    };
    this.calls.set(call.callId, call);
    if (!options.silent) this.#emitState(call);
    return call;
  }

  setState(callId: string, state: CallState): void {
    const call = this.#mustGet(callId);
    this.#update(call, {
      state,
      callProcessingStartTime:
        state === 'PROCESSING' && call.callProcessingStartTime === ''
          ? new Date().toISOString()
          : call.callProcessingStartTime,
    });
    this.#emitState(this.#mustGet(callId));
    if (state === 'PROCESSING') {
      const c = this.#mustGet(callId);
      this.#emit({
        EventType: 'START',
        CallId: callId,
        CreatedAt: new Date().toISOString(),
        CustomerPhoneNumber: c.fromNumber,
        SystemPhoneNumber: c.toNumber,
        ...(c.agentId ? { AgentId: c.agentId } : {}),
      });
    }
  }

  segment(
    callId: string,
    channel: Channel,
    segmentId: string,
    text: string,
    isPartial: boolean,
    startS: number,
  ): void {
    this.#emit({
      EventType: 'ADD_TRANSCRIPT_SEGMENT',
      CallId: callId,
      CreatedAt: new Date().toISOString(),
      Channel: channel,
      SegmentId: segmentId,
      StartTime: startS,
      EndTime: startS + 1.5,
      Transcript: text,
      IsPartial: isPartial,
    });
  }

  endCall(callId: string, reason = 'bye'): void {
    const call = this.#mustGet(callId);
    const now = new Date().toISOString();
    this.#update(call, { state: 'ENDED', callStreamingEndTime: now, endReason: reason });
    this.#emitState(this.#mustGet(callId));
    this.#emit({
      EventType: 'END',
      CallId: callId,
      CreatedAt: now,
      CustomerPhoneNumber: call.fromNumber,
      SystemPhoneNumber: call.toNumber,
    });
  }

  /** The next START/STOP for this call is refused, as when the call ended in the meantime. */
  rejectNext(callId: string, rejection: ScriptedRejection): void {
    this.#rejections.set(callId, rejection);
  }

  #mustGet(callId: string): FixtureCall {
    const call = this.calls.get(callId);
    if (!call) throw new Error(`fixture has no call ${callId}`);
    return call;
  }

  #update(call: FixtureCall, patch: Partial<FixtureCall>): void {
    this.calls.set(call.callId, { ...call, ...patch, version: call.version + 1 });
  }

  #emitState(call: FixtureCall): void {
    this.#emit({
      EventType: 'CALL_STATE',
      CallId: call.callId,
      CreatedAt: new Date().toISOString(),
      State: call.state,
      CustomerPhoneNumber: call.fromNumber,
      SystemPhoneNumber: call.toNumber,
      ...(call.agentId ? { AgentId: call.agentId } : {}),
    });
  }

  #emit(event: CallEvent): void {
    const stored: StoredCallEvent = { id: String(this.#nextEventId++), event };
    this.events.push(stored);
    for (const s of this.#subscribers) {
      if (s.callId === undefined || s.callId === event.CallId) writeSse(s.res, stored);
    }
  }

  #authorized(req: IncomingMessage, url: URL): boolean {
    const token = this.options.apiToken;
    if (token === undefined) return true;
    return (
      req.headers.authorization === `Bearer ${token}` ||
      url.searchParams.get('access_token') === token
    );
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://fixture');
    const path = url.pathname;
    if (!path.startsWith('/api/')) return this.#serveStatic(path, res);
    if (!this.#authorized(req, url))
      return sendJson(res, 401, { code: 'UNAUTHORIZED', message: 'bearer token required' });

    if (req.method === 'GET' && path === '/api/calls') {
      const state = url.searchParams.get('state');
      const list = [...this.calls.values()].filter((c) => !state || c.state === state);
      return sendJson(res, 200, { calls: list });
    }
    if (req.method === 'GET' && path === '/api/events') return this.#sse(req, res, undefined);
    const m = /^\/api\/calls\/([^/]+)(?:\/(events|start|stop|transcript|recording))?$/.exec(path);
    if (!m?.[1]) return sendJson(res, 404, { code: 'NOT_FOUND', message: 'no such route' });
    const callId = decodeURIComponent(m[1]);
    const action = m[2];
    const call = this.calls.get(callId);
    if (req.method === 'POST' && (action === 'start' || action === 'stop')) {
      const body = await readJson(req);
      return this.#control(
        res,
        action === 'start' ? 'START_CALL_PROCESSING' : 'STOP_CALL_PROCESSING',
        callId,
        body,
      );
    }
    if (!call) return sendJson(res, 404, { code: 'CALL_NOT_FOUND', message: 'call not found' });
    if (action === undefined) return sendJson(res, 200, call);
    if (action === 'events') return this.#sse(req, res, callId);
    if (action === 'transcript')
      return this.#transcript(res, callId, url.searchParams.get('format'));
    if (action === 'recording') return sendWav(res);
    return sendJson(res, 404, { code: 'NOT_FOUND', message: 'no such route' });
  }

  #control(
    res: ServerResponse,
    type: ControlEventType,
    callId: string,
    body: Record<string, unknown>,
  ): void {
    this.controlRequests.push({ type, callId, body });
    const call = this.calls.get(callId);
    const outcome = (
      status: ControlOutcomeStatus,
      code: string | null,
      reason: string,
    ): ControlOutcome => ({
      eventId: `ui-${this.#outcomeSeq++}`,
      type,
      status,
      callId: call ? callId : null,
      requestedCallId: callId,
      code,
      reason,
      receivedAt: new Date().toISOString(),
      decidedAt: new Date().toISOString(),
    });
    const reject = (httpStatus: number, code: string, reason: string): void =>
      sendJson(res, httpStatus, {
        code,
        message: reason,
        outcome: outcome('rejected', code, reason),
      });
    const scripted = this.#rejections.get(callId);
    if (scripted) {
      this.#rejections.delete(callId);
      return reject(scripted.httpStatus, scripted.code, scripted.reason);
    }
    if (!call) return reject(404, 'CALL_NOT_FOUND', 'call not found');
    if (call.state === 'ENDED') return reject(409, 'CALL_ENDED', 'call ended');
    if (type === 'START_CALL_PROCESSING') {
      if (call.state === 'PROCESSING')
        return sendJson(res, 200, outcome('noop', null, 'already processing'));
      const str = (k: string): string | undefined =>
        typeof body[k] === 'string' && body[k] !== '' ? body[k] : undefined;
      this.#update(call, {
        agentId: str('agentId') ?? call.agentId,
        toNumber: str('toNumber') ?? call.toNumber,
        fromNumber: str('fromNumber') ?? call.fromNumber,
      });
      const reason = call.state === 'PAUSED' ? 'resumed' : 'started';
      this.setState(callId, 'PROCESSING');
      return sendJson(res, 200, outcome('applied', null, reason));
    }
    if (call.state === 'PAUSED') return sendJson(res, 200, outcome('noop', null, 'already paused'));
    if (call.state === 'PENDING')
      return reject(409, 'INVALID_TRANSITION', 'call is not being processed');
    this.setState(callId, 'PAUSED');
    return sendJson(res, 200, outcome('applied', null, 'paused'));
  }

  #sse(req: IncomingMessage, res: ServerResponse, callId: string | undefined): void {
    res.writeHead(200, {
      'content-type': 'text/event-stream',
      'cache-control': 'no-cache',
      connection: 'keep-alive',
    });
    res.write('retry: 1000\n\n');
    const lastId = Number(req.headers['last-event-id'] ?? 0);
    for (const stored of this.events) {
      if (Number(stored.id) > lastId && (callId === undefined || stored.event.CallId === callId))
        writeSse(res, stored);
    }
    const subscriber: Subscriber = { callId, res };
    this.#subscribers.add(subscriber);
    req.on('close', () => this.#subscribers.delete(subscriber));
  }

  #transcript(res: ServerResponse, callId: string, format: string | null): void {
    const finals = new Map<string, Extract<CallEvent, { EventType: 'ADD_TRANSCRIPT_SEGMENT' }>>();
    for (const { event } of this.events) {
      if (
        event.CallId === callId &&
        event.EventType === 'ADD_TRANSCRIPT_SEGMENT' &&
        !event.IsPartial
      ) {
        finals.set(`${event.Channel}:${event.SegmentId}`, event);
      }
    }
    const segments = [...finals.values()].sort((a, b) => a.StartTime - b.StartTime);
    if (format === 'text') {
      res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8' });
      res.end(
        segments
          .map((s) => `[${s.StartTime.toFixed(1)}] ${s.Channel}: ${s.Transcript}`)
          .join('\n') + '\n',
      );
      return;
    }
    sendJson(res, 200, { callId, segments });
  }

  async #serveStatic(path: string, res: ServerResponse): Promise<void> {
    const relative =
      path === '/' ? 'index.html' : normalize(decodeURIComponent(path)).replace(/^[/\\]+/, '');
    if (relative.startsWith('..'))
      return sendJson(res, 404, { code: 'NOT_FOUND', message: 'no such file' });
    try {
      const body = await readFile(join(this.options.webDistDir, relative));
      res.writeHead(200, {
        'content-type': contentTypes[extname(relative)] ?? 'application/octet-stream',
      });
      res.end(body);
    } catch {
      sendJson(res, 404, { code: 'NOT_FOUND', message: 'no such file' });
    }
  }
}

function writeSse(res: ServerResponse, stored: StoredCallEvent): void {
  res.write(
    `id: ${stored.id}\nevent: ${stored.event.EventType}\ndata: ${JSON.stringify(stored.event)}\n\n`,
  );
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8' });
  res.end(JSON.stringify(body));
}

async function readJson(req: IncomingMessage): Promise<Record<string, unknown>> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  try {
    const parsed = JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown;
    return typeof parsed === 'object' && parsed !== null ? (parsed as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

/** One second of stereo 8 kHz PCM16 (tones on both channels), as the recording endpoint serves. */
function sendWav(res: ServerResponse): void {
  const sampleRateHz = 8000;
  const frames = sampleRateHz;
  const data = Buffer.alloc(frames * 4);
  for (let i = 0; i < frames; i++) {
    data.writeInt16LE(Math.round(8000 * Math.sin((2 * Math.PI * 440 * i) / sampleRateHz)), i * 4);
    data.writeInt16LE(
      Math.round(8000 * Math.sin((2 * Math.PI * 660 * i) / sampleRateHz)),
      i * 4 + 2,
    );
  }
  const header = Buffer.alloc(44);
  header.write('RIFF', 0);
  header.writeUInt32LE(36 + data.length, 4);
  header.write('WAVE', 8);
  header.write('fmt ', 12);
  header.writeUInt32LE(16, 16);
  header.writeUInt16LE(1, 20);
  header.writeUInt16LE(2, 22);
  header.writeUInt32LE(sampleRateHz, 24);
  header.writeUInt32LE(sampleRateHz * 4, 28);
  header.writeUInt16LE(4, 32);
  header.writeUInt16LE(16, 34);
  header.write('data', 36);
  header.writeUInt32LE(data.length, 40);
  res.writeHead(200, { 'content-type': 'audio/wav', 'content-length': String(44 + data.length) });
  res.end(Buffer.concat([header, data]));
}
