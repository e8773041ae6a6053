import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type {
  FromMediaWorker,
  Segment,
} from '../../src/adapters/media-workers/media-worker-protocol.js';
import { WorkerOutbox } from '../../src/adapters/media-workers/worker-outbox.js';

const segment = (id: string): Segment => ({
  Channel: 'CALLER',
  SegmentId: id,
  StartTime: 0,
  EndTime: 1,
  Transcript: 'hello',
  IsPartial: false,
});

describe('a media worker batches transcript segments to the main thread', () => {
  let posted: FromMediaWorker[];
  let outbox: WorkerOutbox;
  beforeEach(() => {
    vi.useFakeTimers();
    posted = [];
    outbox = new WorkerOutbox((message) => posted.push(message), { segmentBatchMs: 20 });
  });
  afterEach(() => vi.useRealTimers());

  it('sends the segments of one interval, of any calls, in one message, in order', () => {
    outbox.segment(1, segment('a'));
    outbox.segment(2, segment('b'));
    outbox.segment(1, segment('c'));
    vi.advanceTimersByTime(19);
    expect(posted).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(posted).toEqual([
      {
        type: 'segments',
        segments: [
          [1, segment('a')],
          [2, segment('b')],
          [1, segment('c')],
        ],
      },
    ]);
    outbox.segment(2, segment('d'));
    vi.advanceTimersByTime(20);
    expect(posted).toHaveLength(2);
    expect(posted[1]).toEqual({ type: 'segments', segments: [[2, segment('d')]] });
  });

  it('sends gathered segments before any other message, so a reply never overtakes them', () => {
    outbox.segment(7, segment('final'));
    outbox.post({ type: 'reply', requestId: 3, ok: true });
    expect(posted).toEqual([
      { type: 'segments', segments: [[7, segment('final')]] },
      { type: 'reply', requestId: 3, ok: true },
    ]);
    vi.advanceTimersByTime(100);
    expect(posted).toHaveLength(2);
  });

  it('sends nothing for an empty interval, and each segment at once when batching is off', () => {
    outbox.flush();
    outbox.post({ type: 'media-timeout', sessionId: 1 });
    expect(posted).toEqual([{ type: 'media-timeout', sessionId: 1 }]);
    const unbatched: FromMediaWorker[] = [];
    const direct = new WorkerOutbox((message) => unbatched.push(message), { segmentBatchMs: 0 });
    direct.segment(1, segment('x'));
    expect(unbatched).toEqual([{ type: 'segments', segments: [[1, segment('x')]] }]);
  });
});
