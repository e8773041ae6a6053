/** A parsed Content-Type: the lower-cased `type/subtype` and its parameters (names lower-cased). */
export interface ContentType {
  mediaType: string;
  params: Record<string, string>;
}

/**
 * RFC 2045 Content-Type, tolerant of what SBCs send: any parameter order, `;` with or without
 * spaces, quoted values with backslash escapes, stray empty parameters.
 */
export function parseContentType(header: string): ContentType {
  const text = header.trim();
  const semicolon = text.indexOf(';');
  const mediaType = (semicolon < 0 ? text : text.slice(0, semicolon)).trim().toLowerCase();
  const params: Record<string, string> = {};
  let i = semicolon < 0 ? text.length : semicolon + 1;
  while (i < text.length) {
    const eq = text.indexOf('=', i);
    const nextSemi = text.indexOf(';', i);
    if (eq < 0 || (nextSemi >= 0 && nextSemi < eq)) {
      // A parameter without a value; skip it rather than fail the whole header.
      i = nextSemi < 0 ? text.length : nextSemi + 1;
      continue;
    }
    const name = text.slice(i, eq).trim().toLowerCase();
    let j = eq + 1;
    while (j < text.length && (text[j] === ' ' || text[j] === '\t')) j++;
    let value = '';
    if (text[j] === '"') {
      j++;
      while (j < text.length && text[j] !== '"') {
        if (text[j] === '\\' && j + 1 < text.length) j++;
        value += text.charAt(j);
        j++;
      }
      const after = text.indexOf(';', j);
      i = after < 0 ? text.length : after + 1;
    } else {
      const end = text.indexOf(';', j);
      value = (end < 0 ? text.slice(j) : text.slice(j, end)).trim();
      i = end < 0 ? text.length : end + 1;
    }
    if (name !== '' && !Object.hasOwn(params, name)) params[name] = value;
  }
  return { mediaType, params };
}
