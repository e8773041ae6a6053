import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterEach, expect, it } from 'vitest';
import { SqliteDatabase } from '../../src/adapters/sqlite/database.js';
import { SqliteCallEventStream } from '../../src/adapters/sqlite/sqlite-call-event-stream.js';
import { SqliteCallStore } from '../../src/adapters/sqlite/sqlite-call-store.js';
import { startSweeper } from '../../src/adapters/sqlite/start-sweeper.js';
import { sampleCall } from '../contract/call-store-contract.js';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

async function waitFor(condition: () => Promise<boolean>, what: string): Promise<void> {
  const deadline = Date.now() + 5000;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

it('sweeps store and stream periodically, past a failing target, until stopped', async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'callscribe-sweep-'));
  dirs.push(dataDir);
  const database = SqliteDatabase.open({ dataDir });
  let clockMs = Date.now();
  const now = (): number => clockMs;
  const store = new SqliteCallStore({ database, ttlMs: 1000, now });
  const stream = new SqliteCallEventStream({
    database,
    ttlMs: 1000,
    now,
    log: pino({ level: 'silent' }),
  });
  const rowCount = (): number =>
    Number(
      database.connection
        .prepare('SELECT (SELECT count(*) FROM items) + (SELECT count(*) FROM call_events)')
        .pluck()
        .get(),
    );

  const call = sampleCall();
  await store.create(call);
  await stream.append({
    EventType: 'UPDATE_AGENT',
    CallId: call.callId,
    CreatedAt: new Date(clockMs).toISOString(),
    AgentId: 'a7',
  });
  expect(rowCount()).toBe(3);

  let failures = 0;
  const failing = {
    sweepExpired: async (): Promise<number> => {
      failures++;
      throw new Error('target unavailable');
    },
  };
  const stop = startSweeper({
    targets: [failing, store, stream],
    intervalMs: 10,
    log: pino({ level: 'silent' }),
  });
  try {
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(rowCount()).toBe(3); // nothing has expired yet
    clockMs += 2000;
    await waitFor(async () => rowCount() === 0, 'the sweep');
    expect(failures).toBeGreaterThan(1);
  } finally {
    stop();
  }
  const failuresAtStop = failures;
  await new Promise((resolve) => setTimeout(resolve, 50));
  expect(failures).toBe(failuresAtStop);
  database.close();
});
