import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { ApiError, UnauthorizedError, callPath } from '../api/api-client.js';
import type { CallRecord, StoredCallEvent } from '../api/types.js';
import { CallDetails } from '../components/call-details.js';
import { LiveDuration } from '../components/live-duration.js';
import { ProcessingControls } from '../components/processing-controls.js';
import { RecordingPanel } from '../components/recording-panel.js';
import { HoldBadge } from '../components/hold-badge.js';
import { StateBadge } from '../components/state-badge.js';
import { TranscriptPane } from '../components/transcript-pane.js';
import { applyCallEvent, changesRecord } from '../state/apply-call-event.js';
import { createFrameBatcher } from '../state/frame-batcher.js';
import { TranscriptModel } from '../state/transcript-model.js';
import { useEventStream } from '../use-event-stream.js';
import { useServices } from '../use-services.js';

type View = 'side-by-side' | 'interleaved';
const refetchDelayMs = 300;

export function CallPage({ callId }: { callId: string }) {
  const { api } = useServices();
  const [call, setCall] = useState<CallRecord | null>(null);
  const [loadError, setLoadError] = useState<string | null>(null);
  const [view, setView] = useState<View>('side-by-side');
  const transcript = useMemo(() => new TranscriptModel(), [callId]);
  const [transcriptVersion, setTranscriptVersion] = useState(0);
  const batcher = useMemo(() => createFrameBatcher(() => setTranscriptVersion((v) => v + 1)), []);
  const refetchTimer = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);

  const refetch = (): void => {
    api.getCall(callId).then(
      (record) =>
        setCall((current) =>
          current === null || record.version >= current.version ? record : current,
        ),
      (e: unknown) => {
        if (e instanceof UnauthorizedError) return;
        setLoadError(
          e instanceof ApiError && e.code === 'CALL_NOT_FOUND'
            ? 'No such call (it may have expired).'
            : e instanceof Error
              ? e.message
              : String(e),
        );
      },
    );
  };
  const refetchSoon = (): void => {
    if (refetchTimer.current !== undefined) return;
    refetchTimer.current = setTimeout(() => {
      refetchTimer.current = undefined;
      refetch();
    }, refetchDelayMs);
  };

  useEffect(() => {
    setCall(null);
    setLoadError(null);
    refetch();
    return () => {
      clearTimeout(refetchTimer.current);
      refetchTimer.current = undefined;
      batcher.cancel();
    };
  }, [callId]);

  const onEvent = ({ event }: StoredCallEvent): void => {
    if (event.CallId !== callId) return;
    if (transcript.apply(event)) batcher.schedule();
    if (changesRecord(event)) {
      setCall((current) => (current === null ? current : applyCallEvent(current, event)));
      refetchSoon();
    }
  };
  useEventStream(`${callPath(callId)}/events`, call !== null, onEvent, () => api.getCall(callId));

  const caller = useMemo(() => transcript.channel('CALLER'), [transcript, transcriptVersion]);
  const agent = useMemo(() => transcript.channel('AGENT'), [transcript, transcriptVersion]);
  const interleaved = useMemo(() => transcript.all(), [transcript, transcriptVersion]);

  return (
    <main class="call-page">
      <p>
        <a href="#/">← All calls</a>
      </p>
      {loadError !== null && (
        <p class="error" role="alert">
          {loadError}
        </p>
      )}
      {call === null ? (
        loadError === null && <p>Loading call…</p>
      ) : (
        <>
          <header class="page-header call-header">
            <h1>
              Call <span class="call-id">{call.callId}</span>
            </h1>
            <StateBadge state={call.state} />
            <HoldBadge call={call} />
            <LiveDuration
              startIso={call.callStreamingStartTime}
              endIso={call.callStreamingEndTime}
            />
          </header>
          <div class="call-layout">
            <section class="transcript" aria-labelledby="transcript-heading">
              <div class="transcript-header">
                <h2 id="transcript-heading">Transcript</h2>
                <div class="view-toggle" role="group" aria-label="Transcript layout">
                  <button
                    type="button"
                    aria-pressed={view === 'side-by-side'}
                    onClick={() => setView('side-by-side')}
                  >
                    Side by side
                  </button>
                  <button
                    type="button"
                    aria-pressed={view === 'interleaved'}
                    onClick={() => setView('interleaved')}
                  >
                    Interleaved
                  </button>
                </div>
              </div>
              {view === 'side-by-side' ? (
                <div class="panes">
                  <TranscriptPane
                    title="Caller"
                    segments={caller}
                    showSpeaker={false}
                    testId="pane-caller"
                  />
                  <TranscriptPane
                    title="Agent"
                    segments={agent}
                    showSpeaker={false}
                    testId="pane-agent"
                  />
                </div>
              ) : (
                <div class="panes single">
                  <TranscriptPane
                    title="Caller and agent"
                    segments={interleaved}
                    showSpeaker={true}
                    testId="pane-interleaved"
                  />
                </div>
              )}
            </section>
            <aside class="side">
              <ProcessingControls call={call} onReply={refetch} />
              {call.state === 'ENDED' && <RecordingPanel call={call} />}
              <CallDetails call={call} />
            </aside>
          </div>
        </>
      )}
    </main>
  );
}
