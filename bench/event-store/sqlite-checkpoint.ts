import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { SqliteDatabase } from '../../src/adapters/sqlite/database.js';

/**
 * What the WAL checkpoint interval costs the thread that commits call events: transactions of
 * 14 segment-sized rows for 500 calls (what 1,400 events/s at a 10 ms group commit give), once
 * with SQLite's default `wal_autocheckpoint` (1,000 pages) as the baseline, once with
 * callscribe's (4,000), each on a fresh database.
 *
 *   npx tsx bench/event-store/sqlite-checkpoint.ts --events 140000
 */
const { values } = parseArgs({
  options: {
    events: { type: 'string', default: '140000' },
    'per-commit': { type: 'string', default: '14' },
    calls: { type: 'string', default: '500' },
  },
});
const events = Number(values.events);
const perCommit = Number(values['per-commit']);
const calls = Number(values.calls);

const row = JSON.stringify({
  EventType: 'ADD_TRANSCRIPT_SEGMENT',
  CallId: 'call-00000000-0000-0000-0000-000000000000',
  Channel: 'CALLER',
  SegmentId: 'CALLER-1-1',
  StartTime: 12.34,
  EndTime: 15.67,
  Transcript: 'caller utterance number something words here and there',
  IsPartial: true,
  Confidence: 0.5,
  CreatedAt: new Date().toISOString(),
});

function measure(autocheckpointPages: number) {
  const dataDir = mkdtempSync(join(tmpdir(), 'callscribe-checkpoint-'));
  const database = SqliteDatabase.open({ dataDir });
  try {
    const connection = database.connection;
    connection.pragma(`wal_autocheckpoint = ${autocheckpointPages}`);
    const insert = connection.prepare(
      'INSERT INTO call_events (call_id, created_at, data) VALUES (?, ?, ?)',
    );
    const commit = connection.transaction((group: number) => {
      for (let j = 0; j < perCommit; j++) {
        const n = group * perCommit + j;
        insert.run(
          `call-${n % calls}-${Math.floor(n / (calls * 100))}`,
          '2026-12-07T00:00:00Z',
          row,
        );
      }
    });
    const commitMs: number[] = [];
    const cpu0 = process.cpuUsage();
    for (let group = 0; group < events / perCommit; group++) {
      const t0 = performance.now();
      commit.immediate(group);
      commitMs.push(performance.now() - t0);
    }
    const cpu = process.cpuUsage(cpu0);
    commitMs.sort((a, b) => a - b);
    const at = (q: number) =>
      commitMs[Math.min(commitMs.length - 1, Math.floor(q * commitMs.length))]!;
    return {
      cpuMicrosPerEvent: (cpu.user + cpu.system) / events,
      systemMicrosPerEvent: cpu.system / events,
      commitP99Ms: at(0.99),
      commitMaxMs: commitMs.at(-1)!,
    };
  } finally {
    database.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

const rows = [1000, 4000].map((pages) => ({ pages, ...measure(pages) }));
const baseline = rows[0]!;
for (const r of rows) {
  console.log(
    `wal_autocheckpoint ${r.pages}: ${r.cpuMicrosPerEvent.toFixed(1)} µs CPU/event (system ${r.systemMicrosPerEvent.toFixed(1)}), ` +
      `${(r.cpuMicrosPerEvent / baseline.cpuMicrosPerEvent).toFixed(2)}x the default; commit p99 ${r.commitP99Ms.toFixed(1)} ms, max ${r.commitMaxMs.toFixed(1)} ms`,
  );
}
