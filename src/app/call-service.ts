import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import { admission, type Admission, type AdmissionLimits } from '../domain/admission.js';
import type { CallData, ChannelMapping, PartyNumberField } from '../domain/call.js';
import { beginEnding, completeEnding, endCall } from '../domain/call-lifecycle.js';
import { fillMissingNumbers, markNumbersSetBy } from '../domain/party-numbers.js';
import { isAppError } from '../domain/errors.js';
import type { HookDecision, HookEvent } from '../domain/hook-contract.js';
import type { CallEventStream } from '../ports/call-event-stream.js';
import type { CallPipelineFactory } from '../ports/call-pipeline.js';
import type { CallRecorder } from '../ports/call-recorder.js';
import type { CallSessions, NewSession, SessionDecision } from '../ports/call-sessions.js';
import type { CallStore } from '../ports/call-store.js';
import type { LoadGauge } from '../ports/load-gauge.js';
import { CallEventPublisher, callStateEvent } from './call-event-publisher.js';
import type { CallRecovery } from './call-recovery.js';
import type { HookRunner } from './hook-runner.js';
import { LiveCall } from './live-call.js';
import type { LiveCalls } from './live-calls.js';
import { retryWhileRetryable } from './retry.js';
import { LocalCallAudioFactory } from './local-call-audio.js';
import type { CallAudioFactory } from '../ports/call-audio.js';
import { updateCall } from './update-call.js';

/** How long shutdown waits for a store that refuses writes before leaving the rest to the next start. */
const SHUTDOWN_GRACE_MS = 10_000;

export interface CallServiceDeps {
  store: CallStore;
  eventStream: CallEventStream;
  hookRunner: HookRunner;
  liveCalls: LiveCalls;
  pipelines: CallPipelineFactory;
  recorder: CallRecorder;
  /**
   * Where calls' audio is consumed when the media layer decodes it in worker threads; by
   * default here, from `pipelines` and `recorder`.
   */
  callAudio?: CallAudioFactory;
  log: Logger;
  nodeId: string;
  languageCode: string;
  recordCalls: boolean;
  preRollMs: number;
  publicUrl: string;
  now: () => number;
  /** Limits past which new calls are refused, and the node's measured load. */
  admission: AdmissionLimits;
  load: LoadGauge;
  /** Told when a call appears, so control events held for its id can be applied. */
  onCallArrived(callId: string, originalCallId: string): void;
  /** Finishes ends the store refused (the record is left ending, or its events unstored). */
  recovery: Pick<CallRecovery, 'retryLater'>;
  /** How long shutdown waits for a store that refuses writes (default 10 s). */
  shutdownGraceMs?: number;
}

/**
 * "Session started" from the SIP edge: run the hook, persist the call in LCA's layout, and hold
 * it live — processing at once, or parked until START_CALL_PROCESSING.
 */
export class CallService implements CallSessions {
  /** Aborted when shutdown's grace runs out: writes still failing are then given up. */
  private readonly stopping = new AbortController();

  private readonly callAudio: CallAudioFactory;

  constructor(private readonly deps: CallServiceDeps) {
    this.callAudio =
      deps.callAudio ??
      new LocalCallAudioFactory({
        pipelines: deps.pipelines,
        recorder: deps.recorder,
        recordCalls: deps.recordCalls,
      });
  }

  admission(): Admission {
    const load = this.deps.load.reading();
    return admission(this.deps.admission, {
      liveCalls: this.deps.liveCalls.size,
      lagP99Ms: load.lagP99Ms,
      cpuPercent: load.cpuPercent,
    });
  }

  async sessionStarted(
    session: NewSession,
    options: { abandoned?: AbortSignal } = {},
  ): Promise<SessionDecision> {
    const { deps } = this;
    const startedAt = new Date(deps.now()).toISOString();
    const setupLog = deps.log.child({ callId: session.callId });
    setupLog.info(
      { streams: session.streams.length, mappingRule: session.channelMapping.rule },
      'new recording session',
    );

    const hookResult = await deps.hookRunner.run(hookEventFor(session, startedAt), setupLog);
    let decision: HookDecision;
    let refused = false;
    if (hookResult.kind === 'decision') {
      decision = hookResult.decision;
    } else if (hookResult.policy === 'process') {
      decision = { shouldProcessCall: true };
    } else if (hookResult.policy === 'park') {
      decision = { shouldProcessCall: false };
    } else {
      decision = { shouldProcessCall: false };
      refused = true;
    }

    const callId = decision.callId ?? session.callId;
    const log = deps.log.child({ callId });
    if (options.abandoned?.aborted) {
      // The SBC gave the set-up up while the hook ran: nothing is stored, nothing published.
      log.info('set-up abandoned by the SBC before the call was stored');
      return { accepted: false, code: 'SETUP_ABANDONED', reason: 'the SBC abandoned the set-up' };
    }
    if (callId !== session.callId)
      log.info({ originalCallId: session.callId }, 'hook renamed the call');
    const processNow = !refused && decision.shouldProcessCall !== false;
    let call: CallData = {
      callId,
      originalCallId: session.callId,
      state: processNow ? 'PROCESSING' : 'PENDING',
      callStreamingStartTime: startedAt,
      callProcessingStartTime: processNow ? startedAt : '',
      callStreamingEndTime: '',
      shouldProcessCall: processNow,
      shouldRecordCall: decision.shouldRecordCall ?? true,
      fromNumber: decision.fromNumber ?? session.fromNumber,
      toNumber: decision.toNumber ?? session.toNumber,
      agentId: decision.agentId ?? null,
      metadatajson: decision.metadatajson ?? null,
      languageCode: decision.transcribeLanguageCode ?? deps.languageCode,
      channelMapping:
        decision.isCaller === false ? swap(session.channelMapping) : session.channelMapping,
      startCallProcessingEvent: null,
      endReason: null,
      ownerNodeId: deps.nodeId,
      siprec: session.siprec,
      processedMsBeforePause: 0,
    };
    call = markNumbersSetBy(call, 'hook', {
      fromNumber: decision.fromNumber,
      toNumber: decision.toNumber,
    });
    if (decision.isCaller === false)
      log.info('hook returned isCaller=false; caller and agent channels swapped');
    if (refused) {
      const ended = endCall(call, 'hook-failed', startedAt);
      if (ended.ok) call = ended.value;
    }

    const events = new CallEventPublisher(
      { stream: deps.eventStream, log, now: deps.now, stopping: this.stopping.signal },
      callId,
    );
    const live = new LiveCall(
      {
        audio: this.callAudio,
        preRollMs: deps.preRollMs,
        audioSampleRateHz: session.audioSampleRateHz,
        publicUrl: deps.publicUrl,
        now: deps.now,
        persistEnding: (id, reason) => this.persistEnding(id, reason),
        persistEnded: (id) => this.persistEnded(id),
        endUnfinished: (id, reason) => deps.recovery.retryLater(id, reason),
        persistMetadata: async (id, siprec, parties) => {
          const { stored, outcome } = await updateCall<PartyNumberField[]>(
            deps.store,
            id,
            (current) => {
              if (current.call.state === 'ENDED') return { noop: [] as PartyNumberField[] };
              const { call: next, filled } = fillMissingNumbers(
                { ...current.call, siprec },
                parties,
              );
              return { write: next, outcome: filled };
            },
          );
          return { call: stored.call, filled: outcome };
        },
        persistEngineFailover: async (id, engineFailover) => {
          const { stored } = await updateCall(deps.store, id, (current) =>
            current.call.state === 'ENDED'
              ? { noop: null }
              : { write: { ...current.call, engineFailover }, outcome: null },
          );
          return stored.call;
        },
        persistHold: async (id, heldChannels) => {
          const { stored } = await updateCall(deps.store, id, (current) =>
            current.call.state === 'ENDED'
              ? { noop: null }
              : { write: { ...current.call, heldChannels }, outcome: null },
          );
          return stored.call;
        },
        forget: (id) => deps.liveCalls.delete(id),
      },
      call,
      log,
      events,
    );
    // Control events that find the record before the call is held wait for it (no orphan).
    deps.liveCalls.markArriving(callId);
    try {
      await deps.store.create(call);
    } catch (error) {
      deps.liveCalls.arrivalAbandoned(callId);
      log.error({ err: error }, 'call could not be stored');
      return {
        accepted: false,
        code: isAppError(error) ? error.code : 'STORE_UNAVAILABLE',
        reason: error instanceof Error ? error.message : String(error),
      };
    }
    log.info(
      { state: call.state, pii: { fromNumber: call.fromNumber, toNumber: call.toNumber } },
      'call stored',
    );

    deps.liveCalls.add(live);
    if (refused) {
      live.markEnded(call);
      await events.publish(callStateEvent(call));
      return { accepted: true, handle: live };
    }
    // Both wait for the edge's answer (`answered`), so an abandoned set-up publishes nothing.
    const announced = processNow ? live.begin(call) : live.parked(call);
    announced.catch((err: unknown) => log.error({ err }, 'call could not be announced'));
    deps.onCallArrived(callId, session.callId);
    return { accepted: true, handle: live };
  }

  /** Ends every live call, e.g. at shutdown; a store still refusing writes after a grace is left to the next start. */
  async endAll(reason: string): Promise<void> {
    const grace = setTimeout(
      () => this.stopping.abort(),
      this.deps.shutdownGraceMs ?? SHUTDOWN_GRACE_MS,
    );
    try {
      await Promise.all(this.deps.liveCalls.all().map((call) => call.end(reason)));
    } finally {
      clearTimeout(grace);
    }
  }

  private persistEnding(callId: string, reason: string): Promise<CallData | undefined> {
    return this.persist(callId, 'call end could not be stored', (call, nowIso) =>
      beginEnding(call, reason, nowIso),
    );
  }

  private persistEnded(callId: string): Promise<CallData | undefined> {
    return this.persist(callId, 'call end could not be stored', (call, nowIso) =>
      completeEnding(call, nowIso),
    );
  }

  /** One step of a call's end, retried while the store refuses writes; undefined if it gave up. */
  private async persist(
    callId: string,
    what: string,
    step: (call: CallData, nowIso: string) => ReturnType<typeof completeEnding>,
  ): Promise<CallData | undefined> {
    const log = this.deps.log.child({ callId });
    try {
      const { stored } = await retryWhileRetryable(
        () =>
          updateCall(this.deps.store, callId, (current) => {
            const next = step(current.call, new Date(this.deps.now()).toISOString());
            return next.ok && next.value !== current.call
              ? { write: next.value, outcome: null }
              : { noop: null };
          }),
        { log, what, stopping: this.stopping.signal },
      );
      return stored.call;
    } catch (err) {
      log.error({ err }, what);
      return undefined;
    }
  }
}

function swap(mapping: ChannelMapping): ChannelMapping {
  return {
    callerStreamLabel: mapping.agentStreamLabel,
    agentStreamLabel: mapping.callerStreamLabel,
    rule: mapping.rule,
    swappedByHook: true,
  };
}

function hookEventFor(session: NewSession, startedAt: string): HookEvent {
  return {
    version: '0',
    id: randomUUID(),
    'detail-type': 'Chime VoiceConnector Streaming Status',
    source: 'callscribe',
    time: startedAt,
    detail: {
      callId: session.callId,
      direction: session.direction,
      fromNumber: session.fromNumber,
      toNumber: session.toNumber,
      inviteHeaders: session.inviteHeaders,
      isCaller: true,
      siprecMetadata: session.siprecMetadataXml,
      streams: session.streams,
      startTime: startedAt,
      streamingStatus: 'STARTED',
      version: '0',
    },
  };
}
