import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { SqliteDatabase } from '../../src/adapters/sqlite/database.js';
import { SqliteCallEventStream } from '../../src/adapters/sqlite/sqlite-call-event-stream.js';
import type { CallEndEvent, StoredCallEvent } from '../../src/domain/call-event.js';
import { describeCallEventStreamContract } from '../contract/call-event-stream-contract.js';

const log = pino({ level: 'silent' });

// A small history page makes catch-up span many event-loop turns, so appends interleave with it.
// Appends are grouped over a few milliseconds, as in production.
describeCallEventStreamContract(
  'SqliteCallEventStream',
  async ({ ttlMs, now, commitIntervalMs, commitMaxEvents }) => {
    const dataDir = mkdtempSync(join(tmpdir(), 'callscribe-events-'));
    // A short busy timeout: a write lock held elsewhere fails a group quickly.
    const database = SqliteDatabase.open({ dataDir, busyTimeoutMs: 20 });
    const stream = new SqliteCallEventStream({
      database,
      ttlMs,
      now,
      log,
      historyPageSize: 7,
      commitIntervalMs: commitIntervalMs ?? 5,
      commitMaxEvents: commitMaxEvents ?? 500,
    });
    return {
      stream,
      sweepExpired: () => stream.sweepExpired(),
      // Another process holding the write lock: commits fail with SQLITE_BUSY.
      failWrites: async () => {
        const other = new BetterSqlite3(database.path);
        other.exec('BEGIN IMMEDIATE');
        return async () => {
          other.exec('COMMIT');
          other.close();
        };
      },
      cleanup: async () => {
        database.close();
        rmSync(dataDir, { recursive: true, force: true });
      },
    };
  },
);

const end = (callId: string): CallEndEvent => ({
  EventType: 'END',
  CallId: callId,
  CreatedAt: '2026-03-01T10:05:00.000Z',
  CustomerPhoneNumber: '+12065550100',
  SystemPhoneNumber: '+13605550199',
});

describe('SqliteCallEventStream on disk', () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });
  const open = (dataDir: string): SqliteDatabase => SqliteDatabase.open({ dataDir });
  const tempDir = (): string => {
    const dir = mkdtempSync(join(tmpdir(), 'callscribe-events-'));
    dirs.push(dir);
    return dir;
  };

  it('keeps events and the id sequence across close and reopen', async () => {
    const dataDir = tempDir();
    const first = open(dataDir);
    const stream = new SqliteCallEventStream({ database: first, ttlMs: 60_000, log });
    const stored = await stream.append(end('call-1'));
    await stream.close();
    first.close();

    const second = open(dataDir);
    const reopened = new SqliteCallEventStream({ database: second, ttlMs: 60_000, log });
    expect(await reopened.read({ callId: 'call-1' })).toEqual([stored]);
    const next = await reopened.append(end('call-2'));
    expect(Number(next.id)).toBeGreaterThan(Number(stored.id));
    await reopened.close();
    second.close();
  });

  it('shares one database with the call store without either closing it', async () => {
    const database = open(tempDir());
    const stream = new SqliteCallEventStream({ database, ttlMs: 60_000, log });
    const seen: StoredCallEvent[] = [];
    stream.subscribe({}, (e) => seen.push(e));
    await stream.append(end('call-1'));
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(seen).toHaveLength(1);

    await stream.close();
    expect(database.isOpen).toBe(true);
    await expect(stream.append(end('call-2'))).rejects.toMatchObject({
      code: 'EVENT_STREAM_UNAVAILABLE',
    });
    expect(() => stream.subscribe({}, () => undefined)).toThrow(/closed/);
    database.close();
  });

  it('rewrites a talking call’s expiry once a minute, yet keeps its events a full TTL', async () => {
    const database = open(tempDir());
    const dayMs = 86_400_000;
    let clockMs = Date.parse('2026-03-01T10:00:00.000Z');
    const stream = new SqliteCallEventStream({ database, ttlMs: dayMs, log, now: () => clockMs });
    const expiry = (): number =>
      (
        database.connection
          .prepare('SELECT expires_after FROM call_event_expiry WHERE call_id = ?')
          .get('call-1') as { expires_after: number }
      ).expires_after;

    await stream.append(end('call-1'));
    const first = expiry();
    expect(first).toBe(Math.ceil((clockMs + dayMs) / 1000) + 60);
    clockMs += 30_000;
    await Promise.all([stream.append(end('call-1')), stream.append(end('call-1'))]);
    expect(expiry()).toBe(first);
    clockMs += 31_000;
    const last = await stream.append(end('call-1'));
    expect(expiry()).toBe(Math.ceil((clockMs + dayMs) / 1000) + 60);

    clockMs += dayMs - 1000;
    expect(await stream.read({ callId: 'call-1' })).toContainEqual(last);
    clockMs += 62_000;
    expect(await stream.read({ callId: 'call-1' })).toEqual([]);
    await stream.close();
    database.close();
  });
});
