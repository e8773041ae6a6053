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
 * Issue 10 §4 as a user sees it: an Avaya SBCE call arrives with a placeholder second party,
 * and the call page in Chromium shows the real party's number and participant as soon as the
 * SRC's metadata-only UPDATE names it, while the call is still live.
 */
const chromiumCheck = tools.chromium();
const sippCheck = tools.sipp();
const screenshotDir = join(repoRoot, 'test-output', 'screenshots');
const webDist = join(repoRoot, 'web', 'dist');

describe.skipIf(!chromiumCheck.available || !sippCheck.available)(
  'web UI follows a metadata update (sipp SRC, real server, Chromium)',
  () => {
    let flows: FlowServer;
    let browser: LaunchedBrowser;

    beforeAll(async () => {
      // `npm run build` makes web/dist; build it only when a bare checkout runs this file alone.
      if (!existsSync(join(webDist, 'index.html'))) buildWeb(webDist);
      await mkdir(screenshotDir, { recursive: true });
      flows = await startFlowServer();
      browser = await launchChromium();
    }, 120_000);

    afterAll(async () => {
      await browser?.close();
      await flows?.stop();
    });

    it('shows the second party named by the UPDATE while the call is live', async () => {
      const callId = flows.newCallId('ui-avaya');
      const placed = flows.runScenario({
        scenario: 'avaya-sbce-placeholder.xml',
        transport: 't1',
        callId,
        keys: { rtp_source_port: String(await freePort()) },
      });
      try {
        await expect.poll(async () => (await flows.call(callId))?.state).toBe('PROCESSING');
        const page = await browser.context.newPage();
        await page.goto(`${flows.server.baseUrl}/#/calls/${encodeURIComponent(callId)}`);
        const to = page.locator('dt:text-is("To") + dd');
        const from = page.locator('dt:text-is("From") + dd');
        await expect.poll(() => from.textContent()).toBe('13035381001');
        // The placeholder (sip:ASBCE@asbce.com) sends no stream: the agent's number is unknown.
        expect(await to.textContent()).toBe('—');
        await page.screenshot({ path: join(screenshotDir, 'metadata-update-before.png') });

        await expect.poll(() => to.textContent(), { timeout: 10_000 }).toBe('7204541001');
        // Still live: the page followed the call's events, not a reload after the END.
        expect(await page.locator('.call-header .badge').textContent()).toBe('PROCESSING');
        await expect
          .poll(() => page.locator('.participants').textContent())
          .toContain('sip:7204541001@10.64.110.32');
        await page.screenshot({ path: join(screenshotDir, 'metadata-update-after.png') });
      } finally {
        const result = await placed;
        expect(result.code, result.output).toBe(0);
      }
    }, 60_000);
  },
);
