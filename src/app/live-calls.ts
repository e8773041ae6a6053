import type { LiveCall } from './live-call.js';

/** Calls whose media this node holds, by callId. One instance per server, passed in. */
export class LiveCalls {
  private readonly calls = new Map<string, LiveCall>();
  /** Calls being set up: stored, or about to be, but not held yet. */
  private readonly arriving = new Set<string>();

  add(call: LiveCall): void {
    this.calls.set(call.callId, call);
    this.arriving.delete(call.callId);
  }

  get(callId: string): LiveCall | undefined {
    return this.calls.get(callId);
  }

  delete(callId: string): void {
    this.calls.delete(callId);
  }

  /** The call is being set up here: a control event for it waits, it is no orphan. */
  markArriving(callId: string): void {
    this.arriving.add(callId);
  }

  arrivalAbandoned(callId: string): void {
    this.arriving.delete(callId);
  }

  isArriving(callId: string): boolean {
    return this.arriving.has(callId);
  }

  /** Held here, or being set up here. */
  holds(callId: string): boolean {
    return this.calls.has(callId) || this.arriving.has(callId);
  }

  get size(): number {
    return this.calls.size;
  }

  countsByState(): Record<string, number> {
    const counts: Record<string, number> = { PENDING: 0, PROCESSING: 0, PAUSED: 0, ENDED: 0 };
    for (const call of this.calls.values())
      counts[call.current.state] = (counts[call.current.state] ?? 0) + 1;
    return counts;
  }

  all(): LiveCall[] {
    return [...this.calls.values()];
  }
}
