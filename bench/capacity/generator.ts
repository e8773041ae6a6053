import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { RtpPacer, startSiprecCall, type EstablishedSiprecCall } from '../../src/sbc-sim/index.js';
import { BatchedUdpSender } from './batched-udp-sender.js';
import { serveGeneratorCommands } from './generator-commands.js';
import type { GeneratorCommand, GeneratorReply } from './protocol.js';

/**
 * A load-generator process: places SIPREC calls over SIP/UDP as an SBC would, then streams the
 * sample call's two µ-law legs on every call from one shared pacer (20 ms packets, each stream
 * at its own phase of the 20 ms grid), looping. Reports its own skips: packets it gave up
 * because it fell behind, which the server never had the chance to lose.
 *
 * Its one argument, `--sender`, says how packets leave: `sendmmsg` (every packet the pacer
 * sends in one pass, in one system call, from one socket) or `dgram` (each stream's own Node.js
 * socket, one send per packet: what `src/sbc-sim` does).
 */
const samples = new URL('../../samples/support-call/', import.meta.url).pathname;
const callerAudio = readFileSync(`${samples}caller.pcmu`);
const agentAudio = readFileSync(`${samples}agent.pcmu`);
const send = (message: GeneratorReply): void => void process.send?.(message);
const sender = process.argv.includes('--sender=dgram') ? 'dgram' : 'sendmmsg';
const RECORDER_HOST = '127.0.0.1';
const batch = sender === 'sendmmsg' ? new BatchedUdpSender(RECORDER_HOST) : undefined;
const pacer: RtpPacer = new RtpPacer(
  batch
    ? {
        afterSends: () => {
          // A datagram the kernel refused never reached the server: the generator's loss.
          const failedBefore = batch.failed;
          batch.flush();
          pacer.packetsSkipped += batch.failed - failedBefore;
        },
      }
    : {},
);
const calls: EstablishedSiprecCall[] = [];
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function place(sipPort: number, callIds: string[], ratePerSecond: number): Promise<void> {
  const setupMs: number[] = [];
  let failed = 0;
  let firstFailure: string | null = null;
  const startedMs = performance.now();
  await Promise.all(
    callIds.map(async (callId, i) => {
      // Open loop: call i goes out at i / rate, whether earlier ones were answered or not.
      await sleep(Math.max(0, startedMs + (i * 1000) / ratePerSecond - performance.now()));
      const t0 = performance.now();
      try {
        const call = await startSiprecCall({
          target: { host: '127.0.0.1', port: sipPort },
          transport: 'udp',
          callId,
        });
        calls.push(call);
        if (batch && call.answerAddress !== RECORDER_HOST)
          throw new Error(`the recorder answered with media at ${call.answerAddress}`);
        setupMs.push(performance.now() - t0);
        [callerAudio, agentAudio].forEach((audio, s) => {
          const socket = call.rtpSockets[s];
          const port = call.answerPorts[s];
          if (!socket || !port) return;
          pacer.add({
            send: batch ? (packet) => batch.queue(packet, port) : (packet) => socket.send(packet),
            audio,
            loop: true,
            // Spread over the 20 ms grid, as many real senders are.
            phaseMs: Math.random() * 20,
          });
        });
      } catch (error) {
        failed++;
        firstFailure ??= error instanceof Error ? error.message : String(error);
      }
    }),
  );
  send({ type: 'placed', established: calls.length, failed, firstFailure, setupMs });
}

serveGeneratorCommands<GeneratorCommand>({
  pacer,
  calls,
  send,
  handle: async (command) => {
    if (command.type !== 'place') return false;
    await place(command.sipPort, command.callIds, command.ratePerSecond);
    return true;
  },
});
