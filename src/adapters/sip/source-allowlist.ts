import { BlockList, isIPv4, isIPv6 } from 'node:net';

/** IPv4 peers on dual-stack sockets show up as ::ffff:a.b.c.d; match them as IPv4. */
export function normalizeAddress(address: string): string {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  return mapped ? (mapped[1] as string) : address;
}

export type AddressMatcher = (address: string) => boolean;

/** Builds a matcher for `10.0.0.0/8`, `2001:db8::/32` or single addresses. */
export function cidrMatcher(cidrs: readonly string[]): AddressMatcher {
  const list = new BlockList();
  for (const entry of cidrs) {
    const [rawNet, rawPrefix] = entry.split('/');
    const net = normalizeAddress(rawNet ?? '');
    const type = isIPv4(net) ? 'ipv4' : isIPv6(net) ? 'ipv6' : undefined;
    if (type === undefined) continue;
    if (rawPrefix === undefined) list.addAddress(net, type);
    else list.addSubnet(net, Number(rawPrefix), type);
  }
  return (address) => {
    const normalized = normalizeAddress(address);
    if (isIPv4(normalized)) return list.check(normalized, 'ipv4');
    if (isIPv6(normalized)) return list.check(normalized, 'ipv6');
    return false;
  };
}

/** An empty allowlist allows everyone (config: `sipAllowlist`). */
export function sourceAllowlist(cidrs: readonly string[]): AddressMatcher {
  if (cidrs.length === 0) return () => true;
  return cidrMatcher(cidrs);
}
