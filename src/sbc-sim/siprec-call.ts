import { randomBytes, randomUUID } from 'node:crypto';
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { isIPv6 } from 'node:net';
import type { Logger } from 'pino';
import { parse as parseSdp } from 'sdp-transform';
import { freshKeying } from '../adapters/srtp/sdes-crypto.js';
import type { SrtpKeying, SrtpSuiteName } from '../adapters/srtp/srtp-suites.js';
import { AppError } from '../domain/errors.js';
import type { SbcSimEventListener } from './sbc-sim-events.js';
import { header, parseSipMessage, type SipMessage } from './sip-message.js';
import { openSipClientTransport, type SipTransportKind } from './sip-client-transport.js';
import { buildSiprecOffer, extractSdp } from './siprec-offer.js';

// RFC 3261 §17 timers.
const T1_MS = 500;
const T2_MS = 4000;
const TRANSACTION_TIMEOUT_MS = 64 * T1_MS;
const USER_AGENT = 'callscribe-sbc-sim/1';

export interface SiprecCallOptions {
  target: { host: string; port: number };
  transport: SipTransportKind;
  callId?: string;
  fromNumber?: string;
  toNumber?: string;
  /**
   * Offer SDES-SRTP with this suite (`RTP/SAVP`, a fresh key per stream, see `srtpKeys`); the
   * media must then be protected with those keys. Plain RTP without.
   */
  srtp?: SrtpSuiteName;
  log?: Logger;
  signal?: AbortSignal;
  onEvent?: SbcSimEventListener;
}

/** A recording session the recorder accepted: media may flow until `hangUp()`. */
export interface EstablishedSiprecCall {
  readonly callId: string;
  readonly answerAddress: string;
  /** The recorder's RTP port per offered stream (caller, agent); 0 where it refused the stream. */
  readonly answerPorts: number[];
  /** RTP sockets per stream, bound to the offered ports and connected to the answer; null when refused. */
  readonly rtpSockets: (UdpSocket | null)[];
  /** With `srtp`: the key of each stream (caller, agent) that its packets must be protected with. */
  readonly srtpKeys: readonly [SrtpKeying, SrtpKeying] | null;
  /** Resolves when the recorder ends the session with its own BYE. */
  readonly remoteHangup: Promise<void>;
  /** BYE (unless the recorder already hung up), then closes sockets and the SIP flow. */
  hangUp(): Promise<void>;
}

interface PendingTransaction {
  method: string;
  onResponse(message: SipMessage): void;
}

function token(bytes = 8): string {
  return randomBytes(bytes).toString('hex');
}

function hostPort(host: string, port: number): string {
  return `${isIPv6(host) ? `[${host}]` : host}:${port}`;
}

/**
 * Places a SIPREC INVITE as an SBC would (RFC 7866 SRC): INVITE with the multipart offer,
 * UDP retransmission until the first response, ACK for the 2xx (again for each retransmitted
 * 2xx), RTP sockets connected to the answered ports.
 */
export async function startSiprecCall(options: SiprecCallOptions): Promise<EstablishedSiprecCall> {
  const { target, onEvent } = options;
  const callId = options.callId ?? `${randomUUID()}@sbc-sim`;
  const fromNumber = options.fromNumber ?? '+15551230001';
  const toNumber = options.toNumber ?? '+15559870001';
  const log = options.log?.child({ component: 'sbc-sim', callId });
  options.signal?.throwIfAborted();

  const transport = await openSipClientTransport(options.transport, target);
  const rtpSockets = await Promise.all([0, 1].map(() => bindRtpSocket(transport.localAddress)));
  const cleanup = async (): Promise<void> => {
    await Promise.all(rtpSockets.map((s) => closeUdp(s)));
    await transport.close();
  };

  const localTag = token(6);
  const localUri = `sip:sbc-sim@${hostPort(transport.localAddress, transport.localPort)}`;
  const requestUri = `sip:${toNumber}@${hostPort(target.host, target.port)}${options.transport === 'tcp' ? ';transport=tcp' : ''}`;
  const fromHeader = `<sip:${fromNumber}@${hostPort(transport.localAddress, transport.localPort)}>;tag=${localTag}`;
  let toHeader = `<sip:${toNumber}@${hostPort(target.host, target.port)}>`;
  const transactions = new Map<string, PendingTransaction>();
  let ackForAnswer: string | null = null;
  let remoteHungUp = false;
  let resolveRemoteHangup: () => void = () => {};
  const remoteHangup = new Promise<void>((resolve) => (resolveRemoteHangup = resolve));

  const via = (branch: string): string =>
    `SIP/2.0/${transport.viaProtocol} ${hostPort(transport.localAddress, transport.localPort)};branch=${branch};rport`;

  transport.onMessage((text) => {
    let message: SipMessage;
    try {
      message = parseSipMessage(text);
    } catch (error) {
      log?.warn({ err: error }, 'unparseable SIP message from the recorder');
      return;
    }
    if (message.method !== null) {
      answerRequest(message);
      return;
    }
    const branch = /branch=([^;,\s]+)/i.exec(header(message, 'via') ?? '')?.[1] ?? '';
    const cseqMethod = (header(message, 'cseq') ?? '').split(/\s+/)[1] ?? '';
    onEvent?.({
      type: 'response',
      callId,
      method: cseqMethod,
      status: message.status ?? 0,
      reason: message.reason,
    });
    const pending = transactions.get(branch);
    if (pending && pending.method === cseqMethod) pending.onResponse(message);
    else if (
      cseqMethod === 'INVITE' &&
      (message.status ?? 0) >= 200 &&
      (message.status ?? 0) < 300 &&
      ackForAnswer
    ) {
      // The recorder did not see our ACK and retransmitted its 200.
      transport.send(ackForAnswer);
    }
  });

  function answerRequest(request: SipMessage): void {
    const method = request.method ?? '';
    const status =
      method === 'BYE' || method === 'OPTIONS' || method === 'INFO' || method === 'UPDATE'
        ? 200
        : 501;
    const lines = [
      `SIP/2.0 ${status} ${status === 200 ? 'OK' : 'Not Implemented'}`,
      ...(request.headers.get('via') ?? []).map((v) => `Via: ${v}`),
      `From: ${header(request, 'from') ?? ''}`,
      `To: ${header(request, 'to') ?? ''}`,
      `Call-ID: ${header(request, 'call-id') ?? ''}`,
      `CSeq: ${header(request, 'cseq') ?? ''}`,
      `User-Agent: ${USER_AGENT}`,
      'Content-Length: 0',
      '',
      '',
    ];
    transport.send(lines.join('\r\n'));
    if (method === 'BYE' && header(request, 'call-id') === callId && !remoteHungUp) {
      remoteHungUp = true;
      onEvent?.({ type: 'remote-bye', callId });
      resolveRemoteHangup();
    }
  }

  function request(
    method: string,
    branch: string,
    cseq: number,
    uri: string,
    extra: string[],
    body = '',
  ): string {
    return [
      `${method} ${uri} SIP/2.0`,
      `Via: ${via(branch)}`,
      'Max-Forwards: 70',
      `From: ${fromHeader}`,
      `To: ${toHeader}`,
      `Call-ID: ${callId}`,
      `CSeq: ${cseq} ${method}`,
      ...extra,
      `User-Agent: ${USER_AGENT}`,
      `Content-Length: ${Buffer.byteLength(body)}`,
      '',
      body,
    ].join('\r\n');
  }

  /** One client transaction: retransmits over UDP, resolves with the final response. */
  function transact(
    method: string,
    branch: string,
    text: string,
    onProvisional?: (message: SipMessage) => void,
  ): Promise<SipMessage> {
    return new Promise((resolve, reject) => {
      let retransmit: NodeJS.Timeout | null = null;
      const stopRetransmit = (): void => {
        if (retransmit !== null) clearTimeout(retransmit);
        retransmit = null;
      };
      const timeout = setTimeout(() => {
        stopRetransmit();
        transactions.delete(branch);
        reject(
          new AppError('SIP_TRANSACTION_TIMEOUT', `no final response to ${method}`, {
            retryable: true,
          }),
        );
      }, TRANSACTION_TIMEOUT_MS);
      transactions.set(branch, {
        method,
        onResponse: (message) => {
          const status = message.status ?? 0;
          // INVITE retransmissions stop at the first response; others only at a final one (§17.1).
          if (method === 'INVITE' || status >= 200) stopRetransmit();
          if (status < 200) {
            onProvisional?.(message);
            return;
          }
          clearTimeout(timeout);
          transactions.delete(branch);
          resolve(message);
        },
      });
      transport.send(text);
      if (!transport.reliable) {
        let intervalMs = T1_MS;
        const again = (): void => {
          transport.send(text);
          intervalMs = method === 'INVITE' ? intervalMs * 2 : Math.min(intervalMs * 2, T2_MS);
          retransmit = setTimeout(again, intervalMs);
        };
        retransmit = setTimeout(again, intervalMs);
      }
    });
  }

  const srtpKeys =
    options.srtp === undefined
      ? null
      : ([freshKeying(options.srtp), freshKeying(options.srtp)] as const);
  const offer = buildSiprecOffer({
    mediaAddress: transport.localAddress,
    rtpPorts: [rtpSockets[0]!.address().port, rtpSockets[1]!.address().port],
    fromNumber,
    toNumber,
    domain: 'sbc-sim.invalid',
    startTime: new Date(),
    ...(srtpKeys === null ? {} : { srtp: srtpKeys }),
  });
  const inviteBranch = `z9hG4bK${token()}`;
  const invite = request(
    'INVITE',
    inviteBranch,
    1,
    requestUri,
    [
      `Contact: <${localUri}${options.transport === 'tcp' ? ';transport=tcp' : ''}>;+sip.src`,
      'Require: siprec',
      'Supported: replaces',
      'Allow: INVITE, ACK, BYE, CANCEL, OPTIONS, INFO, UPDATE',
      'Accept: application/sdp, application/rs-metadata+xml',
      `Content-Type: ${offer.contentType}`,
    ],
    offer.body,
  );

  let provisionalSeen = false;
  const onAbort = (): void => {
    if (!provisionalSeen) return;
    // CANCEL shares the INVITE's branch and CSeq number (RFC 3261 §9.1).
    const cancel = request('CANCEL', inviteBranch, 1, requestUri, []);
    // Its 200 needs no handling: the INVITE transaction ends with the 487 that follows.
    transport.send(cancel);
  };
  options.signal?.addEventListener('abort', onAbort, { once: true });

  let answer: SipMessage;
  try {
    log?.debug({ bytes: Buffer.byteLength(invite) }, 'sending SIPREC INVITE');
    onEvent?.({
      type: 'invite-sent',
      callId,
      transport: options.transport,
      bytes: Buffer.byteLength(invite),
    });
    answer = await transact('INVITE', inviteBranch, invite, () => {
      provisionalSeen = true;
      if (options.signal?.aborted) onAbort();
    });
  } catch (error) {
    await cleanup();
    throw error;
  } finally {
    options.signal?.removeEventListener('abort', onAbort);
  }

  const status = answer.status ?? 0;
  const answerTo = header(answer, 'to');
  if (answerTo !== undefined) toHeader = answerTo;
  if (status >= 300) {
    // A non-2xx final is acknowledged inside the INVITE transaction, same branch (§17.1.1.3).
    transport.send(request('ACK', inviteBranch, 1, requestUri, []));
    await cleanup();
    if (status === 487 && options.signal?.aborted) throw options.signal.reason;
    throw new AppError('SIP_REQUEST_FAILED', `recorder refused the INVITE with ${status}`, {
      details: { status, reason: answer.reason },
    });
  }

  const remoteTarget = /<([^>]+)>/.exec(header(answer, 'contact') ?? '')?.[1] ?? requestUri;
  ackForAnswer = request('ACK', `z9hG4bK${token()}`, 1, remoteTarget, []);
  transport.send(ackForAnswer);

  let answerAddress: string;
  let answerPorts: number[];
  try {
    ({ answerAddress, answerPorts } = readAnswer(answer, target.host, srtpKeys !== null));
  } catch (error) {
    await sendBye();
    await cleanup();
    throw error;
  }
  onEvent?.({ type: 'answered', callId, answerAddress, answerPorts });
  log?.debug({ answerPorts }, 'recorder answered');

  const connected: (UdpSocket | null)[] = [];
  for (let i = 0; i < rtpSockets.length; i++) {
    const port = answerPorts[i] ?? 0;
    const socket = rtpSockets[i]!;
    if (port === 0) {
      connected.push(null);
      continue;
    }
    await new Promise<void>((resolve) => socket.connect(port, answerAddress, () => resolve()));
    connected.push(socket);
  }

  let hangingUp: Promise<void> | null = null;
  async function sendBye(): Promise<void> {
    if (remoteHungUp) return;
    const branch = `z9hG4bK${token()}`;
    onEvent?.({ type: 'bye-sent', callId });
    const response = await transact('BYE', branch, request('BYE', branch, 2, remoteTarget, []));
    if ((response.status ?? 0) >= 300) {
      throw new AppError('SIP_REQUEST_FAILED', `recorder answered BYE with ${response.status}`, {
        details: { status: response.status },
      });
    }
  }

  const call: EstablishedSiprecCall = {
    callId,
    answerAddress,
    answerPorts,
    rtpSockets: connected,
    srtpKeys,
    remoteHangup,
    hangUp: () => {
      hangingUp ??= (async () => {
        try {
          await sendBye();
        } finally {
          await cleanup();
        }
      })();
      return hangingUp;
    },
  };
  if (options.signal?.aborted) {
    await call.hangUp();
    throw options.signal.reason;
  }
  return call;
}

function readAnswer(
  answer: SipMessage,
  fallbackHost: string,
  srtpOffered: boolean,
): { answerAddress: string; answerPorts: number[] } {
  const sdpText = extractSdp(header(answer, 'content-type') ?? '', answer.body);
  if (sdpText === null)
    throw new AppError('SIP_REQUEST_FAILED', 'the 200 OK carries no SDP answer');
  const sdp = parseSdp(sdpText);
  const audio = sdp.media.filter((m) => m.type === 'audio');
  if (audio.length === 0)
    throw new AppError('SIP_REQUEST_FAILED', 'the SDP answer has no audio m-line');
  // Media protected with our keys would be noise to a recorder that answered in the clear.
  if (srtpOffered && audio.some((m) => m.port !== 0 && (m.protocol !== 'RTP/SAVP' || !m.crypto)))
    throw new AppError('SIP_REQUEST_FAILED', 'the recorder answered the SRTP offer without SRTP');
  const ip = audio.find((m) => m.connection?.ip)?.connection?.ip ?? sdp.connection?.ip;
  const answerAddress = ip === undefined || ip === '0.0.0.0' || ip === '::' ? fallbackHost : ip;
  return { answerAddress, answerPorts: audio.map((m) => m.port) };
}

function bindRtpSocket(localAddress: string): Promise<UdpSocket> {
  return new Promise((resolve, reject) => {
    const socket = createSocket(isIPv6(localAddress) ? 'udp6' : 'udp4');
    socket.once('error', reject);
    socket.bind(0, localAddress, () => {
      socket.off('error', reject);
      // An ICMP port-unreachable after the recorder closed its port must not crash the sender.
      socket.on('error', () => {});
      resolve(socket);
    });
  });
}

function closeUdp(socket: UdpSocket): Promise<void> {
  return new Promise((resolve) => {
    try {
      socket.close(() => resolve());
    } catch {
      resolve();
    }
  });
}
