import { appendAllEventsScript } from '../../src/adapters/redis/call-event-scripts.js';
import type { RedisClient } from '../../src/adapters/redis/redis-connection.js';
import type { RedisKeys } from '../../src/adapters/redis/redis-keys.js';
import type { CallEvent } from '../../src/domain/call-event.js';

/**
 * The first step of a Redis event group alone, as a node that died before the second (or two
 * nodes racing on one call) leaves it: the events get ids and reach the all-calls stream, not
 * their calls' own streams. Returns their ids, in order.
 */
export async function appendToAllCallsStreamOnly(
  redis: RedisClient,
  keys: RedisKeys,
  events: readonly CallEvent[],
): Promise<string[]> {
  const ids = await appendAllEventsScript.run(
    redis,
    [keys.eventSequence, keys.allEvents, keys.eventExpiry],
    [
      Date.now() * 1000,
      100_000,
      Date.now() + 3_600_000,
      ...events.flatMap((event) => [event.CallId, JSON.stringify(event)]),
    ],
  );
  return (ids as unknown[]).map(String);
}
