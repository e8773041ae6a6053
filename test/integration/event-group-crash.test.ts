import { fork } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { RedisCallEventStream } from '../../src/adapters/redis/redis-call-event-stream.js';
import { RedisKeys } from '../../src/adapters/redis/redis-keys.js';
import { SqliteDatabase } from '../../src/adapters/sqlite/database.js';
import { SqliteCallEventStream } from '../../src/adapters/sqlite/sqlite-call-event-stream.js';
import type { CallEventStream } from '../../src/ports/call-event-stream.js';
import { redisAvailable, redisClient, REDIS_URL } from '../support/redis.js';
import { deleteKeys } from '../support/redis-test-keys.js';

/**
 * A SIGKILL while call events are being stored in groups: everything acknowledged is stored,
 * each call's stream has neither gaps nor duplicates, and ids follow the calls' order. A group
 * still forming when the process died was never acknowledged, so losing it breaks nothing.
 */
const child = fileURLToPath(new URL('../support/event-group-crash-child.ts', import.meta.url));
const log = pino({ level: 'silent' });
const haveRedis = await redisAvailable();

async function crashWhileAppending(
  args: string[],
  ackedFile: string,
): Promise<Map<number, number[]>> {
  const proc = fork(child, [...args, ackedFile, '20'], {
    execArgv: ['--import', 'tsx'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
  await new Promise<void>((resolve, reject) => {
    proc.once('message', () => resolve());
    proc.once('exit', (code) => reject(new Error(`child exited (${code})`)));
  });
  // Long enough for many groups to commit, whatever this machine's load.
  await new Promise((resolve) => setTimeout(resolve, 1500 + Math.random() * 500));
  proc.kill('SIGKILL');
  await exited;
  const acked = new Map<number, number[]>();
  for (const line of readFileSync(ackedFile, 'utf8').split('\n')) {
    if (line === '') continue;
    const [c, n] = line.split(' ').map(Number) as [number, number];
    acked.set(c, [...(acked.get(c) ?? []), n]);
  }
  return acked;
}

async function expectIntact(stream: CallEventStream, acked: Map<number, number[]>): Promise<void> {
  expect(acked.size).toBe(8);
  const all = await stream.read({});
  const ids = all.map((e) => Number(e.id));
  expect(ids).toEqual([...ids].sort((a, b) => a - b));
  expect(new Set(ids).size).toBe(ids.length);
  for (const [c, ackedOfCall] of acked) {
    const stored = (await stream.read({ callId: `crash-call-${c}` })).map((e) =>
      e.event.EventType === 'ADD_TRANSCRIPT_SEGMENT' ? e.event.SegmentId : e.event.EventType,
    );
    // seg-0, seg-1, ... with no gap and no duplicate, and every acknowledged one among them.
    expect(stored).toEqual(stored.map((_, n) => `seg-${n}`));
    expect(stored.length).toBeGreaterThanOrEqual(Math.max(...ackedOfCall) + 1);
    expect(ackedOfCall.length).toBeGreaterThan(5);
  }
}

describe('a SIGKILL while call events are stored in groups', () => {
  it('SQLite: loses nothing acknowledged, leaves no gap or duplicate', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'callscribe-event-crash-'));
    try {
      const acked = await crashWhileAppending(['sqlite', dataDir, ''], join(dataDir, 'acked'));
      const database = SqliteDatabase.open({ dataDir });
      const stream = new SqliteCallEventStream({ database, ttlMs: 3_600_000, log });
      await expectIntact(stream, acked);
      await stream.close();
      database.close();
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  }, 30_000);

  it.skipIf(!haveRedis)(
    'Redis: loses nothing acknowledged, leaves no gap or duplicate',
    async () => {
      const dir = mkdtempSync(join(tmpdir(), 'callscribe-event-crash-'));
      const keys = new RedisKeys(`cs-test-${randomUUID()}:`);
      const redis = redisClient({ url: REDIS_URL, cluster: false });
      try {
        const acked = await crashWhileAppending(
          ['redis', REDIS_URL, keys.prefix],
          join(dir, 'acked'),
        );
        const stream = new RedisCallEventStream({
          redis,
          blockingRedis: redis.duplicate(),
          keys,
          ttlMs: 3_600_000,
          log,
        });
        await expectIntact(stream, acked);
        await stream.close();
      } finally {
        await deleteKeys(redis, keys.prefix);
        await redis.quit();
        rmSync(dir, { recursive: true, force: true });
      }
    },
    30_000,
  );
});
