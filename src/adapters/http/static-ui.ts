import { existsSync } from 'node:fs';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance } from 'fastify';

/** The web UI build at /. Assets hold no call data, so they are open; the UI sends the API token. */
export async function registerStaticUi(
  app: FastifyInstance,
  staticDir: string | undefined,
): Promise<void> {
  if (staticDir === undefined || !existsSync(staticDir)) return;
  await app.register(fastifyStatic, { root: staticDir, prefix: '/', index: ['index.html'] });
}
