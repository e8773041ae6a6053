import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import { pauseProcessing, startProcessing, updateAgent } from '../domain/call-lifecycle.js';
import type { ControlOutcome, ControlOutcomeStatus } from '../domain/control-event.js';
import { AppError, toAppError } from '../domain/errors.js';
import type { Metrics } from '../observability/metrics.js';
import type { ControlEvents, ControlRequest } from '../ports/control-events.js';
import type { ControlForwarder } from '../ports/control-forwarder.js';
import type { CallStore, StoredCall } from '../ports/call-store.js';
import type { HeldControlEvents } from '../ports/held-control-events.js';
import { type CallRecovery, NODE_RESTART, OWNER_LOST } from './call-recovery.js';
import type { LiveCalls } from './live-calls.js';
import { fromResult, updateCall } from './update-call.js';

export interface ControlRouterDeps {
  store: CallStore;
  liveCalls: LiveCalls;
  /** Ends calls whose media is gone (this node restarted, or their owner's lease ran out). */
  recovery: Pick<CallRecovery, 'recover'>;
  metrics: Metrics;
  log: Logger;
  nodeId: string;
  pendingEventTtlMs: number;
  /** Where held events outlive the process: their `pending` outcome was acknowledged. */
  heldEvents: HeldControlEvents;
  now: () => number;
  forwarder?: ControlForwarder;
}

interface HeldEvent {
  request: ControlRequest & { eventId: string };
  receivedAt: string;
  timer: NodeJS.Timeout;
}

/**
 * The one place control events are decided, whatever their ingress. Unlike LCA it holds events
 * for calls that have not arrived yet, accepts the pre-hook callId through `cm#`, makes a
 * duplicate START a no-op, refuses START for an ended call, and records every outcome.
 */
export class ControlRouter implements ControlEvents {
  private readonly held = new Map<string, HeldEvent[]>();

  constructor(private readonly deps: ControlRouterDeps) {}

  async submit(
    request: ControlRequest,
    options: { holdIfUnknown: boolean },
  ): Promise<ControlOutcome> {
    const withId = { ...request, eventId: request.eventId ?? randomUUID() };
    const receivedAt = new Date(this.deps.now()).toISOString();
    const log = this.deps.log.child({ eventId: withId.eventId, callId: withId.detail.callId });
    log.info({ type: withId.type, ingress: withId.ingress }, 'control event received');
    const outcome = await this.decide(withId, receivedAt, log, options.holdIfUnknown);
    try {
      return await this.record(outcome, log);
    } catch (error) {
      // The caller is told to retry; a held copy must not apply behind its back.
      if (outcome.status === 'pending') {
        this.unhold(withId);
        // Left behind, it is dropped at the next start: its `pending` outcome was never stored.
        await this.deps.heldEvents.remove(this.deps.nodeId, withId.eventId).catch(() => undefined);
      }
      throw error;
    }
  }

  outcome(eventId: string): Promise<ControlOutcome | undefined> {
    return this.deps.store.getControlOutcome(eventId);
  }

  /** A call appeared: apply the events held for it (by its current or original id). */
  callArrived(callId: string, originalCallId: string): void {
    for (const key of new Set([callId, originalCallId])) {
      const waiting = this.held.get(key);
      if (!waiting) continue;
      this.held.delete(key);
      for (const held of waiting) {
        clearTimeout(held.timer);
        const log = this.deps.log.child({ eventId: held.request.eventId, callId: key });
        log.info('held control event released: call arrived');
        void this.decide(held.request, held.receivedAt, log, false)
          .then((outcome) => this.record(outcome, log))
          .then((outcome) => this.forgetDecided(outcome, log))
          .catch((err: unknown) => log.error({ err }, 'held control event failed'));
      }
    }
  }

  /**
   * At start, before calls arrive: takes back the events an earlier run of this node held (a
   * crash or a restart ends the process, not the hold). Each is decided now if its call exists
   * or its hold has run out, and held again for the rest of its time otherwise. An event whose
   * `pending` outcome was never stored was never acknowledged, and is dropped.
   */
  async restoreHeld(): Promise<number> {
    const held = await this.deps.heldEvents.list(this.deps.nodeId);
    let restored = 0;
    for (const { request, receivedAt, expiresAtMs } of held) {
      const log = this.deps.log.child({ eventId: request.eventId, callId: request.detail.callId });
      try {
        const stored = await this.deps.store.getControlOutcome(request.eventId);
        if (stored?.status !== 'pending') {
          await this.deps.heldEvents.remove(this.deps.nodeId, request.eventId);
          continue;
        }
        restored++;
        if (expiresAtMs <= this.deps.now()) {
          await this.expire(request, receivedAt, log);
          continue;
        }
        const outcome = await this.decide(request, receivedAt, log, true, expiresAtMs);
        if (outcome.status === 'pending') continue;
        log.info('held control event released: call arrived');
        await this.forgetDecided(await this.record(outcome, log), log);
      } catch (err) {
        log.error(
          { err },
          'held control event could not be restored; it is retried at the next start',
        );
      }
    }
    if (restored > 0) this.deps.log.info({ restored }, 'held control events restored');
    return restored;
  }

  close(): void {
    for (const waiting of this.held.values()) for (const held of waiting) clearTimeout(held.timer);
    this.held.clear();
  }

  private async decide(
    request: ControlRequest & { eventId: string },
    receivedAt: string,
    log: Logger,
    holdIfUnknown: boolean,
    holdUntilMs?: number,
  ): Promise<ControlOutcome> {
    const make = (
      status: ControlOutcomeStatus,
      callId: string | null,
      reason: string,
      code: string | null = null,
    ) => this.outcomeOf(request, receivedAt, status, callId, reason, code);
    try {
      if (request.type === 'START_CALL_PROCESSING') {
        log.info('START_CALL_PROCESSING event received, retrieving stored callData');
      }
      const stored = await this.resolve(request.detail.callId);
      // A call being set up here is stored before it is held: its events wait like an unknown call's.
      const arriving = stored !== undefined && this.deps.liveCalls.isArriving(stored.call.callId);
      if (!stored || arriving) {
        if (holdIfUnknown || arriving) {
          await this.hold(request, receivedAt, log, holdUntilMs);
          return make(
            'pending',
            null,
            `call not known yet; held for ${this.deps.pendingEventTtlMs} ms`,
          );
        }
        log.warn('no callData stored for this callId');
        return make('rejected', null, 'no such call', 'CALL_NOT_FOUND');
      }
      const callId = stored.call.callId;
      if (stored.call.ownerNodeId !== this.deps.nodeId && this.deps.forwarder) {
        log.info(
          { ownerNodeId: stored.call.ownerNodeId },
          'forwarding control event to the owning node',
        );
        const forwarded = await this.deps.forwarder.forward(stored.call.ownerNodeId, {
          ...request,
          ingress: 'forwarded',
          detail: { ...request.detail, callId },
        });
        if (forwarded !== 'owner-gone') return forwarded;
        await this.deps.recovery.recover(callId, OWNER_LOST, {
          deadOwnerNodeId: stored.call.ownerNodeId,
        });
        return make(
          'rejected',
          callId,
          'the node that held this call is gone',
          'CALL_OWNER_UNAVAILABLE',
        );
      }
      switch (request.type) {
        case 'START_CALL_PROCESSING':
          return await this.start(request, stored, log, make);
        case 'STOP_CALL_PROCESSING':
          return await this.stop(stored, log, make);
        case 'UPDATE_AGENT':
          return await this.updateAgent(request, stored, log, make);
      }
    } catch (error) {
      const appError = toAppError(error, 'STORE_UNAVAILABLE');
      // A store that cannot be written or read now: the caller is told to retry (PutEvents:
      // InternalFailure), instead of receiving a rejection that may never have been stored.
      if (appError.retryable) throw appError;
      log.warn({ code: appError.code, err: appError }, 'control event rejected');
      return make('rejected', null, appError.message, appError.code);
    }
  }

  private async start(
    request: ControlRequest,
    stored: StoredCall,
    log: Logger,
    make: OutcomeMaker,
  ): Promise<ControlOutcome> {
    const callId = stored.call.callId;
    const { detail } = request;
    if (detail.agentId)
      log.info(
        { pii: { agentId: detail.agentId } },
        'START_CALL_PROCESSING event contains agentId',
      );
    if (detail.fromNumber)
      log.info(
        { pii: { fromNumber: detail.fromNumber } },
        'START_CALL_PROCESSING event contains fromNumber',
      );
    if (detail.toNumber)
      log.info(
        { pii: { toNumber: detail.toNumber } },
        'START_CALL_PROCESSING event contains toNumber',
      );
    const live = this.deps.liveCalls.get(callId);
    if (!live) return this.orphaned(callId, log, make);
    const nowIso = new Date(this.deps.now()).toISOString();
    const {
      stored: startedCall,
      outcome,
      written,
    } = await updateCall(
      this.deps.store,
      callId,
      (current) =>
        fromResult(
          startProcessing(current.call, { ...detail, callId }, nowIso),
          (o) => o === 'already-processing',
        ),
      stored,
    );
    if (!written) {
      log.info('call is already processing; duplicate START ignored');
      return make('noop', callId, 'call is already processing');
    }
    log.info('write callData');
    if (!(await live.begin(startedCall.call)))
      return this.endedMeanwhile(callId, live.endingReason, log, make);
    log.info('ready to start processing call');
    return make(
      'applied',
      callId,
      outcome === 'resumed' ? 'processing resumed' : 'processing started',
    );
  }

  private async stop(stored: StoredCall, log: Logger, make: OutcomeMaker): Promise<ControlOutcome> {
    const callId = stored.call.callId;
    const live = this.deps.liveCalls.get(callId);
    if (!live) return this.orphaned(callId, log, make);
    const result = await updateCall(
      this.deps.store,
      callId,
      (current) =>
        fromResult(
          pauseProcessing(current.call, live.processingElapsedMs()),
          (o) => o === 'already-paused',
        ),
      stored,
    );
    if (!result.written) return make('noop', callId, 'call is already paused');
    if (!(await live.pause(result.stored.call)))
      return this.endedMeanwhile(callId, live.endingReason, log, make);
    log.info('processing paused by STOP_CALL_PROCESSING');
    return make('applied', callId, 'processing paused');
  }

  private async updateAgent(
    request: ControlRequest,
    stored: StoredCall,
    log: Logger,
    make: OutcomeMaker,
  ): Promise<ControlOutcome> {
    const callId = stored.call.callId;
    const agentId = request.detail.agentId;
    if (!agentId) throw new AppError('INVALID_CONTROL_EVENT', 'UPDATE_AGENT needs agentId');
    const result = await updateCall(
      this.deps.store,
      callId,
      (current) => {
        if (current.call.agentId === agentId) return { noop: null };
        const next = updateAgent(current.call, agentId);
        return next.ok ? { write: next.value, outcome: null } : { refuse: next.error };
      },
      stored,
    );
    if (!result.written) return make('noop', callId, 'agent unchanged');
    const live = this.deps.liveCalls.get(callId);
    if (live && !(await live.agentUpdated(result.stored.call)))
      return this.endedMeanwhile(callId, live.endingReason, log, make);
    log.info({ pii: { agentId } }, 'agent updated');
    return make('applied', callId, 'agent updated');
  }

  /**
   * A call this node owns but no longer holds (the process restarted, so there is no media)
   * cannot be processed: it is ended with its closing events, and the event refused, instead of
   * pretending.
   */
  private async orphaned(callId: string, log: Logger, make: OutcomeMaker): Promise<ControlOutcome> {
    await this.deps.recovery.recover(callId, NODE_RESTART);
    const stored = await this.deps.store.get(callId);
    const endReason = stored?.call.endReason ?? NODE_RESTART;
    log.warn({ endReason }, 'control event for a call whose media is not held here');
    if (endReason === OWNER_LOST)
      return make(
        'rejected',
        callId,
        'the node that held this call is gone',
        'CALL_OWNER_UNAVAILABLE',
      );
    return make('rejected', callId, `call ended (${endReason})`, 'CALL_ENDED');
  }

  /**
   * The call ended (a BYE, a media timeout) between the store's write and its announcement: its
   * closing events went out first, so the change is not announced, and the event is refused as
   * for an ended call rather than acknowledged as applied without its call event.
   */
  private async endedMeanwhile(
    callId: string,
    reason: string | undefined,
    log: Logger,
    make: OutcomeMaker,
  ): Promise<ControlOutcome> {
    const endReason = reason ?? (await this.deps.store.get(callId))?.call.endReason ?? 'unknown';
    log.info({ endReason }, 'call ended while the control event was applied');
    return make('rejected', callId, `call ended (${endReason})`, 'CALL_ENDED');
  }

  /** The call by its current id, or by its pre-hook id through `cm#`. */
  private async resolve(requestedCallId: string): Promise<StoredCall | undefined> {
    const direct = await this.deps.store.get(requestedCallId);
    if (direct) return direct;
    const mapped = await this.deps.store.resolveOriginalCallId(requestedCallId);
    return mapped === undefined ? undefined : this.deps.store.get(mapped);
  }

  private async hold(
    request: ControlRequest & { eventId: string },
    receivedAt: string,
    log: Logger,
    untilMs = this.deps.now() + this.deps.pendingEventTtlMs,
  ): Promise<void> {
    // Stored before the `pending` outcome is acknowledged, so no restart can drop it.
    await this.deps.heldEvents.add(this.deps.nodeId, { request, receivedAt, expiresAtMs: untilMs });
    const key = request.detail.callId;
    const timer = setTimeout(
      () => {
        this.unhold(request);
        void this.expire(request, receivedAt, log).catch(() => undefined);
      },
      Math.max(0, untilMs - this.deps.now()),
    );
    timer.unref();
    const list = this.held.get(key) ?? [];
    list.push({ request, receivedAt, timer });
    this.held.set(key, list);
    log.info({ holdMs: untilMs - this.deps.now() }, 'callId not known yet; control event held');
  }

  private async expire(
    request: ControlRequest & { eventId: string },
    receivedAt: string,
    log: Logger,
  ): Promise<void> {
    log.warn('held control event expired: no such call arrived');
    const outcome = await this.record(
      this.outcomeOf(
        request,
        receivedAt,
        'rejected',
        null,
        `no call arrived within ${this.deps.pendingEventTtlMs} ms`,
        'CALL_NOT_FOUND',
      ),
      log,
    );
    await this.forgetDecided(outcome, log);
  }

  /** A held event's final outcome is stored: its durable copy goes (a re-hold keeps it). */
  private async forgetDecided(outcome: ControlOutcome, log: Logger): Promise<void> {
    if (outcome.status === 'pending') return;
    await this.deps.heldEvents
      .remove(this.deps.nodeId, outcome.eventId)
      .catch((err: unknown) => log.warn({ err }, 'held control event could not be deleted'));
  }

  private unhold(request: ControlRequest & { eventId: string }): void {
    const key = request.detail.callId;
    const waiting = this.held.get(key) ?? [];
    for (const held of waiting.filter((h) => h.request.eventId === request.eventId))
      clearTimeout(held.timer);
    const rest = waiting.filter((h) => h.request.eventId !== request.eventId);
    if (rest.length > 0) this.held.set(key, rest);
    else this.held.delete(key);
  }

  private async record(outcome: ControlOutcome, log: Logger): Promise<ControlOutcome> {
    this.deps.metrics.controlEvents.inc({
      type: outcome.type,
      status: outcome.status,
      code: outcome.code ?? '',
    });
    try {
      await this.deps.store.putControlOutcome(outcome);
    } catch (err) {
      log.error({ err }, 'control event outcome could not be stored');
      // Never acknowledge what was not stored: the ingress answers with a retryable failure.
      throw new AppError('STORE_UNAVAILABLE', 'the control event outcome could not be stored', {
        cause: err,
        retryable: true,
      });
    }
    return outcome;
  }

  private outcomeOf(
    request: ControlRequest & { eventId: string },
    receivedAt: string,
    status: ControlOutcomeStatus,
    callId: string | null,
    reason: string,
    code: string | null,
  ): ControlOutcome {
    return {
      eventId: request.eventId,
      type: request.type,
      status,
      callId,
      requestedCallId: request.detail.callId,
      code,
      reason,
      receivedAt,
      decidedAt: status === 'pending' ? null : new Date(this.deps.now()).toISOString(),
    };
  }
}

type OutcomeMaker = (
  status: ControlOutcomeStatus,
  callId: string | null,
  reason: string,
  code?: string | null,
) => ControlOutcome;
