import { randomInt } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import type { Socket } from 'node:dgram';
import { loadLibsrtp } from '../../src/adapters/srtp/libsrtp.js';
import type { SrtpSuiteName } from '../../src/adapters/srtp/srtp-suites.js';
import { RtpPacer, startSiprecCall, type EstablishedSiprecCall } from '../../src/sbc-sim/index.js';
import { serveGeneratorCommands } from '../capacity/generator-commands.js';
import type { GeneratorCommand, GeneratorReply } from '../capacity/protocol.js';
import { protectedPackets } from './protected-packets.js';

/**
 * The SBC side of `bench/srtp --parts calls`, in its own process: places two-leg SIPREC calls
 * over SIP/UDP (RTP/SAVP with one suite, or plain RTP), builds every packet of the run before
 * the media start (protected with libsrtp's srtp_protect under the key each stream offered), then
 * paces them from one RtpPacer, 20 ms per stream, each stream at its own phase of the grid.
 */
export type CallGeneratorCommand =
  | {
      type: 'place';
      sipPort: number;
      callIds: string[];
      /** INVITEs per second (open loop). */
      ratePerSecond: number;
      suite: SrtpSuiteName | null;
      /** Packets built per stream: the media stops after the last. */
      packetsPerStream: number;
    }
  | { type: 'start-media' }
  | Exclude<GeneratorCommand, { type: 'place' }>;

export type CallGeneratorReply = GeneratorReply | { type: 'media-started'; streams: number };

const samples = new URL('../../samples/support-call/', import.meta.url).pathname;
const legAudio = [readFileSync(`${samples}caller.pcmu`), readFileSync(`${samples}agent.pcmu`)];
const send = (message: CallGeneratorReply): void => void process.send?.(message);
const pacer = new RtpPacer();
const calls: EstablishedSiprecCall[] = [];
const streams: { socket: Socket; packets: Buffer[] }[] = [];
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function place(command: Extract<CallGeneratorCommand, { type: 'place' }>): Promise<void> {
  const { suite } = command;
  const loaded = loadLibsrtp();
  if (suite !== null && !loaded.ok) throw new Error(`libsrtp2-1 is needed: ${loaded.reason}`);
  const setupMs: number[] = [];
  let failed = 0;
  let firstFailure: string | null = null;
  const startedMs = performance.now();
  await Promise.all(
    command.callIds.map(async (callId, i) => {
      // Open loop: call i goes out at i / rate, whether earlier ones were answered or not.
      await sleep(Math.max(0, startedMs + (i * 1000) / command.ratePerSecond - performance.now()));
      const t0 = performance.now();
      try {
        const call = await startSiprecCall({
          target: { host: '127.0.0.1', port: command.sipPort },
          transport: 'udp',
          callId,
          ...(suite === null ? {} : { srtp: suite }),
        });
        setupMs.push(performance.now() - t0);
        calls.push(call);
      } catch (error) {
        failed++;
        firstFailure ??= error instanceof Error ? error.message : String(error);
      }
    }),
  );
  // Every call is up: the packets are built now, before the measurement, not during it.
  for (const call of calls) {
    call.rtpSockets.forEach((socket, leg) => {
      if (socket === null) return;
      const keying = call.srtpKeys?.[leg];
      const session = keying && loaded.ok ? loaded.library.outbound(keying) : null;
      const packets = protectedPackets({
        audio: legAudio[leg]!,
        count: command.packetsPerStream,
        ssrc: randomInt(2 ** 32),
        firstSequenceNumber: randomInt(2 ** 16),
        session,
      });
      session?.close();
      streams.push({ socket, packets });
    });
  }
  send({ type: 'placed', established: calls.length, failed, firstFailure, setupMs });
}

function startMedia(): void {
  for (const { socket, packets } of streams)
    pacer.add({
      send: (packet) => socket.send(packet),
      audio: new Uint8Array(0),
      prebuilt: packets,
      loop: false,
      phaseMs: Math.random() * 20,
    });
  send({ type: 'media-started', streams: streams.length });
}

serveGeneratorCommands<CallGeneratorCommand>({
  pacer,
  calls,
  send,
  handle: async (command) => {
    if (command.type === 'place') await place(command);
    else if (command.type === 'start-media') startMedia();
    else return false;
    return true;
  },
});
