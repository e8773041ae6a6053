import { createElement, decodeEntities, type XmlElement } from './xml-tree.js';

/** Bounds that keep hostile input linear; real metadata is a few kilobytes and ~10 levels deep. */
const maxDepth = 64;
const maxElements = 10_000;
const maxTagLength = 8192;

const startTag =
  /^<([A-Za-z_][\w.-]*(?::[A-Za-z_][\w.-]*)?)((?:\s+[^\s=<>/"']+\s*=\s*(?:"[^"<]*"|'[^'<]*'))*)\s*(\/?)>$/;
const attribute = /([^\s=<>/"']+)\s*=\s*(?:"([^"<]*)"|'([^'<]*)')/g;
const endTag = /^<\/([A-Za-z_][\w.-]*(?::[A-Za-z_][\w.-]*)?)\s*>$/;

/**
 * A forgiving reader for metadata that is not well-formed (Oracle's unescaped `<sip:...>`
 * inside `apkt:request-uri`, doc copies with mangled tags). Anything that is not a clean tag
 * becomes text, an end tag closes the nearest open element of that name and everything opened
 * inside it, and an end tag matching nothing open is dropped. Never throws.
 */
export function parseLenientXml(xml: string): XmlElement {
  const document = createElement('#document');
  const stack: XmlElement[] = [document];
  let elements = 0;
  let pos = 0;
  // Cached so a run of '<' without any '>' stays linear instead of rescanning to the end each time.
  let nextGt = -1;
  const top = (): XmlElement => stack[stack.length - 1] ?? document;
  while (pos < xml.length) {
    const lt = xml.indexOf('<', pos);
    if (lt < 0) {
      top().text += decodeEntities(xml.slice(pos));
      break;
    }
    if (lt > pos) top().text += decodeEntities(xml.slice(pos, lt));
    const skipped = skipMarkup(xml, lt);
    if (skipped !== null) {
      if (skipped.cdata !== null) top().text += skipped.cdata;
      pos = skipped.next;
      continue;
    }
    if (nextGt !== Number.MAX_SAFE_INTEGER && nextGt <= lt) {
      const found = xml.indexOf('>', lt + 1);
      nextGt = found < 0 ? Number.MAX_SAFE_INTEGER : found;
    }
    const gt = nextGt === Number.MAX_SAFE_INTEGER ? -1 : nextGt;
    const nextLt = gt < 0 ? -1 : xml.indexOf('<', lt + 1);
    const tag =
      gt < 0 || (nextLt >= 0 && nextLt < gt) || gt - lt > maxTagLength
        ? null
        : xml.slice(lt, gt + 1);
    const end = tag === null ? null : endTag.exec(tag);
    const start = tag === null || end !== null ? null : startTag.exec(tag);
    if (end?.[1] !== undefined) {
      const name = end[1];
      for (let i = stack.length - 1; i > 0; i--) {
        if (stack[i]?.name === name) {
          stack.length = i;
          break;
        }
      }
      pos = gt + 1;
      continue;
    }
    if (start?.[1] !== undefined && elements < maxElements) {
      elements++;
      const element = createElement(start[1], parseAttributes(start[2] ?? ''));
      top().children.push(element);
      if (start[3] !== '/' && stack.length <= maxDepth) stack.push(element);
      pos = gt + 1;
      continue;
    }
    // Not a tag we can trust: keep the '<' as text so values like `<sip:...>` survive.
    top().text += '<';
    pos = lt + 1;
  }
  return document;
}

function parseAttributes(source: string): Record<string, string> {
  const attributes: Record<string, string> = {};
  for (const match of source.matchAll(attribute)) {
    const name = match[1];
    if (name === undefined || Object.hasOwn(attributes, name)) continue;
    attributes[name] = decodeEntities(match[2] ?? match[3] ?? '');
  }
  return attributes;
}

function skipMarkup(xml: string, lt: number): { next: number; cdata: string | null } | null {
  const closeAt = (marker: string, from: number): number => {
    const at = xml.indexOf(marker, from);
    return at < 0 ? xml.length : at + marker.length;
  };
  if (xml.startsWith('<!--', lt)) return { next: closeAt('-->', lt + 4), cdata: null };
  if (xml.startsWith('<![CDATA[', lt)) {
    const at = xml.indexOf(']]>', lt + 9);
    const stop = at < 0 ? xml.length : at;
    return { next: at < 0 ? xml.length : at + 3, cdata: xml.slice(lt + 9, stop) };
  }
  if (xml.startsWith('<?', lt)) return { next: closeAt('?>', lt + 2), cdata: null };
  if (xml.startsWith('<!', lt)) return { next: closeAt('>', lt + 2), cdata: null };
  return null;
}
