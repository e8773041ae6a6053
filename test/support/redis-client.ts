import { Cluster, Redis } from 'ioredis';
import type { RedisClient } from '../../src/adapters/redis/redis-connection.js';

/** A plain client for a test to look into Redis with. */
export function redisClient(topology: { url: string; cluster: boolean }): RedisClient {
  if (!topology.cluster) return new Redis(topology.url);
  return new Cluster(
    topology.url.split(',').map((u) => {
      const url = new URL(u);
      return { host: url.hostname, port: Number(url.port) };
    }),
  );
}
