import { existsSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { AppError } from '../../domain/errors.js';
import type { CallInitHook } from '../../ports/call-init-hook.js';
import { HttpHook, type HttpHookOptions } from './http-hook.js';
import { ModuleHook } from './module-hook.js';

/**
 * Builds the hook named by the `hook` setting: an http(s) URL is a webhook, anything else a
 * path to an ES module (or a file: URL). Unset or blank means no hook. A module that does not
 * exist is a configuration error now, not a failed hook on every call later.
 */
export function createCallInitHook(
  spec: string | undefined,
  options: { cwd?: string; fetch?: HttpHookOptions['fetch'] } = {},
): CallInitHook | undefined {
  const trimmed = spec?.trim() ?? '';
  if (trimmed === '') return undefined;
  if (/^https?:\/\//i.test(trimmed)) return new HttpHook(trimmed, { fetch: options.fetch });
  if (/^arn:/i.test(trimmed)) {
    throw new AppError(
      'CONFIG_INVALID',
      'hook must be a module path or an http(s) URL; Lambda ARNs are not invoked',
      {
        details: {
          hint: 'put the Lambda handler in a module file, or front it with an HTTP endpoint',
        },
      },
    );
  }
  let modulePath = trimmed;
  if (/^file:/i.test(trimmed)) {
    modulePath = fileURLToPath(trimmed);
  } else if (/^[a-z][a-z0-9+.-]*:\/\//i.test(trimmed)) {
    throw new AppError('CONFIG_INVALID', 'hook URL must be http or https', {
      details: { hook: trimmed },
    });
  }
  const cwd = options.cwd ?? process.cwd();
  const absolute = isAbsolute(modulePath) ? modulePath : resolve(cwd, modulePath);
  if (!existsSync(absolute)) {
    throw new AppError('CONFIG_INVALID', 'hook module file does not exist', {
      details: { path: absolute },
    });
  }
  return new ModuleHook(absolute);
}
