import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.js';
import { httpTlsFiles } from '../../src/config/tls-settings.js';

describe('certificate settings', () => {
  it('HTTPS uses its own pair when given, else the shared one', () => {
    const shared = loadConfig({
      env: {
        CALLSCRIBE_HTTP_TLS: 'true',
        CALLSCRIBE_TLS_CERT_FILE: '/c.pem',
        CALLSCRIBE_TLS_KEY_FILE: '/k.pem',
      },
    });
    expect(httpTlsFiles(shared)).toEqual({ certFile: '/c.pem', keyFile: '/k.pem' });
    const own = loadConfig({
      env: {
        CALLSCRIBE_HTTP_TLS: 'true',
        CALLSCRIBE_TLS_CERT_FILE: '/c.pem',
        CALLSCRIBE_TLS_KEY_FILE: '/k.pem',
        CALLSCRIBE_HTTP_TLS_CERT_FILE: '/web.pem',
        CALLSCRIBE_HTTP_TLS_KEY_FILE: '/web.key',
      },
    });
    expect(httpTlsFiles(own)).toEqual({ certFile: '/web.pem', keyFile: '/web.key' });
    expect(
      httpTlsFiles(
        loadConfig({
          env: { CALLSCRIBE_TLS_CERT_FILE: '/c.pem', CALLSCRIBE_TLS_KEY_FILE: '/k.pem' },
        }),
      ),
    ).toBeUndefined();
  });

  it('reports settings that cannot work, all at once', () => {
    let message = '';
    try {
      loadConfig({
        env: {
          CALLSCRIBE_HTTP_TLS: 'true',
          CALLSCRIBE_TLS_CERT_FILE: '/c.pem',
          CALLSCRIBE_HTTP_TLS_KEY_FILE: '/k.pem',
        },
      });
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toContain(
      'tlsKeyFile (CALLSCRIBE_TLS_KEY_FILE): tlsCertFile and tlsKeyFile go together',
    );
    expect(message).toContain(
      'httpTlsCertFile (CALLSCRIBE_HTTP_TLS_CERT_FILE): httpTlsCertFile and httpTlsKeyFile go together',
    );
    expect(() => loadConfig({ env: { CALLSCRIBE_HTTP_TLS: 'true' } })).toThrow(
      /httpTls \(CALLSCRIBE_HTTP_TLS\): HTTPS needs a certificate/,
    );
  });

  it('the server refuses to start on unreadable or mismatched files, naming them', async () => {
    const { buildServer } = await import('../../src/composition-root.js');
    const config = loadConfig({
      env: {},
      overrides: {
        httpTls: true,
        tlsCertFile: '/nonexistent/cert.pem',
        tlsKeyFile: '/nonexistent/key.pem',
        engine: 'fake',
        dataDir: '/tmp/callscribe-tls-settings-test',
      },
    });
    // Both missing: both named, always in the same order (not whichever read failed first).
    await expect(buildServer(config)).rejects.toThrow(
      /^cannot read the TLS certificate \/nonexistent\/cert\.pem: .*; cannot read the TLS private key \/nonexistent\/key\.pem: /,
    );
  });
});
