import { readFileSync } from 'node:fs';
import { placeSiprecCall } from '../../../src/sbc-sim/index.js';
import type { SbcChildMessage, SbcParentMessage } from './sbc-call-protocol.js';

/**
 * The SBC of the multi-node test in its own process: one SIPREC call with the sample audio,
 * looped until the parent says hang up. A separate process because a BYE to a recorder that was
 * killed waits out the full SIP transaction timeout (32 s); the parent kills this process instead.
 */
const [host = '127.0.0.1', port = '5060', callId = 'Your-CallId-Here'] = process.argv.slice(2);
const send = (message: SbcChildMessage): void => void process.send?.(message);
const sample = (name: string) =>
  readFileSync(new URL(`../../../samples/support-call/${name}.pcmu`, import.meta.url));

const hangUp = new AbortController();
process.on('message', (message: SbcParentMessage) => {
  if (message.type === 'hang-up') hangUp.abort();
});

try {
  const placed = await placeSiprecCall({
    target: { host, port: Number(port) },
    transport: 'udp',
    callId,
    callerAudio: sample('caller'),
    agentAudio: sample('agent'),
    loop: true,
    signal: hangUp.signal,
    onEvent: (event) => {
      if (event.type === 'answered') send({ type: 'answered' });
    },
  });
  send({ type: 'ended', packetsSent: placed.packetsSent });
  process.exitCode = 0;
} catch (error) {
  send({ type: 'failed', message: error instanceof Error ? error.message : String(error) });
  process.exitCode = 1;
}
process.disconnect?.();
