import { createConnection } from 'node:net';
import { inCi } from './tools.js';

export const REDIS_URL = process.env.CALLSCRIBE_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

/** Resolves true when a Redis answers on the test URL; skips visibly (or fails in CI) otherwise. */
export async function redisAvailable(): Promise<boolean> {
  const url = new URL(REDIS_URL);
  const ok = await new Promise<boolean>((resolve) => {
    const socket = createConnection({ host: url.hostname, port: Number(url.port || 6379) });
    socket.setTimeout(1000);
    socket.once('connect', () => {
      socket.end();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
    socket.once('timeout', () => {
      socket.destroy();
      resolve(false);
    });
  });
  if (!ok) {
    if (inCi) throw new Error(`Redis is not reachable at ${REDIS_URL}, but CI=true`);
    console.warn(`SKIPPED: Redis is not reachable at ${REDIS_URL}; Redis tests are skipped`);
  }
  return ok;
}
