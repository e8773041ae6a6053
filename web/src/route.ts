import { useEffect, useState } from 'preact/hooks';

export type Route = { page: 'calls' } | { page: 'call'; callId: string };

/** Hash routes, so the server needs no history fallback: `#/` and `#/calls/<callId>`. */
export function parseRoute(hash: string): Route {
  const match = /^#\/calls\/(.+)$/.exec(hash);
  if (match?.[1] !== undefined) {
    try {
      return { page: 'call', callId: decodeURIComponent(match[1]) };
    } catch {
      return { page: 'calls' };
    }
  }
  return { page: 'calls' };
}

export const callHref = (callId: string): string => `#/calls/${encodeURIComponent(callId)}`;

export function useHashRoute(): Route {
  const [route, setRoute] = useState(() => parseRoute(location.hash));
  useEffect(() => {
    const onChange = (): void => setRoute(parseRoute(location.hash));
    addEventListener('hashchange', onChange);
    return () => removeEventListener('hashchange', onChange);
  }, []);
  return route;
}
