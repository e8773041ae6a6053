import { createHash } from 'node:crypto';
import type { RedisClient } from './redis-connection.js';

/**
 * A Lua script run by its SHA1, loaded on demand: after a Redis restart (or on a Cluster node
 * that has not seen it) the script cache is empty, so NOSCRIPT is answered by sending the body
 * once with EVAL (which caches it again). On a Cluster the first key routes the call.
 */
export class LuaScript {
  readonly #sha: string;

  constructor(readonly body: string) {
    this.#sha = createHash('sha1').update(body).digest('hex');
  }

  async run(
    redis: RedisClient,
    keys: readonly string[],
    args: readonly (string | number)[],
  ): Promise<unknown> {
    try {
      return await redis.evalsha(this.#sha, keys.length, ...keys, ...args);
    } catch (error) {
      // On a Cluster the NOSCRIPT may arrive as the last error of a redirection chain.
      if (!(error instanceof Error) || !error.message.includes('NOSCRIPT')) throw error;
      return redis.eval(this.body, keys.length, ...keys, ...args);
    }
  }
}
