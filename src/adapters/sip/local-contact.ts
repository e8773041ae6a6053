import { uriHost } from './local-address.js';
import type { SipFlow } from './sip-flow.js';

/**
 * Our Contact URI for a dialog. Over TLS it says so twice, as SBCs expect: `sips:` when the
 * SBC addressed us with a `sips:` Request-URI (RFC 3261 §8.1.1.8 then requires it), and
 * `;transport=tls` in any case, so a peer that resolves the URI reaches the TLS port.
 */
export function localContactUri(address: string, flow: SipFlow, requestUri: string): string {
  const scheme = flow.transport === 'tls' && /^sips:/i.test(requestUri.trim()) ? 'sips' : 'sip';
  const transport = flow.transport === 'udp' ? '' : `;transport=${flow.transport}`;
  return `${scheme}:callscribe@${uriHost(address)}:${flow.localPort}${transport}`;
}
