import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.js';
import {
  httpClientHost,
  httpExposureWarning,
  httpListenHost,
  isLoopbackHost,
} from '../../src/config/http-exposure.js';

const key = 'AKIDX:secret';

describe('secure-by-default HTTP binding', () => {
  it('listens on loopback only without credentials, on every address with both', () => {
    expect(httpListenHost(loadConfig({ env: {} }))).toBe('127.0.0.1');
    expect(httpListenHost(loadConfig({ env: { CALLSCRIBE_API_TOKEN: 't' } }))).toBe('127.0.0.1');
    expect(httpListenHost(loadConfig({ env: { CALLSCRIBE_ACCESS_KEYS: key } }))).toBe('127.0.0.1');
    expect(
      httpListenHost(
        loadConfig({ env: { CALLSCRIBE_API_TOKEN: 't', CALLSCRIBE_ACCESS_KEYS: key } }),
      ),
    ).toBe('0.0.0.0');
  });

  it('refuses a non-loopback address without credentials, naming both ways out', () => {
    for (const env of [
      { CALLSCRIBE_HTTP_HOST: '0.0.0.0' },
      { CALLSCRIBE_HTTP_HOST: '::', CALLSCRIBE_API_TOKEN: 't' },
      { CALLSCRIBE_HTTP_HOST: '192.0.2.10', CALLSCRIBE_ACCESS_KEYS: key },
    ]) {
      let message = '';
      try {
        loadConfig({ env });
      } catch (error) {
        message = (error as Error).message;
        expect((error as { code?: string }).code).toBe('CONFIG_INVALID');
      }
      expect(message).toContain('httpHost (CALLSCRIBE_HTTP_HOST)');
      expect(message).toContain('CALLSCRIBE_API_TOKEN');
      expect(message).toContain('CALLSCRIBE_ACCESS_KEYS');
      expect(message).toContain('CALLSCRIBE_ALLOW_UNAUTHENTICATED=true');
    }
  });

  it('names only the surface left open', () => {
    expect(() =>
      loadConfig({ env: { CALLSCRIBE_HTTP_HOST: '0.0.0.0', CALLSCRIBE_API_TOKEN: 't' } }),
    ).toThrow(/PutEvents \(no accessKeys or sessionKeys\) would answer anyone/);
    expect(() =>
      loadConfig({ env: { CALLSCRIBE_HTTP_HOST: '0.0.0.0', CALLSCRIBE_ACCESS_KEYS: key } }),
    ).toThrow(/the REST API, event streams and web UI \(no apiToken\) would answer anyone/);
  });

  it('starts open only on explicit allowUnauthenticated, with a warning', () => {
    const config = loadConfig({
      env: { CALLSCRIBE_HTTP_HOST: '0.0.0.0', CALLSCRIBE_ALLOW_UNAUTHENTICATED: 'true' },
    });
    expect(httpListenHost(config)).toBe('0.0.0.0');
    expect(httpExposureWarning(config)).toMatch(
      /allowUnauthenticated: .*answer anyone who can reach 0\.0\.0\.0/,
    );
    expect(httpExposureWarning(loadConfig({ env: {} }))).toBeUndefined();
    const closed = loadConfig({
      env: {
        CALLSCRIBE_HTTP_HOST: '0.0.0.0',
        CALLSCRIBE_API_TOKEN: 't',
        CALLSCRIBE_ACCESS_KEYS: key,
      },
    });
    expect(httpExposureWarning(closed)).toBeUndefined();
  });

  it('knows loopback addresses', () => {
    for (const host of [
      '127.0.0.1',
      '127.8.9.10',
      '::1',
      '[::1]',
      'localhost',
      '::ffff:127.0.0.1',
    ]) {
      expect(isLoopbackHost(host), host).toBe(true);
    }
    for (const host of [
      '0.0.0.0',
      '::',
      '10.0.0.1',
      'example.com',
      '128.0.0.1',
      '::ffff:10.0.0.1',
    ]) {
      expect(isLoopbackHost(host), host).toBe(false);
    }
    expect(httpClientHost('0.0.0.0')).toBe('127.0.0.1');
    expect(httpClientHost('::')).toBe('[::1]');
    expect(httpClientHost('fd00::5')).toBe('[fd00::5]');
  });
});

describe('sessionKeys', () => {
  it('parse ACCESS_KEY_ID:SECRET:TOKEN triples and count as PutEvents credentials', () => {
    const config = loadConfig({
      env: {
        CALLSCRIBE_SESSION_KEYS: 'ASIA1:se/cr+et:IQoJb3Jp/Z2lu+X2Vj==,ASIA2:s2:t2',
        CALLSCRIBE_API_TOKEN: 't',
      },
    });
    expect(config.sessionKeys).toEqual([
      { accessKeyId: 'ASIA1', secretAccessKey: 'se/cr+et', sessionToken: 'IQoJb3Jp/Z2lu+X2Vj==' },
      { accessKeyId: 'ASIA2', secretAccessKey: 's2', sessionToken: 't2' },
    ]);
    expect(httpListenHost(config)).toBe('0.0.0.0');
    expect(() =>
      loadConfig({ env: { CALLSCRIBE_SESSION_KEYS: 'ASIA1:secret-without-token' } }),
    ).toThrow(/CALLSCRIBE_SESSION_KEYS/);
  });
});
