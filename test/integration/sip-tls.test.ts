import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { execFile } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { promisify } from 'node:util';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repoRoot, startTestServer } from '../support/server-harness.js';
import { freePort, runSipp } from '../support/sipp-runner.js';
import { startStunnel, stunnelTool, type RunningStunnel } from '../support/stunnel.js';
import {
  createTestPki,
  type IssuedCertificate,
  type TestCa,
  type TestPki,
} from '../support/test-pki.js';
import { tools } from '../support/tools.js';
import { tlsHandshake } from '../support/tls-client.js';
import { waitFor } from '../support/wait-for.js';

const run = promisify(execFile);

/**
 * SIP over TLS against peers the project did not write: sipp (the SBC's SIP) behind stunnel4
 * (the SBC's TLS, OpenSSL), which verifies callscribe's certificate against the test CA.
 */
const sippDir = join(repoRoot, 'test', 'sipp');
const ready = tools.sipp().available && stunnelTool().available && tools.openssl().available;

interface Setup {
  pki: TestPki;
  ca: TestCa;
  serverCert: IssuedCertificate;
  sbcCert: IssuedCertificate;
}

function makePki(): Setup {
  const pki = createTestPki();
  const ca = pki.createCa('SIP TLS Test CA');
  return {
    pki,
    ca,
    serverCert: ca.issue({
      commonName: 'callscribe.test',
      san: ['DNS:callscribe.test', 'IP:127.0.0.1'],
    }),
    sbcCert: ca.issue({
      commonName: 'sbc1.example.com',
      san: ['DNS:sbc1.example.com'],
      organization: 'Example SBC',
    }),
  };
}

/** sipp over TCP to a stunnel client that carries it over TLS to callscribe. */
async function sippThroughTls(options: {
  scenario: string;
  stunnelAccept: number;
  sippPort: number;
  contactPort: number;
  callId: string;
  cwd: string;
  extraArgs?: string[];
  timeout?: string;
  killAfterMs?: number;
}) {
  return runSipp(
    [
      `127.0.0.1:${options.stunnelAccept}`,
      '-sf',
      join(sippDir, options.scenario),
      '-m',
      '1',
      '-t',
      't1',
      '-i',
      '127.0.0.1',
      '-p',
      String(options.sippPort),
      '-mi',
      '127.0.0.1',
      '-mp',
      String(await freePort()),
      '-cid_str',
      options.callId,
      '-key',
      'contact_port',
      String(options.contactPort),
      '-timeout',
      options.timeout ?? '40s',
      '-nostdin',
      ...(options.extraArgs ?? []),
    ],
    options.cwd,
    options.killAfterMs ?? 45_000,
  );
}

describe.skipIf(!ready)('SIP over TLS (sipp behind stunnel4)', () => {
  let setup: Setup;
  let server: Awaited<ReturnType<typeof startTestServer>>;
  let workDir: string;
  const tunnels: RunningStunnel[] = [];

  beforeAll(async () => {
    setup = makePki();
    workDir = mkdtempSync(join(tmpdir(), 'callscribe-sip-tls-'));
    copyFileSync(setup.serverCert.certFile, join(workDir, 'server.pem'));
    copyFileSync(setup.serverCert.keyFile, join(workDir, 'server.key'));
    server = await startTestServer({
      sipTransports: 'udp,tls',
      sipTlsPort: 0,
      tlsCertFile: join(workDir, 'server.pem'),
      tlsKeyFile: join(workDir, 'server.key'),
      tlsReloadCheckMs: 100,
      tlsHandshakeTimeoutMs: 1000,
      engine: 'fake',
      mediaTimeoutMs: 2500,
      // The BYE over the lost connection is never answered: its transaction gives up in 64*T1.
      sipT1Ms: 100,
    });
  });
  afterAll(async () => {
    await Promise.all(tunnels.map((t) => t.stop()));
    await server?.stop();
    setup?.pki.remove();
    if (workDir) rmSync(workDir, { recursive: true, force: true });
  });

  async function clientTunnel(port?: number): Promise<{ tunnel: RunningStunnel; accept: number }> {
    const accept = port ?? (await freePort());
    const tunnel = await startStunnel([
      {
        name: 'sbc-out',
        client: true,
        accept,
        connect: server.running.sipPorts.tls!,
        caFile: setup.ca.certFile,
        checkIp: '127.0.0.1',
        certFile: setup.sbcCert.certFile,
        keyFile: setup.sbcCert.keyFile,
      },
    ]);
    tunnels.push(tunnel);
    return { tunnel, accept };
  }

  const callState = async (callId: string) => {
    const res = await fetch(`${server.baseUrl}/api/calls/${encodeURIComponent(callId)}`);
    return res.ok ? ((await res.json()) as { state: string }).state : `http-${res.status}`;
  };

  it('records a SIPREC call over TLS: sips Contact with ;transport=tls, SBC hangs up', async () => {
    const { accept } = await clientTunnel();
    const callId = `tls-sbc-bye-${Date.now()}`;
    const result = await sippThroughTls({
      scenario: 'siprec-uac-tls.xml',
      stunnelAccept: accept,
      sippPort: await freePort(),
      contactPort: await freePort(),
      callId,
      cwd: workDir,
    });
    expect(result.code, result.output).toBe(0);
    await expect.poll(() => callState(callId), { timeout: 10_000 }).toBe('ENDED');
  });

  it("sends its own BYE (media timeout) back over the SBC's TLS connection", async () => {
    const { accept } = await clientTunnel();
    const callId = `tls-reuse-${Date.now()}`;
    // No stunnel server in front of sipp: only the SBC's own connection can carry the BYE.
    const result = await sippThroughTls({
      scenario: 'siprec-uac-tls-recorder-bye.xml',
      stunnelAccept: accept,
      sippPort: await freePort(),
      contactPort: await freePort(),
      callId,
      cwd: workDir,
    });
    expect(result.code, result.output).toBe(0);
    await expect.poll(() => callState(callId), { timeout: 10_000 }).toBe('ENDED');
  });

  it("opens a new TLS connection to the SBC's Contact when its connection is gone", async () => {
    const { tunnel: outbound, accept } = await clientTunnel();
    const sippPort = await freePort();
    const contactPort = await freePort();
    // The SBC's TLS server side: callscribe connects here, stunnel hands the BYE to sipp.
    const inbound = await startStunnel([
      {
        name: 'sbc-in',
        client: false,
        accept: contactPort,
        connect: sippPort,
        certFile: setup.sbcCert.certFile,
        keyFile: setup.sbcCert.keyFile,
      },
    ]);
    tunnels.push(inbound);
    const callId = `tls-reconnect-${Date.now()}`;
    const sipp = sippThroughTls({
      scenario: 'siprec-uac-tls-lost-connection.xml',
      stunnelAccept: accept,
      sippPort,
      contactPort,
      callId,
      cwd: workDir,
      // sipp keeps its call when its TCP leg to stunnel drops, and reconnects.
      extraArgs: ['-max_reconnect', '20', '-reconnect_sleep', '200', '-reconnect_close', 'false'],
    });
    await waitFor(async () => (await callState(callId)) !== 'http-404', {
      timeoutMs: 10_000,
      what: 'the call',
    });
    // Let the 200 OK and sipp's ACK cross first.
    await new Promise((resolve) => setTimeout(resolve, 1000));
    // The SBC's outbound TLS connection goes away (stunnel stops; both its legs close). A new
    // stunnel takes the port so sipp's TCP leg can come back; its TLS connection is a new one.
    await outbound.stop();
    await clientTunnel(accept);
    const result = await sipp;
    expect(result.code, result.output).toBe(0);
    expect(inbound.log()).toMatch(/Service \[sbc-in\] accepted connection from 127\.0\.0\.1/);
    await expect.poll(() => callState(callId), { timeout: 10_000 }).toBe('ENDED');
  });

  const metricLines = async (name: string) =>
    (await (await fetch(`${server.baseUrl}/metrics`)).text())
      .split('\n')
      .filter((l) => l.startsWith(name));
  const failures = async (reason: string) => {
    const line = (await metricLines('callscribe_tls_handshake_failures_total')).find((l) =>
      l.includes(`listener="sip",reason="${reason}"`),
    );
    return line === undefined ? 0 : Number(line.split(' ').pop());
  };

  it.skipIf(!tools.sipsak().available)(
    'plain SIP sent to the TLS port (sipsak over TCP) is counted and closed; TLS 1.1 (openssl s_client) is refused',
    async () => {
      const tlsPort = server.running.sipPorts.tls!;
      const plainBefore = await failures('not-tls');
      const sipsak = await run(
        'sipsak',
        ['-s', `sip:callscribe@127.0.0.1:${tlsPort}`, '--transport=tcp', '-vv'],
        {
          timeout: 20_000,
        },
      ).then(
        (r) => r.stdout,
        (e: { stdout?: string }) => e.stdout ?? '',
      );
      expect(sipsak).not.toMatch(/SIP\/2\.0 200/);
      await expect.poll(() => failures('not-tls')).toBe(plainBefore + 1);

      const versionBefore = await failures('protocol-version');
      const sClient = await run(
        'openssl',
        [
          's_client',
          '-connect',
          `127.0.0.1:${tlsPort}`,
          '-tls1_1',
          '-cipher',
          'DEFAULT@SECLEVEL=0',
        ],
        { timeout: 20_000 },
      ).then(
        () => 'connected',
        (e: { stdout?: string; stderr?: string }) => `${e.stdout ?? ''}${e.stderr ?? ''}`,
      );
      expect(sClient).not.toBe('connected');
      await expect.poll(() => failures('protocol-version')).toBe(versionBefore + 1);
      const refused = server.captured.lines.filter((l) => l.msg === 'SIP TLS connection refused');
      expect(refused.map((l) => l.reason)).toEqual(
        expect.arrayContaining(['not-tls', 'protocol-version']),
      );
    },
  );

  it('a client that stalls its handshake is cut off after tlsHandshakeTimeoutMs', async () => {
    const before = await failures('timeout');
    const socket = connect({ host: '127.0.0.1', port: server.running.sipPorts.tls! });
    socket.on('error', () => undefined);
    await new Promise((resolve) => socket.once('connect', resolve));
    socket.write(Buffer.from([0x16, 0x03, 0x01, 0x01, 0x00]));
    await new Promise((resolve) => socket.once('close', resolve));
    expect(await failures('timeout')).toBe(before + 1);
  });

  it('serves a rotated certificate to new connections while a call on the old one goes on', async () => {
    const { accept } = await clientTunnel();
    const callId = `tls-rotate-${Date.now()}`;
    // Ends by the recorder's BYE (media timeout) over the connection opened before the rotation.
    const sipp = sippThroughTls({
      scenario: 'siprec-uac-tls-recorder-bye.xml',
      stunnelAccept: accept,
      sippPort: await freePort(),
      contactPort: await freePort(),
      callId,
      cwd: workDir,
    });
    await waitFor(async () => (await callState(callId)) !== 'http-404', {
      timeoutMs: 10_000,
      what: 'the call',
    });
    const next = setup.ca.issue({ commonName: 'callscribe.test', san: ['IP:127.0.0.1'] });
    copyFileSync(next.keyFile, join(workDir, 'server.key'));
    copyFileSync(next.certFile, join(workDir, 'server.pem'));
    const served = async () => {
      const r = await tlsHandshake({
        host: '127.0.0.1',
        port: server.running.sipPorts.tls!,
        ca: setup.ca.cert,
      });
      if (!r.ok) return r.code;
      r.socket.destroy();
      return r.peer.fingerprint256;
    };
    const fingerprint = new X509Certificate(next.cert).fingerprint256;
    await expect.poll(served, { timeout: 10_000 }).toBe(fingerprint);
    const result = await sipp;
    expect(result.code, result.output).toBe(0);
    await expect.poll(() => callState(callId), { timeout: 10_000 }).toBe('ENDED');
    expect(
      (await metricLines('callscribe_tls_reloads_total')).some((l) =>
        /listener="sip",trigger="file-change",result="ok"/.test(l),
      ),
    ).toBe(true);
  });
});

describe.skipIf(!ready)('SIP over mutual TLS', () => {
  let setup: Setup;
  let otherCa: TestCa;
  let server: Awaited<ReturnType<typeof startTestServer>>;
  let workDir: string;
  const tunnels: RunningStunnel[] = [];

  beforeAll(async () => {
    setup = makePki();
    otherCa = setup.pki.createCa('Somebody Else CA');
    workDir = mkdtempSync(join(tmpdir(), 'callscribe-mtls-'));
    server = await startTestServer({
      sipTransports: 'udp,tls',
      sipTlsPort: 0,
      tlsCertFile: setup.serverCert.certFile,
      tlsKeyFile: setup.serverCert.keyFile,
      sipTlsCaFile: setup.ca.certFile,
      sipTlsAllowedPeers: 'DNS:sbc1.example.com,*.sbc.example.net',
      engine: 'fake',
      mediaTimeoutMs: 2500,
      sipT1Ms: 100,
    });
  });
  afterAll(async () => {
    await Promise.all(tunnels.map((t) => t.stop()));
    await server?.stop();
    setup?.pki.remove();
    if (workDir) rmSync(workDir, { recursive: true, force: true });
  });

  const failures = async (reason: string) => {
    const text = await (await fetch(`${server.baseUrl}/metrics`)).text();
    const line = text
      .split('\n')
      .find(
        (l) =>
          l.startsWith('callscribe_tls_handshake_failures_total') &&
          l.includes(`listener="sip",reason="${reason}"`),
      );
    return line === undefined ? 0 : Number(line.split(' ').pop());
  };

  /** sipp through stunnel presenting `cert` (or none); resolves sipp's result. */
  async function callAs(cert: IssuedCertificate | undefined, callId: string) {
    const accept = await freePort();
    const tunnel = await startStunnel([
      {
        name: 'sbc-out',
        client: true,
        accept,
        connect: server.running.sipPorts.tls!,
        caFile: setup.ca.certFile,
        checkIp: '127.0.0.1',
        ...(cert === undefined ? {} : { certFile: cert.certFile, keyFile: cert.keyFile }),
      },
    ]);
    tunnels.push(tunnel);
    return sippThroughTls({
      scenario: 'siprec-uac-tls.xml',
      stunnelAccept: accept,
      sippPort: await freePort(),
      contactPort: await freePort(),
      callId,
      cwd: workDir,
    });
  }

  it('records a call from an SBC whose certificate the CA issued and the allowlist names', async () => {
    const result = await callAs(setup.sbcCert, `mtls-ok-${Date.now()}`);
    expect(result.code, result.output).toBe(0);
    const wildcard = setup.ca.issue({ commonName: 'edge7', san: ['DNS:edge7.sbc.example.net'] });
    const second = await callAs(wildcard, `mtls-wildcard-${Date.now()}`);
    expect(second.code, second.output).toBe(0);
  });

  const refusals: [string, () => IssuedCertificate | undefined, string][] = [
    ['no certificate', () => undefined, 'no-certificate'],
    [
      'an expired certificate',
      () =>
        setup.ca.issue({
          commonName: 'sbc1.example.com',
          san: ['DNS:sbc1.example.com'],
          notBefore: '20200101000000Z',
          notAfter: '20200201000000Z',
        }),
      'cert-expired',
    ],
    [
      'a certificate from another CA',
      () => otherCa.issue({ commonName: 'sbc1.example.com', san: ['DNS:sbc1.example.com'] }),
      'cert-untrusted',
    ],
    [
      'a certificate naming another SBC',
      () => setup.ca.issue({ commonName: 'rogue.example.com', san: ['DNS:rogue.example.com'] }),
      'peer-not-allowed',
    ],
  ];
  it.each(refusals)(
    'refuses %s: logged, counted, closed, and the next SBC is served',
    async (_name, cert, reason) => {
      const before = await failures(reason);
      const callId = `mtls-refused-${reason}-${Date.now()}`;
      const refused = await callAs(cert(), callId);
      expect(refused.code).not.toBe(0);
      expect(await failures(reason)).toBe(before + 1);
      expect((await fetch(`${server.baseUrl}/api/calls/${callId}`)).status).toBe(404);
      const line = server.captured.lines
        .filter((l) => l.msg === 'SIP TLS connection refused')
        .pop();
      expect(line).toMatchObject({ reason, direction: 'inbound', remoteAddress: '127.0.0.1' });
      const ok = await callAs(setup.sbcCert, `mtls-after-${reason}-${Date.now()}`);
      expect(ok.code, ok.output).toBe(0);
    },
  );

  it.each([
    ['an allowed SBC certificate', 'sbc', true],
    ['a certificate naming another peer', 'rogue', false],
  ] as const)(
    'checks %s on the connection it opens to the SBC, before sending anything',
    async (_name, which, delivered) => {
      const accept = await freePort();
      const outbound = await startStunnel([
        {
          name: 'sbc-out',
          client: true,
          accept,
          connect: server.running.sipPorts.tls!,
          caFile: setup.ca.certFile,
          certFile: setup.sbcCert.certFile,
          keyFile: setup.sbcCert.keyFile,
        },
      ]);
      tunnels.push(outbound);
      const sippPort = await freePort();
      const contactPort = await freePort();
      const presented =
        which === 'sbc'
          ? setup.sbcCert
          : setup.ca.issue({ commonName: 'rogue.example.com', san: ['DNS:rogue.example.com'] });
      const inbound = await startStunnel([
        {
          name: 'sbc-in',
          client: false,
          accept: contactPort,
          connect: sippPort,
          certFile: presented.certFile,
          keyFile: presented.keyFile,
        },
      ]);
      tunnels.push(inbound);
      const callId = `mtls-outbound-${which}-${Date.now()}`;
      const sipp = sippThroughTls({
        scenario: 'siprec-uac-tls-lost-connection.xml',
        stunnelAccept: accept,
        sippPort,
        contactPort,
        callId,
        cwd: workDir,
        timeout: '10s',
        killAfterMs: 12_000,
        extraArgs: ['-max_reconnect', '20', '-reconnect_sleep', '200', '-reconnect_close', 'false'],
      });
      await waitFor(async () => (await fetch(`${server.baseUrl}/api/calls/${callId}`)).ok, {
        timeoutMs: 10_000,
        what: 'the call',
      });
      await new Promise((resolve) => setTimeout(resolve, 1000));
      await outbound.stop();
      tunnels.push(
        await startStunnel([
          {
            name: 'sbc-out',
            client: true,
            accept,
            connect: server.running.sipPorts.tls!,
            caFile: setup.ca.certFile,
            certFile: setup.sbcCert.certFile,
            keyFile: setup.sbcCert.keyFile,
          },
        ]),
      );
      const result = await sipp;
      if (delivered) {
        expect(result.code, result.output).toBe(0);
      } else {
        expect(result.code).not.toBe(0);
        expect(inbound.log()).not.toMatch(/[1-9]\d* byte\(s\) sent to socket/);
        expect(
          server.captured.lines.some(
            (l) =>
              l.msg === 'SIP TLS connection refused' &&
              l.direction === 'outbound' &&
              l.reason === 'peer-not-allowed',
          ),
        ).toBe(true);
      }
    },
    30_000,
  );

  it('works together with sipAllowlist: a verified SBC from an address outside it gets 403', async () => {
    const fenced = await startTestServer({
      sipTransports: 'tls',
      sipTlsPort: 0,
      tlsCertFile: setup.serverCert.certFile,
      tlsKeyFile: setup.serverCert.keyFile,
      sipTlsCaFile: setup.ca.certFile,
      sipTlsAllowedPeers: 'DNS:sbc1.example.com',
      sipAllowlist: '10.0.0.0/8',
      engine: 'fake',
    });
    try {
      const r = await tlsHandshake({
        host: '127.0.0.1',
        port: fenced.running.sipPorts.tls!,
        ca: setup.ca.cert,
        cert: setup.sbcCert.cert,
        key: setup.sbcCert.key,
      });
      expect(r.ok).toBe(true);
      if (!r.ok) return;
      r.socket.write(
        [
          'OPTIONS sip:callscribe@127.0.0.1 SIP/2.0',
          'Via: SIP/2.0/TLS 127.0.0.1:5999;branch=z9hG4bKfenced1',
          'From: <sip:sbc@sbc1.example.com>;tag=f1',
          'To: <sip:callscribe@127.0.0.1>',
          'Call-ID: fenced-1',
          'CSeq: 1 OPTIONS',
          'Max-Forwards: 70',
          'Content-Length: 0',
          '',
          '',
        ].join('\r\n'),
      );
      const reply = await new Promise<string>((resolve) =>
        r.socket.once('data', (d: Buffer) => resolve(d.toString())),
      );
      r.socket.destroy();
      expect(reply).toMatch(/^SIP\/2\.0 403 /);
    } finally {
      await fenced.stop();
    }
  });
});
