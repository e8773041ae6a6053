/**
 * New requests per second per source address, as a token bucket: a burst up to the limit, then
 * the sustained rate. Buckets of quiet sources are dropped so scans cannot grow the table forever.
 */
export class SourceRateLimiter {
  readonly #perSecond: number;
  readonly #now: () => number;
  readonly #buckets = new Map<string, { tokens: number; atMs: number }>();
  #lastPruneMs = 0;

  constructor(options: { perSecond: number; now: () => number }) {
    this.#perSecond = options.perSecond;
    this.#now = options.now;
  }

  /** True when the request may go on; false means answer 503 with Retry-After. */
  allow(source: string): boolean {
    const nowMs = this.#now();
    this.#prune(nowMs);
    const bucket = this.#buckets.get(source);
    if (!bucket) {
      this.#buckets.set(source, { tokens: this.#perSecond - 1, atMs: nowMs });
      return true;
    }
    const elapsedMs = Math.max(0, nowMs - bucket.atMs);
    bucket.tokens = Math.min(this.#perSecond, bucket.tokens + (elapsedMs * this.#perSecond) / 1000);
    bucket.atMs = nowMs;
    if (bucket.tokens < 1) return false;
    bucket.tokens -= 1;
    return true;
  }

  #prune(nowMs: number): void {
    if (nowMs - this.#lastPruneMs < 10_000) return;
    this.#lastPruneMs = nowMs;
    for (const [source, bucket] of this.#buckets) {
      if (nowMs - bucket.atMs > 2000) this.#buckets.delete(source);
    }
  }
}
