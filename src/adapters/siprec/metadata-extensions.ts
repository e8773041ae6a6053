import { attributeOf, type XmlElement } from './xml-tree.js';

/** Elements of RFC 7865, the legacy draft and BroadWorks' schema; everything else is extension data. */
export const standardElements: ReadonlySet<string> = new Set([
  'recording',
  'recording_metadata',
  'datamode',
  'group',
  'session',
  'participant',
  'stream',
  'participantsessionassoc',
  'participantstreamassoc',
  'sessionrecordingassoc',
  'associate-time',
  'disassociate-time',
  'start-time',
  'end-time',
  'nameid',
  'name',
  'aor',
  'send',
  'recv',
  'id',
  'label',
  'mode',
  'sipsessionid',
  'group-ref',
  'session-ref',
  'requestor',
  'type',
  'initiator',
  'content-type',
  'reason',
]);

/** Vendor wrapper elements with no namespace prefix, renamed so their keys read like `apkt:ucid`. */
const vendorAliases: ReadonlyMap<string, string> = new Map([
  ['broadworksrecordingmetadata', 'broadworks'],
  ['metaswitchrecordingmetadata', 'metaswitch'],
]);

const maxKeys = 128;
const maxKeyLength = 200;
const maxValueLength = 1024;
const maxDepth = 16;

/**
 * Flattens vendor extension data (`extensiondata`, Sonus `callData`, RFC 7865 `mydata`-style
 * elements, Cisco/Genesys/AudioCodes ids) into readable keys: the qualified name as written
 * (`apkt:ucid`, `ac:GenesysUUID`), nested names joined with dots, a `label` attribute added as
 * a segment (`apkt:header.Call-ID`). Extensions inside a participant are keyed
 * `participant.<n>.<key>` (n from 1, metadata order) so two participants' flags do not collide.
 * The first value of a key wins.
 */
export function collectExtensions(root: XmlElement): Record<string, string> {
  const out: Record<string, string> = {};
  let participantIndex = 0;
  const walkStandard = (element: XmlElement, scope: string, depth: number): void => {
    if (depth > maxDepth) return;
    for (const child of element.children) {
      if (child.localName === 'extensiondata') {
        walkStandard(child, scope, depth + 1);
      } else if (child.localName === 'participant') {
        participantIndex++;
        walkStandard(child, `participant.${participantIndex}.`, depth + 1);
      } else if (standardElements.has(child.localName)) {
        walkStandard(child, scope, depth + 1);
      } else {
        flatten(child, scope, [], depth + 1, out);
      }
    }
  };
  walkStandard(root, '', 0);
  if (!Object.hasOwn(out, 'ucid')) {
    const ucidKey = Object.keys(out).find(
      (key) => !key.startsWith('participant.') && /(^|[:.])ucid$/i.test(key),
    );
    const value = ucidKey === undefined ? undefined : out[ucidKey];
    if (value !== undefined) out['ucid'] = value;
  }
  return out;
}

function flatten(
  element: XmlElement,
  scope: string,
  path: string[],
  depth: number,
  out: Record<string, string>,
): void {
  if (depth > maxDepth || Object.keys(out).length >= maxKeys) return;
  const label = attributeOf(element, 'label');
  const segment = label === null || label === '' ? element.name : `${element.name}.${label}`;
  const isLabelledValue = element.localName === 'value' && path.length > 0;
  const nextPath = isLabelledValue ? path : [...path, segment];
  if (element.children.length === 0) {
    const value = element.text.replace(/\s+/g, ' ').trim();
    if (value === '') return;
    const key = `${scope}${keyOf(nextPath)}`.slice(0, maxKeyLength);
    if (!Object.hasOwn(out, key)) out[key] = value.slice(0, maxValueLength);
    return;
  }
  for (const child of element.children) flatten(child, scope, nextPath, depth + 1, out);
}

function keyOf(path: string[]): string {
  const [first, ...rest] = path;
  if (first === undefined) return '';
  const alias = vendorAliases.get(first.toLowerCase());
  if (alias !== undefined) return rest.length === 0 ? alias : `${alias}:${rest.join('.')}`;
  return path.join('.');
}
