import type { SpeechEngine } from '../../ports/speech-engine.js';

export interface EngineChoiceOptions {
  primary: SpeechEngine;
  fallback: SpeechEngine | undefined;
  /** First back-off after the primary failed a call; doubles on each failure up to the max. */
  backoffMs: number;
  maxBackoffMs: number;
  now: () => number;
}

/**
 * Which engine a new call starts on. After the primary fails a call, new calls go to the fallback
 * for a back-off that doubles with each failure; once it has passed, new calls try the primary
 * again, and a primary stream that produces results resets the back-off.
 */
export class EngineChoice {
  readonly primary: SpeechEngine;
  readonly fallback: SpeechEngine | undefined;
  readonly #options: EngineChoiceOptions;
  #failures = 0;
  #retryAtMs = 0;

  constructor(options: EngineChoiceOptions) {
    this.#options = options;
    this.primary = options.primary;
    this.fallback = options.fallback;
  }

  /** The engine for a call starting now, and whether the primary is being skipped. */
  forNewCall(): { engine: SpeechEngine; skippedPrimary: boolean } {
    if (this.fallback && this.#options.now() < this.#retryAtMs)
      return { engine: this.fallback, skippedPrimary: true };
    return { engine: this.primary, skippedPrimary: false };
  }

  primaryFailed(): void {
    const delayMs = Math.min(
      this.#options.maxBackoffMs,
      this.#options.backoffMs * 2 ** Math.min(this.#failures, 20),
    );
    this.#failures += 1;
    this.#retryAtMs = this.#options.now() + delayMs;
  }

  primaryWorked(): void {
    this.#failures = 0;
  }
}
