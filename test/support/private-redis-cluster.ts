import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { Redis } from 'ioredis';
import { freePort } from './free-port.js';
import { PrivateRedis } from './private-redis.js';

const run = promisify(execFile);
const READY_TIMEOUT_MS = 20_000;

/**
 * A Redis Cluster of the test's own: `masters` redis-server processes in cluster mode on free
 * loopback ports (client and cluster-bus ports both chosen, as port+10000 may not be free),
 * joined by `redis-cli --cluster create`. Each node keeps its nodes.conf in its own temp dir,
 * so a node killed and started again rejoins with its slots.
 */
export class PrivateRedisCluster {
  private constructor(readonly nodes: readonly PrivateRedis[]) {}

  static async start(options: { masters?: number; persist?: boolean } = {}) {
    const nodes: PrivateRedis[] = [];
    try {
      for (let i = 0; i < (options.masters ?? 3); i++) {
        nodes.push(
          await PrivateRedis.start({
            persist: options.persist ?? false,
            extraArgs: [
              '--cluster-enabled',
              'yes',
              '--cluster-port',
              String(await freePort('tcp')),
              '--cluster-node-timeout',
              '2000',
              // A test cluster has no replicas: keep serving the slots that are up.
              '--cluster-require-full-coverage',
              'no',
            ],
          }),
        );
      }
      await run('redis-cli', [
        '--cluster',
        'create',
        ...nodes.map((n) => `127.0.0.1:${n.port}`),
        '--cluster-replicas',
        '0',
        '--cluster-yes',
      ]);
      const cluster = new PrivateRedisCluster(nodes);
      await cluster.waitUntilHealthy();
      return cluster;
    } catch (error) {
      for (const node of nodes) await node.destroy();
      throw error;
    }
  }

  /** Seed URLs, comma-separated, as `redisUrl` takes them with `redisCluster`. */
  get url(): string {
    return this.nodes.map((n) => n.url).join(',');
  }

  /** Resolves once every node reports `cluster_state:ok` and agrees on who owns all slots. */
  async waitUntilHealthy(): Promise<void> {
    const deadline = Date.now() + READY_TIMEOUT_MS;
    for (;;) {
      const states = await Promise.all(this.nodes.map((n) => clusterState(n.port)));
      if (states.every((s) => s === 'ok')) return;
      if (Date.now() > deadline) throw new Error(`cluster not healthy: ${states.join(', ')}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  /** The node that serves `key`'s hash slot. */
  async nodeFor(key: string): Promise<PrivateRedis> {
    const probe = new Redis(this.nodes[0]!.url);
    try {
      const slot = Number(await probe.call('CLUSTER', 'KEYSLOT', key));
      const ranges = (await probe.call('CLUSTER', 'SLOTS')) as [number, number, [string, number]][];
      const owner = ranges.find(([from, to]) => slot >= from && slot <= to);
      const node = this.nodes.find((n) => n.port === owner?.[2][1]);
      if (!node) throw new Error(`no node serves slot ${slot}`);
      return node;
    } finally {
      probe.disconnect();
    }
  }

  async destroy(): Promise<void> {
    for (const node of this.nodes) await node.destroy();
  }
}

async function clusterState(port: number): Promise<string> {
  const probe = new Redis({
    port,
    host: '127.0.0.1',
    lazyConnect: true,
    retryStrategy: () => null,
  });
  probe.on('error', () => undefined);
  try {
    await probe.connect();
    const info = String(await probe.call('CLUSTER', 'INFO'));
    return /cluster_state:(\w+)/.exec(info)?.[1] ?? 'unknown';
  } catch {
    return 'down';
  } finally {
    probe.disconnect();
  }
}
