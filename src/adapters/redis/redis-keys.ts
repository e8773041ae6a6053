import type { CallState } from '../../domain/call.js';

const states: readonly CallState[] = ['PENDING', 'PROCESSING', 'PAUSED', 'ENDED'];

/**
 * The key layout, in one place. Every key of one call carries the hash tag `{callId}` so a
 * Redis Cluster would keep it in one slot; `cm#{originalCallId}` is tagged by the original id
 * and so lives in another slot, which is harmless because it is written once per call and only
 * refreshed. The indexes, the sequence and the all-calls stream are shared by every call.
 */
export class RedisKeys {
  constructor(readonly prefix: string) {}

  call(callId: string): string {
    return `${this.prefix}cd#{${callId}}`;
  }

  mapping(originalCallId: string): string {
    return `${this.prefix}cm#{${originalCallId}}`;
  }

  controlOutcome(eventId: string): string {
    return `${this.prefix}ctl#{${eventId}}`;
  }

  /** Calls by creation time (ms), all states. */
  get callIndex(): string {
    return `${this.prefix}idx:calls`;
  }

  callStateIndex(state: CallState): string {
    return `${this.prefix}idx:calls:${state}`;
  }

  get callStateIndexes(): string[] {
    return states.map((s) => this.callStateIndex(s));
  }

  /** Store keys by expiry (ms), for the sweeper. */
  get expiryIndex(): string {
    return `${this.prefix}idx:expiry`;
  }

  /** The callId inside `cd#{...}`, or undefined for any other key. */
  callIdOfCallKey(key: string): string | undefined {
    const head = `${this.prefix}cd#{`;
    return key.startsWith(head) && key.endsWith('}') ? key.slice(head.length, -1) : undefined;
  }

  callEvents(callId: string): string {
    return `${this.prefix}ev#{${callId}}`;
  }

  get allEvents(): string {
    return `${this.prefix}ev:all`;
  }

  get eventSequence(): string {
    return `${this.prefix}ev:seq`;
  }

  /** Calls with events, scored by the expiry (ms) of their events. */
  get eventExpiry(): string {
    return `${this.prefix}ev:expiry`;
  }

  node(nodeId: string): string {
    return `${this.prefix}node#${nodeId}`;
  }

  controlChannel(nodeId: string): string {
    return `${this.prefix}ctl:${nodeId}`;
  }

  /** Every node hears of every call's arrival here, to release control events it holds. */
  get callArrivalChannel(): string {
    return `${this.prefix}ctl-arrivals`;
  }

  controlReplyChannel(nodeId: string): string {
    return `${this.prefix}ctl-reply:${nodeId}`;
  }
}
