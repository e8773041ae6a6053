import type { Logger } from 'pino';
import type { ComponentHealth } from '../../ports/health.js';

/**
 * Tracks whether a piece of storage can be written: the first failure is logged (once, not per
 * write) and makes the component unhealthy; the next successful write logs the recovery and
 * makes it healthy again.
 */
export class WriteFailures {
  #failure: { code: string; sinceMs: number } | undefined;

  constructor(
    private readonly options: {
      component: string;
      log?: Logger;
      now: () => number;
      /** Logged at the first failure, e.g. 'SQLite database cannot be written'. */
      message: string;
    },
  ) {}

  failed(code: string, err: unknown): void {
    if (this.#failure) return;
    this.#failure = { code, sinceMs: this.options.now() };
    this.options.log?.error({ err, code, component: this.options.component }, this.options.message);
  }

  succeeded(): void {
    if (!this.#failure) return;
    const failedForMs = this.options.now() - this.#failure.sinceMs;
    this.#failure = undefined;
    this.options.log?.info(
      { component: this.options.component, failedForMs },
      `${this.options.component} can be written again`,
    );
  }

  get failing(): boolean {
    return this.#failure !== undefined;
  }

  health(): ComponentHealth {
    const failure = this.#failure;
    return failure
      ? { component: this.options.component, ok: false, ...failure }
      : { component: this.options.component, ok: true };
  }
}
