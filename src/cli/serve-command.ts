import type { Config } from '../config/schema.js';
import { buildServer } from '../composition-root.js';

/** Runs until SIGINT/SIGTERM, then ends every call cleanly (finals flushed, END published). */
export async function runServe(config: Readonly<Config>): Promise<void> {
  const server = await buildServer(config);
  await server.start();
  await new Promise<void>((resolve) => {
    const stop = () => {
      server.log.info('shutting down');
      server
        .stop()
        .catch((err: unknown) => server.log.error({ err }, 'shutdown failed'))
        .finally(resolve);
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
    // Certificate rotation; without a handler SIGHUP would end the process.
    process.on('SIGHUP', () => {
      server.log.info('SIGHUP: reloading TLS certificates');
      server.reloadTls().catch((err: unknown) => server.log.error({ err }, 'TLS reload failed'));
    });
  });
}
