/** Messages between the scale-out driver and its node processes (over fork IPC). */
export type DriverMessage = { type: 'park'; callIds: string[] } | { type: 'stop' };

export type NodeMessage =
  | { type: 'ready'; httpPort: number }
  | { type: 'parked'; count: number }
  /** Processing began on the node holding the call; `atMs` is epoch ms with sub-ms precision. */
  | { type: 'started'; callId: string; atMs: number };

export function epochMs(): number {
  return performance.timeOrigin + performance.now();
}
