import { AppError, type ErrorCode } from '../../domain/errors.js';

/**
 * Turns a better-sqlite3 failure into the port's error. A busy or locked database (another
 * process holds the write lock past busy_timeout) is worth retrying; anything else is not.
 */
export function sqliteFailure(error: unknown, code: ErrorCode, message: string): AppError {
  if (error instanceof AppError) return error;
  const sqliteCode =
    typeof error === 'object' && error !== null && 'code' in error && typeof error.code === 'string'
      ? error.code
      : undefined;
  const retryable = sqliteCode === 'SQLITE_BUSY' || sqliteCode === 'SQLITE_LOCKED';
  return new AppError(code, message, { cause: error, retryable, details: { sqliteCode } });
}
