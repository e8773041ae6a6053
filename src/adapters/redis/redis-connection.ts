import { Cluster, Redis, type RedisOptions } from 'ioredis';
import type { Logger } from 'pino';
import { AppError } from '../../domain/errors.js';

/** A connection to one Redis or to a Redis Cluster; the adapters use only what both offer. */
export type RedisClient = Redis | Cluster;

const CLUSTER_RETRY_MS = 200;

export interface RedisConnectionOptions {
  /**
   * `redis://` or `rediss://` URL; for a Cluster, the seed nodes as comma-separated URLs (any
   * one reachable node is enough, the client discovers the rest).
   */
  url: string;
  /** Treat `url` as the seed nodes of a Redis Cluster. */
  cluster?: boolean;
  log: Logger;
  /** Connection name shown by CLIENT LIST, e.g. `callscribe:<nodeId>:store`. */
  name: string;
  /**
   * Reconnect attempts a command waits through (in ioredis' offline queue) before it fails.
   * With the back-off below, 10 attempts ride out an outage of about 13 s; on a Cluster the
   * same span sets the redirection budget.
   */
  maxRetriesPerRequest?: number;
  /** Longest pause between reconnect attempts. */
  reconnectMaxMs?: number;
  /** Cluster only: subscriptions are sharded Pub/Sub (SSUBSCRIBE) on each channel's shard. */
  shardedSubscriber?: boolean;
}

/**
 * One ioredis connection (or Cluster client) with the outage policy every Redis adapter relies
 * on: while Redis, or the shard a command needs, is unreachable, commands wait and are sent
 * once it is back; past the budget (`maxRetriesPerRequest` reconnects, about 13 s by default)
 * they reject, and the adapter turns that into a loud AppError instead of dropping the write.
 */
export function openRedis(options: RedisConnectionOptions): RedisClient {
  const reconnectMaxMs = options.reconnectMaxMs ?? 2000;
  const backoff = (times: number) => Math.min(100 * 2 ** Math.min(times - 1, 10), reconnectMaxMs);
  const maxRetriesPerRequest = options.maxRetriesPerRequest ?? 10;
  const urls = parseUrls(options.url);
  let redis: RedisClient;
  if (options.cluster === true) {
    const first = urls[0]!;
    let rideOutMs = 0;
    for (let attempt = 1; attempt <= maxRetriesPerRequest; attempt++) rideOutMs += backoff(attempt);
    redis = new Cluster(
      urls.map((u) => ({ host: u.hostname, port: Number(u.port || 6379) })),
      {
        enableOfflineQueue: true,
        clusterRetryStrategy: backoff,
        // A shard's primary that is down closes its connection; ioredis then re-reads the slot
        // map and retries every 200 ms, reaching the replica promoted in its place, the same
        // primary restarted (answering CLUSTERDOWN until the others gossip it back in), or
        // slots that moved. Each retry spends one redirection, so the budget rides out as long
        // as a standalone connection's reconnects do.
        maxRedirections: Math.max(16, Math.ceil(rideOutMs / CLUSTER_RETRY_MS)),
        retryDelayOnClusterDown: CLUSTER_RETRY_MS,
        retryDelayOnFailover: CLUSTER_RETRY_MS,
        retryDelayOnTryAgain: CLUSTER_RETRY_MS,
        // Re-read the slot map now and then, so a failover or a primary that came back is
        // seen (and reconnected to) even by a connection that had nothing to send it.
        slotsRefreshInterval: 5000,
        shardedSubscribers: options.shardedSubscriber ?? false,
        redisOptions: {
          connectionName: options.name,
          maxRetriesPerRequest,
          ...credentials(first),
        },
      },
    );
  } else {
    if (urls.length > 1) {
      throw new AppError(
        'CONFIG_INVALID',
        'redisUrl names several servers; set redisCluster for a Redis Cluster',
      );
    }
    const redisOptions: RedisOptions = {
      connectionName: options.name,
      maxRetriesPerRequest,
      enableOfflineQueue: true,
      retryStrategy: backoff,
    };
    redis = new Redis(options.url, redisOptions);
  }
  const outages = new OutageLog(options.log, options.name);
  if (redis instanceof Cluster) {
    // Per primary: one being down leaves the others serving, and only its slots wait.
    const cluster = redis;
    redis.on('node error', (err: unknown, node: string) => {
      if (outages.lost(err, node)) watchForReturn(cluster, node, outages);
    });
  } else {
    redis.on('error', (err: unknown) => outages.lost(err));
    redis.on('ready', () => outages.restored());
  }
  return redis;
}

/**
 * Node connections of a Cluster client open lazily and are not retried, so one with nothing to
 * send a node that went away would never notice it came back. Until it has, this connects the
 * client's connection to that node (or waits for a slot-map refresh to add one) every second.
 */
function watchForReturn(cluster: Cluster, key: string, outages: OutageLog): void {
  const timer = setInterval(() => {
    if (cluster.status === 'end') {
      clearInterval(timer);
      return;
    }
    const node = cluster.nodes('all').find((n) => `${n.options.host}:${n.options.port}` === key);
    if (node?.status === 'ready') {
      clearInterval(timer);
      outages.restored(key);
    } else if (
      node &&
      (node.status === 'wait' || node.status === 'end' || node.status === 'close')
    ) {
      node.connect().catch(() => undefined);
    }
  }, 1000);
  timer.unref();
}

/** One line when a connection (or a Cluster node) is lost, one when it is back. */
class OutageLog {
  readonly #down = new Set<string>();

  constructor(
    private readonly log: Logger,
    private readonly connection: string,
  ) {}

  /** True when this starts an outage (ioredis emits one error per failed attempt). */
  lost(err: unknown, node = ''): boolean {
    if (this.#down.has(node)) return false;
    this.#down.add(node);
    this.log.warn(
      { err, connection: this.connection, ...(node ? { redisNode: node } : {}) },
      'redis connection lost; reconnecting',
    );
    return true;
  }

  restored(node = ''): void {
    if (!this.#down.delete(node)) return;
    this.log.info(
      { connection: this.connection, ...(node ? { redisNode: node } : {}) },
      'redis connection restored',
    );
  }
}

/**
 * Refuses a standalone client on a Cluster node: its commands would fail later with MOVED,
 * one by one, instead of once at start with a fix.
 */
export async function assertTopology(redis: RedisClient, cluster: boolean): Promise<void> {
  if (cluster) return;
  // Some managed Redis front ends refuse INFO: skip the check there rather than refuse to start.
  const info = await redis.info('cluster').catch(() => '');
  if (/^cluster_enabled:1/m.test(info)) {
    throw new AppError(
      'CONFIG_INVALID',
      'redisUrl points to a Redis Cluster node; set redisCluster=true (CALLSCRIBE_REDIS_CLUSTER)',
    );
  }
}

function parseUrls(text: string): URL[] {
  const parts = text
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  if (parts.length === 0) throw new AppError('CONFIG_INVALID', 'redisUrl is empty');
  return parts.map((part) => {
    try {
      const url = new URL(part);
      if (url.protocol !== 'redis:' && url.protocol !== 'rediss:') throw new Error(url.protocol);
      return url;
    } catch {
      throw new AppError('CONFIG_INVALID', 'redisUrl must be redis:// or rediss:// URLs', {
        details: { redisUrl: part.replace(/\/\/[^@/]*@/, '//***@') },
      });
    }
  });
}

/** User, password and TLS from a seed URL; every node of a Cluster shares them. */
function credentials(url: URL): Partial<RedisOptions> {
  return {
    ...(url.username ? { username: decodeURIComponent(url.username) } : {}),
    ...(url.password ? { password: decodeURIComponent(url.password) } : {}),
    ...(url.protocol === 'rediss:' ? { tls: {} } : {}),
  };
}
