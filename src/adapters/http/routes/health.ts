import type { FastifyInstance } from 'fastify';
import type { Metrics } from '../../../observability/metrics.js';

/** Liveness for load balancers and the Prometheus scrape endpoint; both open, outside /api. */
export function healthRoutes(deps: {
  metrics: Metrics;
  nodeId: string;
  startedAtMs: number;
  now: () => number;
}) {
  return async function healthPlugin(app: FastifyInstance): Promise<void> {
    app.get('/healthz', async () => ({
      status: 'ok',
      nodeId: deps.nodeId,
      uptimeS: Math.floor((deps.now() - deps.startedAtMs) / 1000),
    }));

    app.get('/metrics', async (_request, reply) =>
      reply.type(deps.metrics.registry.contentType).send(await deps.metrics.registry.metrics()),
    );
  };
}
