import { Counter, type Registry } from 'prom-client';

/** Redis failures that reached a caller, by operation, on the server's own registry. */
export function createRedisMetrics(registry: Registry) {
  return {
    failures: new Counter({
      name: 'callscribe_redis_failures_total',
      help: 'Redis operations that failed after the client gave up retrying, by operation',
      labelNames: ['operation'] as const,
      registers: [registry],
    }),
    forwarded: new Counter({
      name: 'callscribe_control_forwarded_total',
      help: 'Control events forwarded to the node that holds the call, by result',
      labelNames: ['result'] as const,
      registers: [registry],
    }),
  };
}

export type RedisMetrics = ReturnType<typeof createRedisMetrics>;
