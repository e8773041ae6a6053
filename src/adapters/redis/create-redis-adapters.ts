import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { Config } from '../../config/schema.js';
import { AppError } from '../../domain/errors.js';
import type { NodeLiveness } from '../../ports/node-liveness.js';
import { RedisCallEventStream } from './redis-call-event-stream.js';
import { RedisCallStore } from './redis-call-store.js';
import { assertTopology, openRedis } from './redis-connection.js';
import { createControlBus } from './redis-control-bus.js';
import { RedisControlForwarder, type ControlListenerTarget } from './redis-control-forwarder.js';
import { RedisHeldControlEvents } from './redis-held-control-events.js';
import { RedisKeys } from './redis-keys.js';
import { createRedisMetrics } from './redis-metrics.js';
import { RedisNodeRegistry } from './redis-node-registry.js';

export type RedisAdapterConfig = Pick<Config, 'redisUrl' | 'callTtlMs' | 'nodeLeaseMs'> &
  Partial<Pick<Config, 'redisCluster' | 'eventCommitIntervalMs' | 'eventCommitMaxEvents'>>;

export interface RedisAdapterDeps {
  nodeId: string;
  /** The server's metrics registry; Redis failure counters are added to it. */
  registry: Registry;
  now?: () => number;
  /** Key prefix, so several deployments (or tests) can share one Redis. */
  keyPrefix?: string;
  /** Reconnect attempts a command rides out before failing loudly. */
  maxRetriesPerRequest?: number;
}

/**
 * Everything a node needs to share calls through Redis: the store, the event stream, the node
 * lease (and other nodes' liveness, for the owner-loss reaper the application runs) and
 * control-event forwarding. `start(router)` takes the lease and
 * begins listening for forwarded events; `close()` releases the lease and every connection.
 */
export function createRedisAdapters(
  config: RedisAdapterConfig,
  log: Logger,
  deps: RedisAdapterDeps,
) {
  const url = config.redisUrl;
  if (url === undefined) throw new AppError('CONFIG_INVALID', 'redisUrl is not set');
  const now = deps.now ?? Date.now;
  const keys = new RedisKeys(deps.keyPrefix ?? 'callscribe:');
  const metrics = createRedisMetrics(deps.registry);
  const redisLog = log.child({ component: 'redis' });
  const cluster = config.redisCluster ?? false;
  const open = (role: string) =>
    openRedis({
      url,
      cluster,
      log: redisLog,
      name: `callscribe:${deps.nodeId}:${role}`,
      shardedSubscriber: role === 'control',
      ...(deps.maxRetriesPerRequest === undefined
        ? {}
        : { maxRetriesPerRequest: deps.maxRetriesPerRequest }),
    });
  const redis = open('commands');
  const blockingRedis = open('events');
  const subscriber = open('control');
  const store = new RedisCallStore({
    redis,
    keys,
    ttlMs: config.callTtlMs,
    now,
    metrics,
    log: log.child({ component: 'store' }),
  });
  const eventStream = new RedisCallEventStream({
    redis,
    blockingRedis,
    keys,
    ttlMs: config.callTtlMs,
    now,
    log: log.child({ component: 'events' }),
    metrics,
    commitIntervalMs: config.eventCommitIntervalMs,
    commitMaxEvents: config.eventCommitMaxEvents,
  });
  const nodeRegistry = new RedisNodeRegistry({
    redis,
    keys,
    nodeId: deps.nodeId,
    leaseMs: config.nodeLeaseMs,
    log: redisLog,
  });
  const forwarder = new RedisControlForwarder({
    store,
    now,
    metrics,
    bus: createControlBus(redis, subscriber, cluster),
    keys,
    nodeId: deps.nodeId,
    liveness: nodeRegistry,
    // A forwarded event must be answered well within the lease, or the lease decides.
    replyTimeoutMs: Math.max(1000, config.nodeLeaseMs),
    log: log.child({ component: 'control-forwarder' }),
  });

  return {
    store,
    eventStream,
    heldControlEvents: new RedisHeldControlEvents({ redis, keys }),
    nodeRegistry,
    forwarder,
    /** Other nodes' leases, for the owner-loss reaper. */
    liveness: nodeRegistry as NodeLiveness,
    /** How often to look for calls of nodes whose lease ran out. */
    ownerLossScanMs: Math.max(500, Math.floor(config.nodeLeaseMs / 2)),
    /** For CallService's `onCallArrived`, next to the local `router.callArrived`. */
    announceCallArrived(callId: string, originalCallId: string): void {
      void forwarder.announceCallArrived(callId, originalCallId);
    },
    async start(router: ControlListenerTarget): Promise<void> {
      await assertTopology(redis, cluster);
      await nodeRegistry.start();
      await forwarder.startControlListener(router);
    },
    /** Call after the event stream and store were closed by their users. */
    async close(): Promise<void> {
      await forwarder.close();
      await nodeRegistry.stop();
      await eventStream.close();
      await redis.quit().catch(() => redis.disconnect());
    },
    /** Drops every connection at once, as a crashed process would; the lease then runs out. */
    disconnect(): void {
      for (const connection of [redis, blockingRedis, subscriber]) connection.disconnect();
    },
  };
}

export type RedisAdapters = ReturnType<typeof createRedisAdapters>;
