import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

/** One reading of a running `callscribe serve`: the kernel's view and its own `/metrics`. */
export interface ProcessSample {
  atMs: number;
  rssMiB: number;
  heapUsedMiB: number;
  /** What V8 has committed for its heap: used plus the room it keeps for the next allocations. */
  heapTotalMiB: number;
  /** Memory of Buffers and ArrayBuffers outside the V8 heap. */
  externalMiB: number;
  openFds: number;
  rtpPortsInUse: number;
  mediaSessions: number;
  liveCalls: number;
  loopLagP99Ms: number;
  sqliteMiB: number;
  /** Of which the write-ahead log, which only shrinks when a checkpoint truncates it. */
  sqliteWalMiB: number;
}

export interface SampleTarget {
  pid: number;
  baseUrl: string;
  dataDir: string;
  rtpPorts: { first: number; last: number };
}

export async function sampleProcess(target: SampleTarget): Promise<ProcessSample> {
  const metrics = await (await fetch(`${target.baseUrl}/metrics`)).text();
  const status = readFileSync(`/proc/${target.pid}/status`, 'utf8');
  const rssKiB = Number(/^VmRSS:\s+(\d+)/m.exec(status)?.[1] ?? NaN);
  return {
    atMs: Date.now(),
    rssMiB: rssKiB / 1024,
    heapUsedMiB: metric(metrics, 'callscribe_nodejs_heap_size_used_bytes') / 2 ** 20,
    heapTotalMiB: metric(metrics, 'callscribe_nodejs_heap_size_total_bytes') / 2 ** 20,
    externalMiB: metric(metrics, 'callscribe_nodejs_external_memory_bytes') / 2 ** 20,
    openFds: readdirSync(`/proc/${target.pid}/fd`).length,
    rtpPortsInUse: udpPortsBound(target.rtpPorts),
    mediaSessions: metric(metrics, 'callscribe_media_sessions'),
    liveCalls: sumOf(metrics, 'callscribe_calls'),
    loopLagP99Ms: metric(metrics, 'callscribe_event_loop_lag_p99_seconds', 'thread="main"') * 1000,
    sqliteMiB: sqliteBytes(target.dataDir) / 2 ** 20,
    sqliteWalMiB: fileBytes(join(target.dataDir, 'callscribe.db-wal')) / 2 ** 20,
  };
}

function metric(text: string, name: string, labels?: string): number {
  for (const line of text.split('\n')) {
    if (!line.startsWith(name)) continue;
    const rest = line.slice(name.length);
    if (labels === undefined ? !rest.startsWith(' ') : !rest.includes(labels)) continue;
    return Number(line.split(' ').at(-1));
  }
  return NaN;
}

function sumOf(text: string, name: string): number {
  return text
    .split('\n')
    .filter((line) => line.startsWith(`${name}{`) && !line.includes('state="ENDED"'))
    .reduce((sum, line) => sum + Number(line.split(' ').at(-1)), 0);
}

/**
 * UDP sockets bound in the node's RTP range, from the kernel's socket table: what the
 * process really holds, whatever its own bookkeeping says. The range must lie outside the
 * ephemeral range so that nothing else binds there.
 */
function udpPortsBound(range: { first: number; last: number }): number {
  let count = 0;
  for (const table of ['/proc/net/udp', '/proc/net/udp6']) {
    let text: string;
    try {
      text = readFileSync(table, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const local = line.trim().split(/\s+/)[1];
      const port = parseInt(local?.split(':')[1] ?? '', 16);
      if (port >= range.first && port <= range.last) count++;
    }
  }
  return count;
}

function sqliteBytes(dataDir: string): number {
  return ['callscribe.db', 'callscribe.db-wal', 'callscribe.db-shm']
    .map((name) => fileBytes(join(dataDir, name)))
    .reduce((a, b) => a + b, 0);
}

function fileBytes(path: string): number {
  try {
    return statSync(path).size;
  } catch {
    return 0; // not there (yet)
  }
}
