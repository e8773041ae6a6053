import { randomBytes } from 'node:crypto';
import { isIP } from 'node:net';
import type { Dialog } from './dialogs.js';
import { parseNameAddr, parseSipUri } from './sip-header-values.js';
import type { SipTransportKind } from './sip-flow.js';
import type { SipHeader, SipRequest } from './sip-message.js';
import { uriHost } from './local-address.js';

export function newBranch(): string {
  return `z9hG4bK${randomBytes(10).toString('hex')}`;
}

export function newTag(): string {
  return randomBytes(8).toString('hex');
}

export interface OutgoingRequest {
  request: SipRequest;
  branch: string;
  /** Where to send it: first Route, else the remote target; the INVITE's source when not an IP. */
  address: string;
  port: number;
  /** The transport to open when the dialog's own connection is gone. */
  transport: SipTransportKind;
}

/** A request inside the dialog (BYE, OPTIONS probe, UPDATE refresh), RFC 3261 §12.2.1.1. */
export function buildInDialogRequest(
  dialog: Dialog,
  method: string,
  extraHeaders: readonly SipHeader[] = [],
): OutgoingRequest {
  dialog.localCseq += 1;
  const branch = newBranch();
  const transport = dialog.flow.transport.toUpperCase();
  const headers = [
    {
      name: 'Via',
      value: `SIP/2.0/${transport} ${uriHost(dialog.localAddress)}:${dialog.flow.localPort};branch=${branch};rport`,
    },
    { name: 'Max-Forwards', value: '70' },
    { name: 'From', value: dialog.localHeader },
    { name: 'To', value: dialog.remoteHeader },
    { name: 'Call-ID', value: dialog.sipCallId },
    { name: 'CSeq', value: `${dialog.localCseq} ${method}` },
    ...dialog.routeSet.map((route) => ({ name: 'Route', value: route })),
    ...extraHeaders,
  ];
  const request: SipRequest = {
    kind: 'request',
    method,
    uri: dialog.remoteTarget,
    headers,
    body: Buffer.alloc(0),
  };
  const next = nextHop(dialog);
  return { request, branch, ...next };
}

/**
 * Where a request goes when the dialog's flow cannot carry it. A `sips:` URI or
 * `;transport=tls` on the first Route (a Record-Route the SBC put in) or the Contact asks for
 * TLS (port 5061 unless given); a dialog that began over TLS never falls back to plain text.
 */
function nextHop(dialog: Dialog): { address: string; port: number; transport: SipTransportKind } {
  const flowTransport = dialog.flow.transport;
  const fallback = {
    address: dialog.flow.remoteAddress,
    port: dialog.flow.remotePort,
    transport: flowTransport,
  };
  if (dialog.targetViaFlow) return fallback;
  try {
    const first = dialog.routeSet[0];
    const uri = parseSipUri(first === undefined ? dialog.remoteTarget : parseNameAddr(first).uri);
    if (isIP(uri.host) === 0) return fallback;
    const named = uri.params.get('transport')?.toLowerCase();
    const tls = flowTransport === 'tls' || uri.scheme === 'sips' || named === 'tls';
    const transport: SipTransportKind = tls
      ? 'tls'
      : named === 'tcp' || named === 'udp'
        ? named
        : flowTransport;
    return { address: uri.host, port: uri.port ?? (tls ? 5061 : 5060), transport };
  } catch {
    return fallback;
  }
}
