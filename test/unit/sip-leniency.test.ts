import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { DialogStore, type Dialog } from '../../src/adapters/sip/dialogs.js';
import { remoteTargetOf } from '../../src/adapters/sip/invite-acceptor.js';
import { noteLenient } from '../../src/adapters/sip/leniency.js';
import type { SipFlow } from '../../src/adapters/sip/sip-flow.js';
import { requestInfo } from '../../src/adapters/sip/sip-request-info.js';
import { buildResponse } from '../../src/adapters/sip/sip-response.js';
import { ServerTransactions } from '../../src/adapters/sip/server-transactions.js';
import { createMetrics } from '../../src/observability/metrics.js';
import { captureLog } from '../support/capture-log.js';
import { sipRequest } from '../sipp/support/sip-requests.js';

const flow: SipFlow = {
  transport: 'udp',
  remoteAddress: '127.0.0.1',
  remotePort: 5070,
  localAddress: '127.0.0.1',
  localPort: 5060,
  send: () => undefined,
  isOpen: () => true,
};

function request(overrides: Partial<Parameters<typeof sipRequest>[0]> = {}) {
  return sipRequest({
    method: 'INVITE',
    callId: 'c1',
    cseq: 1,
    branch: 'z9hG4bKinvite',
    transport: 'udp',
    clientPort: 5070,
    ...overrides,
  });
}

function dialog(callId: string, localTag: string, remoteTag: string): Dialog {
  return { sipCallId: callId, localTag, remoteTag, inviteCseq: 1 } as Dialog;
}

describe('dialog matching without To-tag', () => {
  it('finds the one dialog of a Call-ID and From-tag, and none when ambiguous or gone', () => {
    const store = new DialogStore();
    const a = dialog('c1', 'l1', 'r1');
    store.add(a);
    store.add(dialog('c2', 'l2', 'r1'));
    expect(store.findByRemote('c1', 'r1')).toBe(a);
    expect(store.findByRemote('c1', 'other')).toBeUndefined();
    const twin = dialog('c1', 'l3', 'r1');
    store.add(twin);
    expect(store.findByRemote('c1', 'r1')).toBeUndefined();
    store.delete(twin);
    expect(store.findByRemote('c1', 'r1')).toBe(a);
    store.delete(a);
    expect(store.findByRemote('c1', 'r1')).toBeUndefined();
  });
});

describe('ACK matching whatever its CSeq', () => {
  const transactions = new ServerTransactions({
    timers: { t1Ms: 1000, t2Ms: 4000 },
    log: pino({ level: 'silent' }),
    onAckTimeout: () => undefined,
    onFinalResponse: () => undefined,
  });
  afterEach(() => transactions.close());

  const accepted = (callId: string, cseq: number, branch: string) => {
    const invite = request({ callId, cseq, branch });
    const outcome = transactions.receive(invite, requestInfo(invite), flow);
    if (outcome.kind !== 'new') throw new Error('expected a new transaction');
    outcome.transaction.respond(buildResponse(invite, 200, { toTag: 'local' }));
    return outcome.transaction;
  };
  const ack = (callId: string, cseq: number, branch: string, fromTag = 'src-tag') => {
    const message = request({ method: 'ACK', callId, cseq, branch, fromTag, toTag: 'local' });
    return transactions.ackReceived(requestInfo(message));
  };

  it('matches by CSeq number first, as RFC 3261 says', () => {
    const invite = accepted('a1', 1, 'z9hG4bKa1');
    expect(ack('a1', 1, 'z9hG4bKother')).toEqual({ kind: 'matched', invite });
    expect(ack('a1', 1, 'z9hG4bKother').kind).toBe('none');
  });

  it('matches the only waiting 2xx of the Call-ID and From-tag, leniently', () => {
    const invite = accepted('a2', 1, 'z9hG4bKa2');
    expect(ack('a2', 7, 'z9hG4bKnew', 'another-tag').kind).toBe('none');
    expect(ack('a2', 7, 'z9hG4bKnew')).toEqual({ kind: 'lenient', invite });
  });

  it('matches by the INVITE branch when several 2xx wait', () => {
    accepted('a3', 1, 'z9hG4bKfirst');
    const second = accepted('a3', 2, 'z9hG4bKsecond');
    expect(ack('a3', 9, 'z9hG4bKunknown').kind).toBe('none');
    expect(ack('a3', 9, 'z9hG4bKsecond')).toEqual({ kind: 'lenient', invite: second });
  });
});

describe('headers the recorder can do without', () => {
  it('a Contact without ">" is salvaged and flagged, so requests go over the flow', () => {
    const invite = request({
      headers: [],
    });
    invite.headers = invite.headers.map((h) =>
      h.name === 'Contact'
        ? { name: 'Contact', value: '<sip:7602922410@10.0.0.5:5060;+sip.src' }
        : h,
    );
    expect(remoteTargetOf(invite, flow)).toEqual({
      uri: 'sip:7602922410@10.0.0.5:5060',
      routeSet: [],
      contactBroken: true,
      routeSetBroken: false,
    });
  });

  it('an unreadable Contact falls back to the flow; a broken Record-Route is dropped', () => {
    const invite = request({ headers: [{ name: 'Record-Route', value: '<sip:proxy.example;lr' }] });
    invite.headers = invite.headers.map((h) =>
      h.name === 'Contact' ? { name: 'Contact', value: '<<garbage' } : h,
    );
    expect(remoteTargetOf({ ...invite }, { ...flow, transport: 'tcp' })).toEqual({
      uri: 'sip:127.0.0.1:5070;transport=tcp',
      routeSet: [],
      contactBroken: true,
      routeSetBroken: true,
    });
  });

  it('a good Contact and Record-Route are kept as sent', () => {
    const invite = request({ headers: [{ name: 'Record-Route', value: '<sip:10.1.1.1;lr>' }] });
    expect(remoteTargetOf(invite, flow)).toEqual({
      uri: 'sip:src@127.0.0.1:5070;transport=udp',
      routeSet: ['<sip:10.1.1.1;lr>'],
      contactBroken: false,
      routeSetBroken: false,
    });
  });

  it('a CSeq naming another method is flagged, not refused', () => {
    const bye = request({ method: 'BYE', cseqMethod: 'INVITE', toTag: 't' });
    expect(requestInfo(bye).cseqMethodMismatch).toBe(true);
    expect(requestInfo(request()).cseqMethodMismatch).toBe(false);
  });
});

describe('lenient log', () => {
  it('counts every occurrence and warns once per dialog and rule', async () => {
    const metrics = createMetrics();
    const captured = captureLog();
    const subject = { log: captured.log, lenientSeen: new Set<never>() };
    noteLenient(metrics, subject, 'missing-to-tag', 'BYE');
    noteLenient(metrics, subject, 'missing-to-tag', 'BYE');
    noteLenient(metrics, subject, 'cseq-out-of-order', 'BYE');
    const values = (await metrics.sipLenient.get()).values;
    expect(values.find((v) => v.labels.reason === 'missing-to-tag')?.value).toBe(2);
    expect(captured.lines.filter((l) => l.level === 40).map((l) => l.code)).toEqual([
      'missing-to-tag',
      'cseq-out-of-order',
    ]);
  });
});
