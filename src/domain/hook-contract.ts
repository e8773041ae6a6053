import { AppError } from './errors.js';
import { err, ok, type Result } from './result.js';

/**
 * What the call-initialization hook sees: the shape of the Chime Voice Connector "STARTED"
 * event LCA passes to its Lambda hook, filled from the SIPREC INVITE.
 */
export interface HookEvent {
  version: '0';
  id: string;
  'detail-type': 'Chime VoiceConnector Streaming Status';
  source: 'callscribe';
  time: string;
  detail: {
    callId: string;
    direction: 'Inbound' | 'Outbound';
    fromNumber: string;
    toNumber: string;
    inviteHeaders: Record<string, string>;
    isCaller: true;
    siprecMetadata: string | null;
    streams: { label: string; role: 'CALLER' | 'AGENT' | null }[];
    startTime: string;
    streamingStatus: 'STARTED';
    version: '0';
  };
}

/** LCA's hook response contract, after normalisation: absent means "keep the default". */
export interface HookDecision {
  callId?: string;
  agentId?: string;
  fromNumber?: string;
  toNumber?: string;
  shouldProcessCall?: boolean;
  isCaller?: boolean;
  metadatajson?: string;
  transcribeLanguageCode?: string;
  shouldRecordCall?: boolean;
}

const stringFields = [
  'callId',
  'agentId',
  'fromNumber',
  'toNumber',
  'metadatajson',
  'transcribeLanguageCode',
] as const;
const booleanFields = ['shouldProcessCall', 'isCaller', 'shouldRecordCall'] as const;

/**
 * Applies LCA's rules: strings count only when non-empty, booleans only when strictly boolean
 * (the string "false" does not suspend a call), unknown fields are ignored. A reply that is not
 * a JSON object at all is refused.
 */
export function normalizeHookResponse(raw: unknown): Result<HookDecision, AppError> {
  if (raw === null || raw === undefined) return ok({});
  if (typeof raw !== 'object' || Array.isArray(raw)) {
    return err(new AppError('HOOK_INVALID_RESPONSE', 'hook response is not a JSON object'));
  }
  const input = raw as Record<string, unknown>;
  const decision: HookDecision = {};
  for (const field of stringFields) {
    const value = input[field];
    if (typeof value === 'string' && value !== '') decision[field] = value;
  }
  for (const field of booleanFields) {
    const value = input[field];
    if (typeof value === 'boolean') decision[field] = value;
  }
  return ok(decision);
}

/** The documented failure policy when the hook fails, times out or answers nonsense. */
export type HookFailurePolicy = 'process' | 'park' | 'reject';
