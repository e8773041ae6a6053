import type { Logger } from 'pino';
import type { Metrics } from '../../observability/metrics.js';

/**
 * The RFC 3261 rules callscribe relaxes for a configured SRC, each with a stable code. A
 * recorder that is strict here loses or hangs recordings that real SBCs send (Cisco CUBE's
 * BYE without a To-tag, SBCs that reuse the INVITE's CSeq in a BYE, broken Contact URIs).
 * docs/sip.md lists the same table.
 */
export const LENIENCIES = {
  'contact-malformed': 'RFC 3261 §8.1.1.8 / §20.10: Contact must be a valid name-addr',
  'record-route-malformed': 'RFC 3261 §20.30: Record-Route must be a list of name-addrs',
  'missing-to-tag': 'RFC 3261 §12.2.2: a request without To-tag is outside any dialog (BYE → 481)',
  'cseq-method-mismatch': 'RFC 3261 §8.1.1.5: the CSeq method must match the request method',
  'cseq-out-of-order': 'RFC 3261 §12.2.2: a lower CSeq than the last one gets 500',
  'ack-cseq-mismatch': 'RFC 3261 §17.1.1.3: an ACK carries its INVITE’s CSeq number',
  'session-expires-malformed': 'RFC 4028 §4: Session-Expires is delta-seconds;refresher=uac|uas',
} as const;

export type LenientCode = keyof typeof LENIENCIES;

/** What a dialog remembers so each relaxation is logged once per dialog, however often it recurs. */
export interface LenientSubject {
  readonly log: Logger;
  readonly lenientSeen: Set<LenientCode>;
}

export type LenientMetrics = Pick<Metrics, 'sipLenient'>;

/** Counts every relaxed request; warns once per dialog and code. */
export function noteLenient(
  metrics: LenientMetrics,
  subject: LenientSubject,
  code: LenientCode,
  method: string,
): void {
  metrics.sipLenient.inc({ reason: code });
  if (subject.lenientSeen.has(code)) return;
  subject.lenientSeen.add(code);
  subject.log.warn({ code, method, rule: LENIENCIES[code] }, 'SIP request accepted leniently');
}
