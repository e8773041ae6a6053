import { pino, type Logger } from 'pino';

/**
 * PII goes only under the `pii` key (phone numbers, transcripts, SIP headers, metadata), which
 * is redacted unless `logRedact` is off. Messages themselves are static strings.
 */
export const PII_REDACT_PATHS = ['pii', '*.pii', 'req.headers.authorization'];

export function createLogger(options: {
  level: string;
  redact: boolean;
  destination?: pino.DestinationStream;
}): Logger {
  return pino(
    {
      level: options.level,
      base: { service: 'callscribe' },
      redact: options.redact ? { paths: PII_REDACT_PATHS, censor: '[redacted]' } : undefined,
    },
    options.destination ?? pino.destination({ sync: false }),
  );
}

/** A per-call child logger; only the callId is bound, never numbers. */
export function callLogger(root: Logger, callId: string): Logger {
  return root.child({ callId });
}

export type { Logger };
