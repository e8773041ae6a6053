import { AppError } from '../../domain/errors.js';

/**
 * Event ids are the decimal autoincrement ids. An absent or empty `afterId` means "from the
 * start"; anything else that is not a decimal integer is refused (SSE clients echo whatever
 * Last-Event-ID they were given, so garbage there is a client bug worth surfacing).
 */
export function parseAfterId(afterId: string | undefined): number {
  if (afterId === undefined || afterId === '') return 0;
  if (!/^\d{1,15}$/.test(afterId)) {
    throw new AppError('INVALID_REQUEST', 'event id must be a decimal integer', {
      details: { afterId },
    });
  }
  return Number(afterId);
}
