import type { CallEvent, Channel } from '../api/types.js';

export interface Segment {
  segmentId: string;
  channel: Channel;
  startTimeS: number;
  endTimeS: number;
  text: string;
  isPartial: boolean;
}

/**
 * A call's transcript. A final carries the SegmentId of its partials and replaces them in
 * place; a late partial never overwrites a final (events may be replayed after a reconnect).
 */
export class TranscriptModel {
  readonly #segments = new Map<string, Segment>();
  #sorted: Segment[] | null = [];

  /** True when the event changed the transcript. */
  apply(event: CallEvent): boolean {
    if (event.EventType !== 'ADD_TRANSCRIPT_SEGMENT') return false;
    const key = `${event.Channel}:${event.SegmentId}`;
    const existing = this.#segments.get(key);
    if (existing && !existing.isPartial && event.IsPartial) return false;
    this.#segments.set(key, {
      segmentId: event.SegmentId,
      channel: event.Channel,
      startTimeS: event.StartTime,
      endTimeS: event.EndTime,
      text: event.Transcript,
      isPartial: event.IsPartial,
    });
    this.#sorted = null;
    return true;
  }

  /** All segments in time order (the interleaved view). */
  all(): Segment[] {
    this.#sorted ??= [...this.#segments.values()].sort(
      (a, b) =>
        a.startTimeS - b.startTimeS ||
        a.endTimeS - b.endTimeS ||
        a.segmentId.localeCompare(b.segmentId),
    );
    return this.#sorted;
  }

  channel(channel: Channel): Segment[] {
    return this.all().filter((s) => s.channel === channel);
  }

  get size(): number {
    return this.#segments.size;
  }
}
