import { useLayoutEffect, useRef, useState } from 'preact/hooks';
import { formatOffsetS } from '../format/duration.js';
import type { Segment } from '../state/transcript-model.js';

interface Props {
  /** Visible heading and the log's accessible name. */
  title: string;
  segments: Segment[];
  /** In the interleaved view each line says who spoke. */
  showSpeaker: boolean;
  testId: string;
}

/** How close to the bottom still counts as "following live", in CSS pixels. */
const followSlackPx = 32;

/**
 * Keeps the newest line in view while the reader is at the bottom; once they scroll up to read,
 * it stops moving and offers a "Jump to live" button instead.
 */
export function TranscriptPane({ title, segments, showSpeaker, testId }: Props) {
  const scroller = useRef<HTMLDivElement>(null);
  const following = useRef(true);
  const [showJump, setShowJump] = useState(false);

  useLayoutEffect(() => {
    const el = scroller.current;
    if (el && following.current) el.scrollTop = el.scrollHeight;
  }, [segments]);

  const onScroll = (): void => {
    const el = scroller.current;
    if (!el) return;
    const atBottom = el.scrollHeight - el.scrollTop - el.clientHeight <= followSlackPx;
    following.current = atBottom;
    setShowJump(!atBottom);
  };

  const jumpToLive = (): void => {
    const el = scroller.current;
    if (!el) return;
    following.current = true;
    el.scrollTop = el.scrollHeight;
    setShowJump(false);
  };

  const headingId = `${testId}-heading`;
  return (
    <section class="transcript-pane" data-testid={testId} aria-labelledby={headingId}>
      <h3 id={headingId}>{title}</h3>
      <div
        class="transcript-scroll"
        ref={scroller}
        onScroll={onScroll}
        tabIndex={0}
        role="log"
        aria-labelledby={headingId}
      >
        {segments.length === 0 ? (
          <p class="empty">No speech yet.</p>
        ) : (
          <ol class="segments">
            {segments.map((s) => (
              <li
                key={`${s.channel}:${s.segmentId}`}
                class={`segment segment-${s.channel.toLowerCase()}${s.isPartial ? ' partial' : ''}`}
                data-segment-id={s.segmentId}
                data-partial={String(s.isPartial)}
              >
                <span class="segment-time">{formatOffsetS(s.startTimeS)}</span>
                {showSpeaker && (
                  <span class="segment-speaker">{s.channel === 'CALLER' ? 'Caller' : 'Agent'}</span>
                )}
                <span class="segment-text">{s.text}</span>
              </li>
            ))}
          </ol>
        )}
      </div>
      {showJump && (
        <button type="button" class="jump-live" onClick={jumpToLive}>
          Jump to live ↓
        </button>
      )}
    </section>
  );
}
