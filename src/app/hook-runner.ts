import type { Logger } from 'pino';
import { AppError, toAppError } from '../domain/errors.js';
import {
  normalizeHookResponse,
  type HookDecision,
  type HookEvent,
  type HookFailurePolicy,
} from '../domain/hook-contract.js';
import type { Metrics } from '../observability/metrics.js';
import type { CallInitHook } from '../ports/call-init-hook.js';

export type HookRunResult =
  | { kind: 'decision'; decision: HookDecision }
  | { kind: 'failed'; policy: HookFailurePolicy; error: AppError };

/**
 * Runs the call-initialization hook with a deadline. Unlike LCA (which fails closed and lets
 * Lambda retry the whole call set-up), a failure here is final for this call and the documented
 * policy decides what happens to it.
 */
export class HookRunner {
  constructor(
    private readonly deps: {
      hook: CallInitHook | undefined;
      timeoutMs: number;
      policy: HookFailurePolicy;
      metrics: Metrics;
    },
  ) {}

  async run(event: HookEvent, log: Logger): Promise<HookRunResult> {
    const hook = this.deps.hook;
    if (!hook) return { kind: 'decision', decision: {} };
    const controller = new AbortController();
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        // Reject before aborting: a hook that settles on abort must not win the race.
        reject(
          new AppError('HOOK_TIMEOUT', `hook did not answer within ${this.deps.timeoutMs} ms`),
        );
        controller.abort();
      }, this.deps.timeoutMs);
    });
    const startedAt = performance.now();
    log.info({ hook: hook.kind }, 'invoking call-initialization hook');
    try {
      const raw = await Promise.race([hook.invoke(event, controller.signal), timeout]);
      const normalized = normalizeHookResponse(raw);
      if (!normalized.ok) throw normalized.error;
      const decision = normalized.value;
      this.deps.metrics.hookInvocations.inc({ result: 'ok' });
      log.info(
        {
          durationMs: Math.round(performance.now() - startedAt),
          renamed: decision.callId !== undefined && decision.callId !== event.detail.callId,
          shouldProcessCall: decision.shouldProcessCall,
          isCaller: decision.isCaller,
          pii: { response: decision },
        },
        'hook response applied',
      );
      return { kind: 'decision', decision };
    } catch (error) {
      const appError = toAppError(error, 'HOOK_FAILED');
      this.deps.metrics.hookInvocations.inc({ result: appError.code });
      log.warn(
        { code: appError.code, err: appError, policy: this.deps.policy },
        'hook failed; applying failure policy',
      );
      return { kind: 'failed', policy: this.deps.policy, error: appError };
    } finally {
      clearTimeout(timer);
    }
  }
}
