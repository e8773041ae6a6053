import { Writable } from 'node:stream';
import { pino, type Logger } from 'pino';
import { PII_REDACT_PATHS } from '../../src/observability/logger.js';

export interface CapturedLog {
  log: Logger;
  lines: Record<string, unknown>[];
  messages(): string[];
}

/** A real pino logger (with the production redaction) whose lines the test can read. */
export function captureLog(level = 'debug'): CapturedLog {
  const lines: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const line of chunk.toString('utf8').split('\n'))
        if (line) lines.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  const log = pino({ level, redact: { paths: PII_REDACT_PATHS, censor: '[redacted]' } }, sink);
  return { log, lines, messages: () => lines.map((l) => String(l.msg)) };
}
