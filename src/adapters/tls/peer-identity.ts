import type { PeerCertificate } from 'node:tls';

/** The names a certificate vouches for: its subject CN and subjectAltName entries. */
export interface PeerIdentity {
  commonName: string | undefined;
  dns: string[];
  ip: string[];
  uri: string[];
}

export function peerIdentity(certificate: PeerCertificate): PeerIdentity {
  const cn = certificate.subject?.CN;
  const identity: PeerIdentity = {
    commonName: Array.isArray(cn) ? cn[0] : cn,
    dns: [],
    ip: [],
    uri: [],
  };
  for (const entry of splitAltNames(certificate.subjectaltname ?? '')) {
    const colon = entry.indexOf(':');
    if (colon < 0) continue;
    const kind = entry.slice(0, colon).trim();
    const value = unquote(entry.slice(colon + 1).trim());
    if (kind === 'DNS') identity.dns.push(value);
    else if (kind === 'IP Address') identity.ip.push(value);
    else if (kind === 'URI') identity.uri.push(value);
  }
  return identity;
}

/**
 * `sipTlsAllowedPeers` entries: `DNS:x`, `IP:x`, `URI:x` or `CN:x` match that field only; a bare
 * name matches the CN or any subjectAltName. `*.example.com` matches exactly one DNS label.
 */
export function peerAllowed(patterns: readonly string[], identity: PeerIdentity): boolean {
  if (patterns.length === 0) return true;
  return patterns.some((pattern) => {
    const m = /^(DNS|IP|URI|CN):(.*)$/i.exec(pattern.trim());
    const kind = m ? (m[1] as string).toUpperCase() : undefined;
    const value = (m ? (m[2] as string) : pattern).trim();
    const names =
      kind === 'DNS'
        ? identity.dns
        : kind === 'IP'
          ? identity.ip
          : kind === 'URI'
            ? identity.uri
            : kind === 'CN'
              ? [identity.commonName ?? '']
              : [identity.commonName ?? '', ...identity.dns, ...identity.ip, ...identity.uri];
    return names.some((name) => name !== '' && nameMatches(value, name, kind === 'URI'));
  });
}

/** How a peer is named in logs: the first SAN DNS name, else the CN. */
export function describePeer(identity: PeerIdentity): string | undefined {
  return identity.dns[0] ?? identity.commonName ?? identity.uri[0] ?? identity.ip[0];
}

function nameMatches(pattern: string, name: string, caseSensitive: boolean): boolean {
  const p = caseSensitive ? pattern : pattern.toLowerCase();
  const n = caseSensitive ? name : name.toLowerCase();
  if (p.startsWith('*.')) {
    const dot = n.indexOf('.');
    return dot > 0 && n.slice(dot) === p.slice(1);
  }
  return p === n;
}

/** Node separates entries with ", " and JSON-quotes values that contain one. */
function splitAltNames(text: string): string[] {
  const entries: string[] = [];
  let current = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i] as string;
    if (c === '"' && text[i - 1] !== '\\') quoted = !quoted;
    if (!quoted && c === ',' && text[i + 1] === ' ') {
      entries.push(current);
      current = '';
      i++;
      continue;
    }
    current += c;
  }
  if (current !== '') entries.push(current);
  return entries;
}

function unquote(value: string): string {
  if (!value.startsWith('"')) return value;
  try {
    return JSON.parse(value) as string;
  } catch {
    return value;
  }
}
