import { randomUUID } from 'node:crypto';
import type { Server as HttpsServer } from 'node:https';
import { hostname } from 'node:os';
import type { TLSSocket } from 'node:tls';
import fastifyWebsocket from '@fastify/websocket';
import Fastify, { LogController, type FastifyInstance } from 'fastify';
import { AppError } from '../../domain/errors.js';
import { apiErrorHandler, sendAppError } from './api-errors.js';
import { createBearerAuth } from './bearer-auth.js';
import type { HttpServerDeps } from './http-server-deps.js';
import { callRoutes } from './routes/calls.js';
import { controlOutcomeRoutes } from './routes/control-outcomes.js';
import { eventBridgeTargetRoutes } from './routes/eventbridge-target.js';
import { healthRoutes } from './routes/health.js';
import { putEventsRoutes } from './routes/put-events.js';
import { recordingRoutes } from './routes/recording.js';
import { sseRoutes } from './routes/sse-events.js';
import { transcriptRoutes } from './routes/transcript.js';
import { wsRoutes } from './routes/ws-events.js';
import { registerStaticUi } from './static-ui.js';
import { handshakeFailureReason } from '../tls/handshake-failure.js';
import { secureContextOptions, type TlsMaterial } from '../tls/tls-material.js';

export type { HttpServerDeps } from './http-server-deps.js';

/**
 * The HTTP edge: EventBridge-compatible PutEvents on `POST /`, the REST API and event streams
 * under /api (bearer token when configured), health and metrics. Not yet listening; the caller
 * decides where.
 */
export function createHttpServer(deps: HttpServerDeps): FastifyInstance {
  const now = deps.now ?? Date.now;
  const app = Fastify({
    loggerInstance: deps.log,
    // Request URLs can carry ?access_token=, so fastify's own request logging stays off.
    logController: new LogController({ disableRequestLogging: true }),
    genReqId: () => randomUUID(),
    forceCloseConnections: true,
    ...(deps.tls === undefined
      ? {}
      : {
          https: {
            ...secureContextOptions(deps.tls),
            handshakeTimeout: deps.config.tlsHandshakeTimeoutMs,
          },
        }),
  }) as unknown as FastifyInstance;
  if (deps.tls !== undefined) countTlsHandshakeFailures(app.server, deps);

  app.addHook('onResponse', async (request, reply) => {
    const level =
      request.routeOptions.url === '/healthz' || request.routeOptions.url === '/metrics'
        ? 'debug'
        : 'info';
    request.log[level](
      {
        method: request.method,
        route: request.routeOptions.url ?? null,
        statusCode: reply.statusCode,
        responseTimeMs: Math.round(reply.elapsedTime),
      },
      'http request',
    );
  });

  // Fastify's default echoes the URL, which may hold ?access_token=.
  app.setNotFoundHandler((request, reply) =>
    sendAppError(
      reply,
      new AppError(
        'ROUTE_NOT_FOUND',
        `no route for ${request.method} ${request.url.split('?')[0] ?? ''}`,
      ),
    ),
  );
  void app.register(fastifyWebsocket);
  void app.register(
    putEventsRoutes({ config: deps.config, controlEvents: deps.controlEvents, now }),
  );
  void app.register(
    healthRoutes({
      metrics: deps.metrics,
      nodeId: deps.nodeId ?? deps.config.nodeId ?? hostname(),
      startedAtMs: now(),
      now,
      health: deps.health,
      load: deps.load,
    }),
  );
  void app.register(async (api) => {
    api.addHook('onRequest', createBearerAuth(deps.config.apiToken));
    api.setErrorHandler(apiErrorHandler);
    await api.register(
      callRoutes({ callStore: deps.callStore, controlEvents: deps.controlEvents }),
    );
    await api.register(controlOutcomeRoutes({ controlEvents: deps.controlEvents }));
    await api.register(eventBridgeTargetRoutes({ controlEvents: deps.controlEvents }));
    await api.register(sseRoutes({ eventStream: deps.eventStream, callStore: deps.callStore }));
    await api.register(wsRoutes({ eventStream: deps.eventStream, callStore: deps.callStore }));
    await api.register(
      transcriptRoutes({ eventStream: deps.eventStream, callStore: deps.callStore }),
    );
    await api.register(recordingRoutes({ recordings: deps.recordings }));
  });
  if (deps.config.webUi) void app.register(async (ui) => registerStaticUi(ui, deps.staticDir));
  return app;
}

/** Scanners and plain-HTTP clients hitting the HTTPS port: counted, logged, never fatal. */
function countTlsHandshakeFailures(server: FastifyInstance['server'], deps: HttpServerDeps): void {
  server.on('tlsClientError', (error: NodeJS.ErrnoException, socket: TLSSocket) => {
    socket.destroy();
    const reason = handshakeFailureReason(error);
    deps.metrics.tlsHandshakeFailures.inc({ listener: 'http', reason });
    deps.log.info(
      { listener: 'http', reason, code: error.code, remoteAddress: socket.remoteAddress },
      'TLS handshake failed',
    );
  });
}

/** Serves a new certificate to new connections; open ones keep theirs (certificate rotation). */
export function setHttpsCertificate(app: FastifyInstance, material: TlsMaterial): void {
  (app.server as unknown as HttpsServer).setSecureContext(secureContextOptions(material));
}
