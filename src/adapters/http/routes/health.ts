import type { FastifyInstance } from 'fastify';
import type { Metrics } from '../../../observability/metrics.js';
import type { HealthSource } from '../../../ports/health.js';

/**
 * Liveness for load balancers and the Prometheus scrape endpoint; both open, outside /api.
 * `/healthz` answers 503 `degraded`, naming what fails, while a part of the server cannot do
 * its work (the database or the recordings cannot be written): the process is up and keeps
 * its calls, but should not be sent more work until the failure passes.
 */
export function healthRoutes(deps: {
  metrics: Metrics;
  nodeId: string;
  startedAtMs: number;
  now: () => number;
  health?: readonly HealthSource[];
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
      return reply.code(failing.length === 0 ? 200 : 503).send({
        status: failing.length === 0 ? 'ok' : 'degraded',
        nodeId: deps.nodeId,
        uptimeS: Math.floor((deps.now() - deps.startedAtMs) / 1000),
        ...(failing.length === 0 ? {} : { failing }),
      });
    });

    app.get('/metrics', async (_request, reply) =>
      reply.type(deps.metrics.registry.contentType).send(await deps.metrics.registry.metrics()),
    );
  };
}
