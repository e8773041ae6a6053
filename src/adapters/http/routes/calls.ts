import type { FastifyInstance } from 'fastify';
import type { CallState, StartCallProcessingDetail } from '../../../domain/call.js';
import type { ControlEventType } from '../../../domain/control-event.js';
import { AppError } from '../../../domain/errors.js';
import type { CallStore, StoredCall } from '../../../ports/call-store.js';
import type { ControlEvents } from '../../../ports/control-events.js';
import { sendControlOutcome } from '../control-outcome-reply.js';

/** Call records and the REST control ingress (START / STOP / UPDATE_AGENT by callId). */
export interface CallRoutesDeps {
  callStore: CallStore;
  controlEvents: ControlEvents;
}

const CALL_STATES: readonly CallState[] = ['PENDING', 'PROCESSING', 'PAUSED', 'ENDED'];
const DEFAULT_LIST_LIMIT = 100;
const MAX_LIST_LIMIT = 1000;

type CallParams = { Params: { callId: string } };

export function callRoutes(deps: CallRoutesDeps) {
  return async function callsPlugin(app: FastifyInstance): Promise<void> {
    app.get('/api/calls', async (request) => {
      const query = request.query as Record<string, unknown>;
      const calls = await deps.callStore.list({
        state: parseState(query.state),
        limit: parseLimit(query.limit),
      });
      return { calls: calls.map(toCallRecord) };
    });

    app.get<CallParams>('/api/calls/:callId', async (request) => {
      const stored = await deps.callStore.get(request.params.callId);
      if (!stored) throw new AppError('CALL_NOT_FOUND', 'no such call');
      return toCallRecord(stored);
    });

    app.post<CallParams>('/api/calls/:callId/start', async (request, reply) => {
      const body = optionalFields(request.body, ['agentId', 'toNumber', 'fromNumber']);
      return submit(reply, 'START_CALL_PROCESSING', { callId: request.params.callId, ...body });
    });

    app.post<CallParams>('/api/calls/:callId/stop', async (request, reply) =>
      submit(reply, 'STOP_CALL_PROCESSING', { callId: request.params.callId }),
    );

    app.post<CallParams>('/api/calls/:callId/agent', async (request, reply) => {
      const { agentId } = optionalFields(request.body, ['agentId']);
      if (agentId === undefined || agentId.trim() === '') {
        throw new AppError('INVALID_REQUEST', 'agentId is required and must be a non-empty string');
      }
      return submit(reply, 'UPDATE_AGENT', { callId: request.params.callId, agentId });
    });
  };

  async function submit(
    reply: Parameters<typeof sendControlOutcome>[0],
    type: ControlEventType,
    detail: StartCallProcessingDetail,
  ) {
    const outcome = await deps.controlEvents.submit(
      { type, detail, ingress: 'rest' },
      { holdIfUnknown: false },
    );
    return sendControlOutcome(reply, outcome);
  }
}

/** The CallData fields plus the store's `version` and LCA's `expiresAfter` (epoch seconds). */
export function toCallRecord(stored: StoredCall) {
  return { ...stored.call, version: stored.version, expiresAfter: stored.expiresAfter };
}

function parseState(value: unknown): CallState | undefined {
  if (value === undefined || value === '') return undefined;
  if (typeof value === 'string' && (CALL_STATES as readonly string[]).includes(value))
    return value as CallState;
  throw new AppError('INVALID_REQUEST', `state must be one of ${CALL_STATES.join(', ')}`);
}

function parseLimit(value: unknown): number {
  if (value === undefined || value === '') return DEFAULT_LIST_LIMIT;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > MAX_LIST_LIMIT) {
    throw new AppError('INVALID_REQUEST', `limit must be an integer from 1 to ${MAX_LIST_LIMIT}`);
  }
  return n;
}

function optionalFields<K extends string>(
  body: unknown,
  keys: readonly K[],
): Partial<Record<K, string>> {
  if (body === undefined || body === null) return {};
  if (typeof body !== 'object' || Array.isArray(body))
    throw new AppError('INVALID_REQUEST', 'body must be a JSON object');
  const input = body as Record<string, unknown>;
  const result: Partial<Record<K, string>> = {};
  for (const key of keys) {
    const value = input[key];
    if (value === undefined || value === null) continue;
    if (typeof value !== 'string') throw new AppError('INVALID_REQUEST', `${key} must be a string`);
    result[key] = value;
  }
  return result;
}
