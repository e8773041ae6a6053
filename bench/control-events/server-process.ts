import { pino } from 'pino';
import { loadConfig } from '../../src/config/load.js';
import { createLogger } from '../../src/observability/logger.js';
import { startBareServer } from './bare-server.js';
import { startCallscribeNode } from './callscribe-node.js';
import { epochMs, type ServerCommand, type ServerReply } from './protocol.js';

/**
 * The server under test in its own process: `callscribe` or `bare`. It parks calls when told
 * and, for callscribe, notes when each call's START event reaches an event-stream subscriber.
 */
const [
  mode = 'callscribe',
  dataDir = '',
  logLevel = 'info',
  accessKey = '',
  hookPath = '',
  recordCalls = 'true',
] = process.argv.slice(2);
const send = (message: ServerReply): void => void process.send?.(message);
const fail = (error: unknown): void =>
  send({ type: 'failed', message: error instanceof Error ? error.message : String(error) });

const startedAtMs: Record<string, number> = {};
let parkCall: ((callId: string) => Promise<void>) | undefined;
let stop: () => Promise<void>;
let httpPort: number;

if (mode === 'callscribe') {
  const config = loadConfig({
    env: {},
    overrides: {
      dataDir,
      httpHost: '127.0.0.1',
      httpPort: 0,
      logLevel,
      engine: 'fake',
      hook: hookPath,
      accessKeys: accessKey,
      webUi: false,
      recordCalls,
      nodeId: 'bench-node',
    },
  });
  // Production logging cost (pino, async writes, redaction) without filling the terminal.
  const log = createLogger({
    level: config.logLevel,
    redact: config.logRedact,
    destination: pino.destination({ dest: '/dev/null', sync: false }),
  });
  const node = await startCallscribeNode(config, log);
  node.onEvent(({ event }) => {
    if (event.EventType === 'START') startedAtMs[event.CallId] = epochMs();
  });
  parkCall = (callId) => node.parkCall(callId);
  stop = () => node.stop();
  httpPort = node.httpPort;
} else {
  const bare = await startBareServer();
  stop = () => bare.app.close();
  httpPort = bare.httpPort;
}

async function handle(command: ServerCommand): Promise<void> {
  switch (command.type) {
    case 'park': {
      const t0 = performance.now();
      if (parkCall) for (const callId of command.callIds) await parkCall(callId);
      send({
        type: 'parked',
        count: parkCall ? command.callIds.length : 0,
        elapsedMs: performance.now() - t0,
      });
      return;
    }
    case 'cpu': {
      const usage = process.cpuUsage();
      send({ type: 'cpu', userUs: usage.user, systemUs: usage.system });
      return;
    }
    case 'starts':
      send({ type: 'starts', atMs: startedAtMs });
      return;
    case 'clock':
      send({ type: 'clock', atMs: epochMs() });
      return;
    case 'stop':
      await stop();
      // exit (not just disconnect) so --cpu-prof writes its profile even if a handle lingers.
      process.exit(0);
  }
}

process.on('message', (command: ServerCommand) => {
  handle(command).catch(fail);
});
send({ type: 'ready', httpPort });
