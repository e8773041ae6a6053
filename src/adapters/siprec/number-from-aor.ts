/**
 * The user part of a participant address, which is what LCA shows as a phone number:
 * `sip:+1555@x` → `+1555`, `tel:+1-555;phone-context=x` → `+1555`, `+1555@x` → `+1555`,
 * `Extension-0161@x` → `Extension-0161`, a bare number unchanged. Empty string when there is
 * no user part (`sip:10.0.0.1`) or nothing at all.
 */
export function numberFromAor(aor: string | null | undefined): string {
  if (aor === null || aor === undefined) return '';
  let text = aor.trim();
  const open = text.indexOf('<');
  const close = open >= 0 ? text.indexOf('>', open) : -1;
  if (open >= 0 && close > open) text = text.slice(open + 1, close).trim();
  const scheme = /^(sips?|tel):/i.exec(text);
  const schemeName = scheme?.[1]?.toLowerCase() ?? null;
  if (scheme) text = text.slice(scheme[0].length);
  let user: string;
  if (schemeName === 'tel') {
    user = text.split(';')[0] ?? '';
  } else {
    const at = text.lastIndexOf('@');
    // `sip:host` has no user; a bare `user` (no scheme, no @) is the number itself.
    if (at < 0 && schemeName !== null) return '';
    user = (at < 0 ? text : text.slice(0, at)).split(';')[0] ?? '';
  }
  user = user.split(':')[0] ?? ''; // drop a password in `sip:user:pw@host`
  user = safeDecode(user).replace(/\s+/g, '');
  // Visual separators only mean something in a phone number (RFC 3966); keep other user parts as sent.
  if (/^\+?[\d\-.() ]+$/.test(user) && /\d/.test(user)) user = user.replace(/[-.() ]/g, '');
  return user;
}

function safeDecode(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}
