/** RFC 3261 §7.3.3 and later RFCs' single-letter header forms. */
const compactForms: Readonly<Record<string, string>> = {
  a: 'Accept-Contact',
  b: 'Referred-By',
  c: 'Content-Type',
  d: 'Request-Disposition',
  e: 'Content-Encoding',
  f: 'From',
  i: 'Call-ID',
  j: 'Reject-Contact',
  k: 'Supported',
  l: 'Content-Length',
  m: 'Contact',
  n: 'Identity-Info',
  o: 'Event',
  r: 'Refer-To',
  s: 'Subject',
  t: 'To',
  u: 'Allow-Events',
  v: 'Via',
  x: 'Session-Expires',
  y: 'Identity',
};

/** Names whose conventional spelling is not plain Title-Case. */
const irregular: Readonly<Record<string, string>> = {
  'call-id': 'Call-ID',
  cseq: 'CSeq',
  'www-authenticate': 'WWW-Authenticate',
  'mime-version': 'MIME-Version',
  'session-id': 'Session-ID',
  rack: 'RAck',
  rseq: 'RSeq',
};

/** Expands a compact form and spells the name canonically, so logs and replies look familiar. */
export function canonicalHeaderName(raw: string): string {
  const lower = raw.toLowerCase();
  const expanded = compactForms[lower];
  if (expanded !== undefined) return expanded;
  const known = irregular[lower];
  if (known !== undefined) return known;
  return lower.replace(
    /(^|-)([a-z])/g,
    (_m, dash: string, letter: string) => dash + letter.toUpperCase(),
  );
}
