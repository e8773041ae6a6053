import { pino } from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { headerList, headerValue, type SipMessage } from '../../src/adapters/sip/sip-message.js';
import { parseSipMessage } from '../../src/adapters/sip/sip-parser.js';
import { createSipServer, type SipServer } from '../../src/adapters/sip/sip-server.js';
import { configSchema, type Config } from '../../src/config/schema.js';
import { createMetrics, type Metrics } from '../../src/observability/metrics.js';
import { FakeCallSessions } from '../sipp/support/fake-call-sessions.js';
import { FakeMediaSessions } from '../sipp/support/fake-media-sessions.js';
import { isResponse, SipTestClient } from '../sipp/support/sip-test-client.js';
import { siprecBody, sipRequest } from '../sipp/support/sip-requests.js';
import { loadVendorInvite, vendorInviteNames } from '../sipp/support/vendor-invites.js';

const log = pino({ level: 'silent' });

interface Harness {
  server: SipServer;
  ports: { udpPort?: number; tcpPort?: number };
  calls: FakeCallSessions;
  media: FakeMediaSessions;
  metrics: Metrics;
  config: Config;
}

async function startHarness(
  overrides: Partial<Record<keyof Config, unknown>> = {},
): Promise<Harness> {
  const config = configSchema.parse({
    sipHost: '127.0.0.1',
    sipPort: 0,
    maxConcurrentCalls: 5,
    ...overrides,
  });
  const calls = new FakeCallSessions();
  const media = new FakeMediaSessions();
  const metrics = createMetrics();
  const server = createSipServer({
    config,
    log,
    metrics,
    callSessions: calls,
    mediaSessions: media,
    timers: { t1Ms: 50, t2Ms: 200 },
  });
  const ports = await server.start();
  return { server, ports, calls, media, metrics, config };
}

let counter = 0;
const unique = (prefix: string): string => `${prefix}-${process.pid}-${++counter}`;

function sdpOf(message: SipMessage): string {
  expect(headerValue(message, 'content-type')).toBe('application/sdp');
  return message.body.toString('utf8');
}

/** Re-addresses a vendor INVITE to come from the test client, with a fresh Call-ID. */
function readdress(bytes: Buffer, client: SipTestClient, callId: string): SipMessage {
  const message = parseSipMessage(bytes);
  message.headers = message.headers.map((h) => {
    const name = h.name.toLowerCase();
    if (name === 'via')
      return { name: 'Via', value: `SIP/2.0/TCP 127.0.0.1:${client.port};branch=z9hG4bK${callId}` };
    if (name === 'contact')
      return {
        name: 'Contact',
        value: `<sip:src@127.0.0.1:${client.port};transport=tcp>;+sip.src`,
      };
    if (name === 'call-id') return { name: 'Call-ID', value: callId };
    if (name === 'route') return { name: 'X-Original-Route', value: h.value };
    return h;
  });
  return message;
}

describe('recorder UAS over real sockets', () => {
  let h: Harness;
  const clients: SipTestClient[] = [];

  beforeAll(async () => {
    h = await startHarness();
  });
  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.close()));
  });
  afterAll(async () => {
    await h.server.close();
  });

  const udp = async () => {
    const c = await SipTestClient.udp(h.ports.udpPort ?? 0);
    clients.push(c);
    return c;
  };
  const tcp = async () => {
    const c = await SipTestClient.tcp(h.ports.tcpPort ?? 0);
    clients.push(c);
    return c;
  };

  it.each(vendorInviteNames)(
    'answers the vendor INVITE %s over TCP with 200 and a matching SDP answer',
    async (name) => {
      const client = await tcp();
      const callId = unique('vendor');
      const invite = readdress(loadVendorInvite(name).bytes, client, callId);
      if (invite.kind !== 'request') throw new Error('fixture is not a request');
      client.send(invite);
      const ok = await client.waitFor(isResponse(200, 'INVITE', callId));
      expect(client.responses(callId, 'INVITE')[0]).toMatchObject({ status: 100 });
      const answer = sdpOf(ok);
      const offeredLines = (invite.body.toString().match(/^m=/gm) ?? []).length;
      const answeredLines = answer.match(/^m=audio (\d+)/gm) ?? [];
      expect(answeredLines).toHaveLength(offeredLines);
      expect(answer).toMatch(/a=recvonly/);
      expect(answer).not.toMatch(/a=sendonly/);
      expect(headerValue(ok, 'to')).toMatch(/;tag=/);
      expect(headerValue(ok, 'contact')).toMatch(
        /^<sip:callscribe@127\.0\.0\.1:\d+;transport=tcp>$/,
      );
      for (const label of invite.body.toString().match(/^a=label:\S+/gm) ?? [])
        expect(answer).toContain(label);
      const session = h.calls.sessions.find((s) => s.inviteHeaders['call-id'] === callId);
      expect(session).toBeDefined();
      expect(session?.sourceAddress).toBe('127.0.0.1');
      expect(session?.streams.length).toBe(offeredLines);
      expect(session?.streams.some((s) => s.role === 'CALLER')).toBe(true);

      const toTag = /;tag=([^;]+)/.exec(headerValue(ok, 'to') ?? '')?.[1];
      client.send(
        sipRequest({
          method: 'ACK',
          callId,
          cseq: Number((headerValue(ok, 'cseq') ?? '1').split(' ')[0]),
          branch: 'z9hG4bKack' + callId,
          transport: 'tcp',
          clientPort: client.port,
          fromTag: /;tag=([^;]+)/.exec(headerValue(invite, 'from') ?? '')?.[1],
          toTag,
        }),
      );
      client.send(
        sipRequest({
          method: 'BYE',
          callId,
          cseq: Number((headerValue(ok, 'cseq') ?? '1').split(' ')[0]) + 1,
          branch: 'z9hG4bKbye' + callId,
          transport: 'tcp',
          clientPort: client.port,
          fromTag: /;tag=([^;]+)/.exec(headerValue(invite, 'from') ?? '')?.[1],
          toTag,
        }),
      );
      await client.waitFor(isResponse(200, 'BYE', callId));
      const handle = h.calls.handles[h.calls.sessions.indexOf(session as never)];
      await expect.poll(() => handle?.endReasons).toEqual(['bye']);
    },
  );

  it('answers OPTIONS out of dialog with its capabilities', async () => {
    const client = await udp();
    const callId = unique('options');
    client.send(
      sipRequest({
        method: 'OPTIONS',
        callId,
        cseq: 1,
        branch: 'z9hG4bK' + callId,
        transport: 'udp',
        clientPort: client.port,
      }),
    );
    const ok = await client.waitFor(isResponse(200, 'OPTIONS', callId));
    expect(headerList(ok, 'allow')).toEqual(
      expect.arrayContaining(['INVITE', 'BYE', 'CANCEL', 'UPDATE', 'INFO']),
    );
    expect(headerValue(ok, 'accept')).toContain('application/rs-metadata+xml');
  });

  it('CANCEL during the hook: 200 to CANCEL, 487 to the INVITE, call ended and media released', async () => {
    const client = await udp();
    const callId = unique('cancel');
    const branch = 'z9hG4bK' + callId;
    const sessionsBefore = h.calls.handles.length;
    h.calls.delayMs = 300;
    try {
      const { contentType, body } = siprecBody();
      client.send(
        sipRequest({
          method: 'INVITE',
          callId,
          cseq: 1,
          branch,
          transport: 'udp',
          clientPort: client.port,
          contentType,
          body,
        }),
      );
      await client.waitFor(isResponse(100, 'INVITE', callId));
      client.send(
        sipRequest({
          method: 'CANCEL',
          callId,
          cseq: 1,
          branch,
          transport: 'udp',
          clientPort: client.port,
        }),
      );
      await client.waitFor(isResponse(200, 'CANCEL', callId));
      const terminated = await client.waitFor(isResponse(487, 'INVITE', callId));
      client.send(
        sipRequest({
          method: 'ACK',
          callId,
          cseq: 1,
          branch,
          transport: 'udp',
          clientPort: client.port,
          toTag: /;tag=([^;]+)/.exec(headerValue(terminated, 'to') ?? '')?.[1],
        }),
      );
      await expect.poll(() => h.calls.handles.length).toBe(sessionsBefore + 1);
      const handle = h.calls.handles[sessionsBefore];
      await expect.poll(() => handle?.endReasons).toEqual(['cancel']);
      expect(h.media.sessions.at(-1)?.closed).toBe(true);
      expect(
        client.responses(callId, 'INVITE').some((r) => r.kind === 'response' && r.status === 200),
      ).toBe(false);
    } finally {
      h.calls.delayMs = 0;
    }
  });

  it('a retransmitted INVITE starts one session and gets the same answer', async () => {
    const client = await udp();
    const callId = unique('retransmit');
    const { contentType, body } = siprecBody();
    const invite = sipRequest({
      method: 'INVITE',
      callId,
      cseq: 1,
      branch: 'z9hG4bK' + callId,
      transport: 'udp',
      clientPort: client.port,
      contentType,
      body,
    });
    h.calls.delayMs = 100;
    try {
      client.send(invite);
      client.send(invite);
      const first = await client.waitFor(isResponse(200, 'INVITE', callId));
      client.send(invite);
      await expect
        .poll(
          () =>
            client
              .responses(callId, 'INVITE')
              .filter((r) => r.kind === 'response' && r.status === 200).length,
        )
        .toBeGreaterThanOrEqual(2);
      const oks = client
        .responses(callId, 'INVITE')
        .filter((r) => r.kind === 'response' && r.status === 200);
      expect(
        oks.every(
          (r) => r.body.equals(first.body) && headerValue(r, 'to') === headerValue(first, 'to'),
        ),
      ).toBe(true);
      expect(h.calls.sessions.filter((s) => s.inviteHeaders['call-id'] === callId)).toHaveLength(1);
    } finally {
      h.calls.delayMs = 0;
    }
  });

  it('retransmits the 200 over UDP until the ACK, and re-INVITE hold keeps the ports', async () => {
    const client = await udp();
    const callId = unique('hold');
    const { contentType, body } = siprecBody();
    client.send(
      sipRequest({
        method: 'INVITE',
        callId,
        cseq: 1,
        branch: 'z9hG4bK' + callId,
        transport: 'udp',
        clientPort: client.port,
        contentType,
        body,
      }),
    );
    const ok = await client.waitFor(isResponse(200, 'INVITE', callId));
    await expect
      .poll(
        () =>
          client
            .responses(callId, 'INVITE')
            .filter((r) => r.kind === 'response' && r.status === 200).length,
      )
      .toBeGreaterThanOrEqual(3);
    const toTag = /;tag=([^;]+)/.exec(headerValue(ok, 'to') ?? '')?.[1];
    client.send(
      sipRequest({
        method: 'ACK',
        callId,
        cseq: 1,
        branch: 'z9hG4bKack' + callId,
        transport: 'udp',
        clientPort: client.port,
        toTag,
      }),
    );
    await new Promise((resolve) => setTimeout(resolve, 150));
    const countAfterAck = client.received.length;
    await new Promise((resolve) => setTimeout(resolve, 400));
    expect(client.received.length).toBe(countAfterAck);

    const held = siprecBody({ direction: 'inactive' });
    client.send(
      sipRequest({
        method: 'INVITE',
        callId,
        cseq: 2,
        branch: 'z9hG4bKre' + callId,
        transport: 'udp',
        clientPort: client.port,
        toTag,
        contentType: held.contentType,
        body: held.body,
      }),
    );
    const reOk = await client.waitFor(isResponse(200, 'INVITE', callId), { after: countAfterAck });
    const ports = (sdp: string) => [...sdp.matchAll(/^m=audio (\d+)/gm)].map((m) => m[1]);
    expect(ports(sdpOf(reOk))).toEqual(ports(sdpOf(ok)));
    expect(sdpOf(reOk)).toMatch(/a=inactive/);
    const mediaSession = h.media.sessions.find((s) => s.ports[0] === Number(ports(sdpOf(ok))[0]));
    expect(mediaSession?.inactiveCalls).toEqual([
      [0, true],
      [1, true],
    ]);
    client.send(
      sipRequest({
        method: 'ACK',
        callId,
        cseq: 2,
        branch: 'z9hG4bKack2' + callId,
        transport: 'udp',
        clientPort: client.port,
        toTag,
      }),
    );

    // Media timeout: the recorder ends the call and sends BYE to the SBC.
    const before = client.received.length;
    mediaSession?.fireMediaTimeout();
    const bye = await client.waitFor((m) => m.kind === 'request' && m.method === 'BYE', {
      after: before,
    });
    expect(headerValue(bye, 'call-id')).toBe(callId);
    const handle = h.calls.handles.find((x) => x.callId === callId);
    await expect.poll(() => handle?.endReasons).toEqual(['media-timeout']);
  });

  it('answers 481 to a BYE for an unknown dialog', async () => {
    const client = await udp();
    const callId = unique('unknown');
    client.send(
      sipRequest({
        method: 'BYE',
        callId,
        cseq: 2,
        branch: 'z9hG4bK' + callId,
        transport: 'udp',
        clientPort: client.port,
        toTag: 'nope',
      }),
    );
    await client.waitFor(isResponse(481, 'BYE', callId));
  });

  it('answers 420 to an unknown Require option and 501 to an unknown method', async () => {
    const client = await udp();
    const callId = unique('require');
    const { contentType, body } = siprecBody();
    client.send(
      sipRequest({
        method: 'INVITE',
        callId,
        cseq: 1,
        branch: 'z9hG4bK' + callId,
        transport: 'udp',
        clientPort: client.port,
        contentType,
        body,
        headers: [{ name: 'Require', value: 'siprec, foo' }],
      }),
    );
    const refused = await client.waitFor(isResponse(420, 'INVITE', callId));
    expect(headerValue(refused, 'unsupported')).toBe('foo');
    client.send(
      sipRequest({
        method: 'FROBNICATE',
        callId,
        cseq: 2,
        branch: 'z9hG4bKf' + callId,
        transport: 'udp',
        clientPort: client.port,
      }),
    );
    await client.waitFor(isResponse(501, 'FROBNICATE', callId));
  });

  it("answers 503 with the Retry-After of the core's refusal, before any set-up work", async () => {
    const client = await tcp();
    const callId = unique('capacity');
    const { contentType, body } = siprecBody();
    h.calls.admissionOverride = {
      admit: false,
      reasons: ['calls'],
      retryAfterS: 7,
      load: { liveCalls: 1000, lagP99Ms: 0, cpuPercent: 0 },
    };
    try {
      client.send(
        sipRequest({
          method: 'INVITE',
          callId,
          cseq: 1,
          branch: 'z9hG4bK' + callId,
          transport: 'tcp',
          clientPort: client.port,
          contentType,
          body,
        }),
      );
      const busy = await client.waitFor(isResponse(503, 'INVITE', callId));
      expect(headerValue(busy, 'retry-after')).toBe('7');
      expect(h.calls.sessions.find((s) => s.callId === callId)).toBeUndefined();
    } finally {
      h.calls.admissionOverride = undefined;
    }
  });

  it('answers 415 to a body that is not SDP and 488 to an offer without G.711', async () => {
    const client = await tcp();
    const first = unique('415');
    client.send(
      sipRequest({
        method: 'INVITE',
        callId: first,
        cseq: 1,
        branch: 'z9hG4bK' + first,
        transport: 'tcp',
        clientPort: client.port,
        contentType: 'text/plain',
        body: 'hello',
      }),
    );
    await client.waitFor(isResponse(415, 'INVITE', first));
    const second = unique('488');
    const sdp =
      'v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 6000 RTP/AVP 18\r\na=rtpmap:18 G729/8000\r\n';
    client.send(
      sipRequest({
        method: 'INVITE',
        callId: second,
        cseq: 1,
        branch: 'z9hG4bK' + second,
        transport: 'tcp',
        clientPort: client.port,
        contentType: 'application/sdp',
        body: sdp,
      }),
    );
    const refused = await client.waitFor(isResponse(488, 'INVITE', second));
    // The Warning names what would have been accepted (this harness decodes G.711 only).
    expect(headerValue(refused, 'warning')).toBe(
      '305 callscribe "Incompatible media format; callscribe accepts PCMU/8000, PCMA/8000 (plus telephone-event) over RTP/AVP or RTP/AVPF"',
    );
    expect(h.media.sessions.every((s) => s.closed || s.attached !== undefined)).toBe(true);
  });

  it('accepts a re-INVITE offering only another decodable codec, and 488s one with nothing decodable', async () => {
    const client = await tcp();
    const callId = unique('transfer');
    const send = (cseq: number, body: ReturnType<typeof siprecBody>, toTag?: string) =>
      client.send(
        sipRequest({
          method: 'INVITE',
          callId,
          cseq,
          branch: `z9hG4bK${callId}-${cseq}`,
          transport: 'tcp',
          clientPort: client.port,
          toTag,
          contentType: body.contentType,
          body: body.body,
        }),
      );
    send(1, siprecBody());
    const ok = await client.waitFor(isResponse(200, 'INVITE', callId));
    const toTag = /;tag=([^;]+)/.exec(headerValue(ok, 'to') ?? '')?.[1];
    const session = h.media.sessions.at(-1)!;
    // PCMA only: not PCMU any more, still G.711, so this harness decodes it.
    let after = client.received.length;
    send(2, siprecBody({ audio: { formats: '8', rtpmaps: ['a=rtpmap:8 PCMA/8000'] } }), toTag);
    const reOk = await client.waitFor(isResponse(200, 'INVITE', callId), { after });
    expect(sdpOf(reOk)).toMatch(/m=audio \d+ RTP\/AVP 8 101\r\n/);
    const names = (streams: (typeof session.updates)[number]) =>
      streams.map((st) =>
        st.payloads.map((p) => (p.kind === 'audio' ? p.decoder.codec.name : p.kind)),
      );
    expect(names(session.updates.at(-1)!)).toEqual([['PCMA', 'telephone-event'], ['PCMA']]);
    // GSM only: nothing decodable. The dialog stays as it was.
    after = client.received.length;
    send(3, siprecBody({ audio: { formats: '3', rtpmaps: ['a=rtpmap:3 GSM/8000'] } }), toTag);
    const refused = await client.waitFor(isResponse(488, 'INVITE', callId), { after });
    expect(headerValue(refused, 'warning')).toMatch(/^305 callscribe ".*PCMU\/8000, PCMA\/8000/);
    expect(session.updates).toHaveLength(1);
    expect(session.closed).toBe(false);
  });

  it('answers an oversize UDP request 513 and counts what it cannot answer', async () => {
    const small = await startHarness({ sipMaxMessageBytes: 2000 });
    const client = await SipTestClient.udp(small.ports.udpPort ?? 0);
    try {
      const callId = unique('big');
      client.send(
        sipRequest({
          method: 'INVITE',
          callId,
          cseq: 1,
          branch: 'z9hG4bK' + callId,
          transport: 'udp',
          clientPort: client.port,
          contentType: 'application/sdp',
          body: 'v=0\r\n'.repeat(600),
        }),
      );
      await client.waitFor(isResponse(513, 'INVITE', callId));
      client.sendRaw(Buffer.alloc(3000, 0x41));
      await expect
        .poll(
          async () =>
            (await small.metrics.sipDropped.get()).values.find(
              (v) => v.labels.reason === 'oversize',
            )?.value,
        )
        .toBe(1);
    } finally {
      await client.close();
      await small.server.close();
    }
  });
});

describe('source allowlist', () => {
  it('refuses sources outside sipAllowlist with 403', async () => {
    const h = await startHarness({ sipAllowlist: ['10.0.0.0/8'] });
    const client = await SipTestClient.tcp(h.ports.tcpPort ?? 0);
    try {
      const callId = unique('denied');
      const { contentType, body } = siprecBody();
      client.send(
        sipRequest({
          method: 'INVITE',
          callId,
          cseq: 1,
          branch: 'z9hG4bK' + callId,
          transport: 'tcp',
          clientPort: client.port,
          contentType,
          body,
        }),
      );
      await client.waitFor(isResponse(403, 'INVITE', callId));
      expect(h.calls.sessions).toHaveLength(0);
    } finally {
      await client.close();
      await h.server.close();
    }
  });

  it('rate-limits new requests per source with 503 Retry-After', async () => {
    const h = await startHarness({ sipRateLimitPerSecond: 3 });
    const client = await SipTestClient.udp(h.ports.udpPort ?? 0);
    try {
      const ids = Array.from({ length: 6 }, () => unique('flood'));
      for (const callId of ids) {
        client.send(
          sipRequest({
            method: 'OPTIONS',
            callId,
            cseq: 1,
            branch: 'z9hG4bK' + callId,
            transport: 'udp',
            clientPort: client.port,
          }),
        );
      }
      await expect.poll(() => client.received.length).toBe(6);
      const statuses = client.received.map((m) => (m.kind === 'response' ? m.status : 0)).sort();
      expect(statuses).toEqual([200, 200, 200, 503, 503, 503]);
    } finally {
      await client.close();
      await h.server.close();
    }
  });
});
