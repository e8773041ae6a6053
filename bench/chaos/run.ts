import { randomUUID } from 'node:crypto';
import { parseArgs } from 'node:util';
import { runChaos, type ChaosResult, type ChaosStore } from '../../test/support/chaos/chaos-run.js';
import { chaosSeed } from '../../test/support/chaos/seeded-random.js';
import { redisClient } from '../../test/support/redis-client.js';
import { deleteKeys } from '../../test/support/redis-test-keys.js';

/**
 * The chaos test at full size: more calls, more SIGKILLs, longer rounds, on SQLite and on Redis
 * (private key prefix, deleted afterwards). Exits 1 when an invariant is broken, printing the
 * seed and keeping the data directory.
 *
 *   npm run build && npx tsx bench/chaos/run.ts --rounds 10 --calls 30 --stores sqlite,redis
 *   CALLSCRIBE_CHAOS_SEED=1234 npx tsx bench/chaos/run.ts ...     # replay a seed
 */
const { values } = parseArgs({
  options: {
    rounds: { type: 'string', default: '10' },
    calls: { type: 'string', default: '30' },
    'kill-min-ms': { type: 'string', default: '500' },
    'kill-max-ms': { type: 'string', default: '10000' },
    concurrency: { type: 'string', default: '4' },
    'flush-ms': { type: 'string', default: '1000' },
    stores: { type: 'string', default: 'sqlite,redis' },
    redis: {
      type: 'string',
      default: process.env.CALLSCRIBE_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379',
    },
  },
});

const seed = chaosSeed();
const results: { store: string; result: ChaosResult; seconds: number }[] = [];
let broken = false;
for (const name of (values.stores ?? '').split(',').filter(Boolean)) {
  const store: ChaosStore =
    name === 'redis'
      ? { kind: 'redis', url: values.redis, keyPrefix: `cs-chaos-bench-${randomUUID()}:` }
      : { kind: 'sqlite' };
  const startedMs = Date.now();
  try {
    const result = await runChaos({
      seed,
      store,
      rounds: Number(values.rounds),
      callsPerRound: Number(values.calls),
      killAfterMs: [Number(values['kill-min-ms']), Number(values['kill-max-ms'])],
      controlConcurrency: Number(values.concurrency),
      recordingFlushMs: Number(values['flush-ms']),
      log: (line) => console.log(`[${name}] ${line}`),
    });
    results.push({ store: name, result, seconds: (Date.now() - startedMs) / 1000 });
    if (result.invariants.violations.length > 0) broken = true;
  } finally {
    if (store.kind === 'redis') {
      const redis = redisClient({ url: store.url, cluster: false });
      await deleteKeys(redis, store.keyPrefix);
      await redis.quit();
    }
  }
}

console.log(
  '\n| store | rounds (SIGKILLs) | calls placed / answered | control events acknowledged / not | end reasons | recordings | events checked | violations | seconds |',
);
console.log('| --- | ---: | ---: | ---: | --- | ---: | ---: | ---: | ---: |');
for (const { store, result, seconds } of results) {
  const reasons = Object.entries(result.invariants.endReasons)
    .map(([reason, n]) => `${reason} ${n}`)
    .join(', ');
  console.log(
    `| ${store} | ${result.rounds} | ${result.placed} / ${result.answered} | ${result.acked} / ${result.notAcked} | ${reasons} | ${result.invariants.recordings} | ${result.invariants.eventsChecked} | ${result.invariants.violations.length} | ${seconds.toFixed(0)} |`,
  );
}
for (const { store, result } of results) {
  console.log(
    `\n${store}: acknowledged outcomes ${JSON.stringify(result.invariants.ackedOutcomes)}`,
  );
  for (const violation of result.invariants.violations.slice(0, 50))
    console.log(`${store} VIOLATION: ${violation}`);
}
console.log(`\nseed ${seed}`);
process.exit(broken ? 1 : 0);
