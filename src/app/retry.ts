import type { Logger } from 'pino';
import { isAppError } from '../domain/errors.js';

/** Back-off between attempts while a store refuses writes (disk full, I/O errors, Redis down). */
const RETRY_DELAYS_MS = [100, 250, 500, 1000, 2000, 5000] as const;

export interface RetryOptions {
  log: Logger;
  /** Logged once when the first attempt fails, e.g. 'call end could not be stored'. */
  what: string;
  /** Aborted at shutdown: the next failure is then thrown instead of waited out. */
  stopping?: AbortSignal;
  /** Called after each successful attempt that followed failures. */
  onRecovered?: (attempts: number) => void;
}

/**
 * Runs `operation` until it succeeds, waiting with back-off while it fails with a retryable
 * AppError. A non-retryable failure, or any failure once `stopping` is aborted, is thrown.
 */
export async function retryWhileRetryable<T>(
  operation: () => Promise<T>,
  options: RetryOptions,
): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      const result = await operation();
      if (attempt > 0) {
        options.log.info({ attempts: attempt + 1 }, `${options.what}: succeeded after retries`);
        options.onRecovered?.(attempt + 1);
      }
      return result;
    } catch (error) {
      if (!(isAppError(error) && error.retryable) || options.stopping?.aborted) throw error;
      if (attempt === 0) options.log.warn({ err: error }, `${options.what}: retrying`);
      await backoff(attempt, options.stopping);
    }
  }
}

/** Waits the back-off of the given attempt, or less when `signal` aborts. */
export function backoff(attempt: number, signal?: AbortSignal): Promise<void> {
  const ms = RETRY_DELAYS_MS[Math.min(attempt, RETRY_DELAYS_MS.length - 1)] ?? 5000;
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
    function done(): void {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
  });
}
