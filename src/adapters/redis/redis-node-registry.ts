import type { Logger } from 'pino';
import type { NodeLiveness } from '../../ports/node-liveness.js';
import type { RedisClient } from './redis-connection.js';
import type { RedisKeys } from './redis-keys.js';

export interface RedisNodeRegistryOptions {
  redis: RedisClient;
  keys: RedisKeys;
  nodeId: string;
  /** A node that has not renewed for this long is considered gone (`nodeLeaseMs`). */
  leaseMs: number;
  log: Logger;
}

/**
 * Each node holds `node#<nodeId>` with a PX lease and renews it every lease/3, so one or two
 * missed renewals (a GC pause, a Redis failover) do not declare a healthy node dead.
 */
export class RedisNodeRegistry implements NodeLiveness {
  readonly #options: RedisNodeRegistryOptions;
  #timer: NodeJS.Timeout | undefined;
  #renewing: Promise<void> = Promise.resolve();
  #failing = false;

  constructor(options: RedisNodeRegistryOptions) {
    this.#options = options;
  }

  get nodeId(): string {
    return this.#options.nodeId;
  }

  /** Takes the lease (resolves once it is held) and keeps renewing it. */
  async start(): Promise<void> {
    await this.#renew();
    this.#timer = setInterval(
      () => {
        this.#renewing = this.#renew().catch(() => undefined);
      },
      Math.max(1, Math.floor(this.#options.leaseMs / 3)),
    );
    this.#timer.unref();
  }

  async isAlive(nodeId: string): Promise<boolean> {
    return (await this.#options.redis.exists(this.#options.keys.node(nodeId))) === 1;
  }

  /** Stops renewing and gives the lease up, so other nodes take over this node's calls at once. */
  async stop(): Promise<void> {
    clearInterval(this.#timer);
    this.#timer = undefined;
    await this.#renewing;
    try {
      await this.#options.redis.del(this.#options.keys.node(this.#options.nodeId));
    } catch (err) {
      this.#options.log.warn({ err }, 'node lease could not be released; it runs out by itself');
    }
  }

  async #renew(): Promise<void> {
    const { redis, keys, nodeId, leaseMs, log } = this.#options;
    try {
      await redis.set(keys.node(nodeId), String(Date.now()), 'PX', leaseMs);
      if (this.#failing) log.info({ nodeId }, 'node lease renewed again');
      this.#failing = false;
    } catch (err) {
      if (!this.#failing)
        log.error(
          { err, nodeId },
          "node lease renewal failed; other nodes may end this node's calls",
        );
      this.#failing = true;
      throw err;
    }
  }
}
