import type { FastifyReply } from 'fastify';

/**
 * Errors in the AWS JSON 1.1 wire shape. SDKs read the type from `x-amzn-ErrorType` first and
 * then from `__type`, so both are always sent.
 */
export const AWS_JSON_CONTENT_TYPE = 'application/x-amz-json-1.1';

export class AwsJsonError extends Error {
  constructor(
    readonly statusCode: number,
    readonly type: string,
    message: string,
  ) {
    super(message);
    this.name = 'AwsJsonError';
  }
}

export function sendAwsJson(reply: FastifyReply, statusCode: number, body: unknown): FastifyReply {
  return reply
    .code(statusCode)
    .header('x-amzn-RequestId', reply.request.id)
    .header('content-type', AWS_JSON_CONTENT_TYPE)
    .send(Buffer.from(JSON.stringify(body), 'utf8'));
}

export function sendAwsError(reply: FastifyReply, error: AwsJsonError): FastifyReply {
  reply.header('x-amzn-ErrorType', error.type);
  return sendAwsJson(reply, error.statusCode, { __type: error.type, message: error.message });
}

export const awsErrors = {
  missingAuthenticationToken: () =>
    new AwsJsonError(400, 'MissingAuthenticationTokenException', 'Missing Authentication Token'),
  incompleteSignature: (message: string) =>
    new AwsJsonError(400, 'IncompleteSignatureException', message),
  unrecognizedClient: () =>
    new AwsJsonError(
      403,
      'UnrecognizedClientException',
      'The security token included in the request is invalid.',
    ),
  expiredToken: () =>
    new AwsJsonError(
      400,
      'ExpiredTokenException',
      'The security token included in the request is expired',
    ),
  invalidSignature: (
    message = 'The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.',
  ) => new AwsJsonError(403, 'InvalidSignatureException', message),
  unknownOperation: (target: string) =>
    new AwsJsonError(
      400,
      'UnknownOperationException',
      `Operation ${JSON.stringify(target)} is not supported; use AWSEvents.PutEvents.`,
    ),
  serialization: (message: string) => new AwsJsonError(400, 'SerializationException', message),
  validation: (message: string) => new AwsJsonError(400, 'ValidationException', message),
  unsupportedMediaType: (message: string) =>
    new AwsJsonError(415, 'UnsupportedMediaTypeException', message),
  requestTooLarge: (limitBytes: number) =>
    new AwsJsonError(
      413,
      'RequestEntityTooLargeException',
      `Request body is over the limit of ${limitBytes} bytes.`,
    ),
  internal: () => new AwsJsonError(500, 'InternalException', 'Internal service error.'),
};
