import { isIP } from 'node:net';

/**
 * Who can reach the HTTP side without credentials (the idea of Redis's protected mode): the
 * REST API, event streams and UI are guarded by `apiToken`, PutEvents by `accessKeys` or
 * `sessionKeys`. Without both, callscribe listens on loopback only unless the operator says
 * `allowUnauthenticated: true` on purpose.
 */
export interface HttpExposureSettings {
  httpHost?: string | undefined;
  apiToken?: string | undefined;
  accessKeys: readonly unknown[];
  sessionKeys?: readonly unknown[] | undefined;
  allowUnauthenticated: boolean;
}

/** The surfaces that would answer anyone, by the setting that closes them. */
export function openSurfaces(settings: HttpExposureSettings): string[] {
  const open: string[] = [];
  if (settings.apiToken === undefined)
    open.push('the REST API, event streams and web UI (no apiToken)');
  if (settings.accessKeys.length === 0 && (settings.sessionKeys ?? []).length === 0) {
    open.push('PutEvents (no accessKeys or sessionKeys)');
  }
  return open;
}

/** 127.0.0.0/8, ::1, IPv4-mapped loopback and `localhost`: reachable from this host only. */
export function isLoopbackHost(host: string): boolean {
  const h = host
    .trim()
    .toLowerCase()
    .replace(/^\[|\]$/g, '');
  if (h === 'localhost' || h === '::1') return true;
  const v4 = h.replace(/^::ffff:/, '');
  return isIP(v4) === 4 && v4.startsWith('127.');
}

/**
 * Where the HTTP side listens: `httpHost` when set; otherwise every address when both surfaces
 * require credentials, and loopback when either would be open.
 */
export function httpListenHost(settings: HttpExposureSettings): string {
  if (settings.httpHost !== undefined && settings.httpHost !== '') return settings.httpHost;
  return openSurfaces(settings).length === 0 ? '0.0.0.0' : '127.0.0.1';
}

/** The host local clients (CLI, demo, recording URLs) put in a URL for a listen address. */
export function httpClientHost(listenHost: string): string {
  if (listenHost === '0.0.0.0') return '127.0.0.1';
  if (listenHost === '::') return '[::1]';
  return isIP(listenHost) === 6 ? `[${listenHost}]` : listenHost;
}

/** Why the configuration must not start, naming both ways out; undefined when it may. */
export function httpExposureProblem(settings: HttpExposureSettings): string | undefined {
  const host = httpListenHost(settings);
  const open = openSurfaces(settings);
  if (isLoopbackHost(host) || open.length === 0 || settings.allowUnauthenticated) return undefined;
  return (
    `httpHost ${host} is not a loopback address, and ${open.join(' and ')} would answer anyone ` +
    'who can reach it. Either set credentials (apiToken, and accessKeys or sessionKeys: ' +
    'CALLSCRIBE_API_TOKEN, CALLSCRIBE_ACCESS_KEYS), or set allowUnauthenticated: true ' +
    '(CALLSCRIBE_ALLOW_UNAUTHENTICATED=true) to serve without them on purpose.'
  );
}

/** The warning logged at every start of a server that serves without credentials on purpose. */
export function httpExposureWarning(settings: HttpExposureSettings): string | undefined {
  const host = httpListenHost(settings);
  const open = openSurfaces(settings);
  if (isLoopbackHost(host) || open.length === 0) return undefined;
  return `allowUnauthenticated: ${open.join(' and ')} answer anyone who can reach ${host}`;
}
