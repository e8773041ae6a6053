import { AppError } from '../../domain/errors.js';

/**
 * The error an aborted invocation rejects with. The application aborts on its deadline and
 * applies the failure policy itself, so this only has to say what happened.
 */
export function abortError(signal: AbortSignal): AppError {
  const reason: unknown = signal.reason;
  if (reason instanceof AppError) return reason;
  if (reason instanceof Error && reason.name === 'TimeoutError') {
    return new AppError('HOOK_TIMEOUT', 'hook invocation timed out', { cause: reason });
  }
  return new AppError('HOOK_FAILED', 'hook invocation aborted', {
    cause: reason,
    details: { aborted: true },
  });
}

/**
 * Settles with `work`, or rejects as soon as `signal` aborts. A module hook cannot be stopped
 * from outside, so the caller stops waiting for it; whatever it still does is ignored.
 */
export function raceAbort<T>(work: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) {
    work.catch(() => undefined);
    return Promise.reject(abortError(signal));
  }
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(abortError(signal));
    signal.addEventListener('abort', onAbort, { once: true });
    work.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error);
      },
    );
  });
}
