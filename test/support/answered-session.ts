import type { CallSessions, NewSession, SessionDecision } from '../../src/ports/call-sessions.js';

/** What the SIP edge does: the core's decision, then, for an accepted call, the 200 OK went out. */
export async function answeredSession(
  sessions: CallSessions,
  session: NewSession,
): Promise<SessionDecision> {
  const decision = await sessions.sessionStarted(session);
  if (decision.accepted) await decision.handle.answered();
  return decision;
}
