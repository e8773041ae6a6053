import { describe, expect, it } from 'vitest';
import type { Dialog } from '../../src/adapters/sip/dialogs.js';
import { buildInDialogRequest } from '../../src/adapters/sip/in-dialog-request.js';
import { localContactUri } from '../../src/adapters/sip/local-contact.js';
import type { SipFlow, SipTransportKind } from '../../src/adapters/sip/sip-flow.js';
import { headerValue } from '../../src/adapters/sip/sip-message.js';

const flow = (transport: SipTransportKind): SipFlow => ({
  transport,
  remoteAddress: '192.0.2.10',
  remotePort: 40123,
  localAddress: '198.51.100.5',
  localPort: transport === 'tls' ? 5061 : 5060,
  send: () => undefined,
  isOpen: () => false,
});

function dialog(
  transport: SipTransportKind,
  remoteTarget: string,
  routeSet: string[] = [],
): Dialog {
  return {
    sipCallId: 'c1',
    localTag: 'l',
    remoteTag: 'r',
    localHeader: '<sip:srs@198.51.100.5>;tag=l',
    remoteHeader: '<sip:src@192.0.2.10>;tag=r',
    remoteTarget,
    routeSet,
    targetViaFlow: false,
    flow: flow(transport),
    localAddress: '198.51.100.5',
    localCseq: 0,
  } as unknown as Dialog;
}

describe('addressing over TLS', () => {
  it('Contact: sips when the SBC used sips, ;transport= for every stream transport', () => {
    expect(localContactUri('198.51.100.5', flow('tls'), 'sips:srs@198.51.100.5')).toBe(
      'sips:callscribe@198.51.100.5:5061;transport=tls',
    );
    expect(localContactUri('198.51.100.5', flow('tls'), 'sip:srs@198.51.100.5;transport=tls')).toBe(
      'sip:callscribe@198.51.100.5:5061;transport=tls',
    );
    expect(localContactUri('198.51.100.5', flow('tcp'), 'sips:srs@x')).toBe(
      'sip:callscribe@198.51.100.5:5060;transport=tcp',
    );
    expect(localContactUri('2001:db8::5', flow('udp'), 'sip:srs@x')).toBe(
      'sip:callscribe@[2001:db8::5]:5060',
    );
  });

  it('a lost TLS connection is reopened over TLS to the Contact (5061 by default), never over TCP', () => {
    const out = buildInDialogRequest(dialog('tls', 'sips:src@192.0.2.20'), 'BYE');
    expect(out).toMatchObject({ address: '192.0.2.20', port: 5061, transport: 'tls' });
    expect(headerValue(out.request, 'via')).toMatch(/^SIP\/2\.0\/TLS 198\.51\.100\.5:5061;/);
    expect(
      buildInDialogRequest(dialog('tls', 'sip:src@192.0.2.20:5070;transport=tcp'), 'BYE'),
    ).toMatchObject({
      port: 5070,
      transport: 'tls',
    });
  });

  it('a sips or ;transport=tls Record-Route asks for TLS', () => {
    const viaProxy = dialog('tcp', 'sip:src@192.0.2.20', ['<sip:192.0.2.30;transport=tls;lr>']);
    expect(buildInDialogRequest(viaProxy, 'BYE')).toMatchObject({
      address: '192.0.2.30',
      port: 5061,
      transport: 'tls',
    });
    const sipsRoute = dialog('udp', 'sip:src@192.0.2.20', ['<sips:192.0.2.31:5071;lr>']);
    expect(buildInDialogRequest(sipsRoute, 'BYE')).toMatchObject({
      address: '192.0.2.31',
      port: 5071,
      transport: 'tls',
    });
    expect(buildInDialogRequest(dialog('udp', 'sip:src@192.0.2.20'), 'BYE')).toMatchObject({
      port: 5060,
      transport: 'udp',
    });
  });
});
