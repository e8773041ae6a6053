import { LoadRunner } from './load-runner.js';
import {
  epochMs,
  type GeneratorCommand,
  type GeneratorReply,
  type PhaseSpec,
  type PrepareCommand,
} from './protocol.js';
import { putEventsSigner, type SignedRequest } from '../../src/cli/put-events-signer.js';

/**
 * The load generator, in its own process so its HTTP client work never shares the server's
 * event loop. It signs every request before any phase starts and then only sends.
 */
const send = (message: GeneratorReply): void => void process.send?.(message);

let runner: LoadRunner | undefined;
const startPool = new Map<string, SignedRequest>();
const updateAgentPool: { key: string; request: SignedRequest }[] = [];

async function prepare(command: PrepareCommand): Promise<void> {
  const t0 = performance.now();
  const sign = putEventsSigner({ ...command, baseUrl: `http://127.0.0.1:${command.httpPort}` });
  for (const callId of command.startCallIds)
    startPool.set(callId, await sign('START_CALL_PROCESSING', { callId }));
  // Two passes with different agents: cycling through the pool always changes the agent, so every request writes.
  for (const agent of ['agent-a', 'agent-b']) {
    for (const callId of command.updateAgentCallIds) {
      updateAgentPool.push({
        key: callId,
        request: await sign('UPDATE_AGENT', { callId, agentId: agent }),
      });
    }
  }
  runner = new LoadRunner(command.httpPort, command.maxSockets);
  send({
    type: 'prepared',
    requests: startPool.size + updateAgentPool.length,
    elapsedMs: performance.now() - t0,
  });
}

function poolFor(phase: PhaseSpec): { key: string; request: SignedRequest }[] {
  if (phase.pool === 'update-agent') return updateAgentPool;
  return (phase.callIds ?? []).map((callId) => {
    const request = startPool.get(callId);
    if (!request) throw new Error(`no signed START for ${callId}`);
    return { key: callId, request };
  });
}

async function handle(command: GeneratorCommand): Promise<void> {
  switch (command.type) {
    case 'prepare':
      return prepare(command);
    case 'run': {
      if (!runner) throw new Error('run before prepare');
      send({ type: 'result', result: await runner.run(command.phase, poolFor(command.phase)) });
      return;
    }
    case 'clock':
      send({ type: 'clock', atMs: epochMs() });
      return;
    case 'stop':
      runner?.close();
      process.exit(0);
  }
}

process.on('message', (command: GeneratorCommand) => {
  handle(command).catch((error: unknown) =>
    send({ type: 'failed', message: error instanceof Error ? error.message : String(error) }),
  );
});
send({ type: 'ready' });
