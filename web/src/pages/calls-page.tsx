import { useEffect, useLayoutEffect, useMemo, useRef, useState } from 'preact/hooks';
import { UnauthorizedError } from '../api/api-client.js';
import type { CallRecord, CallState, StoredCallEvent } from '../api/types.js';
import { CallRow } from '../components/call-row.js';
import { applyCallEvent, changesRecord, recordFromEvent } from '../state/apply-call-event.js';
import { createFrameBatcher } from '../state/frame-batcher.js';
import { useEventStream } from '../use-event-stream.js';
import { useServices } from '../use-services.js';

const states: readonly CallState[] = ['PENDING', 'PROCESSING', 'PAUSED', 'ENDED'];
const refetchDelayMs = 300;
/** The HTTP Date header has one-second resolution; events this close to it are re-applied. */
const snapshotSlackMs = 1000;
const listedMark = 'callscribe:calls-listed';

export function CallsPage() {
  const { api } = useServices();
  const calls = useRef(new Map<string, CallRecord>()).current;
  const [version, setVersion] = useState(0);
  const [loaded, setLoaded] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [stateFilter, setStateFilter] = useState<CallState | ''>('');
  const [query, setQuery] = useState('');
  const snapshotTimeMs = useRef<number | null>(null);
  const batcher = useMemo(() => createFrameBatcher(() => setVersion((v) => v + 1)), []);
  const pendingRefetch = useRef(new Set<string>()).current;
  const refetchTimer = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);

  useEffect(() => {
    let disposed = false;
    api.listCalls().then(
      (snapshot) => {
        if (disposed) return;
        for (const call of snapshot.calls) calls.set(call.callId, call);
        snapshotTimeMs.current = snapshot.serverTimeMs;
        setLoaded(true);
        setVersion((v) => v + 1);
      },
      (e: unknown) => {
        if (!disposed && !(e instanceof UnauthorizedError))
          setError(e instanceof Error ? e.message : String(e));
      },
    );
    return () => {
      disposed = true;
      batcher.cancel();
      clearTimeout(refetchTimer.current);
    };
  }, [api, calls, batcher]);

  const refetchSoon = (callId: string): void => {
    pendingRefetch.add(callId);
    if (refetchTimer.current !== undefined) return;
    refetchTimer.current = setTimeout(() => {
      refetchTimer.current = undefined;
      const ids = [...pendingRefetch];
      pendingRefetch.clear();
      for (const id of ids) {
        api.getCall(id).then(
          (record) => {
            const current = calls.get(id);
            if (current === undefined || record.version >= current.version) {
              calls.set(id, record);
              batcher.schedule();
            }
          },
          () => undefined,
        );
      }
    }, refetchDelayMs);
  };

  const onEvent = ({ event }: StoredCallEvent): void => {
    const current = calls.get(event.CallId);
    const snapshotMs = snapshotTimeMs.current;
    // History replays everything; calls in the snapshot already reflect the older events.
    if (
      current !== undefined &&
      snapshotMs !== null &&
      Date.parse(event.CreatedAt) < snapshotMs - snapshotSlackMs
    ) {
      return;
    }
    if (current === undefined) {
      calls.set(event.CallId, recordFromEvent(event));
      refetchSoon(event.CallId);
    } else {
      const next = applyCallEvent(current, event);
      if (next === current) return;
      calls.set(event.CallId, next);
      if (changesRecord(event)) refetchSoon(event.CallId);
    }
    batcher.schedule();
  };

  useEventStream('api/events', loaded, onEvent, () => api.listCalls());

  const all = useMemo(
    () =>
      [...calls.values()].sort((a, b) =>
        b.callStreamingStartTime.localeCompare(a.callStreamingStartTime),
      ),
    [version],
  );
  const counts = useMemo(() => {
    const c: Record<CallState, number> = { PENDING: 0, PROCESSING: 0, PAUSED: 0, ENDED: 0 };
    for (const call of all) c[call.state] += 1;
    return c;
  }, [all]);
  const visible = useMemo(() => {
    const q = query.trim().toLowerCase();
    return all.filter(
      (call) =>
        (stateFilter === '' || call.state === stateFilter) &&
        (q === '' ||
          call.callId.toLowerCase().includes(q) ||
          call.fromNumber.toLowerCase().includes(q) ||
          call.toNumber.toLowerCase().includes(q) ||
          (call.agentId ?? '').toLowerCase().includes(q)),
    );
  }, [all, stateFilter, query]);

  useLayoutEffect(() => {
    // bench/web-ui reads this mark: the moment the first list is in the DOM.
    if (loaded && performance.getEntriesByName(listedMark).length === 0)
      performance.mark(listedMark);
  }, [loaded, version]);

  return (
    <main class="calls-page">
      <header class="page-header">
        <h1>Calls</h1>
        <form class="filters" role="search" onSubmit={(e) => e.preventDefault()}>
          <label>
            Status
            <select
              value={stateFilter}
              onChange={(e) => setStateFilter(e.currentTarget.value as CallState | '')}
              name="state"
            >
              <option value="">All ({all.length})</option>
              {states.map((s) => (
                <option key={s} value={s}>
                  {s} ({counts[s]})
                </option>
              ))}
            </select>
          </label>
          <label>
            Search
            <input
              type="search"
              name="q"
              placeholder="number, agent or call ID"
              value={query}
              onInput={(e) => setQuery(e.currentTarget.value)}
            />
          </label>
        </form>
      </header>
      {error !== null && (
        <p class="error" role="alert">
          Could not load calls: {error}
        </p>
      )}
      <p class="summary" aria-live="polite">
        {loaded ? `${visible.length} of ${all.length} calls` : 'Loading calls…'}
      </p>
      <div class="table-wrap">
        <table class="calls">
          <thead>
            <tr>
              <th scope="col">Status</th>
              <th scope="col">Call</th>
              <th scope="col">From</th>
              <th scope="col">To</th>
              <th scope="col">Agent</th>
              <th scope="col">Started</th>
              <th scope="col">Duration</th>
              <th scope="col">Mapping</th>
            </tr>
          </thead>
          <tbody>
            {visible.map((call) => (
              <CallRow key={call.callId} call={call} />
            ))}
          </tbody>
        </table>
      </div>
    </main>
  );
}
