import type { Logger } from 'pino';
import type { Admission } from '../domain/admission.js';
import type { CallSiprecInfo, Channel } from '../domain/call.js';
import {
  channelOfEnd,
  otherEnd,
  RECORDED_END_LABELS,
  type RecordedEnd,
} from '../domain/recorded-leg.js';
import type { AudioFrame } from '../media/audio-frame.js';
import type {
  CallSessions,
  LiveCallHandle,
  NewSession,
  PartyNumbers,
  RecordedLeg,
  SessionDecision,
} from '../ports/call-sessions.js';

/** The channel mapping rule of a call made of two single-stream dialogs. */
export const PAIRED_LEGS_RULE = 'near-end-far-end';

export interface LegPairingDeps {
  /** Makes the one call of a pair (the hook, the record, the live call). */
  inner: CallSessions;
  /** How long after the first dialog its partner may still join the call (`bibPairingWindowMs`). */
  pairingWindowMs: number;
  log: Logger;
}

/**
 * Pairs the two dialogs of a forked recording (one per voice, CUCM Built-in-Bridge) into one
 * call with two channels. The first dialog makes the call at once, described as both ends, so
 * the hook and subscribers see one call; its partner joins within the pairing window. A dialog
 * whose partner never comes is recorded alone, the other channel silent. The call ends when
 * every dialog that joined it has ended. Sessions without a `recordedLeg` pass straight through.
 */
export class LegPairing implements CallSessions {
  readonly #deps: LegPairingDeps;
  /** Calls whose first dialog waits for its partner, by pair key. */
  readonly #waiting = new Map<string, PairedCall>();

  constructor(deps: LegPairingDeps) {
    this.#deps = deps;
  }

  /** Calls waiting for their second dialog (for tests and metrics). */
  get waitingCount(): number {
    return this.#waiting.size;
  }

  admission(): Admission {
    return this.#deps.inner.admission();
  }

  async sessionStarted(
    session: NewSession,
    options: { abandoned?: AbortSignal } = {},
  ): Promise<SessionDecision> {
    const leg = session.recordedLeg;
    if (leg === undefined) return this.#deps.inner.sessionStarted(session, options);
    const waiting = this.#waiting.get(leg.pairKey);
    if (waiting?.awaits(leg.end)) {
      this.#waiting.delete(leg.pairKey);
      return waiting.join(leg.end);
    }
    const log = this.#deps.log.child({ sipCallId: session.callId });
    if (waiting !== undefined) {
      // The same end again while its call waits (the source restarted that recording): it
      // cannot share the waiting call's channel, so it is a call of its own.
      log.info({ end: leg.end }, 'second dialog for the same end of a forked call; recorded apart');
      return this.#start(session, leg, options, log, () => undefined);
    }
    return this.#start(session, leg, options, log, (pair) => {
      if (this.#waiting.get(leg.pairKey) === pair) this.#waiting.delete(leg.pairKey);
    });
  }

  /**
   * Starts the call; a name already held by an earlier call (CALL_ALREADY_EXISTS) is retried as
   * `<name>~2`, `<name>~3`, …, so the recording is kept rather than answered and dropped.
   */
  async #startCall(
    session: NewSession,
    options: { abandoned?: AbortSignal },
    log: Logger,
  ): Promise<SessionDecision> {
    let decision = await this.#deps.inner.sessionStarted(session, options);
    for (let n = 2; n <= MAX_RENAMES + 1; n++) {
      if (decision.accepted || decision.code !== 'CALL_ALREADY_EXISTS') return decision;
      const callId = `${session.callId}~${n}`;
      log.info({ callId, takenCallId: session.callId }, 'forked call renamed: its id is taken');
      decision = await this.#deps.inner.sessionStarted({ ...session, callId }, options);
    }
    return decision;
  }

  #start(
    session: NewSession,
    leg: RecordedLeg,
    options: { abandoned?: AbortSignal },
    log: Logger,
    stopWaiting: (pair: PairedCall) => void,
  ): Promise<SessionDecision> {
    const pair = new PairedCall(leg.end, this.#deps.pairingWindowMs, log, stopWaiting);
    // Registered before the hook runs: the partner often arrives while it does.
    if (this.#waiting.get(leg.pairKey) === undefined) this.#waiting.set(leg.pairKey, pair);
    return this.#startCall(pairedSession(session, leg), options, log)
      .then((decision) => pair.started(decision))
      .catch((error: unknown) => {
        pair.started({ accepted: false, code: 'SETUP_FAILED', reason: String(error) });
        throw error;
      });
  }
}

/**
 * How many other names a forked call may take when its own is held by an earlier call. CUCM
 * restarts a recording (after a transfer, a conference, a resume from another device) with the
 * same recorded-call GUID, so with `callIdSource: cisco-guid` the new call's name is often taken.
 */
const MAX_RENAMES = 8;
/** The session the hook and the record see: both ends, near end AGENT, far end CALLER. */
export function pairedSession(session: NewSession, leg: RecordedLeg): NewSession {
  const label = RECORDED_END_LABELS;
  return {
    ...session,
    fromNumber: leg.farEnd.number,
    toNumber: leg.nearEnd.number,
    streams: (['near', 'far'] as const).map((end) => ({
      label: label[end],
      role: channelOfEnd(end),
    })),
    channelMapping: {
      callerStreamLabel: label.far,
      agentStreamLabel: label.near,
      rule: PAIRED_LEGS_RULE,
      swappedByHook: false,
    },
  };
}

/** One call and the dialogs that carry its two ends. */
class PairedCall {
  readonly #firstEnd: RecordedEnd;
  #log: Logger;
  readonly #stopWaiting: (pair: PairedCall) => void;
  readonly #decision: Promise<SessionDecision>;
  #settle: (decision: SessionDecision) => void = () => undefined;
  #handle: LiveCallHandle | undefined;
  #window: NodeJS.Timeout | undefined;
  /** Ends whose dialog joined the call and has not ended. */
  readonly #live = new Set<RecordedEnd>();
  /** Channels a dialog of the pair holds now. */
  readonly #held = new Set<Channel>();
  #joined = false;
  #ended = false;
  #answered: Promise<void> | undefined;

  constructor(
    firstEnd: RecordedEnd,
    windowMs: number,
    log: Logger,
    stopWaiting: (pair: PairedCall) => void,
  ) {
    this.#firstEnd = firstEnd;
    this.#log = log;
    this.#stopWaiting = stopWaiting;
    this.#decision = new Promise((resolve) => (this.#settle = resolve));
    this.#window = setTimeout(() => this.#windowClosed(windowMs), windowMs);
    this.#window.unref();
  }

  /** Whether a dialog for `end` may still join this call. */
  awaits(end: RecordedEnd): boolean {
    return !this.#joined && !this.#ended && end === otherEnd(this.#firstEnd);
  }

  started(decision: SessionDecision): SessionDecision {
    this.#settle(decision);
    if (!decision.accepted) {
      this.#close();
      return decision;
    }
    this.#handle = decision.handle;
    this.#log = this.#log.child({ callId: decision.handle.callId });
    this.#live.add(this.#firstEnd);
    this.#log.info(
      { end: this.#firstEnd },
      'first dialog of a forked call; waiting for its partner',
    );
    return { accepted: true, handle: new LegHandle(this, this.#firstEnd) };
  }

  async join(end: RecordedEnd): Promise<SessionDecision> {
    this.#joined = true;
    clearTimeout(this.#window);
    const decision = await this.#decision;
    if (!decision.accepted) return decision;
    if (this.#ended) {
      return { accepted: false, code: 'CALL_ENDED', reason: 'the paired call ended meanwhile' };
    }
    this.#live.add(end);
    this.#log.info({ end }, 'second dialog joined the forked call');
    return { accepted: true, handle: new LegHandle(this, end) };
  }

  get handle(): LiveCallHandle {
    if (this.#handle === undefined) throw new Error('paired call used before it started');
    return this.#handle;
  }

  /** Any dialog's 200 OK makes the call real for the source: START may go out. */
  answered(): Promise<void> {
    this.#answered ??= this.handle.answered();
    return this.#answered;
  }

  /** One dialog held or resumed its channel: the call hears of the channels held across both. */
  holdChanged(channel: Channel, held: boolean): void {
    if (this.#held.has(channel) === held) return;
    if (held) this.#held.add(channel);
    else this.#held.delete(channel);
    this.handle.holdChanged([...this.#held]);
  }

  legEnded(end: RecordedEnd, reason: string): Promise<void> {
    if (!this.#live.delete(end)) return Promise.resolve();
    if (this.#live.size > 0) {
      this.#log.info({ end, reason }, 'one dialog of the forked call ended; the other goes on');
      return Promise.resolve();
    }
    this.#ended = true;
    this.#close();
    return this.handle.end(reason);
  }

  #windowClosed(windowMs: number): void {
    if (this.#joined || this.#ended) return;
    this.#log.info(
      { end: this.#firstEnd, pairingWindowMs: windowMs },
      'no partner dialog within the pairing window; the other channel stays silent',
    );
    this.#close();
  }

  #close(): void {
    clearTimeout(this.#window);
    this.#stopWaiting(this);
  }
}

/** What one dialog of the pair holds: its one stream feeds its end's channel of the call. */
class LegHandle implements LiveCallHandle {
  readonly #pair: PairedCall;
  readonly #end: RecordedEnd;

  constructor(pair: PairedCall, end: RecordedEnd) {
    this.#pair = pair;
    this.#end = end;
  }

  get callId(): string {
    return this.#pair.handle.callId;
  }

  get preRollMs(): number {
    return this.#pair.handle.preRollMs;
  }

  wantsAudio(): boolean {
    return this.#pair.handle.wantsAudio();
  }

  /** The dialog's one stream, whatever its SDP label, carries this end (hook swap included). */
  channelForLabel(): Channel | null {
    return this.#pair.handle.channelForLabel(RECORDED_END_LABELS[this.#end]);
  }

  audio(channel: Channel, frame: AudioFrame): void {
    this.#pair.handle.audio(channel, frame);
  }

  preRoll(channel: Channel, frame: AudioFrame): void {
    this.#pair.handle.preRoll(channel, frame);
  }

  metadataUpdated(siprec: CallSiprecInfo, parties: PartyNumbers): void {
    this.#pair.handle.metadataUpdated(siprec, parties);
  }

  /** A dialog holds its one stream, so its end's channel (the list names at most that one). */
  holdChanged(heldChannels: readonly Channel[]): void {
    const channel = this.channelForLabel();
    if (channel !== null) this.#pair.holdChanged(channel, heldChannels.includes(channel));
  }

  answered(): Promise<void> {
    return this.#pair.answered();
  }

  end(reason: string): Promise<void> {
    return this.#pair.legEnded(this.#end, reason);
  }
}
