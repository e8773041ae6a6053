import { AppError } from '../../domain/errors.js';

/**
 * Event ids are decimal integers: microseconds since the epoch at append time, or one more than
 * the previous id when that is larger, so they keep increasing across nodes and even after
 * Redis lost its data. In Redis they are the stream entry ids `<id>-0` of both the all-calls
 * and the per-call stream, which is why one Last-Event-ID works on either feed.
 */
export function parseAfterId(afterId: string | undefined): number {
  if (afterId === undefined || afterId === '') return 0;
  if (!/^\d{1,16}$/.test(afterId)) {
    throw new AppError('INVALID_REQUEST', 'event id must be a decimal integer', {
      details: { afterId },
    });
  }
  return Number(afterId);
}

export function toStreamId(id: number): string {
  return `${id}-0`;
}

/** `1772000000000001-0` → `1772000000000001`. */
export function fromStreamId(streamId: string): string {
  const dash = streamId.indexOf('-');
  return dash < 0 ? streamId : streamId.slice(0, dash);
}
