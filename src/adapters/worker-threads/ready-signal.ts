/**
 * A worker's "started" promise with its settle functions, as `Promise.withResolvers` gives from
 * Node 22 on (not in Node 20), and whether it started: the worker pools ask that synchronously
 * (a worker that dies before starting is not replaced). A failed start is reported to whoever
 * awaits `ready`; the promise carries a no-op handler so that a start nobody awaited yet is not
 * an unhandled rejection.
 */
export interface ReadySignal<E extends Error = Error> {
  readonly ready: Promise<void>;
  /** True once `resolve` was called. */
  readonly started: boolean;
  resolve(): void;
  reject(error: E): void;
}

export function readySignal<E extends Error = Error>(): ReadySignal<E> {
  let resolve!: () => void;
  let reject!: (error: E) => void;
  const ready = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  ready.catch(() => undefined);
  let started = false;
  return {
    ready,
    get started() {
      return started;
    },
    resolve() {
      started = true;
      resolve();
    },
    reject,
  };
}
