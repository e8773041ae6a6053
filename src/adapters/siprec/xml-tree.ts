/**
 * A minimal element tree shared by the strict and the lenient metadata readers, so the SIPREC
 * normaliser is written once. Names are kept as written (`apkt:ucid`); `localName` drops the
 * prefix and is lower-cased because vendors disagree on case (`dataMode`, `datamode`).
 */
export interface XmlElement {
  name: string;
  localName: string;
  attributes: Record<string, string>;
  children: XmlElement[];
  /** Direct character data, concatenated, not trimmed. */
  text: string;
}

export function createElement(name: string, attributes: Record<string, string> = {}): XmlElement {
  return { name, localName: localNameOf(name), attributes, children: [], text: '' };
}

export function localNameOf(name: string): string {
  const colon = name.lastIndexOf(':');
  return (colon < 0 ? name : name.slice(colon + 1)).toLowerCase();
}

/** Attribute by local name, case-insensitive, ignoring any prefix. */
export function attributeOf(element: XmlElement, localName: string): string | null {
  for (const [name, value] of Object.entries(element.attributes)) {
    if (name.startsWith('xmlns')) continue;
    if (localNameOf(name) === localName) return value;
  }
  return null;
}

export function childrenNamed(element: XmlElement, localName: string): XmlElement[] {
  return element.children.filter((child) => child.localName === localName);
}

/** Whitespace-collapsed text of an element and its descendants, in document order. */
export function deepText(element: XmlElement): string {
  const parts: string[] = [element.text];
  for (const child of element.children) parts.push(deepText(child));
  return parts.join(' ').replace(/\s+/g, ' ').trim();
}

/** Depth-first pre-order search; `skip` prunes subtrees. */
export function findFirst(
  element: XmlElement,
  match: (candidate: XmlElement) => boolean,
  skip: (candidate: XmlElement) => boolean = () => false,
): XmlElement | null {
  const stack: XmlElement[] = [element];
  while (stack.length > 0) {
    const current = stack.pop();
    if (current === undefined) break;
    if (match(current)) return current;
    if (current !== element && skip(current)) continue;
    for (let i = current.children.length - 1; i >= 0; i--) {
      const child = current.children[i];
      if (child !== undefined) stack.push(child);
    }
  }
  return null;
}

/** All matching descendants (not the element itself) in document order; `skip` prunes subtrees. */
export function findAll(
  element: XmlElement,
  match: (candidate: XmlElement) => boolean,
  skip: (candidate: XmlElement) => boolean = () => false,
): XmlElement[] {
  const found: XmlElement[] = [];
  const stack: XmlElement[] = [];
  for (let i = element.children.length - 1; i >= 0; i--) {
    const child = element.children[i];
    if (child !== undefined) stack.push(child);
  }
  while (stack.length > 0) {
    const current = stack.pop();
    if (current === undefined) break;
    if (match(current)) found.push(current);
    if (skip(current)) continue;
    for (let i = current.children.length - 1; i >= 0; i--) {
      const child = current.children[i];
      if (child !== undefined) stack.push(child);
    }
  }
  return found;
}

const namedEntities: ReadonlyMap<string, string> = new Map([
  ['lt', '<'],
  ['gt', '>'],
  ['amp', '&'],
  ['quot', '"'],
  ['apos', "'"],
]);

/** The five XML entities and numeric references; anything else is left as written. */
export function decodeEntities(text: string): string {
  if (!text.includes('&')) return text;
  return text.replace(/&(#x[0-9a-fA-F]{1,6}|#\d{1,7}|[a-zA-Z]{2,4});/g, (whole, ref: string) => {
    if (ref.startsWith('#')) {
      const code =
        ref[1] === 'x' ? Number.parseInt(ref.slice(2), 16) : Number.parseInt(ref.slice(1), 10);
      return code > 0 && code <= 0x10ffff ? String.fromCodePoint(code) : whole;
    }
    return namedEntities.get(ref) ?? whole;
  });
}
