import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { createCallInitHook } from '../../src/adapters/hook/create-hook.js';
import { HttpHook } from '../../src/adapters/hook/http-hook.js';
import { ModuleHook } from '../../src/adapters/hook/module-hook.js';
import { AppError } from '../../src/domain/errors.js';

const dir = mkdtempSync(join(tmpdir(), 'callscribe-hook-create-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const modulePath = join(dir, 'my-hook.mjs');
writeFileSync(modulePath, 'export default async () => ({});');

function configError(run: () => unknown): AppError {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(AppError);
    expect((error as AppError).code).toBe('CONFIG_INVALID');
    return error as AppError;
  }
  throw new Error('expected CONFIG_INVALID');
}

describe('createCallInitHook', () => {
  it('returns no hook when unset or blank', () => {
    expect(createCallInitHook(undefined)).toBeUndefined();
    expect(createCallInitHook('  ')).toBeUndefined();
  });

  it('makes a webhook for http and https URLs', () => {
    expect(createCallInitHook('http://127.0.0.1:8090/hook')).toBeInstanceOf(HttpHook);
    expect(createCallInitHook('HTTPS://hooks.example.com/callscribe')?.kind).toBe('http');
  });

  it('makes a module hook for paths, relative to the working directory, and for file: URLs', () => {
    const relative = createCallInitHook('./my-hook.mjs', { cwd: dir });
    expect(relative).toBeInstanceOf(ModuleHook);
    expect((relative as ModuleHook).moduleUrl).toBe(pathToFileURL(modulePath).href);
    expect(createCallInitHook(modulePath)?.kind).toBe('module');
    expect(createCallInitHook(pathToFileURL(modulePath).href)?.kind).toBe('module');
    expect(createCallInitHook('./examples/hooks/park-all.mjs')?.kind).toBe('module');
  });

  it('refuses a module that does not exist, other URL schemes and Lambda ARNs', () => {
    expect(configError(() => createCallInitHook('./missing.mjs', { cwd: dir })).details.path).toBe(
      join(dir, 'missing.mjs'),
    );
    configError(() => createCallInitHook('ftp://example.com/hook.mjs'));
    configError(() => createCallInitHook('arn:aws:lambda:us-east-1:111122223333:function:my-hook'));
    configError(() => createCallInitHook('http://'));
  });
});
