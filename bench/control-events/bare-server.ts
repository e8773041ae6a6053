import Fastify, { type FastifyInstance } from 'fastify';

const FIXED_REPLY = Buffer.from(
  JSON.stringify({
    FailedEntryCount: 0,
    Entries: [{ EventId: '00000000-0000-4000-8000-000000000000' }],
  }),
  'utf8',
);

/**
 * The floor callscribe is compared against: fastify reading the body as bytes (as callscribe's
 * PutEvents route does) and answering a fixed one-entry PutEvents success. No signature check,
 * no parsing, no logging.
 */
export async function startBareServer(): Promise<{ httpPort: number; app: FastifyInstance }> {
  const app = Fastify();
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (_request, body, done) => done(null, body));
  app.post('/', async (_request, reply) =>
    reply.code(200).header('content-type', 'application/x-amz-json-1.1').send(FIXED_REPLY),
  );
  await app.listen({ host: '127.0.0.1', port: 0 });
  const address = app.server.address();
  return { httpPort: typeof address === 'object' && address ? address.port : 0, app };
}
