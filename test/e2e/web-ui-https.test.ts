import { createHash, X509Certificate } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSiprecCall } from '../../src/sbc-sim/index.js';
import { parkAllHook, startTestServer } from '../support/server-harness.js';
import { createTestPki, type TestPki } from '../support/test-pki.js';
import { tools } from '../support/tools.js';
import { launchChromium, type LaunchedBrowser } from './support/browser.js';
import { buildWeb, repoRoot } from './support/build-web.js';

/**
 * The web UI over HTTPS in real Chromium: sign-in, the live call list (SSE over TLS), and a
 * Start from the call page (REST over TLS). Chromium trusts exactly the test certificate's key,
 * by its SPKI hash, the way an operator's browser trusts their CA.
 */
const chromiumCheck = tools.chromium();
const opensslCheck = tools.openssl();
const token = 'https-ui-token';

describe.skipIf(!chromiumCheck.available || !opensslCheck.available)(
  'web UI over HTTPS (Chromium)',
  () => {
    let pki: TestPki;
    let server: Awaited<ReturnType<typeof startTestServer>>;
    let browser: LaunchedBrowser;
    let baseUrl: string;

    beforeAll(async () => {
      if (!existsSync(join(repoRoot, 'web', 'dist', 'index.html')))
        buildWeb(join(repoRoot, 'web', 'dist'));
      pki = createTestPki();
      const issued = pki
        .createCa('UI CA')
        .issue({ commonName: '127.0.0.1', san: ['IP:127.0.0.1'] });
      server = await startTestServer({
        httpTls: true,
        tlsCertFile: issued.certFile,
        tlsKeyFile: issued.keyFile,
        apiToken: token,
        hook: parkAllHook,
        engine: 'fake',
      });
      baseUrl = `https://127.0.0.1:${server.running.httpPort}/`;
      const spki = new X509Certificate(issued.cert).publicKey.export({
        type: 'spki',
        format: 'der',
      });
      const spkiHash = createHash('sha256').update(spki).digest('base64');
      browser = await launchChromium(undefined, [
        `--ignore-certificate-errors-spki-list=${spkiHash}`,
      ]);
    }, 120_000);

    afterAll(async () => {
      await browser?.close();
      await server?.stop();
      pki?.remove();
    });

    it('signs in, sees a call arrive live, and starts it', async () => {
      const page: Page = await browser.context.newPage();
      await page.goto(baseUrl);
      expect(page.url()).toMatch(/^https:/);
      await page.getByLabel('API token').fill(token);
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.getByRole('heading', { name: 'Calls' }).waitFor();

      const callId = `https-ui-${Date.now()}`;
      const call = await startSiprecCall({
        target: { host: '127.0.0.1', port: server.running.sipPorts.udp! },
        transport: 'udp',
        callId,
      });
      try {
        const row = page.locator(`tr[data-call-id="${callId}"]`);
        await row.waitFor({ timeout: 15_000 });
        await expect.poll(() => row.getAttribute('data-state')).toBe('PENDING');
        await row.getByRole('link').click();
        await page.getByRole('heading', { name: /^Call / }).waitFor();
        await page.getByRole('button', { name: 'Start processing' }).click();
        await expect
          .poll(() => page.getByTestId('control-outcome').textContent())
          .toMatch(/^applied/);
        await expect
          .poll(() => page.locator('.call-header .badge').textContent())
          .toBe('PROCESSING');
        await call.hangUp();
        await expect
          .poll(() => page.locator('.call-header .badge').textContent(), { timeout: 15_000 })
          .toBe('ENDED');
      } finally {
        await call.hangUp().catch(() => undefined);
        await page.close();
      }
    }, 90_000);
  },
);
