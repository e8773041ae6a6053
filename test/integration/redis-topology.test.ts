import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { createRedisAdapters } from '../../src/adapters/redis/create-redis-adapters.js';
import { RedisKeys } from '../../src/adapters/redis/redis-keys.js';
import { loadConfig } from '../../src/config/load.js';
import { AppError } from '../../src/domain/errors.js';
import { captureLog } from '../support/capture-log.js';
import { redisClusterUrl } from '../support/redis.js';

const clusterUrl = redisClusterUrl();

const adapters = (redisUrl: string, redisCluster: boolean) =>
  createRedisAdapters(
    { redisUrl, redisCluster, callTtlMs: 60_000, nodeLeaseMs: 2000 },
    captureLog().log,
    {
      nodeId: 'topology-test',
      registry: new Registry(),
      keyPrefix: 'cs-test-topology:',
    },
  );

describe('choosing the Redis topology', () => {
  it.skipIf(!clusterUrl)(
    'refuses a standalone client on a Cluster node at start, naming the setting to change',
    async () => {
      const seed = clusterUrl!.split(',')[0]!;
      const redis = adapters(seed, false);
      try {
        const error = await redis
          .start({
            submit: () => Promise.reject(new Error('unused')),
            outcome: async () => undefined,
          })
          .catch((e: unknown) => e);
        expect(error).toBeInstanceOf(AppError);
        expect((error as AppError).code).toBe('CONFIG_INVALID');
        expect((error as AppError).message).toContain('CALLSCRIBE_REDIS_CLUSTER');
      } finally {
        redis.disconnect();
      }
    },
  );

  it('refuses several servers without redisCluster, and URLs that are not redis://', () => {
    const several = () => adapters('redis://127.0.0.1:7000,redis://127.0.0.1:7001', false);
    expect(several).toThrow(AppError);
    expect(several).toThrow(/redisCluster/);
    expect(() => adapters('http://127.0.0.1:6379', false)).toThrow(/redis:\/\/ or rediss:\/\//);
  });

  it('refuses a key prefix with braces, which would move keys between hash slots', () => {
    expect(() => new RedisKeys('callscribe{a}:')).toThrow(AppError);
    expect(() => loadConfig({ env: { CALLSCRIBE_REDIS_KEY_PREFIX: 'cs{x}:' } })).toThrow(
      /redisKeyPrefix \(CALLSCRIBE_REDIS_KEY_PREFIX\): must not contain \{ or \}/,
    );
    expect(loadConfig({ env: { CALLSCRIBE_REDIS_CLUSTER: 'true' } }).redisCluster).toBe(true);
  });
});
