import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { loadCodecs } from '../../src/adapters/codecs/load-codecs.js';
import type { AcceptedStream, MediaSession } from '../../src/adapters/rtp/media-sessions.js';
import { UdpMediaSessions } from '../../src/adapters/rtp/udp-media-sessions.js';
import { buildServer } from '../../src/composition-root.js';
import { loadConfig } from '../../src/config/load.js';
import { CodecRegistry } from '../../src/media/codec-registry.js';
import { CODECS } from '../../src/media/codecs.js';
import { createMetrics } from '../../src/observability/metrics.js';
import type { NewSession } from '../../src/ports/call-sessions.js';
import type { BenchCodec, ReceiverReady, ReceiverSnapshot } from './protocol.js';
import { answeredSession } from '../../test/support/answered-session.js';

/**
 * The receiving node: the real composition root (fake engine, SQLite, no recording) holding N
 * PROCESSING two-leg calls whose RTP arrives on callscribe's UdpMediaSessions with the real
 * codec registry; the same per-packet path as a SIPREC call, minus the SIP set-up.
 */
const [codecArg, callsArg, portBaseArg, scriptPath] = process.argv.slice(2);
const codec = codecArg as BenchCodec;
const calls = Number(callsArg);
const portBase = Number(portBaseArg);
const dataDir = mkdtempSync(join(tmpdir(), 'callscribe-bench-codecs-'));
const log = pino({ level: 'silent' });
const payloadTypes: Record<BenchCodec, number> = { PCMU: 0, G722: 9, G729: 18, opus: 111 };

const config = loadConfig({
  env: {},
  overrides: {
    dataDir,
    httpHost: '127.0.0.1',
    httpPort: 0,
    sipHost: '127.0.0.1',
    sipPort: 0,
    rtpHost: '127.0.0.1',
    // Room to spare: other processes on the box may hold ports of the range.
    rtpPorts: `${portBase}-${portBase + calls * 4 + 400}`,
    engine: 'fake',
    fakeEngineScript: scriptPath,
    recordCalls: false,
    maxConcurrentCalls: calls + 10,
    logLevel: 'silent',
  },
});

function session(callId: string, rateHz: number): NewSession {
  return {
    callId,
    direction: 'Inbound',
    fromNumber: '+15551230001',
    toNumber: '+15559870000',
    inviteHeaders: { 'call-id': callId },
    siprecMetadataXml: null,
    streams: [
      { label: '1', role: 'CALLER' },
      { label: '2', role: 'AGENT' },
    ],
    channelMapping: {
      callerStreamLabel: '1',
      agentStreamLabel: '2',
      rule: 'label-order',
      swappedByHook: false,
    },
    siprec: null,
    sourceAddress: '127.0.0.1',
    audioSampleRateHz: rateHz,
  };
}

const startedAt = performance.now();
const server = await buildServer(config, { log });
const registry = new CodecRegistry(loadCodecs().factories);
const factory = registry.get(codec);
if (!factory) throw new Error(`no ${codec} decoder on this machine`);
const media = new UdpMediaSessions({
  config,
  log,
  metrics: createMetrics(),
  codecs: { registry, preference: config.sipCodecs },
});
const rateHz = CODECS[codec].outputRateHz;
const streams: AcceptedStream[] = ['1', '2'].map((label, index) => ({
  index,
  label,
  payloads: [
    { payloadType: payloadTypes[codec], kind: 'audio', decoder: factory },
    { payloadType: 101, kind: 'telephone-event' },
  ],
  outputRateHz: rateHz,
}));
const sessions: MediaSession[] = [];
for (let i = 0; i < calls; i++) {
  const media2 = await media.allocate(2);
  const decision = await answeredSession(
    server.callSessions,
    session(`bench-${codec}-${i}`, rateHz),
  );
  if (!decision.accepted) throw new Error(`call refused: ${decision.reason}`);
  media2.attach(streams, decision.handle);
  sessions.push(media2);
}
const ready: ReceiverReady = {
  type: 'ready',
  ports: sessions.flatMap((s) => [...s.ports]),
  setupMs: performance.now() - startedAt,
};
process.send?.(ready);

process.on('message', (message: { type: string }) => {
  if (message.type === 'snapshot') {
    const cpu = process.cpuUsage();
    const snapshot: ReceiverSnapshot = {
      type: 'snapshot',
      cpuMicros: cpu.user + cpu.system,
      packetsReceived: sessions.reduce((n, s) => n + s.stats().packetsReceived, 0),
      packetsDecoded: sessions.reduce((n, s) => n + s.stats().packetsDecoded, 0),
      rssBytes: process.memoryUsage().rss,
    };
    process.send?.(snapshot);
  } else if (message.type === 'stop') {
    void (async () => {
      await media.close();
      await server.stop();
      rmSync(dataDir, { recursive: true, force: true });
      process.exit(0);
    })();
  }
});
