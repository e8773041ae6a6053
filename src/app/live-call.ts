import type { Logger } from 'pino';
import type { CallData, CallSiprecInfo, Channel, PartyNumberField } from '../domain/call.js';
import type { EngineFailover } from '../domain/engine-failover.js';
import type { AudioFrame } from '../media/audio-frame.js';
import type { CallAudio, CallAudioFactory } from '../ports/call-audio.js';
import type { LiveCallHandle, PartyNumbers } from '../ports/call-sessions.js';
import {
  type CallEventPublisher,
  callStateEvent,
  endEvents,
  recordingUrl,
  startEvent,
} from './call-event-publisher.js';

export interface LiveCallDeps {
  /** Transcription and recording, here or in the media worker that holds the call's sockets. */
  audio: CallAudioFactory;
  preRollMs: number;
  /** Rate the negotiated codecs deliver at most; the recording is written at it (or above). */
  audioSampleRateHz: number;
  publicUrl: string;
  now: () => number;
  /** Records the end reason and time (the call is ending); returns the stored record. */
  persistEnding(callId: string, reason: string): Promise<CallData | undefined>;
  /** Records ENDED, once the closing events are stored; returns the stored record. */
  persistEnded(callId: string): Promise<CallData | undefined>;
  /** The end could not be completed here (the store refused writes): recovery finishes it later. */
  endUnfinished(callId: string, reason: string): void;
  /** Stores new metadata and fills unknown numbers from it; the stored record and what was filled. */
  persistMetadata(
    callId: string,
    siprec: CallSiprecInfo,
    parties: PartyNumbers,
  ): Promise<{ call: CallData; filled: PartyNumberField[] }>;
  persistEngineFailover(callId: string, failover: EngineFailover): Promise<CallData | undefined>;
  persistHold(callId: string, heldChannels: Channel[]): Promise<CallData | undefined>;
  forget(callId: string): void;
}

/**
 * The in-memory side of a call this node holds: it gates audio, drives the transcription
 * pipeline and the recording, and publishes the call's events. The store stays the source of
 * truth for state; the router updates the store first and then tells the live call.
 */
export class LiveCall implements LiveCallHandle {
  readonly preRollMs: number;
  private state: CallData['state'];
  private call: CallData;
  private media: CallAudio | undefined;
  private processingSinceMs: number | undefined;
  private ending: Promise<void> | undefined;
  private endReasonGiven: string | undefined;
  private startPublished = false;
  /** Since when every recorded channel has been on hold (Date ms), while it lasts. */
  private allHeldSinceMs: number | undefined;
  /** Opens the gate below: the SBC has the 200 OK. */
  private openAnswerGate: () => void = () => undefined;
  /**
   * State changes run one at a time: a resume waits for the pause's flush, so events stay in
   * order. The first waits for the answer (or the end of a set-up the SBC abandoned), so no
   * START goes out for a call the SBC never got.
   */
  private transitions: Promise<unknown> = new Promise<void>((resolve) => {
    this.openAnswerGate = resolve;
  });

  constructor(
    private readonly deps: LiveCallDeps,
    call: CallData,
    readonly log: Logger,
    readonly events: CallEventPublisher,
  ) {
    this.call = call;
    this.state = call.state;
    this.preRollMs = call.state === 'ENDED' ? 0 : deps.preRollMs;
  }

  get callId(): string {
    return this.call.callId;
  }

  get current(): CallData {
    return this.call;
  }

  wantsAudio(): boolean {
    return this.state === 'PROCESSING';
  }

  channelForLabel(label: string): Channel | null {
    const mapping = this.call.channelMapping;
    if (mapping.callerStreamLabel === label) return 'CALLER';
    if (mapping.agentStreamLabel === label) return 'AGENT';
    return null;
  }

  audio(channel: Channel, frame: AudioFrame): void {
    if (this.state !== 'PROCESSING') return;
    this.media?.audio(channel, frame);
  }

  preRoll(channel: Channel, frame: AudioFrame): void {
    this.audio(channel, frame);
  }

  /**
   * The record keeps the new participants; numbers they name fill an empty fromNumber/toNumber
   * (never one the hook or a control event set). A CALL_STATE event tells the UI to show them.
   */
  metadataUpdated(siprec: CallSiprecInfo, parties: PartyNumbers): void {
    this.call = { ...this.call, siprec };
    void this.serially(async () => {
      const stored = await this.deps
        .persistMetadata(this.callId, siprec, parties)
        .catch((err: unknown) => {
          this.log.warn({ err }, 'metadata update could not be stored');
          return undefined;
        });
      if (stored === undefined) return;
      this.call = stored.call;
      if (stored.filled.length > 0) {
        const pii = Object.fromEntries(stored.filled.map((field) => [field, stored.call[field]]));
        this.log.info(
          { filled: stored.filled, pii },
          'metadata update named a party that was unknown',
        );
      }
      if (this.state !== 'ENDED') await this.events.publish(callStateEvent(this.call));
    });
  }

  /**
   * The record and a CALL_STATE event say which channels are on hold, so the UI can show it.
   * While every recorded channel is held no audio arrives at all, so the recording would skip
   * the hold: on resume its length is written to the recording as silence, and the file stays
   * on the call's timeline. (One held channel is padded against the other by the recorder.)
   */
  holdChanged(heldChannels: readonly Channel[]): void {
    if (this.state === 'ENDED') return;
    const held = (['CALLER', 'AGENT'] as const).filter((c) => heldChannels.includes(c));
    const mapping = this.call.channelMapping;
    const recorded = (['CALLER', 'AGENT'] as const).filter((c) =>
      c === 'CALLER' ? mapping.callerStreamLabel !== null : mapping.agentStreamLabel !== null,
    );
    const allHeld = recorded.length > 0 && recorded.every((c) => held.includes(c));
    if (allHeld) this.allHeldSinceMs ??= this.deps.now();
    else if (this.allHeldSinceMs !== undefined) {
      const heldMs = this.deps.now() - this.allHeldSinceMs;
      this.allHeldSinceMs = undefined;
      this.recordSilence(recorded, heldMs);
    }
    this.call = { ...this.call, heldChannels: held };
    this.log.info({ heldChannels: held }, held.length > 0 ? 'call on hold' : 'call resumed');
    void this.serially(async () => {
      const stored = await this.deps.persistHold(this.callId, held).catch((err: unknown) => {
        this.log.warn({ err }, 'hold state could not be stored');
        return undefined;
      });
      if (stored) this.call = { ...stored, heldChannels: held };
      if (this.state !== 'ENDED') await this.events.publish(callStateEvent(this.call));
    });
  }

  /** Silence for a hold of every channel, written where the recording is. */
  private recordSilence(channels: readonly Channel[], durationMs: number): void {
    if (this.state !== 'PROCESSING') return;
    this.media?.recordSilence(channels, durationMs);
  }

  /** The call record and a CALL_STATE event say which engine took over, so the UI can show it. */
  private engineFailedOver(failover: EngineFailover): void {
    this.call = { ...this.call, engineFailover: failover };
    void this.serially(async () => {
      const stored = await this.deps
        .persistEngineFailover(this.callId, failover)
        .catch((err: unknown) => {
          this.log.warn({ err }, 'engine failover could not be stored');
          return undefined;
        });
      if (stored) this.call = { ...stored, engineFailover: failover };
      if (this.state !== 'ENDED') await this.events.publish(callStateEvent(this.call));
    });
  }

  /** Milliseconds processed in the current processing period. */
  processingElapsedMs(): number {
    return this.processingSinceMs === undefined ? 0 : this.deps.now() - this.processingSinceMs;
  }

  /**
   * The store now says PROCESSING (auto-start, START or resume). Resolves false when the call
   * ended first: then nothing is published, since the closing events must stay last.
   */
  begin(call: CallData): Promise<boolean> {
    return this.serially(() => this.doBegin(call));
  }

  private async doBegin(call: CallData): Promise<boolean> {
    if (this.state === 'ENDED') return false;
    this.call = call;
    this.state = 'PROCESSING';
    this.processingSinceMs = this.deps.now();
    this.media ??= this.deps.audio.create({
      call,
      audioSampleRateHz: this.deps.audioSampleRateHz,
      log: this.log,
      emit: (segment) => {
        void this.events.publish({ EventType: 'ADD_TRANSCRIPT_SEGMENT', ...segment });
      },
      engineFailover: (failover) => this.engineFailedOver(failover),
    });
    this.media.acceptAudio();
    if (!this.startPublished) {
      this.startPublished = true;
      await this.events.publish(startEvent(call));
    }
    await this.events.publish(callStateEvent(call));
    this.media.start(call.processedMsBeforePause);
    this.log.info({ offsetMs: call.processedMsBeforePause }, 'processing started');
    return true;
  }

  /**
   * The store now says PAUSED. Audio stops at once; the state event follows the engine's flush.
   * Resolves false when the call ended first (a BYE racing the STOP): nothing is published after
   * the closing events.
   */
  pause(call: CallData): Promise<boolean> {
    if (this.state === 'ENDED') return Promise.resolve(false);
    this.state = 'PAUSED';
    this.media?.stopAudio();
    return this.serially(() => this.doPause(call));
  }

  private async doPause(call: CallData): Promise<boolean> {
    if (this.state === 'ENDED') return false;
    this.call = call;
    this.state = 'PAUSED';
    this.processingSinceMs = undefined;
    await this.media?.pause();
    await this.events.publish(callStateEvent(call));
    this.log.info('processing paused');
    return true;
  }

  /** Parked at set-up: subscribers see it PENDING once the SBC has the call. */
  parked(call: CallData): Promise<void> {
    return this.serially(async () => {
      if (this.state === 'ENDED') return;
      await this.events.publish(callStateEvent(call));
      this.log.info('call parked until START_CALL_PROCESSING');
    });
  }

  /** Resolves false when the call ended first: UPDATE_AGENT would follow the closing events. */
  agentUpdated(call: CallData): Promise<boolean> {
    return this.serially(async () => {
      if (this.state === 'ENDED') return false;
      this.call = call;
      if (call.agentId)
        await this.events.publish({ EventType: 'UPDATE_AGENT', AgentId: call.agentId });
      return true;
    });
  }

  /** The call was refused at set-up (hook failure with policy `reject`): nothing is kept. */
  markEnded(call: CallData): void {
    this.call = call;
    this.state = 'ENDED';
  }

  answered(): Promise<void> {
    this.openAnswerGate();
    return this.transitions.then(() => undefined);
  }

  /** Why the call is ending, once `end` was called. */
  get endingReason(): string | undefined {
    return this.endReasonGiven;
  }

  end(reason: string): Promise<void> {
    if (!this.ending) {
      this.endReasonGiven = reason;
      // Audio stops now; the end itself waits for any transition in flight.
      const wasActive = this.state !== 'ENDED';
      this.state = 'ENDED';
      this.media?.stopAudio();
      // An unanswered call ends at once: what waited for the answer sees ENDED and does nothing.
      this.openAnswerGate();
      this.ending = this.serially(() => this.finish(reason, wasActive));
    }
    return this.ending;
  }

  private serially<T>(step: () => Promise<T>): Promise<T> {
    const next = this.transitions.then(step);
    this.transitions = next.catch(() => undefined);
    return next;
  }

  /**
   * Ends in three steps so that a crash at any point leaves something recovery can finish
   * exactly once: the reason and end time are stored first (the call is ending), then the final
   * results, the recording and the closing events go out, and only then is the call ENDED.
   */
  private async finish(reason: string, wasActive: boolean): Promise<void> {
    try {
      let complete = true;
      if (wasActive) {
        const ending = await this.deps.persistEnding(this.callId, reason);
        if (ending) this.call = ending;
        else complete = false;
      }
      const path = await this.media?.finish();
      if (wasActive) {
        const lostBefore = this.events.lostCount;
        const url = path === undefined ? undefined : recordingUrl(this.deps.publicUrl, this.callId);
        for (const body of endEvents(this.call, {
          started: this.startPublished,
          recordingUrl: url,
        }))
          await this.events.publish(body);
        await this.events.drained();
        if (this.events.lostCount > lostBefore) complete = false;
        if (complete) {
          const ended = await this.deps.persistEnded(this.callId);
          if (ended) this.call = ended;
          else complete = false;
        }
        if (!complete) this.deps.endUnfinished(this.callId, reason);
      }
      await this.events.drained();
      this.log.info({ reason }, 'call ended');
    } catch (err) {
      this.log.error({ err }, 'call end handling failed');
    } finally {
      this.deps.forget(this.callId);
    }
  }
}
