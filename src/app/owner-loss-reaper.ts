import type { Logger } from 'pino';
import type { CallRecovery } from './call-recovery.js';

/**
 * Periodically ends the unended calls of nodes whose lease has run out, so a crashed node's
 * calls do not stay PROCESSING for a day. Every node runs one; compare-and-set makes them agree.
 */
export class OwnerLossReaper {
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<number> | undefined;

  constructor(
    private readonly options: { recovery: CallRecovery; intervalMs: number; log: Logger },
  ) {}

  start(): void {
    this.#timer = setInterval(() => {
      if (this.#running) return;
      this.#running = this.reap()
        .catch((err: unknown) => {
          this.options.log.warn({ err }, 'owner-loss scan failed; retried next interval');
          return 0;
        })
        .finally(() => {
          this.#running = undefined;
        });
    }, this.options.intervalMs);
    this.#timer.unref();
  }

  /** One scan; returns how many calls it ended. */
  reap(): Promise<number> {
    return this.options.recovery.recoverLostOwners();
  }

  async stop(): Promise<void> {
    clearInterval(this.#timer);
    this.#timer = undefined;
    await this.#running;
  }
}
