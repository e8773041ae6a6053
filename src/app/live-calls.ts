import type { LiveCall } from './live-call.js';

/** Calls whose media this node holds, by callId. One instance per server, passed in. */
export class LiveCalls {
  private readonly calls = new Map<string, LiveCall>();

  add(call: LiveCall): void {
    this.calls.set(call.callId, call);
  }

  get(callId: string): LiveCall | undefined {
    return this.calls.get(callId);
  }

  delete(callId: string): void {
    this.calls.delete(callId);
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
