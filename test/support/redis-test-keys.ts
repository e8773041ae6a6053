import { Cluster, type Redis } from 'ioredis';
import type { RedisClient } from '../../src/adapters/redis/redis-connection.js';

/** Deletes every key under a test's own prefix (the shared Redis holds other tests' keys). */
export async function deleteKeys(redis: RedisClient, prefix: string): Promise<void> {
  // A Cluster's keys are spread over its primaries, each scanned on its own.
  const servers: Redis[] = redis instanceof Cluster ? redis.nodes('master') : [redis];
  for (const server of servers) {
    let cursor = '0';
    do {
      const [next, keys] = await server.scan(
        cursor,
        'MATCH',
        `${escapeGlob(prefix)}*`,
        'COUNT',
        500,
      );
      cursor = next;
      // One DEL per key: on a Cluster a DEL may only name keys of one slot.
      await Promise.all(keys.map((key) => server.del(key)));
    } while (cursor !== '0');
  }
}

function escapeGlob(text: string): string {
  return text.replace(/[*?[\]\\]/g, '\\$&');
}
