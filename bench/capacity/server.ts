import { appendFileSync, readFileSync, readdirSync } from 'node:fs';
import { Writable } from 'node:stream';
import { performance } from 'node:perf_hooks';
import { buildServer } from '../../src/composition-root.js';
import { loadConfig } from '../../src/config/load.js';
import { createLogger } from '../../src/observability/logger.js';
import type { ServerCommand, ServerReply, ThreadCpu } from './protocol.js';

/**
 * The server under test, built by the real composition root in its own process: SIP over UDP,
 * media workers, the fake engine, SQLite, WAV recording. `parked` runs the park-all hook (calls
 * stay PENDING: packets counted and dropped), `processed` lets every call start at once.
 * `srtpLibrary` (the last argument, `libre` or `libsrtp2`) picks the SRTP library; empty: the default.
 */
const [
  mode = 'processed',
  dataDir = '',
  rtpMin = '30000',
  rtpMax = '39999',
  workers = '',
  hookPath = '',
  logFile = '',
  recording = 'on',
  srtpLibrary = '',
] = process.argv.slice(2);
const send = (message: ServerReply): void => void process.send?.(message);

/** Kernel thread id → name, from the media workers' start lines; the rest is dropped. */
const threadNames = new Map<number, string>([[process.pid, 'main']]);
const sink = new Writable({
  write(chunk: Buffer, _encoding, done) {
    const text = chunk.toString();
    if (logFile !== '') appendFileSync(logFile, text);
    if (text.includes('media worker started')) {
      for (const line of text.split('\n')) {
        if (!line.includes('media worker started')) continue;
        const entry = JSON.parse(line) as { tid?: number; worker?: number };
        if (entry.tid !== undefined) threadNames.set(entry.tid, `media-${entry.worker}`);
      }
    }
    done();
  },
});

const config = loadConfig({
  env: {},
  overrides: {
    dataDir,
    httpHost: '127.0.0.1',
    httpPort: 0,
    sipHost: '127.0.0.1',
    sipPort: 0,
    rtpHost: '127.0.0.1',
    rtpPorts: { min: Number(rtpMin), max: Number(rtpMax) },
    engine: 'fake',
    recordCalls: recording !== 'off',
    webUi: false,
    logLevel: 'info',
    maxConcurrentCalls: 5000,
    nodeId: 'capacity-bench',
    ...(workers === '' ? {} : { mediaWorkers: Number(workers) }),
    ...(mode === 'parked' ? { hook: hookPath } : {}),
    ...(srtpLibrary === '' ? {} : { srtpLibrary }),
  },
});
const log = createLogger({ level: 'info', redact: true, destination: sink });
const server = await buildServer(config, { log });
const running = await server.start();
let segments = 0;
server.eventStream.subscribe({}, (stored) => {
  if (stored.event.EventType === 'ADD_TRANSCRIPT_SEGMENT') segments++;
});
const metricsUrl = `http://127.0.0.1:${running.httpPort}/metrics`;

function threadCpu(): ThreadCpu[] {
  const byName = new Map<string, number>();
  for (const tid of readdirSync('/proc/self/task')) {
    let stat: string;
    try {
      stat = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
    } catch {
      continue; // the thread ended between the listing and the read
    }
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(fields[11]) + Number(fields[12]);
    const name = threadNames.get(Number(tid)) ?? 'other';
    byName.set(name, (byName.get(name) ?? 0) + ticks * 10);
  }
  return [...byName].map(([thread, cpuMs]) => ({ thread, cpuMs }));
}

function kernelRcvbufErrors(): number {
  const lines = readFileSync('/proc/net/snmp', 'utf8')
    .split('\n')
    .filter((l) => l.startsWith('Udp:'));
  const [names, values] = lines.map((l) => l.split(/\s+/));
  const index = names?.indexOf('RcvbufErrors') ?? -1;
  return index < 0 ? 0 : Number(values?.[index] ?? 0);
}

function metricValues(text: string, name: string): { labels: string; value: number }[] {
  const out: { labels: string; value: number }[] = [];
  for (const line of text.split('\n')) {
    if (!line.startsWith(name)) continue;
    const match = /^([a-z0-9_]+)(\{[^}]*\})? (\S+)$/.exec(line);
    if (match && match[1] === name) out.push({ labels: match[2] ?? '', value: Number(match[3]) });
  }
  return out;
}

async function sample(): Promise<ServerReply> {
  const text = await (await fetch(metricsUrl)).text();
  const cpu = process.cpuUsage();
  const label = (labels: string, key: string) =>
    new RegExp(`${key}="([^"]*)"`).exec(labels)?.[1] ?? '';
  return {
    type: 'sample',
    atMs: performance.now(),
    cpuUs: cpu.user + cpu.system,
    threads: threadCpu(),
    rssBytes: process.memoryUsage.rss(),
    rtpPackets: metricValues(text, 'callscribe_rtp_packets_total')[0]?.value ?? 0,
    rtpDropped: Object.fromEntries(
      metricValues(text, 'callscribe_rtp_dropped_total').map((m) => [
        label(m.labels, 'reason'),
        m.value,
      ]),
    ),
    segments,
    callsByState: Object.fromEntries(
      metricValues(text, 'callscribe_calls').map((m) => [label(m.labels, 'state'), m.value]),
    ),
    lagP99Ms: Object.fromEntries(
      metricValues(text, 'callscribe_event_loop_lag_p99_seconds').map((m) => [
        label(m.labels, 'thread'),
        m.value * 1000,
      ]),
    ),
    kernelRcvbufErrors: kernelRcvbufErrors(),
    admissionRefused: metricValues(text, 'callscribe_admission_refused_total').reduce(
      (sum, m) => sum + m.value,
      0,
    ),
  };
}

process.on('message', (command: ServerCommand) => {
  void (async () => {
    try {
      if (command.type === 'sample') send(await sample());
      else {
        const t0 = performance.now();
        await server.stop();
        send({ type: 'stopped', stopMs: performance.now() - t0 });
        process.exit(0);
      }
    } catch (error) {
      send({ type: 'failed', message: error instanceof Error ? error.message : String(error) });
    }
  })();
});
send({
  type: 'ready',
  sipPort: running.sipPorts.udp ?? 0,
  httpPort: running.httpPort,
  mediaWorkers: server.mediaWorkers,
});
