/**
 * Whether a part of the server can do its work right now. `/healthz` reports the server as
 * degraded while any part is failing, e.g. the database cannot be written (disk full).
 */
export type ComponentHealth =
  { component: string; ok: true } | { component: string; ok: false; code: string; sinceMs: number };

export interface HealthSource {
  /** May try a small operation (a probe write) to find out whether a failure has passed. */
  health(): ComponentHealth | Promise<ComponentHealth>;
}
