import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { SCHEMA_VERSION, SqliteDatabase } from '../../src/adapters/sqlite/database.js';
import { SqliteCallStore } from '../../src/adapters/sqlite/sqlite-call-store.js';
import { AppError } from '../../src/domain/errors.js';
import { describeCallStoreContract, sampleCall } from '../contract/call-store-contract.js';

describeCallStoreContract('SqliteCallStore', async ({ ttlMs, now }) => {
  const dataDir = mkdtempSync(join(tmpdir(), 'callscribe-store-'));
  // A short busy timeout: a write lock held elsewhere fails a group quickly.
  const database = SqliteDatabase.open({ dataDir, busyTimeoutMs: 20 });
  return {
    store: new SqliteCallStore({ database, ttlMs, now }),
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
});

describe('SqliteCallStore on disk', () => {
  const dirs: string[] = [];
  const tempDir = (): string => {
    const dir = mkdtempSync(join(tmpdir(), 'callscribe-store-'));
    dirs.push(dir);
    return dir;
  };
  afterEach(() => {
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });

  it('keeps calls, mappings and versions across close and reopen', async () => {
    const dataDir = join(tempDir(), 'nested', 'data');
    const call = sampleCall({ callId: 'MODIFIED-abc', originalCallId: 'abc' });

    const first = SqliteDatabase.open({ dataDir });
    const store = new SqliteCallStore({ database: first, ttlMs: 60_000 });
    const created = await store.create(call);
    const updated = await store.compareAndSet(call.callId, created.version, {
      ...call,
      state: 'PROCESSING',
    });
    await store.close();
    first.close();

    const second = SqliteDatabase.open({ dataDir });
    expect(second.path).toBe(join(dataDir, 'callscribe.db'));
    const reopened = new SqliteCallStore({ database: second, ttlMs: 60_000 });
    expect(await reopened.get(call.callId)).toEqual(updated);
    expect(await reopened.resolveOriginalCallId('abc')).toBe('MODIFIED-abc');
    expect((await reopened.list({ state: 'PROCESSING' })).map((s) => s.call.callId)).toEqual([
      'MODIFIED-abc',
    ]);
    await reopened.close();
    second.close();
  });

  it('opens in WAL mode at the current schema version', () => {
    const database = SqliteDatabase.open({ dataDir: tempDir() });
    expect(database.connection.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(database.connection.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION);
    expect(Number(database.connection.pragma('busy_timeout', { simple: true }))).toBeGreaterThan(0);
    database.close();
  });

  it('refuses a database written by a newer schema', () => {
    const dataDir = tempDir();
    const database = SqliteDatabase.open({ dataDir });
    database.connection.pragma('user_version = 99');
    database.close();
    const error = (() => {
      try {
        SqliteDatabase.open({ dataDir });
        return undefined;
      } catch (e) {
        return e;
      }
    })();
    expect(error).toBeInstanceOf(AppError);
    expect((error as AppError).code).toBe('STORE_UNAVAILABLE');
  });

  it('fails with STORE_UNAVAILABLE once closed', async () => {
    const database = SqliteDatabase.open({ dataDir: tempDir() });
    const store = new SqliteCallStore({ database, ttlMs: 60_000 });
    await store.close();
    await expect(store.get('x')).rejects.toMatchObject({ code: 'STORE_UNAVAILABLE' });
    const other = new SqliteCallStore({ database, ttlMs: 60_000 });
    database.close();
    await expect(other.list()).rejects.toMatchObject({ code: 'STORE_UNAVAILABLE' });
  });

  it('serialises compare-and-set between two connections to one file', async () => {
    const dataDir = tempDir();
    const a = SqliteDatabase.open({ dataDir });
    const b = SqliteDatabase.open({ dataDir });
    const storeA = new SqliteCallStore({ database: a, ttlMs: 60_000 });
    const storeB = new SqliteCallStore({ database: b, ttlMs: 60_000 });
    const call = sampleCall();
    const created = await storeA.create(call);
    const seenByB = await storeB.get(call.callId);
    expect(seenByB?.version).toBe(created.version);
    expect(
      await storeA.compareAndSet(call.callId, created.version, { ...call, agentId: 'a' }),
    ).toBeDefined();
    expect(
      await storeB.compareAndSet(call.callId, created.version, { ...call, agentId: 'b' }),
    ).toBeUndefined();
    await expect(storeB.create(call)).rejects.toMatchObject({ code: 'CALL_ALREADY_EXISTS' });
    a.close();
    b.close();
  });
});
