/**
 * SRTP and SIP-over-TLS benchmark: `npx tsx bench/srtp/run.ts`
 * Options: --calls 40 (receive) / 100 (calls)  --seconds 8  --rounds 3  --port-base 23000
 *          --suites <all four>  --libraries libre,libsrtp2  --warmup-seconds 2
 *          --media-workers <server default>
 *          --tls-seconds 5  --tls-concurrency 4
 *          --parts receive,unprotect,tls (and calls)  --json
 *
 * (a) receive: N two-leg calls (2N streams) on callscribe's UdpMediaSessions, every stream fed
 *     20 ms G.711 packets by a sender in another process; CPU of this process per packet
 *     received (socket, SRTP unprotect, RTP parse, decode, frame hand-off) for plain RTP and for
 *     each SRTP library and suite, modes interleaved round by round; the median round, and the
 *     ratio of each to plain RTP measured in the same run.
 * (b) unprotect: each library's unprotect alone through its koffi binding, µs per packet.
 * (c) tls: full TLS handshakes per second on the SIP TLS port of the real composition root
 *     (TLS 1.3 and 1.2, RSA 2048 certificate, no client certificate), the client in another process.
 * (d) calls: the whole server (bench/capacity/server.ts: SIP over UDP, media workers, fake engine,
 *     SQLite, WAV recording, every call processed) receiving N two-leg SIPREC calls from the SBC
 *     simulator in another process, both legs SRTP (each library and suite in turn, the server
 *     configured with that `srtpLibrary`) or plain RTP, modes interleaved round by round, a
 *     fresh server each time. The generator builds and protects (with libsrtp2)
 *     every packet before the media start; server CPU (all threads) per packet received in the
 *     window after the warm-up, the median round, and the ratio of each suite to plain RTP.
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
import { loadSrtpLibrary } from '../../src/adapters/srtp/load-srtp-library.js';
import {
  SRTP_LIBRARY_NAMES,
  type SrtpLibrary,
  type SrtpLibraryName,
} from '../../src/adapters/srtp/srtp-library.js';
import {
  inlineKeyBytes,
  isSrtpSuite,
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
import { Child } from '../capacity/child.js';
import type { ServerCommand, ServerReply, ServerSample } from '../capacity/protocol.js';
import type { CallGeneratorCommand, CallGeneratorReply } from './call-generator.js';
import type { SenderJob } from './sender.js';

const { values } = parseArgs({
  options: {
    calls: { type: 'string' },
    seconds: { type: 'string', default: '8' },
    'warmup-seconds': { type: 'string', default: '2' },
    /** calls: the server's media worker threads (its own default when empty). */
    'media-workers': { type: 'string', default: '' },
    rounds: { type: 'string', default: '3' },
    suites: { type: 'string', default: SRTP_SUITE_NAMES.join(',') },
    libraries: { type: 'string', default: SRTP_LIBRARY_NAMES.join(',') },
    'port-base': { type: 'string', default: '23000' },
    'tls-seconds': { type: 'string', default: '5' },
    'tls-concurrency': { type: 'string', default: '4' },
    parts: { type: 'string', default: 'receive,unprotect,tls' },
    json: { type: 'boolean', default: false },
  },
});
const calls = Number(values.calls ?? 40);
const siprecCalls = Number(values.calls ?? 100);
const warmupSeconds = Number(values['warmup-seconds']);
const seconds = Number(values.seconds);
const rounds = Number(values.rounds);
const portBase = Number(values['port-base']);
const parts = new Set(values.parts.split(','));
const here = new URL('.', import.meta.url).pathname;
const libraryNames = values.libraries.split(',').filter((name) => name !== '');
const libraries = new Map<SrtpLibraryName, SrtpLibrary>();
for (const name of libraryNames) {
  if (!(SRTP_LIBRARY_NAMES as readonly string[]).includes(name))
    throw new Error(`unknown library ${name}`);
  const loaded = loadSrtpLibrary(name as SrtpLibraryName);
  if (!loaded.ok) throw new Error(`${name} is needed: ${loaded.reason}`);
  libraries.set(name as SrtpLibraryName, loaded.library);
}

const suites = values.suites.split(',').filter((name) => name !== '');
for (const name of suites) if (!isSrtpSuite(name)) throw new Error(`unknown suite ${name}`);
/** Plain RTP, or one suite through one library; `label` names it in the report. */
interface Mode {
  label: string;
  library: SrtpLibraryName | null;
  suite: SrtpSuiteName | null;
}
const PLAIN: Mode = { label: 'plain', library: null, suite: null };
const srtpModes: Mode[] = [...libraries.keys()].flatMap((library) =>
  (suites as SrtpSuiteName[]).map((suite) => ({ label: `${library} ${suite}`, library, suite })),
);
const modes: Mode[] = [PLAIN, ...srtpModes];
const libraryOf = (mode: Mode): SrtpLibrary | null =>
  mode.library === null ? null : (libraries.get(mode.library) ?? null);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

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
    srtp: { support: { policy: 'optional', available: true }, library: libraryOf(mode) },
  });
  const opened: MediaSession[] = [];
  const ports: number[] = [];
  const keys: string[] = [];
  for (let c = 0; c < calls; c++) {
    const session = await sessions.allocate(2);
    const streams: AcceptedStream[] = ['1', '2'].map((label, index) => {
      const suite = mode.suite;
      const key = suite === null ? null : randomBytes(inlineKeyBytes(suite));
      ports.push(session.ports[index]!);
      keys.push(key?.toString('base64') ?? '');
      return {
        index,
        label,
        payloads: [{ payloadType: 0, kind: 'audio', decoder: pcmuDecoderFactory }],
        outputRateHz: 8000,
        ...(key === null || suite === null
          ? {}
          : { srtp: { suite, keyAndSalt: new Uint8Array(key) } }),
      };
    });
    session.attach(streams, new CountingHandle(`bench-${c}`));
    opened.push(session);
  }
  const packetsPerStream = seconds * 50;
  const job: SenderJob = { ports, suite: mode.suite, keys, packetsPerStream };
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

function unprotectMicro(library: SrtpLibrary, mode: SrtpSuiteName, packets = 20_000): number {
  const keyAndSalt = new Uint8Array(randomBytes(inlineKeyBytes(mode)));
  const tx = library.outbound({ suite: mode, keyAndSalt });
  const rx = new SrtpUnprotector(library, { suite: mode, keyAndSalt });
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

interface CallsRound {
  usPerPacket: number;
  cpuPercentOfCore: number;
  packetsPerSecond: number;
  established: number;
  firstFailure: string | null;
  sent: number;
  lost: number;
  generatorSkipped: number;
  /** callscribe_rtp_dropped_total by reason over the whole media run (srtp-auth-failed ...). */
  dropped: Record<string, number>;
  /** The same CPU per packet split by thread (`main`, `media-0`, ..., `other`), from /proc. */
  threadUsPerPacket: Record<string, number>;
}

async function callsRound(mode: Mode): Promise<CallsRound> {
  const dataDir = mkdtempSync(join(tmpdir(), 'callscribe-bench-srtp-calls-'));
  // Four ports per call (two streams, RTP and RTCP), with room for the cursor to move on.
  const rtpMax = portBase + Math.max(8 * siprecCalls, 400) - 1;
  const server = new Child<ServerCommand, ServerReply>(
    new URL('../capacity/server.ts', import.meta.url),
    [
      ...['processed', dataDir, String(portBase), String(rtpMax), values['media-workers']],
      ...['', '', 'on', mode.library ?? ''],
    ],
  );
  let generator: Child<CallGeneratorCommand, CallGeneratorReply> | null = null;
  const sample = (): Promise<ServerSample> => server.ask({ type: 'sample' }, 'sample');
  try {
    const ready = await server.next('ready');
    // The node's own start (module loading in the workers, first JIT) is not the load under test.
    await sleep(3000);
    generator = new Child(new URL('call-generator.ts', import.meta.url), []);
    await generator.next('ready');
    const placed = await generator.ask(
      {
        type: 'place',
        sipPort: ready.sipPort,
        callIds: Array.from(
          { length: siprecCalls },
          (_, i) => `srtp-${mode.label.replace(' ', '-')}-${Date.now()}-${i}`,
        ),
        ratePerSecond: 100,
        suite: mode.suite,
        // One second beyond the window, so the media is still flowing when it closes.
        packetsPerStream: (warmupSeconds + seconds + 1) * 50,
      },
      'placed',
    );
    const before = await sample();
    await generator.ask({ type: 'start-media' }, 'media-started');
    await sleep(warmupSeconds * 1000);
    const s0 = await sample();
    await sleep(seconds * 1000);
    const s1 = await sample();
    const { sent, skipped } = await generator.ask({ type: 'stop-media' }, 'counters');
    // Workers report packet counts every second: wait for the last packets to be counted.
    await sleep(2500);
    const after = await sample();
    await generator.ask({ type: 'hangup' }, 'hung-up');
    await server.ask({ type: 'stop' }, 'stopped');
    const packets = s1.rtpPackets - s0.rtpPackets;
    const cpuUs = s1.cpuUs - s0.cpuUs;
    const dropped: Record<string, number> = {};
    for (const [reason, n] of Object.entries(after.rtpDropped)) {
      const delta = n - (before.rtpDropped[reason] ?? 0);
      if (delta > 0) dropped[reason] = delta;
    }
    return {
      usPerPacket: cpuUs / Math.max(1, packets),
      cpuPercentOfCore: (cpuUs / 1000 / (s1.atMs - s0.atMs)) * 100,
      packetsPerSecond: (packets / (s1.atMs - s0.atMs)) * 1000,
      established: placed.established,
      firstFailure: placed.firstFailure,
      sent,
      lost: sent - (after.rtpPackets - before.rtpPackets),
      generatorSkipped: skipped,
      dropped,
      threadUsPerPacket: Object.fromEntries(
        s1.threads.map((t) => [
          t.thread,
          ((t.cpuMs - (s0.threads.find((x) => x.thread === t.thread)?.cpuMs ?? 0)) * 1000) /
            Math.max(1, packets),
        ]),
      ),
    };
  } finally {
    generator?.proc.kill();
    server.proc.kill();
    rmSync(dataDir, { recursive: true, force: true });
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
  const plain = median(byMode.get(PLAIN)!);
  const rows = modes.map((mode) => ({
    mode: mode.label,
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
        `  ${row.mode.padEnd(33)} ${fmt(row.usPerPacket).padStart(7)} µs/packet  ${fmt(row.ratioToPlain)}x plain  (rounds ${row.rounds.map(fmt).join(', ')}; lost ${row.packetsLost})`,
      );
  }
}

if (parts.has('unprotect')) {
  const rows = srtpModes.map((mode) => {
    const library = libraryOf(mode)!;
    const suite = mode.suite!;
    const runs = [0, 1, 2].map(() => unprotectMicro(library, suite));
    return { mode: mode.label, usPerPacket: median(runs) };
  });
  report['unprotect'] = rows;
  if (!values.json) {
    console.log(
      '(b) unprotect through koffi alone (SrtpUnprotector), 172-byte RTP packets, median of 3 × 20,000',
    );
    for (const row of rows)
      console.log(`  ${row.mode.padEnd(33)} ${fmt(row.usPerPacket).padStart(7)} µs/packet`);
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

if (parts.has('calls')) {
  const byMode = new Map<Mode, CallsRound[]>(modes.map((m) => [m, []]));
  for (let r = 0; r < rounds; r++)
    for (const mode of modes) byMode.get(mode)!.push(await callsRound(mode));
  const medianOf = (mode: Mode, key: 'usPerPacket' | 'cpuPercentOfCore' | 'packetsPerSecond') =>
    median(byMode.get(mode)!.map((round) => round[key]));
  const sum = (mode: Mode, key: 'sent' | 'lost' | 'generatorSkipped') =>
    byMode.get(mode)!.reduce((total, round) => total + round[key], 0);
  const plain = medianOf(PLAIN, 'usPerPacket');
  const rows = modes.map((mode) => {
    const dropped: Record<string, number> = {};
    for (const round of byMode.get(mode)!)
      for (const [reason, n] of Object.entries(round.dropped))
        dropped[reason] = (dropped[reason] ?? 0) + n;
    return {
      mode: mode.label,
      usPerPacket: medianOf(mode, 'usPerPacket'),
      ratioToPlain: medianOf(mode, 'usPerPacket') / plain,
      cpuPercentOfCore: medianOf(mode, 'cpuPercentOfCore'),
      packetsPerSecond: medianOf(mode, 'packetsPerSecond'),
      rounds: byMode.get(mode)!.map((round) => round.usPerPacket),
      callsEstablished: byMode.get(mode)!.map((round) => round.established),
      firstFailure: byMode.get(mode)!.find((round) => round.firstFailure)?.firstFailure ?? null,
      packetsSent: sum(mode, 'sent'),
      packetsLost: sum(mode, 'lost'),
      generatorSkipped: sum(mode, 'generatorSkipped'),
      dropped,
      threadUsPerPacket: Object.fromEntries(
        Object.keys(byMode.get(mode)![0]?.threadUsPerPacket ?? {}).map((thread) => [
          thread,
          median(byMode.get(mode)!.map((round) => round.threadUsPerPacket[thread] ?? 0)),
        ]),
      ),
    };
  });
  report['calls'] = {
    calls: siprecCalls,
    streams: siprecCalls * 2,
    seconds,
    warmupSeconds,
    rounds,
    rows,
  };
  if (!values.json) {
    console.log(
      `(d) whole server, ${siprecCalls} two-leg SIPREC calls over SIP/UDP (fake engine, WAV recording), ${seconds} s after ${warmupSeconds} s warm-up, median of ${rounds} rounds`,
    );
    for (const row of rows) {
      const drops = Object.entries(row.dropped).map(([reason, n]) => `${reason} ${n}`);
      const threads = Object.entries(row.threadUsPerPacket)
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([thread, us]) => `${thread} ${fmt(us)}`);
      console.log(
        `  ${row.mode.padEnd(33)} ${fmt(row.usPerPacket).padStart(7)} µs/packet  ${fmt(row.ratioToPlain)}x plain  ${row.cpuPercentOfCore.toFixed(1)}% of a core at ${row.packetsPerSecond.toFixed(0)} packets/s  (rounds ${row.rounds.map(fmt).join(', ')}; calls ${row.callsEstablished.join('/')}; lost ${row.packetsLost} of ${row.packetsSent}, generator skipped ${row.generatorSkipped}; drops ${drops.join(', ') || 'none'}${row.firstFailure ? `; ${row.firstFailure}` : ''})`,
      );
      console.log(`  ${''.padEnd(33)} by thread, µs/packet: ${threads.join(', ')}`);
    }
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
