import type { CallSiprecInfo } from '../../domain/call.js';
import { RECORDED_END_LABELS, type RecordedEnd } from '../../domain/recorded-leg.js';
import type { RecordedLeg } from '../../ports/call-sessions.js';
import { numberFromAor } from '../siprec/number-from-aor.js';
import { parseNameAddr, parseSipUri } from './sip-header-values.js';

/** What Cisco Unified CM says about one end of a call it records by Built-in-Bridge. */
export interface CucmBibEnd {
  /** `x-refci` (near end) or `x-farendrefci` (far end): CUCM's call leg id of that party. */
  refci: string;
  /** `x-nearendaddr` / `x-farendaddr`: the party's directory number. */
  addr: string;
  /** `x-nearenddevice` / `x-farenddevice`: the party's device name (SEP…, a trunk). */
  device: string;
  /** `x-nearendclusterid` / `x-farendclusterid`. */
  clusterId: string;
  /** `x-nearendguid` / `x-farendguid`: the Cisco GUID of that party's call, when CUCM sends one. */
  guid: string;
}

export interface CucmBibLeg {
  /** `x-nearend` or `x-farend` in the From URI: which voice this dialog carries. */
  end: RecordedEnd;
  nearEnd: CucmBibEnd;
  farEnd: CucmBibEnd;
  /** Every `x-` parameter of the From URI, as sent (for the call record). */
  params: Record<string, string>;
}

/**
 * A recording INVITE from CUCM's Built-in-Bridge names its end and both parties in the From
 * URI's parameters: `<sip:2000@ucm1;x-nearend;x-refci=…;x-nearenddevice=…;x-nearendaddr=…;
 * x-farendrefci=…;x-farenddevice=…;x-farendaddr=…>`. Both dialogs of one recorded call carry
 * the same `x-refci` and `x-farendrefci`; only `x-nearend` / `x-farend` differ. Null for any
 * other INVITE (no end marker, or no `x-refci` to pair by).
 */
export function readCucmBib(fromHeader: string): CucmBibLeg | null {
  let uriParams: Map<string, string>;
  try {
    uriParams = parseSipUri(parseNameAddr(fromHeader).uri).params;
  } catch {
    return null;
  }
  const near = uriParams.has('x-nearend');
  const far = uriParams.has('x-farend');
  const refci = uriParams.get('x-refci') ?? '';
  if (near === far || refci === '') return null;
  const param = (name: string): string => uriParams.get(name)?.trim() ?? '';
  const endOf = (prefix: 'nearend' | 'farend', id: string): CucmBibEnd => ({
    refci: id,
    addr: param(`x-${prefix}addr`),
    device: param(`x-${prefix}device`),
    clusterId: param(`x-${prefix}clusterid`),
    guid: param(`x-${prefix}guid`),
  });
  const params: Record<string, string> = {};
  for (const [name, value] of uriParams) if (name.startsWith('x-')) params[name] = value;
  return {
    end: near ? 'near' : 'far',
    nearEnd: endOf('nearend', refci),
    farEnd: endOf('farend', param('x-farendrefci')),
    params,
  };
}

/** The leg as the core pairs it: the same key for both dialogs of one recorded call. */
export function recordedLegOf(leg: CucmBibLeg): RecordedLeg {
  const party = (end: CucmBibEnd) => ({ number: numberFromAor(end.addr), device: end.device });
  return {
    pairKey: [leg.nearEnd.clusterId, leg.nearEnd.refci, leg.farEnd.refci].join('\u0000'),
    end: leg.end,
    nearEnd: party(leg.nearEnd),
    farEnd: party(leg.farEnd),
  };
}

/**
 * The call record's session info for a BiB dialog: both parties (near end first, as the
 * agent), and the From URI's `x-` parameters next to the kept headers (Cisco-Guid, …).
 */
export function withCucmBib(info: CallSiprecInfo, leg: CucmBibLeg): CallSiprecInfo {
  const participant = (end: CucmBibEnd, label: string) => ({
    participantId: end.refci,
    aor: end.addr === '' ? null : end.addr,
    name: end.device === '' ? null : end.device,
    sendLabels: [label],
  });
  return {
    ...info,
    dialect: 'cucm-bib',
    participants: [
      participant(leg.nearEnd, RECORDED_END_LABELS.near),
      participant(leg.farEnd, RECORDED_END_LABELS.far),
    ],
    extensions: { ...info.extensions, ...leg.params },
  };
}
