/**
 * Per-reason packet counts. Prometheus counters are updated from the deltas on a timer,
 * because a labelled `inc()` per packet would cost more than the packet itself.
 */
export class DropCounter {
  readonly #totals = new Map<string, number>();
  readonly #unreported = new Map<string, number>();

  count(reason: string, n = 1): void {
    this.#totals.set(reason, (this.#totals.get(reason) ?? 0) + n);
    this.#unreported.set(reason, (this.#unreported.get(reason) ?? 0) + n);
  }

  get(reason: string): number {
    return this.#totals.get(reason) ?? 0;
  }

  addTotalsTo(target: Record<string, number>): void {
    for (const [reason, n] of this.#totals) target[reason] = (target[reason] ?? 0) + n;
  }

  /** Returns and forgets the counts not yet reported. */
  takeUnreported(): [reason: string, n: number][] {
    const out = [...this.#unreported];
    this.#unreported.clear();
    return out;
  }
}
