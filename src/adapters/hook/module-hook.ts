import { isAbsolute, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { AppError } from '../../domain/errors.js';
import type { HookEvent } from '../../domain/hook-contract.js';
import type { CallInitHook } from '../../ports/call-init-hook.js';
import { raceAbort } from './abort.js';

/** What a hook module exports; the second argument lets a hook honour the deadline too. */
export type HookHandler = (event: HookEvent, context: { signal: AbortSignal }) => unknown;

/**
 * A hook in an ES module: `export default async (event) => response`, or a Lambda-style
 * `export const handler = async (event) => response` so an existing LCA hook runs unchanged.
 * The module is imported on first use (or by `load`) and kept.
 */
export class ModuleHook implements CallInitHook {
  readonly kind = 'module' as const;
  readonly moduleUrl: string;
  #handler: Promise<HookHandler> | undefined;

  /** `modulePath` is resolved against `cwd` (the process's working directory by default). */
  constructor(modulePath: string, options: { cwd?: string } = {}) {
    const absolute = isAbsolute(modulePath)
      ? modulePath
      : resolve(options.cwd ?? process.cwd(), modulePath);
    this.moduleUrl = pathToFileURL(absolute).href;
  }

  /** Imports the module now, so a broken hook is reported at start-up rather than on the first call. */
  async load(): Promise<void> {
    await this.#load();
  }

  async invoke(event: HookEvent, signal: AbortSignal): Promise<unknown> {
    const handler = await raceAbort(this.#load(), signal);
    // The hook gets its own copy: whatever it does to the event must not leak into the call.
    const call = Promise.resolve().then(() => handler(structuredClone(event), { signal }));
    try {
      return await raceAbort(call, signal);
    } catch (error) {
      if (error instanceof AppError) throw error;
      // Static message: the hook's own error (which may quote numbers) stays in `cause`.
      throw new AppError('HOOK_FAILED', 'hook module threw', {
        cause: error,
        details: { errorName: error instanceof Error ? error.name : typeof error },
      });
    }
  }

  #load(): Promise<HookHandler> {
    this.#handler ??= importHandler(this.moduleUrl).catch((error: unknown) => {
      // Forget the failure so a hook file deployed or fixed later is picked up on the next call.
      this.#handler = undefined;
      throw error;
    });
    return this.#handler;
  }
}

async function importHandler(moduleUrl: string): Promise<HookHandler> {
  let namespace: Record<string, unknown>;
  try {
    namespace = (await import(moduleUrl)) as Record<string, unknown>;
  } catch (error) {
    throw new AppError('HOOK_FAILED', 'cannot import the hook module', {
      cause: error,
      details: { moduleUrl },
    });
  }
  const candidate = typeof namespace.default === 'function' ? namespace.default : namespace.handler;
  if (typeof candidate !== 'function') {
    throw new AppError(
      'HOOK_FAILED',
      'hook module exports neither a default function nor `handler`',
      {
        details: { moduleUrl, exports: Object.keys(namespace) },
      },
    );
  }
  return candidate as HookHandler;
}
