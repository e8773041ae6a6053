import { readFileSync } from 'node:fs';
import { placeSiprecCall, RtpPacer } from '../../../src/sbc-sim/index.js';
import type { FleetCommand, FleetReport } from './protocol.js';

/**
 * An SBC in its own process placing many SIPREC calls (the sample two-party call, looped) at
 * one recorder, on the parent's command. Its own process because the parent kills the
 * recorder: calls to a dead recorder would wait out SIP transaction timeouts, so the parent
 * kills this process along with it, as an SBC that lost its recorder drops its sessions.
 */
const [host = '127.0.0.1', port = '5060'] = process.argv.slice(2);
const sample = (name: string) =>
  readFileSync(new URL(`../../../samples/support-call/${name}.pcmu`, import.meta.url));
const callerAudio = sample('caller');
const agentAudio = sample('agent');
const pacer = new RtpPacer();
const hangUps = new Map<string, AbortController>();
const report = (message: FleetReport): void => void process.send?.(message);

function place(callId: string, durationMs: number | undefined): void {
  const hangUp = new AbortController();
  hangUps.set(callId, hangUp);
  placeSiprecCall({
    target: { host, port: Number(port) },
    transport: 'udp',
    callId,
    callerAudio,
    agentAudio,
    loop: true,
    pacer,
    signal: hangUp.signal,
    ...(durationMs === undefined ? {} : { durationMs }),
    onEvent: (event) => {
      if (event.type === 'answered') report({ type: 'answered', callId });
    },
  })
    .then((placed) => report({ type: 'ended', callId, packetsSent: placed.packetsSent }))
    .catch((error: unknown) =>
      report({
        type: 'failed',
        callId,
        message: error instanceof Error ? error.message : String(error),
      }),
    )
    .finally(() => hangUps.delete(callId));
}

process.on('message', (command: FleetCommand) => {
  if (command.type === 'place') place(command.callId, command.durationMs);
  else hangUps.get(command.callId)?.abort();
});
process.on('disconnect', () => process.exit(0));
