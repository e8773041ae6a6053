import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { createElement, type XmlElement } from './xml-tree.js';

const parser = new XMLParser({
  preserveOrder: true,
  ignoreAttributes: false,
  attributeNamePrefix: '',
  parseTagValue: false,
  parseAttributeValue: false,
  trimValues: false,
  ignoreDeclaration: true,
  ignorePiTags: true,
  processEntities: true,
  htmlEntities: false,
});

type OrderedNode = Record<string, unknown>;

/**
 * Well-formed XML only: returns a document element holding the top-level elements, or null when
 * the validator refuses the text (fast-xml-parser silently builds garbage from malformed input,
 * so validation must come first). Documents with a DOCTYPE are refused too: SIPREC metadata
 * never has one, and entity expansion is not something a recorder should do for strangers.
 */
export function parseStrictXml(xml: string): XmlElement | null {
  if (/<!DOCTYPE|<!ENTITY/i.test(xml)) return null;
  if (XMLValidator.validate(xml) !== true) return null;
  const nodes: unknown = parser.parse(xml);
  const document = createElement('#document');
  if (Array.isArray(nodes)) appendNodes(document, nodes);
  return document;
}

function appendNodes(parent: XmlElement, nodes: unknown[]): void {
  for (const node of nodes) {
    if (node === null || typeof node !== 'object') continue;
    const record = node as OrderedNode;
    for (const [key, value] of Object.entries(record)) {
      if (key === ':@') continue;
      if (key === '#text') {
        parent.text += String(value);
        continue;
      }
      const element = createElement(key, attributesOf(record[':@']));
      parent.children.push(element);
      if (Array.isArray(value)) appendNodes(element, value);
    }
  }
}

function attributesOf(raw: unknown): Record<string, string> {
  const attributes: Record<string, string> = {};
  if (raw === null || typeof raw !== 'object') return attributes;
  for (const [name, value] of Object.entries(raw)) attributes[name] = String(value);
  return attributes;
}
