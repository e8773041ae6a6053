import { useEffect, useRef } from 'preact/hooks';
import { UnauthorizedError } from './api/api-client.js';
import { subscribeToEvents } from './api/event-subscription.js';
import type { StoredCallEvent } from './api/types.js';
import { useServices } from './use-services.js';

const resubscribeDelayMs = 2000;

/**
 * Follows an SSE path while `enabled`. When the server refuses the stream, `probe` (a plain
 * fetch of the same resource) finds out whether it was a 401, which shows the login form;
 * anything else is retried.
 */
export function useEventStream(
  path: string,
  enabled: boolean,
  onEvent: (event: StoredCallEvent) => void,
  probe: () => Promise<unknown>,
): void {
  const { api } = useServices();
  const handler = useRef(onEvent);
  handler.current = onEvent;
  const probeRef = useRef(probe);
  probeRef.current = probe;

  useEffect(() => {
    if (!enabled) return undefined;
    let unsubscribe: (() => void) | undefined;
    let retry: ReturnType<typeof setTimeout> | undefined;
    let disposed = false;
    const open = (): void => {
      unsubscribe = subscribeToEvents({
        url: api.urlWithToken(path),
        onEvent: (event) => handler.current(event),
        onClosed: () => {
          unsubscribe?.();
          probeRef.current().then(
            () => {
              if (!disposed) retry = setTimeout(open, resubscribeDelayMs);
            },
            (error: unknown) => {
              if (!disposed && !(error instanceof UnauthorizedError))
                retry = setTimeout(open, resubscribeDelayMs);
            },
          );
        },
      });
    };
    open();
    return () => {
      disposed = true;
      if (retry !== undefined) clearTimeout(retry);
      unsubscribe?.();
    };
  }, [api, path, enabled]);
}
