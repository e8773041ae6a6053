import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFlowServer, type FlowServer } from '../support/sipp-flow-harness.js';
import { freePort } from '../support/sipp-runner.js';
import { tools } from '../support/tools.js';
import { launchChromium, type LaunchedBrowser } from './support/browser.js';
import { buildWeb, repoRoot } from './support/build-web.js';

/**
 * Issue 15 §3 as a user sees it: a phone holds the call the RFC 2543 way (`c=IN IP4 0.0.0.0`),
 * and the calls list and the call page in Chromium show it on hold while it lasts, then live
 * again after the resume, without a reload.
 */
const chromiumCheck = tools.chromium();
const sippCheck = tools.sipp();
const screenshotDir = join(repoRoot, 'test-output', 'screenshots');
const webDist = join(repoRoot, 'web', 'dist');

describe.skipIf(!chromiumCheck.available || !sippCheck.available)(
  'web UI shows a legacy hold (sipp SRC, real server, Chromium)',
  () => {
    let flows: FlowServer;
    let browser: LaunchedBrowser;

    beforeAll(async () => {
      if (!existsSync(join(webDist, 'index.html'))) buildWeb(webDist);
      await mkdir(screenshotDir, { recursive: true });
      flows = await startFlowServer({ mediaTimeoutMs: 1500, dialogProbeIntervalMs: 2000 });
      browser = await launchChromium();
    }, 120_000);

    afterAll(async () => {
      await browser?.close();
      await flows?.stop();
    });

    it('shows "on hold" in the list and on the call page while held, and not after the resume', async () => {
      const callId = flows.newCallId('ui-legacy-hold');
      const list = await browser.context.newPage();
      await list.goto(`${flows.server.baseUrl}/#/`);
      const placed = flows.runScenario({
        scenario: 'legacy-hold.xml',
        transport: 't1',
        callId,
        keys: { rtp_source_port: String(await freePort()) },
      });
      try {
        await expect.poll(async () => (await flows.call(callId))?.state).toBe('PROCESSING');
        const page = await browser.context.newPage();
        await page.goto(`${flows.server.baseUrl}/#/calls/${encodeURIComponent(callId)}`);
        const badge = page.locator('[data-testid="hold-badge"]');
        const row = list.locator(`tr[data-call-id="${callId}"] [data-testid="hold-badge"]`);
        await expect.poll(() => badge.count(), { timeout: 15_000 }).toBe(1);
        expect(await badge.textContent()).toBe('on hold');
        await expect.poll(() => row.textContent(), { timeout: 5_000 }).toBe('on hold');
        await page.screenshot({ path: join(screenshotDir, 'legacy-hold-held.png') });

        await expect.poll(() => badge.count(), { timeout: 15_000 }).toBe(0);
        expect(await page.locator('.call-header .badge').textContent()).toBe('PROCESSING');
        await expect.poll(() => row.count()).toBe(0);
      } finally {
        const result = await placed;
        expect(result.code, result.output).toBe(0);
      }
    }, 60_000);
  },
);
