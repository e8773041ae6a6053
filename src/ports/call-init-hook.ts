import type { HookEvent } from '../domain/hook-contract.js';

/**
 * The call-initialization hook (LCA's "Lambda hook for SIPREC call initialization"). Adapters
 * return the raw reply; the application normalises it and applies the failure policy.
 */
export interface CallInitHook {
  readonly kind: 'module' | 'http';
  invoke(event: HookEvent, signal: AbortSignal): Promise<unknown>;
  /** Loads eagerly at start-up so a broken hook module stops the server instead of every call. */
  load?(): Promise<void>;
  close?(): Promise<void>;
}
