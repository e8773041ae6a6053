import type { FastifyInstance } from 'fastify';
import type { Metrics } from '../../../observability/metrics.js';
import type { HealthSource } from '../../../ports/health.js';

/** The node's load, and whether it takes new calls. */
export interface NodeLoad {
  /** The limits passed (calls, lag, cpu); empty while new calls are admitted. */
  overload: string[];
  liveCalls: number;
  /** Event-loop lag p99 over the last seconds, per thread (main, media-N), ms. */
  lagP99Ms: Record<string, number>;
  /** Process CPU, all threads, percent of the machine's cores, over the last seconds. */
  cpuPercent: number;
}

/**
 * Health for load balancers and the Prometheus scrape endpoint; both open, outside /api.
 * `/healthz` answers 503 while the node should not be sent more work: `degraded`, naming what
 * fails, while a part of the server cannot do its work (the database or the recordings cannot
 * be written), or `overloaded`, naming the limits passed, while new calls are refused. Either
 * way the process is up and keeps its calls.
 */
export function healthRoutes(deps: {
  metrics: Metrics;
  nodeId: string;
  startedAtMs: number;
  now: () => number;
  health?: readonly HealthSource[];
  load?: () => NodeLoad;
}) {
  return async function healthPlugin(app: FastifyInstance): Promise<void> {
    app.get('/healthz', async (_request, reply) => {
      const checks = await Promise.all((deps.health ?? []).map((source) => source.health()));
      const failing = checks.flatMap((check) =>
        check.ok
          ? []
          : [
              {
                component: check.component,
                code: check.code,
                since: new Date(check.sinceMs).toISOString(),
              },
            ],
      );
      const load = deps.load?.();
      const overloaded = (load?.overload.length ?? 0) > 0;
      const status = failing.length > 0 ? 'degraded' : overloaded ? 'overloaded' : 'ok';
      return reply.code(status === 'ok' ? 200 : 503).send({
        status,
        nodeId: deps.nodeId,
        uptimeS: Math.floor((deps.now() - deps.startedAtMs) / 1000),
        ...(failing.length === 0 ? {} : { failing }),
        ...(load === undefined ? {} : load.overload.length === 0 ? omitOverload(load) : load),
      });
    });

    app.get('/metrics', async (_request, reply) =>
      reply.type(deps.metrics.registry.contentType).send(await deps.metrics.registry.metrics()),
    );
  };
}

function omitOverload(load: NodeLoad): Omit<NodeLoad, 'overload'> {
  const { overload: _none, ...rest } = load;
  return rest;
}
