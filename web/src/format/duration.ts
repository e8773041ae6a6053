/** `m:ss` under an hour, `h:mm:ss` above; negative spans (clock skew) show as 0:00. */
export function formatDurationMs(ms: number): string {
  const totalS = Math.max(0, Math.floor(ms / 1000));
  const h = Math.floor(totalS / 3600);
  const m = Math.floor((totalS % 3600) / 60);
  const s = totalS % 60;
  const ss = String(s).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${ss}` : `${m}:${ss}`;
}

export function callDurationMs(startIso: string, endIso: string, nowMs: number): number | null {
  const start = Date.parse(startIso);
  if (Number.isNaN(start)) return null;
  const end = endIso === '' ? nowMs : Date.parse(endIso);
  return Number.isNaN(end) ? null : end - start;
}

/** Seconds from processing start as transcript timestamps show them, `m:ss.s`. */
export function formatOffsetS(seconds: number): string {
  const m = Math.floor(seconds / 60);
  const s = seconds - m * 60;
  return `${m}:${s.toFixed(1).padStart(4, '0')}`;
}
