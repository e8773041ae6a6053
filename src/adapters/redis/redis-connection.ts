import { Redis, type RedisOptions } from 'ioredis';
import type { Logger } from 'pino';

export interface RedisConnectionOptions {
  url: string;
  log: Logger;
  /** Connection name shown by CLIENT LIST, e.g. `callscribe:<nodeId>:store`. */
  name: string;
  /**
   * Reconnect attempts a command waits through (in ioredis' offline queue) before it fails.
   * With the back-off below, 10 attempts ride out an outage of about 13 s.
   */
  maxRetriesPerRequest?: number;
  /** Longest pause between reconnect attempts. */
  reconnectMaxMs?: number;
}

/**
 * One ioredis connection with the outage policy every Redis adapter relies on: while Redis is
 * unreachable, commands wait in order in the offline queue and are sent after the reconnect;
 * after `maxRetriesPerRequest` failed attempts they reject, and the adapter turns that into a
 * loud AppError instead of dropping the write.
 */
export function openRedis(options: RedisConnectionOptions): Redis {
  const reconnectMaxMs = options.reconnectMaxMs ?? 2000;
  const redisOptions: RedisOptions = {
    connectionName: options.name,
    maxRetriesPerRequest: options.maxRetriesPerRequest ?? 10,
    enableOfflineQueue: true,
    retryStrategy: (times) => Math.min(100 * 2 ** Math.min(times - 1, 10), reconnectMaxMs),
  };
  const redis = new Redis(options.url, redisOptions);
  let down = false;
  redis.on('error', (err: unknown) => {
    // ioredis emits one error per failed attempt; one line per outage is enough.
    if (down) return;
    down = true;
    options.log.warn({ err, connection: options.name }, 'redis connection lost; reconnecting');
  });
  redis.on('ready', () => {
    if (!down) return;
    down = false;
    options.log.info({ connection: options.name }, 'redis connection restored');
  });
  return redis;
}
