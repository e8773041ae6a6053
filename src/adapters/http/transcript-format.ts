import type { AddTranscriptSegmentEvent, StoredCallEvent } from '../../domain/call-event.js';

/**
 * The final transcript of a call: final segments only, one per SegmentId (a re-emitted final
 * replaces the earlier one), in order of their start time.
 */
export function finalSegments(events: readonly StoredCallEvent[]): AddTranscriptSegmentEvent[] {
  const bySegmentId = new Map<string, AddTranscriptSegmentEvent>();
  for (const { event } of events) {
    if (event.EventType === 'ADD_TRANSCRIPT_SEGMENT' && !event.IsPartial)
      bySegmentId.set(event.SegmentId, event);
  }
  return [...bySegmentId.values()].sort(
    (a, b) => a.StartTime - b.StartTime || a.EndTime - b.EndTime,
  );
}

/** `[mm:ss] CALLER: text`, one line per segment; minutes keep counting past 59. */
export function transcriptText(segments: readonly AddTranscriptSegmentEvent[]): string {
  return segments.map((s) => `[${clock(s.StartTime)}] ${s.Channel}: ${s.Transcript}\n`).join('');
}

function clock(seconds: number): string {
  const whole = Math.max(0, Math.floor(seconds));
  const mm = String(Math.floor(whole / 60)).padStart(2, '0');
  const ss = String(whole % 60).padStart(2, '0');
  return `${mm}:${ss}`;
}
