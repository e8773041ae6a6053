import { createSocket, type Socket } from 'node:dgram';
import { performance } from 'node:perf_hooks';
import { pino } from 'pino';
import type { MediaSession } from '../../src/adapters/rtp/media-sessions.js';
import { builtInCodecPolicy, pcmuStreams } from '../../test/support/media.js';
import { UdpMediaSessions } from '../../src/adapters/rtp/udp-media-sessions.js';
import type { Channel } from '../../src/domain/call.js';
import { createMetrics } from '../../src/observability/metrics.js';
import type { LiveCallHandle } from '../../src/ports/call-sessions.js';
import type { ReceiverMode, ReceiverReady, ReceiverSnapshot } from './protocol.js';

/**
 * The process under test: either callscribe's UdpMediaSessions holding N parked two-stream
 * calls, or a bare dgram sink on the same number of RTP ports. Started by run.ts.
 */
const [modeArg, callsArg, portBaseArg] = process.argv.slice(2);
const mode = modeArg as ReceiverMode;
const calls = Number(callsArg);
const portBase = Number(portBaseArg);

function send(message: ReceiverReady | ReceiverSnapshot): void {
  process.send?.(message);
}

const parkedHandle = (callId: string): LiveCallHandle => ({
  callId,
  preRollMs: 0,
  wantsAudio: () => false,
  channelForLabel: (label): Channel | null => (label === '1' ? 'CALLER' : 'AGENT'),
  audio: () => {},
  holdChanged: () => {},
  preRoll: () => {},
  metadataUpdated: () => {},
  answered: async () => {},
  end: async () => {},
});

async function setUpCallscribe(): Promise<{
  ports: number[];
  received: () => number;
  close: () => Promise<void>;
}> {
  const media = new UdpMediaSessions({
    config: {
      rtpHost: '127.0.0.1',
      rtpPorts: { min: portBase, max: portBase + calls * 4 + 3 },
      mediaTimeoutMs: 60_000,
      preRollMs: 0,
    },
    log: pino({ level: 'silent' }),
    metrics: createMetrics(),
    codecs: builtInCodecPolicy,
  });
  const sessions: MediaSession[] = [];
  for (let i = 0; i < calls; i++) {
    const session = await media.allocate(2);
    session.attach(pcmuStreams(['1', '2']), parkedHandle(`bench-${i}`));
    sessions.push(session);
  }
  return {
    ports: sessions.flatMap((s) => [...s.ports]),
    received: () => sessions.reduce((n, s) => n + s.stats().packetsReceived, 0),
    close: () => media.close(),
  };
}

async function setUpBare(): Promise<{
  ports: number[];
  received: () => number;
  close: () => Promise<void>;
}> {
  let count = 0;
  const sockets: Socket[] = [];
  for (let i = 0; i < calls * 2; i++) {
    const socket = createSocket('udp4');
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject);
      socket.bind(portBase + 2 * i, '127.0.0.1', () => resolve());
    });
    socket.on('message', () => {
      count++;
    });
    sockets.push(socket);
  }
  return {
    ports: sockets.map((s) => s.address().port),
    received: () => count,
    close: async () => {
      await Promise.all(
        sockets.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))),
      );
    },
  };
}

const rssBaselineBytes = process.memoryUsage().rss;
const started = performance.now();
const receiver = mode === 'callscribe' ? await setUpCallscribe() : await setUpBare();
const setupMs = performance.now() - started;
send({
  type: 'ready',
  ports: receiver.ports,
  setupMs,
  rssBaselineBytes,
  rssAfterSetupBytes: process.memoryUsage().rss,
});

process.on('message', (message: { type: string }) => {
  if (message.type === 'snapshot') {
    const cpu = process.cpuUsage();
    send({
      type: 'snapshot',
      cpuMicros: cpu.user + cpu.system,
      packetsReceived: receiver.received(),
      rssBytes: process.memoryUsage().rss,
    });
  } else if (message.type === 'exit') {
    void receiver.close().then(() => process.exit(0));
  }
});
