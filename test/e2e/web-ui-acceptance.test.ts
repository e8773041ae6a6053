import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildServer, type Server } from '../../src/composition-root.js';
import { loadConfig } from '../../src/config/load.js';
import { reserveRtpPortRange, type RtpPortRange } from '../support/rtp-port-range.js';
import { runSippSiprecCall } from '../support/sipp-runner.js';
import { tools } from '../support/tools.js';
import { launchChromium, type LaunchedBrowser } from './support/browser.js';
import { buildWeb, repoRoot } from './support/build-web.js';

/**
 * Acceptance: the real server (SQLite, fake engine, park-all hook) with sipp as the SBC placing
 * a SIPREC call, driven through the UI in Chromium. The call arrives PENDING, Start with an
 * agentId turns it PROCESSING and both channels transcribe, BYE ends it and the recording plays.
 */
const chromiumCheck = tools.chromium();
const sippCheck = tools.sipp();
const token = 'acceptance-token';
const screenshotDir = join(repoRoot, 'test-output', 'screenshots');
const sampleDir = join(repoRoot, 'samples', 'support-call');
/** The sample call's caller first speaks at 5.14 s; starting its track there makes both talk at once. */
const callerOffsetBytes = 5 * 8000;

describe.skipIf(!chromiumCheck.available || !sippCheck.available)(
  'web UI acceptance (real server, SIPREC call, Chromium)',
  () => {
    let dataDir: string;
    let server: Server;
    let baseUrl: string;
    let sipPort: number;
    let browser: LaunchedBrowser;
    let rtpRange: RtpPortRange | undefined;

    beforeAll(async () => {
      // The server serves web/dist itself, so this test builds the real bundle there.
      buildWeb(join(repoRoot, 'web', 'dist'));
      await mkdir(screenshotDir, { recursive: true });
      dataDir = await mkdtemp(join(tmpdir(), 'callscribe-ui-acceptance-'));
      const scriptPath = join(dataDir, 'fake-engine.json');
      await writeFile(
        scriptPath,
        JSON.stringify({
          texts: {
            CALLER: ['my internet has been down since yesterday', 'sure it is four five seven two'],
            AGENT: [
              'thank you for calling customer support',
              'can i please have your account number',
            ],
          },
        }),
      );
      rtpRange = reserveRtpPortRange(100);
      const config = loadConfig({
        env: {},
        overrides: {
          httpHost: '127.0.0.1',
          httpPort: 0,
          sipHost: '127.0.0.1',
          sipPort: 0,
          sipTransports: ['udp'],
          rtpHost: '127.0.0.1',
          rtpPorts: { min: rtpRange.min, max: rtpRange.max },
          dataDir,
          engine: 'fake',
          fakeEngineScript: scriptPath,
          hook: join(repoRoot, 'examples', 'hooks', 'park-all.mjs'),
          apiToken: token,
          logLevel: 'silent',
        },
      });
      server = await buildServer(config);
      const running = await server.start();
      baseUrl = `http://127.0.0.1:${running.httpPort}/`;
      if (running.sipPorts.udp === undefined) throw new Error('the server opened no UDP SIP port');
      sipPort = running.sipPorts.udp;
      browser = await launchChromium();
    }, 120_000);

    afterAll(async () => {
      await browser?.close();
      await server?.stop();
      rtpRange?.release();
      if (dataDir) await rm(dataDir, { recursive: true, force: true });
    });

    it('parks the call, starts it from the UI, transcribes both channels, ends it and plays the recording', async () => {
      const page: Page = await browser.context.newPage();
      await page.goto(baseUrl);
      await page.getByLabel('API token').fill(token);
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.getByRole('heading', { name: 'Calls' }).waitFor();

      const callerAudio = (await readFile(join(sampleDir, 'caller.pcmu'))).subarray(
        callerOffsetBytes,
      );
      const agentAudio = await readFile(join(sampleDir, 'agent.pcmu'));
      const callerPath = join(dataDir, 'caller-from-5s.pcmu');
      await writeFile(callerPath, callerAudio);
      const agentPath = join(dataDir, 'agent.pcmu');
      await writeFile(agentPath, agentAudio);
      const callId = `ui-acceptance-${Date.now()}`;
      // sipp is the SBC: a SIPREC INVITE with both streams, RTP from its exec'd sender, BYE at 28.5 s.
      const placed = runSippSiprecCall({
        repoRoot,
        sipPort,
        callId,
        callerAudio: callerPath,
        agentAudio: agentPath,
        cwd: dataDir,
      });
      try {
        const row = page.locator(`tr[data-call-id="${callId}"]`);
        await row.waitFor({ timeout: 15_000 });
        await expect.poll(() => row.getAttribute('data-state')).toBe('PENDING');
        await page.screenshot({ path: join(screenshotDir, 'acceptance-pending.png') });

        await row.getByRole('link').click();
        await page.getByRole('heading', { name: /^Call / }).waitFor();
        expect(await page.getByTestId('metadatajson').textContent()).toContain('park-all');
        await page.getByLabel('Agent ID (optional)').fill('agent-jane');
        await page.getByRole('button', { name: 'Start processing' }).click();
        await expect
          .poll(() => page.getByTestId('control-outcome').textContent())
          .toMatch(/^applied/);
        await expect
          .poll(() => page.locator('.call-header .badge').textContent())
          .toBe('PROCESSING');

        const callerFinal = page
          .getByTestId('pane-caller')
          .locator('li[data-partial="false"]')
          .first();
        const agentFinal = page
          .getByTestId('pane-agent')
          .locator('li[data-partial="false"]')
          .first();
        await callerFinal.waitFor({ timeout: 30_000 });
        await agentFinal.waitFor({ timeout: 30_000 });
        expect(await callerFinal.locator('.segment-text').textContent()).toBe(
          'my internet has been down since yesterday',
        );
        expect(await agentFinal.locator('.segment-text').textContent()).toBe(
          'thank you for calling customer support',
        );
        await page.screenshot({ path: join(screenshotDir, 'acceptance-processing.png') });

        const sipp = await placed;
        expect(sipp.code, sipp.output).toBe(0);
        await expect
          .poll(() => page.locator('.call-header .badge').textContent(), { timeout: 15_000 })
          .toBe('ENDED');
        const audio = page.getByLabel('Call recording');
        await audio.waitFor();
        await expect
          .poll(
            () => audio.evaluate((el) => (el as unknown as { readyState: number }).readyState),
            { timeout: 10_000 },
          )
          .toBeGreaterThan(0);
        expect(
          await audio.evaluate((el) => (el as unknown as { duration: number }).duration),
        ).toBeGreaterThan(1);
        const textHref = await page
          .getByRole('link', { name: 'Transcript (text)' })
          .getAttribute('href');
        const text = await (await fetch(new URL(textHref ?? '', baseUrl))).text();
        expect(text).toContain('my internet has been down since yesterday');
        await page.screenshot({
          path: join(screenshotDir, 'acceptance-ended.png'),
          fullPage: true,
        });
      } finally {
        await placed;
        await page.close();
      }
    }, 120_000);
  },
);
