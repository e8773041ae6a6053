import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { Redis } from 'ioredis';
import { freePort } from './free-port.js';
import { PrivateRedis } from './private-redis.js';

const run = promisify(execFile);
const READY_TIMEOUT_MS = 20_000;

/**
 * A Redis Cluster of the test's own: `masters` primaries, each with `replicas` replicas,
 * redis-server processes in cluster mode on free loopback ports (client and cluster-bus ports both chosen, as port+10000 may not be free),
 * joined by `redis-cli --cluster create`. Each node keeps its nodes.conf in its own temp dir,
 * so a node killed and started again rejoins with its slots.
 */
export class PrivateRedisCluster {
  private constructor(
    readonly nodes: readonly PrivateRedis[],
    private readonly replicaCount: number,
  ) {}

  static async start(options: { masters?: number; replicas?: number; persist?: boolean } = {}) {
    const nodes: PrivateRedis[] = [];
    const replicas = options.replicas ?? 0;
    try {
      for (let i = 0; i < (options.masters ?? 3) * (1 + replicas); i++) {
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
              // Keep serving the slots that are up while one shard has no primary.
              '--cluster-require-full-coverage',
              'no',
              // A replica may take over however long ago it last heard from its primary.
              '--cluster-replica-validity-factor',
              '0',
            ],
          }),
        );
      }
      await run('redis-cli', [
        '--cluster',
        'create',
        ...nodes.map((n) => `127.0.0.1:${n.port}`),
        '--cluster-replicas',
        String(replicas),
        '--cluster-yes',
      ]);
      const cluster = new PrivateRedisCluster(nodes, (options.masters ?? 3) * replicas);
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

  /**
   * Resolves once every running node reports `cluster_state:ok` and, with replicas, every
   * replica has its replication link up (a replica still syncing could not take over).
   */
  async waitUntilHealthy(): Promise<void> {
    const deadline = Date.now() + READY_TIMEOUT_MS;
    for (;;) {
      const running = this.nodes.filter((n) => n.running);
      const states = await Promise.all(running.map((n) => clusterState(n.port)));
      const linked = await Promise.all(running.map((n) => replicaLinkUp(n.port)));
      const replicas = linked.filter((up) => up).length;
      if (
        states.every((s) => s === 'ok') &&
        replicas >= this.replicaCount - (this.nodes.length - running.length)
      )
        return;
      if (Date.now() > deadline)
        throw new Error(`cluster not healthy: ${states.join(', ')}; ${replicas} replicas linked`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  /**
   * The running primary that serves `key`'s hash slot. Right after a failover, a node the news
   * has not reached by gossip yet still names the dead primary: the nodes are asked in turn
   * until one names a running node (up to `timeoutMs`).
   */
  async nodeFor(key: string, timeoutMs = 10_000): Promise<PrivateRedis> {
    const deadline = Date.now() + timeoutMs;
    for (let attempt = 0; ; attempt++) {
      const running = this.nodes.filter((n) => n.running);
      const asked = running[attempt % Math.max(1, running.length)];
      if (!asked) throw new Error('no node of the cluster is running');
      const node = await slotOwner(asked, key, this.nodes);
      if (node?.running) return node;
      if (Date.now() > deadline)
        throw new Error(`no running node serves ${key}'s slot (asked :${asked.port})`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  async destroy(): Promise<void> {
    for (const node of this.nodes) await node.destroy();
  }
}

/** The node `asked` names as the primary of `key`'s slot. */
async function slotOwner(
  asked: PrivateRedis,
  key: string,
  nodes: readonly PrivateRedis[],
): Promise<PrivateRedis | undefined> {
  const probe = new Redis(asked.url);
  try {
    const slot = Number(await probe.call('CLUSTER', 'KEYSLOT', key));
    const ranges = (await probe.call('CLUSTER', 'SLOTS')) as [number, number, [string, number]][];
    const owner = ranges.find(([from, to]) => slot >= from && slot <= to);
    return nodes.find((n) => n.port === owner?.[2][1]);
  } finally {
    probe.disconnect();
  }
}

async function clusterState(port: number): Promise<string> {
  const info = await ask(port, ['CLUSTER', 'INFO']);
  return /cluster_state:(\w+)/.exec(info ?? '')?.[1] ?? 'down';
}

async function replicaLinkUp(port: number): Promise<boolean> {
  const info = (await ask(port, ['INFO', 'replication'])) ?? '';
  return /^role:slave/m.test(info) && /^master_link_status:up/m.test(info);
}

/** One command to one node, or undefined when it does not answer. */
async function ask(port: number, command: [string, ...string[]]): Promise<string | undefined> {
  const probe = new Redis({
    port,
    host: '127.0.0.1',
    lazyConnect: true,
    retryStrategy: () => null,
  });
  probe.on('error', () => undefined);
  try {
    await probe.connect();
    return String(await probe.call(...command));
  } catch {
    return undefined;
  } finally {
    probe.disconnect();
  }
}
