import { Registry } from 'prom-client';
import { RedisCallEventStream } from '../../src/adapters/redis/redis-call-event-stream.js';
import { RedisCallStore } from '../../src/adapters/redis/redis-call-store.js';
import { openRedis } from '../../src/adapters/redis/redis-connection.js';
import { RedisKeys } from '../../src/adapters/redis/redis-keys.js';
import { createRedisMetrics } from '../../src/adapters/redis/redis-metrics.js';
import { SqliteDatabase } from '../../src/adapters/sqlite/database.js';
import { SqliteCallEventStream } from '../../src/adapters/sqlite/sqlite-call-event-stream.js';
import { SqliteCallStore } from '../../src/adapters/sqlite/sqlite-call-store.js';
import type { CallEventStream } from '../../src/ports/call-event-stream.js';
import type { CallStore } from '../../src/ports/call-store.js';
import { captureLog } from './capture-log.js';

export type StoredCallsTarget =
  | { kind: 'sqlite'; dataDir: string }
  | { kind: 'redis'; url: string; cluster: boolean; keyPrefix: string };

export interface StoredCalls {
  store: CallStore;
  eventStream: CallEventStream;
  close(): Promise<void>;
}

const DAY_MS = 86_400_000;

/**
 * What a server process stored, read through the same adapters from the outside: the SQLite
 * file of its data directory (WAL lets it be read while the server runs), or its Redis keys.
 */
export function openStoredCalls(target: StoredCallsTarget): StoredCalls {
  const { log } = captureLog('warn');
  if (target.kind === 'sqlite') {
    const database = SqliteDatabase.open({ dataDir: target.dataDir });
    const store = new SqliteCallStore({ database, ttlMs: DAY_MS });
    const eventStream = new SqliteCallEventStream({ database, ttlMs: DAY_MS, log });
    return {
      store,
      eventStream,
      async close() {
        await eventStream.close();
        await store.close();
        database.close();
      },
    };
  }
  const open = (name: string) => openRedis({ url: target.url, cluster: target.cluster, log, name });
  const redis = open('test-reader');
  const keys = new RedisKeys(target.keyPrefix);
  const metrics = createRedisMetrics(new Registry());
  const store = new RedisCallStore({ redis, keys, ttlMs: DAY_MS, metrics, log });
  const eventStream = new RedisCallEventStream({
    redis,
    blockingRedis: open('test-reader-events'),
    keys,
    ttlMs: DAY_MS,
    log,
    metrics,
  });
  return {
    store,
    eventStream,
    async close() {
      await eventStream.close();
      await store.close();
      redis.disconnect();
    },
  };
}
