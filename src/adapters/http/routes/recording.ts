import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import type { FastifyInstance } from 'fastify';
import { AppError } from '../../../domain/errors.js';
import { parseByteRange } from '../byte-range.js';
import type { RecordingLookup } from '../http-server-deps.js';

/** The call's stereo WAV (caller left, agent right), with single-range support for seeking players. */
export function recordingRoutes(deps: { recordings: RecordingLookup }) {
  return async function recordingPlugin(app: FastifyInstance): Promise<void> {
    app.get<{ Params: { callId: string } }>(
      '/api/calls/:callId/recording',
      async (request, reply) => {
        const path = await deps.recordings.pathFor(request.params.callId);
        const info = path === undefined ? undefined : await stat(path).catch(() => undefined);
        if (path === undefined || info === undefined || !info.isFile()) {
          throw new AppError('RECORDING_NOT_FOUND', 'no recording for this call');
        }
        reply.header('accept-ranges', 'bytes').type('audio/wav');
        const range = parseByteRange(request.headers.range, info.size);
        if (range === 'unsatisfiable') {
          return reply.code(416).header('content-range', `bytes */${info.size}`).send();
        }
        if (range === undefined) {
          return reply.header('content-length', info.size).send(createReadStream(path));
        }
        return reply
          .code(206)
          .header('content-range', `bytes ${range.start}-${range.end}/${info.size}`)
          .header('content-length', range.end - range.start + 1)
          .send(createReadStream(path, { start: range.start, end: range.end }));
      },
    );
  };
}
