import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ModuleHook } from '../../src/adapters/hook/module-hook.js';
import { AppError } from '../../src/domain/errors.js';
import { normalizeHookResponse, type HookEvent } from '../../src/domain/hook-contract.js';

const sampleEvent = JSON.parse(
  readFileSync(new URL('../../examples/hooks/sample-event.json', import.meta.url), 'utf8'),
) as HookEvent;

const dir = mkdtempSync(join(tmpdir(), 'callscribe-hook-module-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let counter = 0;
/** Each module gets its own file name, since ES modules are cached by URL. */
function writeModule(source: string): string {
  const path = join(dir, `hook-${++counter}.mjs`);
  writeFileSync(path, source);
  return path;
}

const signal = (): AbortSignal => new AbortController().signal;

async function failure(promise: Promise<unknown>): Promise<AppError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(AppError);
  return error as AppError;
}

describe('ModuleHook', () => {
  it('calls the default export with the event and returns its reply', async () => {
    const hook = new ModuleHook(
      writeModule(`export default async (event) => ({
        callId: 'X-' + event.detail.callId, fromNumber: event.detail.fromNumber, streams: event.detail.streams.length });`),
    );
    expect(hook.kind).toBe('module');
    expect(await hook.invoke(sampleEvent, signal())).toEqual({
      callId: `X-${sampleEvent.detail.callId}`,
      fromNumber: '+12065550100',
      streams: 2,
    });
  });

  it('accepts a Lambda-style named `handler` export', async () => {
    const hook = new ModuleHook(
      writeModule(
        `export const handler = async (event) => ({ agentId: 'agent-for-' + event.detail.direction });`,
      ),
    );
    expect(await hook.invoke(sampleEvent, signal())).toEqual({ agentId: 'agent-for-Inbound' });
  });

  it('prefers the default export when both exist, and accepts a synchronous function', async () => {
    const hook = new ModuleHook(
      writeModule(
        `export default () => ({ agentId: 'default' }); export const handler = () => ({ agentId: 'named' });`,
      ),
    );
    expect(await hook.invoke(sampleEvent, signal())).toEqual({ agentId: 'default' });
  });

  it('resolves a relative path against the given working directory', async () => {
    const path = writeModule(`export default async () => ({ shouldProcessCall: false });`);
    const hook = new ModuleHook(path.slice(dir.length + 1), { cwd: dir });
    expect(await hook.invoke(sampleEvent, signal())).toEqual({ shouldProcessCall: false });
  });

  it('surfaces an error the hook throws as HOOK_FAILED with the original as cause', async () => {
    const hook = new ModuleHook(
      writeModule(`export default async () => { throw new TypeError('no agent found'); };`),
    );
    const error = await failure(hook.invoke(sampleEvent, signal()));
    expect(error.code).toBe('HOOK_FAILED');
    expect(error.details.errorName).toBe('TypeError');
    expect((error.cause as Error).message).toBe('no agent found');
  });

  it('surfaces a synchronous throw the same way', async () => {
    const hook = new ModuleHook(
      writeModule(`export function handler() { throw new Error('sync'); }`),
    );
    const error = await failure(hook.invoke(sampleEvent, signal()));
    expect(error.code).toBe('HOOK_FAILED');
    expect((error.cause as Error).message).toBe('sync');
  });

  it('gives the hook a copy of the event', async () => {
    const hook = new ModuleHook(
      writeModule(
        `export default async (event) => { event.detail.fromNumber = 'mutated'; return {}; };`,
      ),
    );
    const event = structuredClone(sampleEvent);
    await hook.invoke(event, signal());
    expect(event.detail.fromNumber).toBe('+12065550100');
  });

  it('stops waiting as soon as the signal aborts, and passes the signal to the hook', async () => {
    const hook = new ModuleHook(
      writeModule(`export default (event, { signal }) => new Promise((resolve) => {
        globalThis.__hookSawSignal = signal instanceof AbortSignal;
      });`),
    );
    const controller = new AbortController();
    const pending = hook.invoke(sampleEvent, controller.signal);
    setTimeout(() => controller.abort(), 20);
    const error = await failure(pending);
    expect(error.code).toBe('HOOK_FAILED');
    expect(error.details.aborted).toBe(true);
    expect((globalThis as { __hookSawSignal?: boolean }).__hookSawSignal).toBe(true);

    const timedOut = await failure(hook.invoke(sampleEvent, AbortSignal.timeout(10)));
    expect(timedOut.code).toBe('HOOK_TIMEOUT');
  });

  it('does not call the hook when the signal has already aborted', async () => {
    const hook = new ModuleHook(
      writeModule(
        `export default () => { globalThis.__hookCalls = (globalThis.__hookCalls ?? 0) + 1; return {}; };`,
      ),
    );
    await hook.load();
    const controller = new AbortController();
    controller.abort();
    expect((await failure(hook.invoke(sampleEvent, controller.signal))).code).toBe('HOOK_FAILED');
    expect((globalThis as { __hookCalls?: number }).__hookCalls).toBeUndefined();
  });

  it('refuses a module without a usable export', async () => {
    const hook = new ModuleHook(writeModule(`export const notAHook = 42;`));
    const error = await failure(hook.load());
    expect(error.code).toBe('HOOK_FAILED');
    expect(error.details.exports).toEqual(['notAHook']);
  });

  it('reports a missing module, and picks it up once it exists', async () => {
    const path = join(dir, 'deployed-later.mjs');
    const hook = new ModuleHook(path);
    expect((await failure(hook.invoke(sampleEvent, signal()))).code).toBe('HOOK_FAILED');
    writeFileSync(path, `export default async () => ({ agentId: 'late' });`);
    expect(await hook.invoke(sampleEvent, signal())).toEqual({ agentId: 'late' });
  });
});

describe('example hooks', () => {
  it('park-all parks the call, keeps its id and attaches metadata', async () => {
    const hook = new ModuleHook('examples/hooks/park-all.mjs');
    const normalized = normalizeHookResponse(await hook.invoke(sampleEvent, signal()));
    if (!normalized.ok) throw normalized.error;
    expect(normalized.value.shouldProcessCall).toBe(false);
    expect(normalized.value.callId).toBe(sampleEvent.detail.callId);
    expect(JSON.parse(normalized.value.metadatajson ?? '')).toEqual({
      parkedBy: 'park-all',
      direction: 'Inbound',
      streamingStartedAt: sampleEvent.detail.startTime,
      recorderClient: 'Example SBC 1.0',
    });
  });

  it('rename-and-park renames the call as the LCA example does', async () => {
    const hook = new ModuleHook('examples/hooks/rename-and-park.mjs');
    const normalized = normalizeHookResponse(await hook.invoke(sampleEvent, signal()));
    if (!normalized.ok) throw normalized.error;
    expect(normalized.value).toEqual({
      callId: `MODIFIED-${sampleEvent.detail.callId}`,
      agentId: 'Bob the Builder',
      fromNumber: "Bob's cell",
      toNumber: 'Demo Asterisk',
      metadatajson: JSON.stringify({ key1: 'value1', key2: 'value2' }),
      transcribeLanguageCode: 'en-US',
      shouldProcessCall: false,
      isCaller: true,
      shouldRecordCall: false,
    });
  });
});
