import type { Logger } from 'pino';
import { performance } from 'node:perf_hooks';
import { RtpPacer, type PacedStream } from './rtp-pacer.js';
import type { SbcSimEventListener } from './sbc-sim-events.js';
import { startSiprecCall } from './siprec-call.js';
import type { SipTransportKind } from './sip-client-transport.js';

const PTIME_MS = 20;
const PROGRESS_INTERVAL_MS = 1000;

export interface PlaceSiprecCallOptions {
  target: { host: string; port: number };
  transport: SipTransportKind;
  callId?: string;
  fromNumber?: string;
  toNumber?: string;
  /** Raw µ-law 8 kHz for the caller (label 1) and agent (label 2) streams. */
  callerAudio: Buffer;
  agentAudio: Buffer;
  /** How long to stream; default: the longer of the two files (once), or until aborted when looping. */
  durationMs?: number;
  loop?: boolean;
  log?: Logger;
  /** Aborting hangs up (BYE, or CANCEL before the answer). */
  signal?: AbortSignal;
  onEvent?: SbcSimEventListener;
  /** Share one pacer between many calls; a private one is made otherwise. */
  pacer?: RtpPacer;
}

export interface PlacedSiprecCall {
  callId: string;
  answerPorts: number[];
  packetsSent: number;
}

/** One complete simulated SIPREC call: INVITE, real-time RTP on both streams, BYE. */
export async function placeSiprecCall(options: PlaceSiprecCallOptions): Promise<PlacedSiprecCall> {
  const call = await startSiprecCall(options);
  const { callId, onEvent } = { callId: call.callId, onEvent: options.onEvent };
  const pacer = options.pacer ?? new RtpPacer();
  const maxPackets =
    options.durationMs === undefined ? undefined : Math.ceil(options.durationMs / PTIME_MS);
  const streams: PacedStream[] = [];
  const startedMs = performance.now();
  let progress: NodeJS.Timeout | null = null;

  try {
    await new Promise<void>((resolve) => {
      let running = 0;
      const finished = (): void => {
        running--;
        if (running === 0) resolve();
      };
      [options.callerAudio, options.agentAudio].forEach((audio, i) => {
        const socket = call.rtpSockets[i];
        if (!socket) return;
        running++;
        streams.push(
          pacer.add({
            send: (packet) => socket.send(packet),
            audio,
            loop: options.loop ?? false,
            maxPackets,
            onEnd: finished,
          }),
        );
      });
      if (running === 0) resolve();
      onEvent?.({ type: 'media-started', callId, streams: running });
      progress = setInterval(() => {
        onEvent?.({
          type: 'progress',
          callId,
          packetsSent: sent(),
          elapsedMs: performance.now() - startedMs,
        });
      }, PROGRESS_INTERVAL_MS);
      void call.remoteHangup.then(resolve);
      options.signal?.addEventListener('abort', () => resolve(), { once: true });
    });
  } finally {
    if (progress !== null) clearInterval(progress);
    for (const stream of streams) pacer.remove(stream);
    await call.hangUp();
  }
  const packetsSent = sent();
  onEvent?.({ type: 'ended', callId, packetsSent });
  return { callId, answerPorts: call.answerPorts, packetsSent };

  function sent(): number {
    return streams.reduce((sum, s) => sum + s.packetsSent, 0);
  }
}
