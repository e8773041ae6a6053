/**
 * Expiry is kept in epoch seconds (LCA's `ExpiresAfter`). Rounding up means a record lives at
 * least `ttlMs`, never less; a row is live while `expires_after` is after the current instant.
 */
export function expiresAfterSeconds(nowMs: number, ttlMs: number): number {
  return Math.ceil((nowMs + ttlMs) / 1000);
}

/** The instant compared against `expires_after`, as fractional epoch seconds. */
export function nowSeconds(nowMs: number): number {
  return nowMs / 1000;
}
