import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHistogram, performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { pino } from 'pino';
import { openRedis, type RedisClient } from '../../src/adapters/redis/redis-connection.js';
import { RedisCallEventStream } from '../../src/adapters/redis/redis-call-event-stream.js';
import { RedisKeys } from '../../src/adapters/redis/redis-keys.js';
import { SqliteDatabase } from '../../src/adapters/sqlite/database.js';
import { SqliteCallEventStream } from '../../src/adapters/sqlite/sqlite-call-event-stream.js';
import { CallEventPublisher, type EventBody } from '../../src/app/call-event-publisher.js';
import type { CallEvent, StoredCallEvent } from '../../src/domain/call-event.js';
import type { CallEventStream } from '../../src/ports/call-event-stream.js';

/**
 * Call-event storage: segment events of N concurrent calls, each call's events through its own
 * CallEventPublisher (strictly in order, as the server does), paced at a fixed rate into the
 * SQLite or Redis event stream, once per commit mode, in one run:
 *
 * - `memory`: a stream that stores nothing, resolving at once: the harness's own cost, the
 *   baseline the others are compared with;
 * - `per-event`: every event its own transaction / round of scripts (`eventCommitMaxEvents` 1);
 * - `per-turn`: the events of one event-loop turn together (`eventCommitIntervalMs` 0);
 * - `grouped-<ms>`: events within `<ms>` of each other together (`eventCommitIntervalMs`).
 *
 * Reports stored events/s, main-thread CPU per event (all of it, and above the memory
 * baseline), store latency (publish to stored, so including the wait behind the call's previous
 * event) and checks that one all-calls subscriber saw every event once, in id order, and each
 * call's events in the order they were published.
 *
 *   npx tsx bench/event-store/run.ts --rates 700,1400,2800,5600 --seconds 5
 */
const { values } = parseArgs({
  options: {
    rates: { type: 'string', default: '700,1400,2800,5600,11200' },
    calls: { type: 'string', default: '250' },
    seconds: { type: 'string', default: '5' },
    'warmup-seconds': { type: 'string', default: '1' },
    intervals: { type: 'string', default: '10' },
    stores: { type: 'string', default: 'sqlite,redis' },
    'redis-url': { type: 'string', default: 'redis://127.0.0.1:6379' },
    json: { type: 'boolean', default: false },
  },
});
const rates = (values.rates ?? '').split(',').map(Number);
const callCount = Number(values.calls);
const seconds = Number(values.seconds);
const warmupSeconds = Number(values['warmup-seconds']);
const intervals = (values.intervals ?? '').split(',').map(Number);
const stores = (values.stores ?? '').split(',') as StoreKind[];
const log = pino({ level: 'silent' });

type StoreKind = 'sqlite' | 'redis';
interface Mode {
  name: string;
  commitIntervalMs: number;
  commitMaxEvents: number;
}
const modes: Mode[] = [
  { name: 'per-event', commitIntervalMs: 0, commitMaxEvents: 1 },
  { name: 'per-turn', commitIntervalMs: 0, commitMaxEvents: 500 },
  ...intervals.map((ms) => ({
    name: `grouped-${ms}ms`,
    commitIntervalMs: ms,
    commitMaxEvents: 500,
  })),
];

interface Cell {
  store: StoreKind | 'memory';
  mode: string;
  offeredPerSecond: number;
  storedPerSecond: number;
  cpuMicrosPerEvent: number;
  cpuMicrosPerEventAboveBaseline?: number;
  mainThreadCpuPercent: number;
  eventLoopUtilisation: number;
  latencyP50Ms: number;
  latencyP99Ms: number;
  backlogAtEnd: number;
  orderViolations: number;
}

/** The harness's own cost: appends resolve at once, in order, with increasing ids. */
class MemoryStream implements CallEventStream {
  #id = 0;
  readonly #subscribers = new Set<(event: StoredCallEvent) => void>();
  async append(event: CallEvent): Promise<StoredCallEvent> {
    const stored = { id: String(++this.#id), event };
    for (const onEvent of this.#subscribers) onEvent(stored);
    return stored;
  }
  async read(): Promise<StoredCallEvent[]> {
    return [];
  }
  subscribe(_query: unknown, onEvent: (event: StoredCallEvent) => void): () => void {
    this.#subscribers.add(onEvent);
    return () => this.#subscribers.delete(onEvent);
  }
  async close(): Promise<void> {}
}

/** user+system time of the main thread alone, in µs (clock ticks of 10 ms). */
function mainThreadCpuMicros(): number {
  const stat = readFileSync(`/proc/self/task/${process.pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // Fields 14 and 15 of stat(5), counted after the command name: utime, stime.
  return (Number(fields[11]) + Number(fields[12])) * 10_000;
}

const words =
  'thank you for calling how can I help you today I would like to check the status of my order'.split(
    ' ',
  );
function segment(n: number): EventBody {
  const start = n * 1.7;
  return {
    EventType: 'ADD_TRANSCRIPT_SEGMENT',
    Channel: n % 2 === 0 ? 'CALLER' : 'AGENT',
    SegmentId: `${randomUUID()}`,
    StartTime: start,
    EndTime: start + 1.6,
    Transcript: Array.from({ length: 12 }, (_, i) => words[(n + i) % words.length]).join(' '),
    IsPartial: n % 3 !== 0,
    Confidence: 0.91,
  };
}

async function openStream(
  store: StoreKind | 'memory',
  mode: Mode,
): Promise<{ stream: CallEventStream; close(): Promise<void> }> {
  if (store === 'memory') {
    const stream = new MemoryStream();
    return { stream, close: () => stream.close() };
  }
  const options = {
    commitIntervalMs: mode.commitIntervalMs,
    commitMaxEvents: mode.commitMaxEvents,
  };
  if (store === 'sqlite') {
    const dataDir = mkdtempSync(join(tmpdir(), 'callscribe-bench-events-'));
    const database = SqliteDatabase.open({ dataDir });
    const stream = new SqliteCallEventStream({ database, ttlMs: 3_600_000, log, ...options });
    return {
      stream,
      close: async () => {
        await stream.close();
        database.close();
        rmSync(dataDir, { recursive: true, force: true });
      },
    };
  }
  const redis: RedisClient = openRedis({ url: values['redis-url'] ?? '', log, name: 'bench' });
  const blockingRedis = redis.duplicate();
  const keys = new RedisKeys(`callscribe-bench-${randomUUID()}:`);
  const stream = new RedisCallEventStream({
    redis,
    blockingRedis,
    keys,
    ttlMs: 3_600_000,
    log,
    ...options,
  });
  return {
    stream,
    close: async () => {
      await stream.close();
      let cursor = '0';
      do {
        const [next, found] = await redis.scan(cursor, 'MATCH', `${keys.prefix}*`, 'COUNT', 1000);
        if (found.length > 0) await redis.del(...found);
        cursor = next;
      } while (cursor !== '0');
      await redis.quit();
    },
  };
}

async function measure(store: StoreKind | 'memory', mode: Mode, rate: number): Promise<Cell> {
  const { stream, close } = await openStream(store, mode);
  const deps = { stream, log, now: Date.now };
  const callIds = Array.from({ length: callCount }, () => `bench-${randomUUID()}`);
  const publishers = callIds.map((id) => new CallEventPublisher(deps, id));
  // One all-calls subscriber (the web UI's feed); it checks order as it goes.
  let lastId = 0;
  const lastSegmentOfCall = new Map<string, number>();
  let seen = 0;
  let orderViolations = 0;
  const stop = stream.subscribe({}, ({ id, event }) => {
    seen++;
    if (Number(id) <= lastId) orderViolations++;
    lastId = Number(id);
    const n = event.EventType === 'ADD_TRANSCRIPT_SEGMENT' ? event.StartTime / 1.7 : -1;
    if (n <= (lastSegmentOfCall.get(event.CallId) ?? -1)) orderViolations++;
    lastSegmentOfCall.set(event.CallId, n);
  });
  await new Promise((resolve) => setTimeout(resolve, 100));

  const latency = createHistogram();
  let issued = 0;
  let stored = 0;
  let measuring = false;
  let storedInWindow = 0;
  const perCall = new Array<number>(callCount).fill(0);
  const started = performance.now();
  const publishOne = (): void => {
    const call = issued % callCount;
    const n = perCall[call] ?? 0;
    perCall[call] = n + 1;
    issued++;
    const t0 = performance.now();
    void publishers[call]?.publish(segment(n)).then(() => {
      stored++;
      if (measuring) {
        storedInWindow++;
        latency.record(Math.max(1, Math.round((performance.now() - t0) * 1000)));
      }
    });
  };
  const pacer = setInterval(() => {
    const due = Math.floor(((performance.now() - started) / 1000) * rate);
    while (issued < due) publishOne();
  }, 1);

  await new Promise((resolve) => setTimeout(resolve, warmupSeconds * 1000));
  measuring = true;
  const elu0 = performance.eventLoopUtilization();
  const cpu0 = mainThreadCpuMicros();
  const t0 = performance.now();
  await new Promise((resolve) => setTimeout(resolve, seconds * 1000));
  const windowMs = performance.now() - t0;
  const cpuMicros = mainThreadCpuMicros() - cpu0;
  const elu = performance.eventLoopUtilization(elu0).utilization;
  measuring = false;
  clearInterval(pacer);
  const backlogAtEnd = issued - stored;
  await Promise.all(publishers.map((p) => p.drained()));
  for (let waited = 0; seen < issued && waited < 10_000; waited += 50)
    await new Promise((resolve) => setTimeout(resolve, 50));
  stop();
  await close();
  const lost = publishers.reduce((sum, p) => sum + p.lostCount, 0);
  if (lost > 0 || seen !== issued) orderViolations += Math.abs(issued - seen) + lost;
  return {
    store,
    mode: store === 'memory' ? 'memory (baseline)' : mode.name,
    offeredPerSecond: rate,
    storedPerSecond: Math.round(storedInWindow / (windowMs / 1000)),
    cpuMicrosPerEvent: storedInWindow === 0 ? NaN : cpuMicros / storedInWindow,
    mainThreadCpuPercent: (cpuMicros / (windowMs * 1000)) * 100,
    eventLoopUtilisation: elu,
    latencyP50Ms: latency.percentile(50) / 1000,
    latencyP99Ms: latency.percentile(99) / 1000,
    backlogAtEnd,
    orderViolations,
  };
}

async function redisReachable(): Promise<boolean> {
  const redis = openRedis({
    url: values['redis-url'] ?? '',
    log,
    name: 'bench',
    maxRetriesPerRequest: 0,
  });
  try {
    await redis.ping();
    return true;
  } catch {
    return false;
  } finally {
    redis.disconnect();
  }
}

const cells: Cell[] = [];
const load0 = loadavg();
const storesToRun: StoreKind[] = [];
for (const store of stores) {
  if (store === 'redis' && !(await redisReachable())) {
    console.warn(`SKIPPED: no Redis at ${values['redis-url']}; the Redis rows are left out`);
    continue;
  }
  storesToRun.push(store);
}
for (const rate of rates) {
  const baseline = await measure('memory', modes[0] as Mode, rate);
  cells.push(baseline);
  for (const store of storesToRun) {
    for (const mode of modes) {
      const cell = await measure(store, mode, rate);
      cell.cpuMicrosPerEventAboveBaseline = cell.cpuMicrosPerEvent - baseline.cpuMicrosPerEvent;
      cells.push(cell);
      if (!values.json) console.error(`${store} ${mode.name} ${rate}/s: ${cell.storedPerSecond}/s`);
    }
  }
}
const load1 = loadavg();

if (values.json) {
  console.log(JSON.stringify({ cells, load: [load0, load1] }, null, 2));
} else {
  const fmt = (n: number, digits = 1) =>
    Number.isFinite(n) ? n.toLocaleString('en-US', { maximumFractionDigits: digits }) : '—';
  console.log(
    `\n${cpus().length} cores (${cpus()[0]?.model ?? '?'}), Node ${process.version}, ${callCount} calls, ` +
      `${seconds} s measured after ${warmupSeconds} s; 1-min load average ${fmt(load0[0] ?? 0, 2)} → ${fmt(load1[0] ?? 0, 2)}\n`,
  );
  console.log(
    '| store | mode | offered ev/s | stored ev/s | main-thread CPU µs/event | above baseline µs/event | vs per-event | main-thread CPU % | ELU | latency p50 / p99 ms | backlog at end | order errors |',
  );
  console.log('| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |');
  for (const cell of cells) {
    const perEvent = cells.find(
      (c) =>
        c.store === cell.store &&
        c.mode === 'per-event' &&
        c.offeredPerSecond === cell.offeredPerSecond,
    );
    const ratio =
      cell.store !== 'memory' && perEvent?.cpuMicrosPerEventAboveBaseline !== undefined
        ? `${fmt((cell.cpuMicrosPerEventAboveBaseline ?? NaN) / perEvent.cpuMicrosPerEventAboveBaseline, 2)}x`
        : '';
    console.log(
      `| ${cell.store} | ${cell.mode} | ${fmt(cell.offeredPerSecond, 0)} | ${fmt(cell.storedPerSecond, 0)} | ${fmt(cell.cpuMicrosPerEvent)} | ${cell.cpuMicrosPerEventAboveBaseline === undefined ? '' : fmt(cell.cpuMicrosPerEventAboveBaseline)} | ${ratio} | ${fmt(cell.mainThreadCpuPercent)} | ${fmt(cell.eventLoopUtilisation, 2)} | ${fmt(cell.latencyP50Ms, 1)} / ${fmt(cell.latencyP99Ms, 1)} | ${fmt(cell.backlogAtEnd, 0)} | ${cell.orderViolations} |`,
    );
  }
}
process.exit(0);
