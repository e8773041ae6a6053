import type { Logger } from 'pino';

export interface Sweepable {
  sweepExpired(): Promise<number>;
}

/**
 * Runs `sweepExpired` on every target each `intervalMs`. A sweep never overlaps the previous
 * one, a failing target is logged and retried next time, and the timer does not keep the
 * process alive. Returns the function that stops it.
 */
export function startSweeper(options: {
  targets: readonly Sweepable[];
  intervalMs: number;
  log: Logger;
}): () => void {
  let running = false;
  let stopped = false;
  const sweepAll = async (): Promise<void> => {
    for (const target of options.targets) {
      if (stopped) return;
      try {
        const removed = await target.sweepExpired();
        if (removed > 0) options.log.debug({ removed }, 'expired records swept');
      } catch (error) {
        options.log.warn({ err: error }, 'sweeping expired records failed');
      }
    }
  };
  const timer = setInterval(() => {
    if (running || stopped) return;
    running = true;
    void sweepAll().finally(() => {
      running = false;
    });
  }, options.intervalMs);
  timer.unref();
  return () => {
    stopped = true;
    clearInterval(timer);
  };
}
