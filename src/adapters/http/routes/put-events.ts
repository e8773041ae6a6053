import { randomUUID } from 'node:crypto';
import type { FastifyError, FastifyInstance, FastifyRequest } from 'fastify';
import type { Config } from '../../../config/schema.js';
import type { ControlEvents } from '../../../ports/control-events.js';
import { awsErrors, sendAwsError, sendAwsJson, type AwsJsonError } from '../aws-json-errors.js';
import { planPutEvents, type PlannedEntry } from '../put-events-request.js';
import { verifySigV4, type SigV4Failure } from '../sigv4-verify.js';
import { checkSessionToken, putEventsCredentials } from '../put-events-credentials.js';

/**
 * EventBridge's PutEvents on `POST /` (AWS JSON 1.1), so boto3, the AWS CLI and the JS SDK
 * reach callscribe by pointing their EventBridge endpoint here and changing nothing else.
 */
export interface PutEventsDeps {
  config: Readonly<Config>;
  controlEvents: ControlEvents;
  now: () => number;
}

const TARGET = 'AWSEvents.PutEvents';
const ACCEPTED_MEDIA_TYPES = new Set(['application/x-amz-json-1.1', 'application/json']);

type EntryResult = { EventId: string } | { ErrorCode: string; ErrorMessage: string };

/** AWS limits entry sizes, not bodies; JSON escaping can double a Detail string on the wire. */
export function putEventsBodyLimitBytes(maxEntryBytes: number): number {
  return 2 * maxEntryBytes + 64 * 1024;
}

export function putEventsRoutes(deps: PutEventsDeps) {
  const bodyLimit = putEventsBodyLimitBytes(deps.config.putEventsMaxBodyBytes);
  const credentials = putEventsCredentials(deps.config);

  return async function putEventsPlugin(app: FastifyInstance): Promise<void> {
    // Raw bytes are needed for the SigV4 payload hash, whatever the client claims the type is.
    app.removeAllContentTypeParsers();
    app.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit }, (_request, body, done) =>
      done(null, body),
    );
    app.setErrorHandler((error: FastifyError, request, reply) => {
      if (error.code === 'FST_ERR_CTP_BODY_TOO_LARGE')
        return sendAwsError(reply, awsErrors.requestTooLarge(bodyLimit));
      if (error.statusCode !== undefined && error.statusCode < 500) {
        return sendAwsError(reply, awsErrors.serialization(error.message));
      }
      request.log.error({ err: error }, 'PutEvents failed');
      return sendAwsError(reply, awsErrors.internal());
    });

    app.post('/', { bodyLimit }, async (request, reply) => {
      const body = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
      const rejection = checkRequest(request, body);
      if (rejection) return sendAwsError(reply, rejection);

      let parsed: unknown;
      try {
        parsed = JSON.parse(body.toString('utf8'));
      } catch {
        return sendAwsError(reply, awsErrors.serialization('The request body is not valid JSON.'));
      }
      const plan = planPutEvents(parsed, deps.config.putEventsMaxBodyBytes);
      if (!plan.ok) return sendAwsError(reply, plan.error);

      // In order: a START and a STOP for one call in one request must apply in that order.
      const entries: EntryResult[] = [];
      for (const entry of plan.value) entries.push(await applyEntry(entry, request));
      const failed = entries.filter((e) => 'ErrorCode' in e).length;
      request.log.info(
        {
          entries: entries.length,
          failedEntries: failed,
          controlEvents: plan.value.filter((e) => e.kind === 'control').length,
        },
        'PutEvents handled',
      );
      return sendAwsJson(reply, 200, { FailedEntryCount: failed, Entries: entries });
    });
  };

  function checkRequest(request: FastifyRequest, body: Buffer): AwsJsonError | undefined {
    let signedBy: string | undefined;
    if (credentials.size > 0) {
      const verified = verifySigV4(
        {
          method: request.method,
          url: request.raw.url ?? request.url,
          rawHeaders: request.raw.rawHeaders,
          body,
        },
        {
          secretFor: (id) => credentials.get(id)?.secretAccessKey,
          nowMs: deps.now(),
          maxSkewMs: deps.config.sigv4MaxSkewMs,
          service: 'events',
        },
      );
      if (!verified.ok) {
        request.log.warn({ reason: verified.error.kind }, 'PutEvents signature rejected');
        return sigV4Error(verified.error);
      }
      signedBy = verified.value.accessKeyId;
    }
    const token = request.headers['x-amz-security-token'];
    const tokenFailure = checkSessionToken(
      typeof token === 'string' ? token : undefined,
      signedBy === undefined ? undefined : credentials.get(signedBy),
      deps.now(),
    );
    if (tokenFailure !== undefined) {
      request.log.warn({ reason: tokenFailure.reason }, 'PutEvents security token rejected');
      return tokenFailure.kind === 'expired-token'
        ? awsErrors.expiredToken()
        : awsErrors.unrecognizedClient();
    }
    const target = request.headers['x-amz-target'];
    if (target !== TARGET)
      return awsErrors.unknownOperation(typeof target === 'string' ? target : '');
    const mediaType =
      (request.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
    if (!ACCEPTED_MEDIA_TYPES.has(mediaType)) {
      return awsErrors.unsupportedMediaType(
        'Content-Type must be application/x-amz-json-1.1 (or application/json).',
      );
    }
    return undefined;
  }

  async function applyEntry(entry: PlannedEntry, request: FastifyRequest): Promise<EntryResult> {
    if (entry.kind === 'failed')
      return { ErrorCode: entry.errorCode, ErrorMessage: entry.errorMessage };
    const eventId = randomUUID();
    if (entry.kind === 'ignored') return { EventId: eventId };
    try {
      await deps.controlEvents.submit(
        { type: entry.type, detail: entry.detail, ingress: 'putevents', eventId },
        { holdIfUnknown: true },
      );
      return { EventId: eventId };
    } catch (error) {
      request.log.error(
        { err: error, eventId, type: entry.type },
        'control event could not be submitted',
      );
      // InternalFailure is one of the codes AWS documents as retryable per entry.
      return {
        ErrorCode: 'InternalFailure',
        ErrorMessage: 'The event could not be processed; retry it.',
      };
    }
  }
}

function sigV4Error(failure: SigV4Failure): AwsJsonError {
  switch (failure.kind) {
    case 'missing-token':
      return awsErrors.missingAuthenticationToken();
    case 'incomplete-signature':
      return awsErrors.incompleteSignature(failure.message);
    case 'unknown-key':
      return awsErrors.unrecognizedClient();
    case 'invalid-signature':
      return awsErrors.invalidSignature(failure.message);
  }
}
