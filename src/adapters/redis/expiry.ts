/**
 * LCA's `ExpiresAfter` is epoch seconds; rounding up means a record lives at least `ttlMs`.
 * A record is live while `expiresAfter * 1000` is after the current instant.
 */
export function expiresAfterSeconds(nowMs: number, ttlMs: number): number {
  return Math.ceil((nowMs + ttlMs) / 1000);
}
