/**
 * One timer for every ticking duration on screen: rows subscribe and write their own text, so a
 * second passing costs a few text-node writes instead of re-rendering the whole call list.
 */
export interface Ticker {
  subscribe(listener: (nowMs: number) => void): () => void;
}

export function createTicker(intervalMs: number, now: () => number = Date.now): Ticker {
  const listeners = new Set<(nowMs: number) => void>();
  let timer: ReturnType<typeof setInterval> | undefined;
  return {
    subscribe(listener) {
      listeners.add(listener);
      timer ??= setInterval(() => {
        const nowMs = now();
        listeners.forEach((l) => l(nowMs));
      }, intervalMs);
      return () => {
        listeners.delete(listener);
        if (listeners.size === 0 && timer !== undefined) {
          clearInterval(timer);
          timer = undefined;
        }
      };
    },
  };
}
