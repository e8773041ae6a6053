import { execFile } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { botoEndpointDataPath } from '../support/boto-endpoint.js';
import { cliPath, serveProcess } from '../support/serve-process.js';
import { startTestServer } from '../support/server-harness.js';
import { createTestPki, type TestCa, type TestPki } from '../support/test-pki.js';
import { httpsGet, tlsHandshake } from '../support/tls-client.js';
import { tools } from '../support/tools.js';
import { waitFor } from '../support/wait-for.js';

const run = promisify(execFile);
const TOKEN = 'https-token';
const KEY = 'AKIDHTTPS';
const SECRET = 'https-secret';
const fingerprintOf = (pem: Buffer) => new X509Certificate(pem).fingerprint256;

describe.skipIf(!tools.openssl().available)('HTTPS on the HTTP side', () => {
  let pki: TestPki;
  let ca: TestCa;
  let certDir: string;
  let server: Awaited<ReturnType<typeof startTestServer>>;
  let base: string;
  const certFile = () => join(certDir, 'server.pem');
  const keyFile = () => join(certDir, 'server.key');
  const install = (issued: { certFile: string; keyFile: string }) => {
    // Rotation as tools do it: replace the files in place.
    copyFileSync(issued.keyFile, keyFile());
    copyFileSync(issued.certFile, certFile());
  };

  beforeAll(async () => {
    pki = createTestPki();
    ca = pki.createCa('HTTPS Test CA');
    certDir = mkdtempSync(join(tmpdir(), 'callscribe-https-'));
    install(ca.issue({ commonName: 'localhost', san: ['DNS:localhost', 'IP:127.0.0.1'] }));
    server = await startTestServer({
      httpTls: true,
      tlsCertFile: certFile(),
      tlsKeyFile: keyFile(),
      tlsReloadCheckMs: 100,
      tlsHandshakeTimeoutMs: 1000,
      apiToken: TOKEN,
      accessKeys: `${KEY}:${SECRET}`,
      engine: 'fake',
    });
    base = `https://127.0.0.1:${server.running.httpPort}`;
  });
  afterAll(async () => {
    await server?.stop();
    pki?.remove();
    if (certDir) rmSync(certDir, { recursive: true, force: true });
  });

  const metric = async (name: string) =>
    (await httpsGet(`${base}/metrics`, ca.cert)).body.split('\n').filter((l) => l.startsWith(name));

  it('serves the API over TLS 1.2 and 1.3, with the bearer token', async () => {
    expect((await httpsGet(`${base}/api/calls`, ca.cert)).status).toBe(401);
    expect(
      (await httpsGet(`${base}/api/calls`, ca.cert, { authorization: `Bearer ${TOKEN}` })).status,
    ).toBe(200);
    for (const version of ['TLSv1.2', 'TLSv1.3'] as const) {
      const r = await tlsHandshake({
        host: '127.0.0.1',
        port: server.running.httpPort,
        ca: ca.cert,
        servername: 'localhost',
        minVersion: version,
        maxVersion: version,
      });
      expect(r.ok, version).toBe(true);
      if (r.ok) {
        expect(r.socket.getProtocol()).toBe(version);
        r.socket.destroy();
      }
    }
  });

  it('refuses TLS 1.1 and plain HTTP, counts them, and keeps serving', async () => {
    const old = await tlsHandshake({
      host: '127.0.0.1',
      port: server.running.httpPort,
      ca: ca.cert,
      minVersion: 'TLSv1',
      maxVersion: 'TLSv1.1',
      ciphers: 'DEFAULT@SECLEVEL=0',
    });
    expect(old.ok).toBe(false);
    const plain = await fetch(`http://127.0.0.1:${server.running.httpPort}/healthz`).then(
      () => 'answered',
      () => 'refused',
    );
    expect(plain).toBe('refused');
    await waitFor(
      async () => (await metric('callscribe_tls_handshake_failures_total')).length >= 2,
      { timeoutMs: 5000, what: 'failure metrics' },
    );
    const lines = await metric('callscribe_tls_handshake_failures_total');
    expect(lines.some((l) => /listener="http",reason="protocol-version"/.test(l))).toBe(true);
    expect(lines.some((l) => /listener="http",reason="not-tls"/.test(l))).toBe(true);
    expect((await httpsGet(`${base}/healthz`, ca.cert)).status).toBe(200);
  });

  describe.skipIf(!tools.python3Boto3().available)('boto3', () => {
    it('signs PutEvents over HTTPS, verifying the server against AWS_CA_BUNDLE', async () => {
      const env: NodeJS.ProcessEnv = {};
      for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('AWS_')) env[k] = v;
      const script = [
        'import boto3, json',
        "r = boto3.client('events').put_events(Entries=[{'Source': 'lca-solution', 'DetailType': 'START_CALL_PROCESSING', 'Detail': json.dumps({'callId': 'nobody'})}])",
        "print(json.dumps({'failed': r['FailedEntryCount'], 'id': r['Entries'][0].get('EventId')}))",
      ].join('\n');
      const { stdout } = await run('python3', ['-c', script], {
        env: {
          ...env,
          AWS_ENDPOINT_URL_EVENTBRIDGE: base,
          AWS_DATA_PATH: botoEndpointDataPath(base),
          AWS_CA_BUNDLE: ca.certFile,
          AWS_ACCESS_KEY_ID: KEY,
          AWS_SECRET_ACCESS_KEY: SECRET,
          AWS_DEFAULT_REGION: 'us-east-1',
          AWS_CONFIG_FILE: '/nonexistent',
          AWS_SHARED_CREDENTIALS_FILE: '/nonexistent',
        },
        timeout: 60_000,
      });
      expect(JSON.parse(stdout)).toMatchObject({
        failed: 0,
        id: expect.stringMatching(/^[0-9a-f-]{36}$/),
      });
    });
  });

  it('serves a rotated certificate to new connections without dropping open ones', async () => {
    const before = fingerprintOf(readFileSync(certFile()));
    const open = await tlsHandshake({
      host: '127.0.0.1',
      port: server.running.httpPort,
      ca: ca.cert,
      servername: 'localhost',
    });
    expect(open.ok).toBe(true);
    if (!open.ok) return;
    const next = ca.issue({ commonName: 'localhost', san: ['DNS:localhost', 'IP:127.0.0.1'] });
    install(next);
    await waitFor(
      async () =>
        (await httpsGet(`${base}/healthz`, ca.cert)).fingerprint256 === fingerprintOf(next.cert),
      {
        timeoutMs: 10_000,
        what: 'the new certificate',
      },
    );
    expect(open.peer.fingerprint256).toBe(before);
    // The connection opened before the rotation still carries requests.
    open.socket.write('GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n');
    const reply = await new Promise<string>((resolve) =>
      open.socket.once('data', (d: Buffer) => resolve(d.toString())),
    );
    expect(reply).toMatch(/^HTTP\/1\.1 200/);
    open.socket.destroy();
    expect(
      (await metric('callscribe_tls_reloads_total')).some((l) =>
        /trigger="file-change",result="ok"/.test(l),
      ),
    ).toBe(true);
  });

  it('keeps serving the old certificate when the new files do not form a pair', async () => {
    const served = (await httpsGet(`${base}/healthz`, ca.cert)).fingerprint256;
    const other = ca.issue({ commonName: 'localhost', san: ['IP:127.0.0.1'] });
    copyFileSync(other.certFile, certFile()); // the key is not replaced: a mismatched pair
    await waitFor(
      async () =>
        (await metric('callscribe_tls_reloads_total')).some((l) => /result="failed"/.test(l)),
      {
        timeoutMs: 10_000,
        what: 'the failed reload',
      },
    );
    expect((await httpsGet(`${base}/healthz`, ca.cert)).fingerprint256).toBe(served);
    expect(server.captured.messages()).toContain(
      'TLS certificate reload failed; still serving the previous certificate',
    );
    copyFileSync(other.keyFile, keyFile());
    await waitFor(
      async () =>
        (await httpsGet(`${base}/healthz`, ca.cert)).fingerprint256 === fingerprintOf(other.cert),
      {
        timeoutMs: 10_000,
        what: 'the completed pair',
      },
    );
  });

  it('a client that never finishes its handshake is cut off and counted', async () => {
    const socket = connect({ host: '127.0.0.1', port: server.running.httpPort });
    await new Promise((resolve) => socket.once('connect', resolve));
    // A TLS record header announcing 256 bytes that never come.
    socket.write(Buffer.from([0x16, 0x03, 0x01, 0x01, 0x00]));
    const closed = await new Promise<boolean>((resolve) => {
      socket.once('close', () => resolve(true));
      setTimeout(() => resolve(false), 5000);
    });
    socket.destroy();
    expect(closed).toBe(true);
    expect(
      (await metric('callscribe_tls_handshake_failures_total')).some((l) =>
        /reason="timeout"/.test(l),
      ),
    ).toBe(true);
  });
});

describe.skipIf(!tools.openssl().available || !existsSync(cliPath))(
  'SIGHUP on the running process',
  () => {
    it('reloads the certificate and keeps the process and its open connections', async () => {
      const pki = createTestPki();
      const ca = pki.createCa('SIGHUP CA');
      const dir = mkdtempSync(join(tmpdir(), 'callscribe-sighup-'));
      const cert = join(dir, 'cert.pem');
      const key = join(dir, 'key.pem');
      const first = ca.issue({ commonName: 'localhost', san: ['IP:127.0.0.1'] });
      copyFileSync(first.certFile, cert);
      copyFileSync(first.keyFile, key);
      const proc = serveProcess({
        CALLSCRIBE_HTTP_TLS: 'true',
        CALLSCRIBE_TLS_CERT_FILE: cert,
        CALLSCRIBE_TLS_KEY_FILE: key,
        // Only the signal may trigger this reload.
        CALLSCRIBE_TLS_RELOAD_CHECK_MS: '3600000',
      });
      try {
        const { httpPort } = await proc.started();
        const url = `https://127.0.0.1:${httpPort}/healthz`;
        expect((await httpsGet(url, ca.cert)).fingerprint256).toBe(fingerprintOf(first.cert));
        const open = await tlsHandshake({ host: '127.0.0.1', port: httpPort, ca: ca.cert });
        expect(open.ok).toBe(true);
        const second = ca.issue({ commonName: 'localhost', san: ['IP:127.0.0.1'] });
        copyFileSync(second.keyFile, key);
        copyFileSync(second.certFile, cert);
        proc.child.kill('SIGHUP');
        await waitFor(
          async () => (await httpsGet(url, ca.cert)).fingerprint256 === fingerprintOf(second.cert),
          {
            timeoutMs: 10_000,
            what: 'the certificate after SIGHUP',
          },
        );
        expect(proc.child.exitCode).toBeNull();
        expect(
          proc.lines.some((l) => l.msg === 'TLS certificate loaded' && l.trigger === 'signal'),
        ).toBe(true);
        if (open.ok) {
          expect(open.socket.destroyed).toBe(false);
          open.socket.destroy();
        }
      } finally {
        await proc.stop();
        pki.remove();
        rmSync(dir, { recursive: true, force: true });
      }
    });
  },
);
