import type { Logger } from 'pino';
import type { CallEvent } from '../domain/call-event.js';
import type { CallData } from '../domain/call.js';
import type { CallEventStream } from '../ports/call-event-stream.js';

type EventBody<T extends CallEvent> = T extends CallEvent ? Omit<T, 'CallId' | 'CreatedAt'> : never;

/**
 * Appends a call's events strictly in order: each append waits for the previous one, so a
 * final segment can never overtake its partials and END always comes last (LCA fires and
 * forgets its Kinesis writes, which loses that order).
 */
export class CallEventPublisher {
  private tail: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly deps: { stream: CallEventStream; log: Logger; now: () => number },
    private readonly callId: string,
  ) {}

  publish(body: EventBody<CallEvent>): Promise<void> {
    const event = {
      ...body,
      CallId: this.callId,
      CreatedAt: new Date(this.deps.now()).toISOString(),
    } as CallEvent;
    const next = this.tail.then(() => this.deps.stream.append(event));
    this.tail = next.catch((err: unknown) => {
      this.deps.log.error({ err, eventType: event.EventType }, 'call event could not be stored');
    });
    return this.tail.then(() => undefined);
  }

  /** Resolves once everything published so far is stored. */
  drained(): Promise<void> {
    return this.tail.then(() => undefined);
  }
}

export function callStateEvent(call: CallData): EventBody<CallEvent> {
  return {
    EventType: 'CALL_STATE',
    State: call.state,
    CustomerPhoneNumber: call.fromNumber,
    SystemPhoneNumber: call.toNumber,
    ...(call.agentId ? { AgentId: call.agentId } : {}),
    ...(call.engineFailover
      ? {
          EngineFailover: {
            From: call.engineFailover.from,
            To: call.engineFailover.to,
            Reason: call.engineFailover.reason,
            Channel: call.engineFailover.channel,
            At: call.engineFailover.at,
            SwitchMs: call.engineFailover.switchMs,
          },
        }
      : {}),
  };
}

export function startEvent(call: CallData): EventBody<CallEvent> {
  return {
    EventType: 'START',
    CustomerPhoneNumber: call.fromNumber,
    SystemPhoneNumber: call.toNumber,
    ...(call.agentId ? { AgentId: call.agentId } : {}),
    ...(call.metadatajson ? { Metadatajson: call.metadatajson } : {}),
  };
}
