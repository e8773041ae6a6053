import { createConnection } from 'node:net';
import { inject } from 'vitest';
import { inCi } from './tools.js';

export { redisClient } from './redis-client.js';

export const REDIS_URL = process.env.CALLSCRIBE_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

/** Where the Redis adapters are tested: the shared standalone Redis, and a Redis Cluster. */
export interface RedisTopology {
  name: 'standalone Redis' | 'Redis Cluster';
  /** As `redisUrl` takes it (seed URLs, comma-separated, for the Cluster). */
  url: string;
  cluster: boolean;
}

/** Resolves true when a Redis answers on the test URL; skips visibly (or fails in CI) otherwise. */
export async function redisAvailable(): Promise<boolean> {
  const url = new URL(REDIS_URL);
  const ok = await new Promise<boolean>((resolve) => {
    const socket = createConnection({ host: url.hostname, port: Number(url.port || 6379) });
    socket.setTimeout(1000);
    socket.once('connect', () => {
      socket.end();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
    socket.once('timeout', () => {
      socket.destroy();
      resolve(false);
    });
  });
  if (!ok) {
    if (inCi) throw new Error(`Redis is not reachable at ${REDIS_URL}, but CI=true`);
    console.warn(`SKIPPED: Redis is not reachable at ${REDIS_URL}; Redis tests are skipped`);
  }
  return ok;
}

/**
 * The Cluster started once for the whole run by test/support/global-redis-cluster.ts (or the
 * one CALLSCRIBE_TEST_REDIS_CLUSTER_URL names); undefined, visibly, where none could be had.
 */
export function redisClusterUrl(): string | undefined {
  const url = inject('redisClusterUrl');
  if (url) return url;
  const why = inject('redisClusterUnavailable');
  if (inCi) throw new Error(`no Redis Cluster for the tests (${why}), but CI=true`);
  console.warn(`SKIPPED: no Redis Cluster for the tests (${why}); Cluster cases are skipped`);
  return undefined;
}

/** Every topology available here; a test file runs its Redis cases once per entry. */
export async function redisTopologies(): Promise<RedisTopology[]> {
  const topologies: RedisTopology[] = [];
  if (await redisAvailable())
    topologies.push({ name: 'standalone Redis', url: REDIS_URL, cluster: false });
  const clusterUrl = redisClusterUrl();
  if (clusterUrl) topologies.push({ name: 'Redis Cluster', url: clusterUrl, cluster: true });
  return topologies;
}
