import type { HeldControlEvent, HeldControlEvents } from '../../ports/held-control-events.js';
import type { RedisClient } from './redis-connection.js';
import { redisFailure } from './redis-failure.js';
import type { RedisKeys } from './redis-keys.js';

/** Keeps a hash whose node never comes back from staying forever: a minute past its last hold. */
const KEEP_AFTER_LAST_HOLD_MS = 60_000;

/** Held control events in one hash per node (one key, so one slot on a Cluster). */
export class RedisHeldControlEvents implements HeldControlEvents {
  readonly #redis: RedisClient;
  readonly #keys: RedisKeys;

  constructor(options: { redis: RedisClient; keys: RedisKeys }) {
    this.#redis = options.redis;
    this.#keys = options.keys;
  }

  async add(nodeId: string, held: HeldControlEvent): Promise<void> {
    const key = this.#keys.heldControlEvents(nodeId);
    await this.#run('cannot store the held control event', async () => {
      const replies = await this.#redis
        .multi()
        .hset(key, held.request.eventId, JSON.stringify(held))
        .pexpireat(key, held.expiresAtMs + KEEP_AFTER_LAST_HOLD_MS)
        .exec();
      const failed = replies?.find(([error]) => error !== null);
      if (replies === null || failed) throw failed?.[0] ?? new Error('transaction aborted');
    });
  }

  async remove(nodeId: string, eventId: string): Promise<void> {
    await this.#run('cannot delete the held control event', () =>
      this.#redis.hdel(this.#keys.heldControlEvents(nodeId), eventId),
    );
  }

  async list(nodeId: string): Promise<HeldControlEvent[]> {
    return this.#run('cannot read the held control events', async () => {
      const all = await this.#redis.hgetall(this.#keys.heldControlEvents(nodeId));
      return Object.values(all)
        .map((data) => JSON.parse(data) as HeldControlEvent)
        .sort(
          (a, b) =>
            a.receivedAt.localeCompare(b.receivedAt) ||
            a.request.eventId.localeCompare(b.request.eventId),
        );
    });
  }

  async #run<T>(message: string, body: () => Promise<T>): Promise<T> {
    try {
      return await body();
    } catch (error) {
      throw redisFailure(error, 'STORE_UNAVAILABLE', message);
    }
  }
}
