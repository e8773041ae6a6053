import { randomUUID } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { chaosSeed } from '../support/chaos/seeded-random.js';
import { runChaos, type ChaosStore } from '../support/chaos/chaos-run.js';
import { redisAvailable, redisClient, REDIS_URL } from '../support/redis.js';
import { deleteKeys } from '../support/redis-test-keys.js';

/**
 * Chaos, at a size that fits CI on a loaded 2-core box: concurrent SIPREC calls (parked,
 * processing, paused) over real SIP and RTP, PutEvents all along, SIGKILL at random points and
 * restarts on the same data, then the invariants (see chaos-invariants.ts). The seed is printed;
 * CALLSCRIBE_CHAOS_SEED replays it. bench/chaos runs the same at full size.
 */
const withRedis = await redisAvailable();
const stores: { name: string; store: () => ChaosStore }[] = [
  { name: 'SQLite', store: () => ({ kind: 'sqlite' }) },
  ...(withRedis
    ? [
        {
          name: 'Redis',
          store: (): ChaosStore => ({
            kind: 'redis',
            url: REDIS_URL,
            keyPrefix: `cs-chaos-${randomUUID()}:`,
          }),
        },
      ]
    : []),
];

describe.each(stores)('chaos: SIGKILL and restart on $name', ({ store }) => {
  const prefixes: string[] = [];
  afterAll(async () => {
    if (prefixes.length === 0) return;
    const redis = redisClient({ url: REDIS_URL, cluster: false });
    for (const prefix of prefixes) await deleteKeys(redis, prefix);
    await redis.quit();
  });

  it('ends every call with a reason, keeps every recording whole and every acknowledged outcome', async () => {
    const target = store();
    if (target.kind === 'redis') prefixes.push(target.keyPrefix);
    const result = await runChaos({
      seed: chaosSeed(),
      store: target,
      rounds: 3,
      callsPerRound: 6,
      killAfterMs: [500, 4000],
      controlConcurrency: 2,
      recordingFlushMs: 200,
      log: (line) => console.log(line),
    });
    console.log(JSON.stringify({ ...result, dataDir: undefined }));
    expect(result.invariants.violations, `seed ${result.seed}`).toEqual([]);
    // The run did what it claims: calls reached the node, control events were acknowledged,
    // recovery ended calls, and recordings were checked.
    expect(result.invariants.calls).toBeGreaterThanOrEqual(result.answered);
    expect(result.answered).toBeGreaterThan(0);
    expect(result.acked).toBeGreaterThan(0);
    expect(result.invariants.endReasons['node-restart'] ?? 0).toBeGreaterThan(0);
    expect(result.invariants.recordings).toBeGreaterThan(0);
  }, 300_000);
});
