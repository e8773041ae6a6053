import type { ControlReply } from '../api/types.js';

/** One line for the operator, e.g. `rejected: CALL_ENDED — call ended`. */
export function describeControlReply(reply: ControlReply): string {
  const outcome = reply.outcome;
  if (outcome === null) {
    const code = reply.code ?? `HTTP ${reply.httpStatus}`;
    return `failed: ${code}${reply.message ? ` — ${reply.message}` : ''}`;
  }
  const code = outcome.code ? `: ${outcome.code}` : '';
  const reason = outcome.reason ? ` — ${outcome.reason}` : '';
  return `${outcome.status}${code}${reason}`;
}
