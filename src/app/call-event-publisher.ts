import type { Logger } from 'pino';
import type { CallEvent } from '../domain/call-event.js';
import type { CallData } from '../domain/call.js';
import { isAppError } from '../domain/errors.js';
import type { CallEventStream } from '../ports/call-event-stream.js';
import { backoff } from './retry.js';

export type EventBody<T extends CallEvent = CallEvent> = T extends CallEvent
  ? Omit<T, 'CallId' | 'CreatedAt'>
  : never;

export interface CallEventPublisherDeps {
  stream: CallEventStream;
  log: Logger;
  now: () => number;
  /** Aborted at shutdown: events still waiting for the stream are then given up (and logged). */
  stopping?: AbortSignal;
}

/**
 * Appends a call's events strictly in order: each append waits for the previous one, so a
 * final segment can never overtake its partials and END always comes last (LCA fires and
 * forgets its Kinesis writes, which loses that order).
 *
 * While the stream refuses writes with a retryable error, events stay queued in memory and the
 * head is retried with back-off, so the call goes on and nothing is lost when the store comes
 * back. Partial segments arriving meanwhile are not queued: the final that follows supersedes
 * them, and the backlog of a long outage stays bounded by the finals.
 */
export class CallEventPublisher {
  private tail: Promise<unknown> = Promise.resolve();
  private backlogged = false;
  private lost = 0;

  constructor(
    private readonly deps: CallEventPublisherDeps,
    private readonly callId: string,
  ) {}

  publish(body: EventBody): Promise<void> {
    if (this.backlogged && isPartialSegment(body)) return this.tail.then(() => undefined);
    const event = {
      ...body,
      CallId: this.callId,
      CreatedAt: new Date(this.deps.now()).toISOString(),
    } as CallEvent;
    const next = this.tail.then(() => this.store(event));
    this.tail = next.catch((err: unknown) => {
      this.lost++;
      this.deps.log.error({ err, eventType: event.EventType }, 'call event could not be stored');
    });
    return this.tail.then(() => undefined);
  }

  /** Resolves once everything published so far is stored (or given up). */
  drained(): Promise<void> {
    return this.tail.then(() => undefined);
  }

  /** Events given up so far (a non-retryable failure, or shutdown during an outage). */
  get lostCount(): number {
    return this.lost;
  }

  private async store(event: CallEvent): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      try {
        await this.deps.stream.append(event);
        if (this.backlogged) {
          this.backlogged = false;
          this.deps.log.info({ attempts: attempt + 1 }, 'call events stored again');
        }
        return;
      } catch (error) {
        const retryable = isAppError(error) && error.retryable;
        if (!retryable || this.deps.stopping?.aborted) throw error;
        if (!this.backlogged) {
          this.backlogged = true;
          this.deps.log.warn(
            { err: error, eventType: event.EventType },
            'call event stream refuses writes; events are kept and retried',
          );
        }
        await backoff(attempt, this.deps.stopping);
      }
    }
  }
}

function isPartialSegment(body: EventBody): boolean {
  return body.EventType === 'ADD_TRANSCRIPT_SEGMENT' && body.IsPartial;
}

export function callStateEvent(call: CallData): EventBody {
  return {
    EventType: 'CALL_STATE',
    State: call.state,
    CustomerPhoneNumber: call.fromNumber,
    SystemPhoneNumber: call.toNumber,
    ...(call.agentId ? { AgentId: call.agentId } : {}),
    ...(call.heldChannels !== undefined ? { HeldChannels: [...call.heldChannels] } : {}),
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

export function startEvent(call: CallData): EventBody {
  return {
    EventType: 'START',
    CustomerPhoneNumber: call.fromNumber,
    SystemPhoneNumber: call.toNumber,
    ...(call.agentId ? { AgentId: call.agentId } : {}),
    ...(call.metadatajson ? { Metadatajson: call.metadatajson } : {}),
  };
}

/**
 * The events that close a call, in order: its final state, END (only for a call whose START
 * was published, as LCA sends them), then the recording's URL when there is one.
 */
export function endEvents(
  call: CallData,
  options: { started: boolean; recordingUrl: string | undefined },
): EventBody[] {
  const events: EventBody[] = [callStateEvent({ ...call, state: 'ENDED' })];
  if (options.started) {
    events.push({
      EventType: 'END',
      CustomerPhoneNumber: call.fromNumber,
      SystemPhoneNumber: call.toNumber,
    });
  }
  if (options.recordingUrl !== undefined) {
    events.push({ EventType: 'ADD_S3_RECORDING_URL', RecordingUrl: options.recordingUrl });
  }
  return events;
}

/** Where a call's recording is served, as ADD_S3_RECORDING_URL announces it. */
export function recordingUrl(publicUrl: string, callId: string): string {
  return `${publicUrl}/api/calls/${encodeURIComponent(callId)}/recording`;
}
