import { AppError, type ErrorCode } from '../../domain/errors.js';

/**
 * Turns a better-sqlite3 failure into the port's error. Worth retrying: a busy or locked
 * database (another process holds the write lock past busy_timeout), and storage that cannot
 * take the write now (disk full, I/O error, a filesystem remounted read-only), which an
 * operator can fix while the server keeps its state in memory. Anything else is not.
 */
export function sqliteFailure(error: unknown, code: ErrorCode, message: string): AppError {
  if (error instanceof AppError) return error;
  const sqliteCode = sqliteCodeOf(error);
  const retryable =
    sqliteCode === 'SQLITE_BUSY' || sqliteCode === 'SQLITE_LOCKED' || isStorageFailure(sqliteCode);
  return new AppError(code, message, { cause: error, retryable, details: { sqliteCode } });
}

export function sqliteCodeOf(error: unknown): string | undefined {
  return typeof error === 'object' &&
    error !== null &&
    'code' in error &&
    typeof error.code === 'string'
    ? error.code
    : undefined;
}

/** The database file cannot be written: disk full, I/O error, read-only or vanished storage. */
export function isStorageFailure(sqliteCode: string | undefined): sqliteCode is string {
  return sqliteCode !== undefined && /^SQLITE_(FULL|IOERR|READONLY|CANTOPEN)/.test(sqliteCode);
}
