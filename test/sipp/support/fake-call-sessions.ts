import type { Admission } from '../../../src/domain/admission.js';
import type { CallSiprecInfo, Channel } from '../../../src/domain/call.js';
import type {
  CallSessions,
  LiveCallHandle,
  NewSession,
  PartyNumbers,
  SessionDecision,
} from '../../../src/ports/call-sessions.js';

export interface RecordingHandle extends LiveCallHandle {
  readonly audioByChannel: Record<Channel, Int16Array[]>;
  readonly metadataUpdates: CallSiprecInfo[];
  readonly partyUpdates: PartyNumbers[];
  readonly endReasons: string[];
  /** Every holdChanged call, in order. */
  readonly holdChanges: Channel[][];
  /** The edge sent the 200 OK. */
  readonly wasAnswered: () => boolean;
}

function recordingHandle(session: NewSession): RecordingHandle {
  const audioByChannel: Record<Channel, Int16Array[]> = { CALLER: [], AGENT: [] };
  const metadataUpdates: CallSiprecInfo[] = [];
  const partyUpdates: PartyNumbers[] = [];
  const endReasons: string[] = [];
  const holdChanges: Channel[][] = [];
  let answered = false;
  return {
    callId: session.callId,
    preRollMs: 0,
    audioByChannel,
    metadataUpdates,
    partyUpdates,
    endReasons,
    holdChanges,
    wantsAudio: () => endReasons.length === 0,
    channelForLabel: (label) => session.streams.find((s) => s.label === label)?.role ?? null,
    audio: (channel, frame) => {
      audioByChannel[channel].push(frame.pcm.slice());
    },
    preRoll: () => undefined,
    answered: () => {
      answered = true;
      return Promise.resolve();
    },
    wasAnswered: () => answered,
    metadataUpdated: (info, parties) => {
      metadataUpdates.push(info);
      partyUpdates.push(parties);
    },
    holdChanged: (held) => {
      holdChanges.push([...held]);
    },
    end: (reason) => {
      endReasons.push(reason);
      return Promise.resolve();
    },
  };
}

/** An in-memory core: records every session and hands out recording handles. */
export class FakeCallSessions implements CallSessions {
  readonly sessions: NewSession[] = [];
  readonly handles: RecordingHandle[] = [];
  /** Simulated hook latency. */
  delayMs = 0;
  /** When set, sessions are refused with this code. */
  refuseWith: string | undefined;
  /** Overrides the core's admission (overload tests); default: admit. */
  admissionOverride: Admission | undefined;

  async sessionStarted(session: NewSession): Promise<SessionDecision> {
    this.sessions.push(session);
    if (this.delayMs > 0) await new Promise((resolve) => setTimeout(resolve, this.delayMs));
    if (this.refuseWith !== undefined)
      return { accepted: false, code: this.refuseWith, reason: 'refused by test' };
    const handle = recordingHandle(session);
    this.handles.push(handle);
    return { accepted: true, handle };
  }

  admission(): Admission {
    return this.admissionOverride ?? { admit: true };
  }
}
