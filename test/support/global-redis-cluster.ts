import type { TestProject } from 'vitest/node';
import { PrivateRedisCluster } from './private-redis-cluster.js';
import { commandWorks } from './tools.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** Seed URLs of the run's Redis Cluster, or '' when none could be started. */
    redisClusterUrl: string;
    redisClusterUnavailable: string;
  }
}

/**
 * One Redis Cluster (three primaries on free loopback ports) for the whole test run; test
 * files share it with key prefixes of their own, as they share the standalone Redis.
 */
export default async function setup(project: TestProject) {
  const external = process.env.CALLSCRIBE_TEST_REDIS_CLUSTER_URL;
  if (external) {
    project.provide('redisClusterUrl', external);
    project.provide('redisClusterUnavailable', '');
    return;
  }
  if (!commandWorks('redis-server', ['--version']) || !commandWorks('redis-cli', ['--version'])) {
    project.provide('redisClusterUrl', '');
    project.provide('redisClusterUnavailable', 'redis-server and redis-cli are not installed');
    return;
  }
  const cluster = await PrivateRedisCluster.start();
  project.provide('redisClusterUrl', cluster.url);
  project.provide('redisClusterUnavailable', '');
  return async () => {
    await cluster.destroy();
  };
}
