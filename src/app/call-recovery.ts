import type { Logger } from 'pino';
import type { StoredCallEvent } from '../domain/call-event.js';
import { type CallData, type CallState, holderOf } from '../domain/call.js';
import { beginEnding, completeEnding, isEnding } from '../domain/call-lifecycle.js';
import { isAppError } from '../domain/errors.js';
import type { Metrics } from '../observability/metrics.js';
import type { CallEventStream } from '../ports/call-event-stream.js';
import type { CallRecorder, RecoveredRecording } from '../ports/call-recorder.js';
import type { CallStore } from '../ports/call-store.js';
import type { NodeLiveness } from '../ports/node-liveness.js';
import { endEvents, type EventBody, recordingUrl } from './call-event-publisher.js';
import { backoff } from './retry.js';
import { updateCall } from './update-call.js';

/** This node restarted: the calls an earlier run of it held lost their media. */
export const NODE_RESTART = 'node-restart';
/** Another node stopped renewing its lease: the calls it held lost their media. */
export const OWNER_LOST = 'owner-lost';

const LIVE_STATES: readonly CallState[] = ['PENDING', 'PROCESSING', 'PAUSED'];

/** `owned-elsewhere`: another node holds (or has claimed) the call; `held-live`: this process holds its media. */
export type RecoveryResult =
  'ended' | 'already-ended' | 'owned-elsewhere' | 'held-live' | 'not-found';

export interface RecoverOptions {
  /** The owner the caller found without a lease: only its calls are taken over. */
  deadOwnerNodeId?: string;
  /** A recording of the call was repaired at start: announce it even if the call already ended. */
  repairedRecording?: boolean;
  /** The caller repaired the call's history already (in one pass for many calls). */
  historyRepaired?: boolean;
}

export interface CallRecoveryDeps {
  store: CallStore;
  eventStream: CallEventStream;
  recorder: Pick<CallRecorder, 'pathFor' | 'recoverInterrupted'>;
  liveness: NodeLiveness;
  /** True while this process holds the call's media: such a call is never recovered. */
  isHeldHere(callId: string): boolean;
  nodeId: string;
  publicUrl: string;
  metrics: Pick<Metrics, 'callsRecovered'>;
  log: Logger;
  now: () => number;
}

/**
 * Ends calls whose media is gone — those of an earlier run of this node (at start) and those of
 * nodes whose lease ran out (the reaper, and control events that find such a call) — with
 * END, callStreamingEndTime and their state events, in order, exactly once:
 *
 * 1. claim: compare-and-set the end reason and time while the state stays live, and, for
 *    another node's call, `recoveredByNodeId` (the owner stays recorded). Of two nodes racing,
 *    one wins; the other sees a live holder and stops. A crash after this leaves the call live
 *    and held by this node, so the next run (or, on Redis, the reaper once this node's lease
 *    runs out) finds it again;
 * 2. publish the closing events the call's stream does not hold yet (a crash mid-way, here or
 *    in the owner's own end, left some out);
 * 3. compare-and-set ENDED.
 *
 * Every step is idempotent, so running it again after a crash anywhere converges.
 */
export class CallRecovery {
  readonly #deps: CallRecoveryDeps;
  readonly #inFlight = new Map<string, Promise<RecoveryResult>>();
  /** Calls (and, under '', a whole start-up scan) whose recovery failed, retried with back-off. */
  readonly #retrying = new Map<string, { reason: string; options: RecoverOptions }>();
  #retryTimer: NodeJS.Timeout | undefined;
  #retryAttempt = 0;
  #closed = false;

  constructor(deps: CallRecoveryDeps) {
    this.#deps = deps;
  }

  /**
   * Ends one call whose media is gone. `reason` is used unless the call already records one
   * (its owner began ending it). A call owned by another node is taken over only when that
   * owner is `options.deadOwnerNodeId`, which the caller found without a lease.
   */
  recover(callId: string, reason: string, options: RecoverOptions = {}): Promise<RecoveryResult> {
    const running = this.#inFlight.get(callId);
    // Whoever joins a recovery in flight did not end the call itself.
    if (running) return running.then((result) => (result === 'ended' ? 'already-ended' : result));
    const attempt = this.#recover(callId, reason, options).finally(() =>
      this.#inFlight.delete(callId),
    );
    this.#inFlight.set(callId, attempt);
    return attempt;
  }

  /**
   * At start, before any call arrives: finalises recordings a crash left unfinished, ends every
   * live call an earlier run of this node held (and those of owners without a lease), and
   * announces the repaired recordings of calls that had already ended. What fails (the store is
   * down) is retried in the background.
   */
  async recoverAtStart(): Promise<{ ended: number; recordings: number }> {
    const { log } = this.#deps;
    let recordings: RecoveredRecording[] = [];
    try {
      recordings = await this.#deps.recorder.recoverInterrupted();
    } catch (err) {
      log.error({ err }, 'interrupted recordings could not be repaired');
    }
    let ended = 0;
    const visited = new Set<string>();
    try {
      const live = await this.#liveCalls();
      for (const call of live) visited.add(call.callId);
      for (const call of await this.#lostCalls(live, { withOwn: true })) {
        const holder = holderOf(call);
        const own = holder === this.#deps.nodeId;
        const reason = call.ownerNodeId === this.#deps.nodeId ? NODE_RESTART : OWNER_LOST;
        const options = { historyRepaired: true, ...(own ? {} : { deadOwnerNodeId: holder }) };
        if ((await this.#recoverOrRetry(call.callId, reason, options)) === 'ended') ended++;
      }
    } catch (err) {
      log.error({ err }, 'calls left live by an earlier run could not be listed; retried later');
      this.#scheduleScan();
    }
    for (const recording of recordings) {
      if (visited.has(recording.callId)) continue;
      await this.#recoverOrRetry(recording.callId, NODE_RESTART, { repairedRecording: true });
    }
    if (ended > 0 || recordings.length > 0)
      log.info({ ended, recordings: recordings.length }, 'recovered from an earlier run');
    return { ended, recordings: recordings.length };
  }

  /** One scan for calls of nodes whose lease ran out (the owner-loss reaper); returns how many it ended. */
  async recoverLostOwners(): Promise<number> {
    let ended = 0;
    for (const call of await this.#lostCalls(await this.#liveCalls(), { withOwn: false })) {
      const result = await this.recover(call.callId, OWNER_LOST, {
        deadOwnerNodeId: holderOf(call),
        historyRepaired: true,
      });
      if (result === 'ended') ended++;
    }
    return ended;
  }

  /**
   * The calls held by nodes without a lease (and, `withOwn`, by this node's earlier run), their
   * histories repaired in one pass for all of them.
   */
  async #lostCalls(calls: readonly CallData[], options: { withOwn: boolean }): Promise<CallData[]> {
    const alive = new Map<string, boolean>();
    const lost: CallData[] = [];
    for (const call of calls) {
      const holder = holderOf(call);
      const own = holder === this.#deps.nodeId;
      if (own ? options.withOwn : !(await this.#isAlive(holder, alive))) lost.push(call);
    }
    await this.#repairHistories(lost);
    return lost;
  }

  /**
   * Before their closing events are chosen: the last events a dead node stored may be on the
   * all-calls feed only (it died between the store's two steps). Copied into the calls'
   * histories, they are neither missing from them nor published twice (a lost END, say). The
   * scans repair all their calls in one pass, a call recovered alone (a control event found its
   * owner gone) by itself. Best effort: a failure is logged, and the calls are ended all the same.
   */
  async #repairHistories(calls: readonly CallData[]): Promise<void> {
    const repair = this.#deps.eventStream.repairHistories?.bind(this.#deps.eventStream);
    if (repair === undefined || calls.length === 0) return;
    try {
      const copied = await repair(
        calls.map((call) => ({
          callId: call.callId,
          startedAtMs: Date.parse(call.callStreamingStartTime) || 0,
        })),
      );
      if (copied > 0)
        this.#deps.log.warn(
          { copied, calls: calls.length },
          "call events found on the all-calls feed only were copied into their calls' histories",
        );
    } catch (err) {
      this.#deps.log.warn({ err }, 'call histories could not be repaired; calls are ended anyway');
    }
  }

  /** A call whose end could not be completed (the store refused writes) is retried in the background. */
  retryLater(callId: string, reason: string): void {
    if (this.#closed) return;
    this.#retrying.set(callId, { reason, options: {} });
    this.#armRetry();
  }

  close(): void {
    this.#closed = true;
    clearTimeout(this.#retryTimer);
  }

  async #recover(callId: string, reason: string, options: RecoverOptions): Promise<RecoveryResult> {
    const { store, nodeId, log: rootLog } = this.#deps;
    const { deadOwnerNodeId } = options;
    const log = rootLog.child({ callId });
    if (this.#deps.isHeldHere(callId)) return 'held-live';
    const nowIso = new Date(this.#deps.now()).toISOString();
    let claim: Awaited<ReturnType<typeof updateCall<RecoveryResult | 'claimed'>>>;
    try {
      claim = await updateCall<RecoveryResult | 'claimed'>(store, callId, ({ call }) => {
        if (call.state === 'ENDED') return { noop: 'already-ended' };
        const own = holderOf(call) === nodeId;
        if (!own && holderOf(call) !== deadOwnerNodeId) return { noop: 'owned-elsewhere' };
        if (own && isEnding(call)) return { noop: 'claimed' };
        const ending = beginEnding(call, reason, nowIso);
        if (!ending.ok) return { noop: 'already-ended' };
        const claim = call.ownerNodeId === nodeId ? {} : { recoveredByNodeId: nodeId };
        return { write: { ...ending.value, ...claim }, outcome: 'claimed' };
      });
    } catch (error) {
      if (isAppError(error) && error.code === 'CALL_NOT_FOUND') return 'not-found';
      throw error;
    }
    if (claim.outcome === 'owned-elsewhere') return 'owned-elsewhere';
    const call = claim.stored.call;
    if (claim.outcome === 'already-ended') {
      // Only a recording repaired at start can still be missing its announcement.
      if (options.repairedRecording)
        await this.#publishMissing(call, await this.#read(callId), { onlyRecording: true });
      return 'already-ended';
    }
    if (!options.historyRepaired) await this.#repairHistories([call]);
    await this.#publishMissing(call, await this.#read(callId), { onlyRecording: false });
    const done = await updateCall<boolean>(store, callId, ({ call: current }) => {
      if (current.state === 'ENDED' || holderOf(current) !== nodeId) return { noop: false };
      const ended = completeEnding(current, nowIso);
      return ended.ok ? { write: ended.value, outcome: true } : { noop: false };
    });
    if (!done.outcome) return 'already-ended';
    const endReason = done.stored.call.endReason ?? reason;
    this.#deps.metrics.callsRecovered.inc({ reason: endReason });
    log.warn(
      { endReason, lostOwnerNodeId: deadOwnerNodeId },
      endReason === OWNER_LOST
        ? 'call ended: its owning node stopped renewing its lease'
        : 'call ended: its media was lost with an earlier run of this node',
    );
    return 'ended';
  }

  /** Appends the closing events the stream does not hold yet, in order. */
  async #publishMissing(
    call: CallData,
    existing: StoredCallEvent[],
    options: { onlyRecording: boolean },
  ): Promise<void> {
    const has = (match: (e: StoredCallEvent['event']) => boolean) =>
      existing.some((e) => match(e.event));
    const path = await this.#deps.recorder.pathFor(call.callId);
    const wanted = endEvents(call, {
      // Segments only follow a START; a very long call's stream may have trimmed the START itself.
      started: has((e) => e.EventType === 'START' || e.EventType === 'ADD_TRANSCRIPT_SEGMENT'),
      recordingUrl:
        path === undefined ? undefined : recordingUrl(this.#deps.publicUrl, call.callId),
    });
    const missing = wanted.filter((body) => {
      if (options.onlyRecording && body.EventType !== 'ADD_S3_RECORDING_URL') return false;
      return !has((e) => sameKind(e, body));
    });
    for (const body of missing) {
      await this.#deps.eventStream.append({
        ...body,
        CallId: call.callId,
        CreatedAt: new Date(this.#deps.now()).toISOString(),
      } as StoredCallEvent['event']);
    }
  }

  #read(callId: string): Promise<StoredCallEvent[]> {
    return this.#deps.eventStream.read({ callId });
  }

  async #liveCalls(): Promise<CallData[]> {
    const calls: CallData[] = [];
    for (const state of LIVE_STATES) {
      for (const stored of await this.#deps.store.list({ state })) calls.push(stored.call);
    }
    return calls;
  }

  async #isAlive(nodeId: string, cache: Map<string, boolean>): Promise<boolean> {
    let alive = cache.get(nodeId);
    if (alive === undefined) {
      alive = await this.#deps.liveness.isAlive(nodeId);
      cache.set(nodeId, alive);
    }
    return alive;
  }

  async #recoverOrRetry(
    callId: string,
    reason: string,
    options: RecoverOptions,
  ): Promise<RecoveryResult | 'failed'> {
    try {
      return await this.recover(callId, reason, options);
    } catch (err) {
      this.#deps.log.child({ callId }).error({ err }, 'call could not be recovered; retried later');
      this.#retrying.set(callId, { reason, options });
      this.#armRetry();
      return 'failed';
    }
  }

  #scheduleScan(): void {
    this.#retrying.set('', { reason: NODE_RESTART, options: {} });
    this.#armRetry();
  }

  #armRetry(): void {
    if (this.#retryTimer || this.#closed) return;
    this.#retryTimer = setTimeout(() => {
      this.#retryTimer = undefined;
      void this.#runRetries();
    }, 0);
    this.#retryTimer.unref();
  }

  async #runRetries(): Promise<void> {
    await backoff(this.#retryAttempt++);
    if (this.#closed) return;
    const due = [...this.#retrying];
    this.#retrying.clear();
    let failed = false;
    for (const [callId, retry] of due) {
      try {
        if (callId === '') await this.recoverAtStart();
        else await this.recover(callId, retry.reason, retry.options);
      } catch {
        failed = true;
        this.#retrying.set(callId, retry);
      }
    }
    if (!failed) this.#retryAttempt = 0;
    if (this.#retrying.size > 0) this.#armRetry();
  }
}

function sameKind(stored: StoredCallEvent['event'], wanted: EventBody): boolean {
  if (stored.EventType !== wanted.EventType) return false;
  // Only the final CALL_STATE counts: the stream holds one per state the call went through.
  if (stored.EventType === 'CALL_STATE') return stored.State === 'ENDED';
  return true;
}
