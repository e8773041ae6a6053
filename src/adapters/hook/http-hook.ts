import { AppError } from '../../domain/errors.js';
import type { HookEvent } from '../../domain/hook-contract.js';
import type { CallInitHook } from '../../ports/call-init-hook.js';
import { abortError } from './abort.js';

export interface HttpHookOptions {
  /** Injectable for tests; the global fetch otherwise. */
  fetch?: typeof fetch;
  /** Largest reply accepted; a hook reply is a handful of fields. */
  maxResponseBytes?: number;
}

/**
 * A webhook: the event is POSTed as JSON and the reply body is the response. Credentials in the
 * URL (`https://user:secret@host/hook`) are sent as HTTP Basic auth, since fetch refuses them
 * in the URL itself. An empty 2xx reply means "keep every default".
 */
export class HttpHook implements CallInitHook {
  readonly kind = 'http' as const;
  readonly #url: string;
  readonly #authorization: string | undefined;
  readonly #fetch: typeof fetch;
  readonly #maxResponseBytes: number;

  constructor(url: string, options: HttpHookOptions = {}) {
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch (error) {
      throw new AppError('CONFIG_INVALID', 'hook URL is not a valid URL', { cause: error });
    }
    if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
      throw new AppError('CONFIG_INVALID', 'hook URL must be http or https', {
        details: { protocol: parsed.protocol },
      });
    }
    if (parsed.username !== '' || parsed.password !== '') {
      const user = decodeURIComponent(parsed.username);
      const password = decodeURIComponent(parsed.password);
      this.#authorization = `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
      parsed.username = '';
      parsed.password = '';
    }
    this.#url = parsed.href;
    this.#fetch = options.fetch ?? fetch;
    this.#maxResponseBytes = options.maxResponseBytes ?? 64 * 1024;
  }

  async invoke(event: HookEvent, signal: AbortSignal): Promise<unknown> {
    const headers: Record<string, string> = {
      'content-type': 'application/json',
      accept: 'application/json',
    };
    if (this.#authorization !== undefined) headers.authorization = this.#authorization;

    let response: Response;
    try {
      response = await this.#fetch(this.#url, {
        method: 'POST',
        headers,
        body: JSON.stringify(event),
        signal,
      });
    } catch (error) {
      if (signal.aborted) throw abortError(signal);
      throw new AppError('HOOK_FAILED', 'hook request failed', { cause: error, retryable: true });
    }

    if (!response.ok) {
      await response.body?.cancel().catch(() => undefined);
      throw new AppError('HOOK_FAILED', `hook answered HTTP ${response.status}`, {
        retryable: response.status >= 500 || response.status === 429,
        details: { status: response.status },
      });
    }

    const text = await this.#readBody(response, signal);
    if (text.trim() === '') return null;
    try {
      return JSON.parse(text) as unknown;
    } catch (error) {
      throw new AppError('HOOK_INVALID_RESPONSE', 'hook reply is not JSON', {
        cause: error,
        details: { status: response.status, contentType: response.headers.get('content-type') },
      });
    }
  }

  async #readBody(response: Response, signal: AbortSignal): Promise<string> {
    if (response.body === null) return '';
    const reader = response.body.getReader();
    const chunks: Uint8Array[] = [];
    let received = 0;
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        received += value.byteLength;
        if (received > this.#maxResponseBytes) {
          await reader.cancel().catch(() => undefined);
          throw new AppError('HOOK_INVALID_RESPONSE', 'hook reply is too large', {
            details: { maxResponseBytes: this.#maxResponseBytes },
          });
        }
        chunks.push(value);
      }
    } catch (error) {
      if (error instanceof AppError) throw error;
      if (signal.aborted) throw abortError(signal);
      throw new AppError('HOOK_FAILED', 'reading the hook reply failed', {
        cause: error,
        retryable: true,
      });
    }
    return Buffer.concat(chunks).toString('utf8');
  }
}
