import type { Logger } from 'pino';
import { buildServer } from '../../src/composition-root.js';
import type { Config } from '../../src/config/schema.js';
import type { StoredCallEvent } from '../../src/domain/call-event.js';
import type { NewSession } from '../../src/ports/call-sessions.js';
import { answeredSession } from '../../test/support/answered-session.js';

/**
 * The real server from the composition root. Calls are parked in-process through its
 * CallSessions port (as the SIP edge would hand them over) instead of over SIPREC, so the
 * benchmark measures the control path, not SIP set-up. Everything a PutEvents request touches is
 * the real thing: the HTTP edge with SigV4, the router, the SQLite store and event stream, live
 * calls with the transcription pipeline, WAV recorders, and the park-all module hook.
 */
export async function startCallscribeNode(config: Readonly<Config>, log: Logger) {
  const server = await buildServer({ ...config, sipHost: '127.0.0.1', sipPort: 0 }, { log });
  const { httpPort } = await server.start();
  return {
    httpPort,
    /** Every event appended from now on, as a subscriber (SSE, WebSocket) would get it. */
    onEvent(listener: (event: StoredCallEvent) => void): () => void {
      return server.eventStream.subscribe({}, listener);
    },
    /** A SIPREC session as the SIP edge would hand it over; the park-all hook parks it. */
    async parkCall(callId: string): Promise<void> {
      const decision = await answeredSession(server.callSessions, session(callId));
      if (!decision.accepted) throw new Error(`call ${callId} refused: ${decision.reason}`);
    },
    stop: () => server.stop(),
  };
}

function session(callId: string): NewSession {
  return {
    callId,
    direction: 'Inbound',
    fromNumber: '+15551230001',
    toNumber: '+15559870000',
    inviteHeaders: { 'call-id': callId, 'user-agent': 'control-events-bench' },
    siprecMetadataXml: null,
    streams: [
      { label: '1', role: 'CALLER' },
      { label: '2', role: 'AGENT' },
    ],
    channelMapping: {
      callerStreamLabel: '1',
      agentStreamLabel: '2',
      rule: 'label-order',
      swappedByHook: false,
    },
    siprec: null,
    sourceAddress: '127.0.0.1',
    audioSampleRateHz: 8000,
  };
}
