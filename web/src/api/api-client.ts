import type { Auth } from './auth.js';
import type { CallRecord, ControlOutcome, ControlReply, StartRequest } from './types.js';

export class UnauthorizedError extends Error {
  constructor() {
    super('the API token is missing or was refused');
    this.name = 'UnauthorizedError';
  }
}

export class ApiError extends Error {
  readonly httpStatus: number;
  readonly code: string | null;
  constructor(httpStatus: number, code: string | null, message: string) {
    super(message);
    this.name = 'ApiError';
    this.httpStatus = httpStatus;
    this.code = code;
  }
}

export interface CallListSnapshot {
  calls: CallRecord[];
  /** The server's clock when it answered (HTTP Date), to tell replayed events from newer ones. */
  serverTimeMs: number | null;
}

export interface ApiClient {
  listCalls(): Promise<CallListSnapshot>;
  getCall(callId: string): Promise<CallRecord>;
  startProcessing(callId: string, request: StartRequest): Promise<ControlReply>;
  stopProcessing(callId: string): Promise<ControlReply>;
  /**
   * A URL for things that cannot send headers (EventSource, <audio>, download links); the
   * server accepts the token as `access_token` for exactly this reason.
   */
  urlWithToken(path: string): string;
}

export const callPath = (callId: string): string => `api/calls/${encodeURIComponent(callId)}`;

/** Paths are relative so the UI keeps working behind a proxy that mounts it under a prefix. */
export function createApiClient(
  auth: Auth,
  fetchImpl: typeof fetch = fetch.bind(globalThis),
): ApiClient {
  async function request(path: string, init: RequestInit = {}): Promise<Response> {
    const headers = new Headers(init.headers);
    headers.set('accept', 'application/json');
    const token = auth.token();
    if (token !== null) headers.set('authorization', `Bearer ${token}`);
    const response = await fetchImpl(path, { ...init, headers });
    if (response.status === 401) {
      auth.requireLogin();
      throw new UnauthorizedError();
    }
    return response;
  }

  async function json<T>(path: string): Promise<{ body: T; response: Response }> {
    const response = await request(path);
    const body = (await response.json().catch(() => null)) as unknown;
    if (!response.ok) {
      const problem = asProblem(body);
      throw new ApiError(
        response.status,
        problem.code,
        problem.message ?? `HTTP ${response.status}`,
      );
    }
    return { body: body as T, response };
  }

  async function control(
    callId: string,
    action: 'start' | 'stop',
    payload: StartRequest,
  ): Promise<ControlReply> {
    const response = await request(`${callPath(callId)}/${action}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(payload),
    });
    const body = (await response.json().catch(() => null)) as unknown;
    const problem = asProblem(body);
    return {
      httpStatus: response.status,
      outcome: outcomeFrom(body),
      code: problem.code,
      message: problem.message,
    };
  }

  return {
    async listCalls() {
      const { body, response } = await json<unknown>('api/calls?limit=1000');
      const date = Date.parse(response.headers.get('date') ?? '');
      return { calls: callsFrom(body), serverTimeMs: Number.isNaN(date) ? null : date };
    },
    getCall: async (callId) => (await json<CallRecord>(callPath(callId))).body,
    startProcessing: (callId, payload) => control(callId, 'start', payload),
    stopProcessing: (callId) => control(callId, 'stop', {}),
    urlWithToken(path) {
      const token = auth.token();
      if (token === null) return path;
      return `${path}${path.includes('?') ? '&' : '?'}access_token=${encodeURIComponent(token)}`;
    },
  };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function asProblem(body: unknown): { code: string | null; message: string | null } {
  if (!isRecord(body)) return { code: null, message: null };
  return {
    code: typeof body.code === 'string' ? body.code : null,
    message: typeof body.message === 'string' ? body.message : null,
  };
}

/** The list comes as `{ calls: [...] }`; a bare array is accepted too. */
function callsFrom(body: unknown): CallRecord[] {
  if (Array.isArray(body)) return body as CallRecord[];
  if (isRecord(body) && Array.isArray(body.calls)) return body.calls as CallRecord[];
  return [];
}

/** A 2xx answer is the outcome itself; an error answer carries it under `outcome`. */
function outcomeFrom(body: unknown): ControlOutcome | null {
  if (!isRecord(body)) return null;
  if (isRecord(body.outcome)) return body.outcome as unknown as ControlOutcome;
  if (typeof body.status === 'string' && typeof body.eventId === 'string')
    return body as unknown as ControlOutcome;
  return null;
}
