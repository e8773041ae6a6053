import { readFileSync, writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig, envNameFor } from '../../src/config/load.js';
import { renderConfigurationDoc } from '../../src/config/render-docs.js';

describe('configuration', () => {
  it('has working defaults with an empty environment', () => {
    const config = loadConfig({ env: {} });
    expect(config).toMatchObject({
      httpPort: 8080,
      dataDir: './data',
      sipPort: 5060,
      engine: 'pocketsphinx',
      hookTimeoutMs: 2000,
      hookFailurePolicy: 'park',
      pendingEventTtlMs: 30_000,
      callTtlMs: 86_400_000,
    });
    expect(config.rtpPorts).toEqual({ min: 40000, max: 40999 });
    expect(Object.isFrozen(config)).toBe(true);
    expect(Object.isFrozen(config.rtpPorts)).toBe(true);
  });

  it('reads the documented environment variables', () => {
    const config = loadConfig({
      env: {
        CALLSCRIBE_HTTP_PORT: '9090',
        CALLSCRIBE_ACCESS_KEYS: 'AKID1:secret1, AKID2:se:cret2',
        CALLSCRIBE_RTP_PORTS: '30000-30099',
        CALLSCRIBE_SIP_ALLOWLIST: '10.0.0.0/8,192.0.2.7',
        CALLSCRIBE_LOG_REDACT: 'false',
        CALLSCRIBE_HOOK: 'https://hooks.example/init',
      },
    });
    expect(config.httpPort).toBe(9090);
    expect(config.accessKeys).toEqual([
      { accessKeyId: 'AKID1', secretAccessKey: 'secret1' },
      { accessKeyId: 'AKID2', secretAccessKey: 'se:cret2' },
    ]);
    expect(config.rtpPorts).toEqual({ min: 30000, max: 30099 });
    expect(config.sipAllowlist).toEqual(['10.0.0.0/8', '192.0.2.7']);
    expect(config.logRedact).toBe(false);
  });

  it('reports every problem at once', () => {
    let message = '';
    try {
      loadConfig({
        env: {
          CALLSCRIBE_HTTP_PORT: 'eighty',
          CALLSCRIBE_ENGINE: 'whisper',
          CALLSCRIBE_ACCESS_KEYS: 'nosecret',
          CALLSCRIBE_RTP_PORTS: '41-40',
        },
      });
    } catch (error) {
      message = (error as Error).message;
      expect((error as { code?: string }).code).toBe('CONFIG_INVALID');
    }
    for (const key of [
      'CALLSCRIBE_HTTP_PORT',
      'CALLSCRIBE_ENGINE',
      'CALLSCRIBE_ACCESS_KEYS',
      'CALLSCRIBE_RTP_PORTS',
    ])
      expect(message).toContain(key);
  });

  it('merges a JSON file under the environment and refuses unknown keys', () => {
    const dir = mkdtempSync(join(tmpdir(), 'callscribe-config-'));
    const file = join(dir, 'c.json');
    writeFileSync(
      file,
      JSON.stringify({
        httpPort: 7000,
        sipPort: 5070,
        sbcProfiles: [{ name: 's', mappingRule: 'label-order', firstLabelIs: 'AGENT' }],
      }),
    );
    const config = loadConfig({ env: { CALLSCRIBE_SIP_PORT: '5080' }, file });
    expect(config.httpPort).toBe(7000);
    expect(config.sipPort).toBe(5080);
    expect(config.sbcProfiles[0]?.firstLabelIs).toBe('AGENT');
    writeFileSync(file, JSON.stringify({ httpPortt: 1 }));
    expect(() => loadConfig({ env: {}, file })).toThrow(/httpPortt: unknown setting/);
  });

  it('names env variables from keys', () => {
    expect(envNameFor('sherpaModelDir')).toBe('CALLSCRIBE_SHERPA_MODEL_DIR');
  });

  it('docs/configuration.md is generated from the schema and current', () => {
    const onDisk = readFileSync(new URL('../../docs/configuration.md', import.meta.url), 'utf8');
    expect(onDisk, 'run `npm run docs:config`').toBe(renderConfigurationDoc());
  });
});
