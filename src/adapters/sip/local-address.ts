import { isIP } from 'node:net';
import { networkInterfaces } from 'node:os';
import { parseSipUri } from './sip-header-values.js';
import type { SipFlow } from './sip-flow.js';

function isWildcard(address: string): boolean {
  return (
    address === '' || address === '0.0.0.0' || address === '::' || address === '::ffff:0.0.0.0'
  );
}

/** An address of this host peers can reach; the first non-internal IPv4, else loopback. */
function firstExternalIPv4(): string {
  for (const entries of Object.values(networkInterfaces())) {
    for (const entry of entries ?? []) {
      if (entry.family === 'IPv4' && !entry.internal) return entry.address;
    }
  }
  return '127.0.0.1';
}

/**
 * The address put in Contact and the SDP c= line: `sipAdvertisedAddress` when set, else the
 * local address the request arrived on. A UDP socket bound to a wildcard cannot tell which
 * address a datagram reached, so the Request-URI host (the address the SBC dialled) is used
 * when it is an IP literal, then the host's first external IPv4.
 */
export function advertisedAddress(
  flow: SipFlow,
  requestUri: string,
  configured: { sipAdvertisedAddress?: string | undefined },
): string {
  if (configured.sipAdvertisedAddress !== undefined && configured.sipAdvertisedAddress !== '') {
    return configured.sipAdvertisedAddress;
  }
  const local = flow.localAddress.replace(/^::ffff:(\d+\.\d+\.\d+\.\d+)$/i, '$1');
  if (!isWildcard(local)) return local;
  try {
    const host = parseSipUri(requestUri).host;
    if (isIP(host) !== 0 && !isWildcard(host)) return host;
  } catch {
    // An unparsable Request-URI just means falling through to the host's own address.
  }
  return firstExternalIPv4();
}

/** `host` as it goes into a SIP URI: IPv6 literals in brackets. */
export function uriHost(address: string): string {
  return isIP(address) === 6 ? `[${address}]` : address;
}
