/**
 * SRTP and SIP-over-TLS benchmark: `npx tsx bench/srtp/run.ts`
 * Options: --calls 40  --seconds 8  --rounds 3  --port-base 23000  --tls-seconds 5
 *          --tls-concurrency 4  --parts receive,unprotect,tls  --json
 *
 * (a) receive: N two-leg calls (2N streams) on callscribe's UdpMediaSessions, every stream fed
 *     20 ms G.711 packets by a sender in another process; CPU of this process per packet
 *     received (socket, SRTP unprotect, RTP parse, decode, frame hand-off) for plain RTP and for
 *     each SRTP suite, modes interleaved round by round; the median round, and the ratio of
 *     each suite to plain RTP measured in the same run.
 * (b) unprotect: libsrtp's srtp_unprotect alone through the koffi binding, µs per packet.
 * (c) tls: full TLS handshakes per second on the SIP TLS port of the real composition root
 *     (TLS 1.3 and 1.2, RSA 2048 certificate, no client certificate), the client in another process.
 */
import { execFile, execFileSync, fork } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { cpus, loadavg, tmpdir } from 'node:os';
import { mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { pino } from 'pino';
import type { AcceptedStream, MediaSession } from '../../src/adapters/rtp/media-sessions.js';
import { buildRtpPacket } from '../../src/adapters/rtp/rtp-packet.js';
import { UdpMediaSessions } from '../../src/adapters/rtp/udp-media-sessions.js';
import { loadLibsrtp } from '../../src/adapters/srtp/libsrtp.js';
import {
  inlineKeyBytes,
  SRTP_SUITE_NAMES,
  type SrtpSuiteName,
} from '../../src/adapters/srtp/srtp-suites.js';
import { SrtpUnprotector } from '../../src/adapters/srtp/srtp-unprotector.js';
import { buildServer } from '../../src/composition-root.js';
import { loadConfig } from '../../src/config/load.js';
import type { Channel } from '../../src/domain/call.js';
import type { AudioFrame } from '../../src/media/audio-frame.js';
import { builtInCodecPolicy } from '../../src/media/codec-policy.js';
import { pcmuDecoderFactory } from '../../src/media/g711-decoder.js';
import { createMetrics } from '../../src/observability/metrics.js';
import type { LiveCallHandle } from '../../src/ports/call-sessions.js';
import type { SenderJob } from './sender.js';

const { values } = parseArgs({
  options: {
    calls: { type: 'string', default: '40' },
    seconds: { type: 'string', default: '8' },
    rounds: { type: 'string', default: '3' },
    'port-base': { type: 'string', default: '23000' },
    'tls-seconds': { type: 'string', default: '5' },
    'tls-concurrency': { type: 'string', default: '4' },
    parts: { type: 'string', default: 'receive,unprotect,tls' },
    json: { type: 'boolean', default: false },
  },
});
const calls = Number(values.calls);
const seconds = Number(values.seconds);
const rounds = Number(values.rounds);
const portBase = Number(values['port-base']);
const parts = new Set(values.parts.split(','));
const here = new URL('.', import.meta.url).pathname;
const loaded = loadLibsrtp();
if (!loaded.ok) throw new Error(`libsrtp2-1 is needed: ${loaded.reason}`);
const libsrtp = loaded.libsrtp;

type Mode = 'plain' | SrtpSuiteName;
const modes: Mode[] = ['plain', ...SRTP_SUITE_NAMES];

class CountingHandle implements LiveCallHandle {
  readonly callId: string;
  readonly preRollMs = 0;
  samples = 0;
  constructor(callId: string) {
    this.callId = callId;
  }
  wantsAudio(): boolean {
    return true;
  }
  channelForLabel(label: string): Channel | null {
    return label === '1' ? 'CALLER' : 'AGENT';
  }
  audio(_channel: Channel, frame: AudioFrame): void {
    this.samples += frame.pcm.length;
  }
  preRoll(): void {}
  answered(): Promise<void> {
    return Promise.resolve();
  }
  metadataUpdated(): void {}
  holdChanged(): void {}
  async end(): Promise<void> {}
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? NaN;
}

async function receiveRound(
  mode: Mode,
): Promise<{ usPerPacket: number; packets: number; lost: number }> {
  const sessions = new UdpMediaSessions({
    config: {
      rtpHost: '127.0.0.1',
      rtpPorts: { min: portBase, max: portBase + calls * 4 + 3 },
      mediaTimeoutMs: 60_000,
      preRollMs: 0,
    },
    log: pino({ level: 'silent' }),
    metrics: createMetrics(),
    codecs: builtInCodecPolicy,
    srtp: { support: { policy: 'optional', available: true }, libsrtp },
  });
  const opened: MediaSession[] = [];
  const ports: number[] = [];
  const keys: string[] = [];
  for (let c = 0; c < calls; c++) {
    const session = await sessions.allocate(2);
    const streams: AcceptedStream[] = ['1', '2'].map((label, index) => {
      const key = mode === 'plain' ? null : randomBytes(inlineKeyBytes(mode));
      ports.push(session.ports[index]!);
      keys.push(key?.toString('base64') ?? '');
      return {
        index,
        label,
        payloads: [{ payloadType: 0, kind: 'audio', decoder: pcmuDecoderFactory }],
        outputRateHz: 8000,
        ...(key === null || mode === 'plain'
          ? {}
          : { srtp: { suite: mode, keyAndSalt: new Uint8Array(key) } }),
      };
    });
    session.attach(streams, new CountingHandle(`bench-${c}`));
    opened.push(session);
  }
  const packetsPerStream = seconds * 50;
  const job: SenderJob = { ports, suite: mode === 'plain' ? null : mode, keys, packetsPerStream };
  const sender = fork(join(here, 'sender.ts'), [JSON.stringify(job)], {
    execArgv: ['--import', 'tsx'],
  });
  await new Promise<void>((resolve) =>
    sender.on('message', (m: { type: string }) => m.type === 'ready' && resolve()),
  );
  const cpu0 = process.cpuUsage();
  const done = new Promise<number>((resolve) =>
    sender.on(
      'message',
      (m: { type: string; sent?: number }) => m.type === 'done' && resolve(m.sent ?? 0),
    ),
  );
  sender.send({ type: 'go' });
  const sent = await done;
  const cpu = process.cpuUsage(cpu0);
  sender.kill();
  let received = 0;
  for (const s of opened) received += s.stats().packetsDecoded;
  await sessions.close();
  return {
    usPerPacket: (cpu.user + cpu.system) / Math.max(1, received),
    packets: received,
    lost: sent - received,
  };
}

function unprotectMicro(mode: SrtpSuiteName, packets = 20_000): number {
  const keyAndSalt = new Uint8Array(randomBytes(inlineKeyBytes(mode)));
  const tx = libsrtp.outbound({ suite: mode, keyAndSalt });
  const rx = new SrtpUnprotector(libsrtp, { suite: mode, keyAndSalt });
  const payload = Buffer.alloc(160, 0x55);
  const protectedPackets: Buffer[] = [];
  for (let i = 0; i < packets; i++) {
    const rtp = buildRtpPacket({
      payloadType: 0,
      sequenceNumber: i & 0xffff,
      timestamp: i * 160,
      ssrc: 7,
      payload,
    });
    const out = Buffer.alloc(rtp.length + 64);
    rtp.copy(out);
    const n = tx.process(out, rtp.length) as number;
    protectedPackets.push(out.subarray(0, n));
  }
  const t0 = process.cpuUsage();
  for (const p of protectedPackets) {
    const r = rx.unprotect(p);
    if (typeof r === 'string') throw new Error(r);
  }
  const cpu = process.cpuUsage(t0);
  tx.close();
  rx.close();
  return (cpu.user + cpu.system) / packets;
}

async function tlsHandshakes(
  version: 'TLSv1.3' | 'TLSv1.2',
): Promise<{ perSecond: number; failures: number }> {
  const dir = mkdtempSync(join(tmpdir(), 'callscribe-bench-tls-'));
  try {
    execFileSync(
      'openssl',
      [
        ...[
          'req',
          '-x509',
          '-newkey',
          'rsa:2048',
          '-nodes',
          '-days',
          '2',
          '-subj',
          '/CN=callscribe.bench',
        ],
        ...['-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem')],
      ],
      { stdio: 'ignore' },
    );
    const config = loadConfig({
      env: {},
      overrides: {
        dataDir: dir,
        httpHost: '127.0.0.1',
        httpPort: 0,
        sipHost: '127.0.0.1',
        sipPort: 0,
        sipTransports: 'tls',
        sipTlsPort: 0,
        tlsCertFile: join(dir, 'cert.pem'),
        tlsKeyFile: join(dir, 'key.pem'),
        engine: 'fake',
        logLevel: 'silent',
        recordCalls: false,
      },
    });
    const server = await buildServer(config, { log: pino({ level: 'silent' }) });
    const running = await server.start();
    try {
      const tlsSeconds = Number(values['tls-seconds']);
      // Asynchronous: the server answering the handshakes runs in this process's event loop.
      const out = await new Promise<string>((resolve, reject) => {
        execFile(
          process.execPath,
          [
            ...['--import', 'tsx', join(here, 'tls-client.ts')],
            ...[
              String(running.sipPorts.tls),
              version,
              String(tlsSeconds),
              values['tls-concurrency'],
            ],
          ],
          (error, stdout) => (error ? reject(error) : resolve(stdout)),
        );
      });
      const r = JSON.parse(out) as { handshakes: number; failures: number };
      return { perSecond: r.handshakes / tlsSeconds, failures: r.failures };
    } finally {
      await server.stop();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const report: Record<string, unknown> = {
  machine: { cpus: cpus().length, model: cpus()[0]?.model, loadavgBefore: loadavg() },
};
const fmt = (n: number) => n.toFixed(2);

if (parts.has('receive')) {
  const byMode = new Map<Mode, number[]>(modes.map((m) => [m, []]));
  const lost = new Map<Mode, number>(modes.map((m) => [m, 0]));
  for (let r = 0; r < rounds; r++) {
    for (const mode of modes) {
      const result = await receiveRound(mode);
      byMode.get(mode)!.push(result.usPerPacket);
      lost.set(mode, lost.get(mode)! + result.lost);
    }
  }
  const plain = median(byMode.get('plain')!);
  const rows = modes.map((mode) => ({
    mode,
    usPerPacket: median(byMode.get(mode)!),
    ratioToPlain: median(byMode.get(mode)!) / plain,
    rounds: byMode.get(mode)!,
    packetsLost: lost.get(mode),
  }));
  report['receive'] = { calls, streams: calls * 2, seconds, rounds, rows };
  if (!values.json) {
    console.log(
      `(a) receive path, ${calls} calls (${calls * 2} streams) × ${seconds} s, median of ${rounds} rounds`,
    );
    for (const row of rows)
      console.log(
        `  ${row.mode.padEnd(24)} ${fmt(row.usPerPacket).padStart(7)} µs/packet  ${fmt(row.ratioToPlain)}x plain  (rounds ${row.rounds.map(fmt).join(', ')}; lost ${row.packetsLost})`,
      );
  }
}

if (parts.has('unprotect')) {
  const rows = SRTP_SUITE_NAMES.map((mode) => ({
    mode,
    usPerPacket: median([unprotectMicro(mode), unprotectMicro(mode), unprotectMicro(mode)]),
  }));
  report['unprotect'] = rows;
  if (!values.json) {
    console.log(
      '(b) srtp_unprotect through koffi alone, 172-byte RTP packets, median of 3 × 20,000',
    );
    for (const row of rows)
      console.log(`  ${row.mode.padEnd(24)} ${fmt(row.usPerPacket).padStart(7)} µs/packet`);
  }
}

if (parts.has('tls')) {
  const rows = [];
  for (const version of ['TLSv1.3', 'TLSv1.2'] as const)
    rows.push({ version, ...(await tlsHandshakes(version)) });
  report['tls'] = { concurrency: Number(values['tls-concurrency']), rows };
  if (!values.json) {
    console.log(
      `(c) full TLS handshakes on the SIP TLS port, RSA 2048, client concurrency ${values['tls-concurrency']}`,
    );
    for (const row of rows)
      console.log(
        `  ${row.version}  ${row.perSecond.toFixed(0)} handshakes/s  (failures ${row.failures})`,
      );
  }
}

report['machine'] = { ...(report['machine'] as object), loadavgAfter: loadavg() };
if (values.json) console.log(JSON.stringify(report, null, 2));
else {
  const m = report['machine'] as {
    cpus: number;
    model: string;
    loadavgBefore: number[];
    loadavgAfter: number[];
  };
  console.log(
    `machine: ${m.cpus} × ${m.model}; load average ${m.loadavgBefore.map(fmt).join(' ')} before, ${m.loadavgAfter.map(fmt).join(' ')} after`,
  );
}
