import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { createHttpServer } from '../../src/adapters/http/create-http-server.js';
import { WavCallRecorder } from '../../src/adapters/recording/wav-call-recorder.js';
import { loadConfig } from '../../src/config/load.js';
import { startInProcessNode } from './in-process-node.js';
import { epochMs, type DriverMessage, type NodeMessage } from './protocol.js';

/** One benchmark node in its own process: Redis-backed core plus the real HTTP edge (PutEvents). */
const [nodeId = 'node-x', redisUrl = 'redis://127.0.0.1:6379', keyPrefix = 'cs-bench:'] =
  process.argv.slice(2);
const send = (message: NodeMessage): void => void process.send?.(message);
const log = pino({ level: 'warn' });
const dataDir = mkdtempSync(join(tmpdir(), `callscribe-bench-${nodeId}-`));

const node = await startInProcessNode({ nodeId, redisUrl, keyPrefix, log });
node.pipelines.onStart = (callId) => send({ type: 'started', callId, atMs: epochMs() });
const config = loadConfig({
  env: {},
  overrides: { nodeId, dataDir, logLevel: 'warn', webUi: false },
});
const http = createHttpServer({
  config,
  log,
  controlEvents: node.router,
  callStore: node.redis.store,
  eventStream: node.redis.eventStream,
  metrics: node.metrics,
  recordings: new WavCallRecorder({ dataDir, log }),
  nodeId,
});
await http.listen({ host: '127.0.0.1', port: 0 });
const address = http.server.address();

process.on('message', (message: DriverMessage) => {
  if (message.type === 'park') {
    void (async () => {
      for (const callId of message.callIds) await node.parkedCall(callId);
      send({ type: 'parked', count: message.callIds.length });
    })();
  } else {
    void (async () => {
      await http.close();
      await node.close();
      rmSync(dataDir, { recursive: true, force: true });
      process.exit(0);
    })();
  }
});
send({ type: 'ready', httpPort: typeof address === 'object' && address ? address.port : 0 });
