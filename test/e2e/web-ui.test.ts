import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tools } from '../support/tools.js';
import { launchChromium, type LaunchedBrowser } from './support/browser.js';
import { buildWeb, repoRoot } from './support/build-web.js';
import { FixtureServer } from './support/fixture-server.js';

/**
 * The UI in real Chromium against the scripted fixture API (test/e2e/support): login, the live
 * call list, the call page's transcripts, controls and after-call panel. The end-to-end run
 * against the real server is web-ui-acceptance.test.ts.
 */
const chromiumCheck = tools.chromium();
const token = 'ui-test-token';
const screenshotDir = join(repoRoot, 'test-output', 'screenshots');

describe.skipIf(!chromiumCheck.available)('web UI (fixture API, Chromium)', () => {
  let distDir: string;
  let server: FixtureServer;
  let baseUrl: string;
  let browser: LaunchedBrowser;

  beforeAll(async () => {
    distDir = await mkdtemp(join(tmpdir(), 'callscribe-web-'));
    buildWeb(distDir);
    await mkdir(screenshotDir, { recursive: true });
    server = new FixtureServer({ webDistDir: distDir, apiToken: token });
    baseUrl = await server.start();
    const started = Date.now() - 3_600_000;
    for (let i = 0; i < 200; i++) {
      const state = (['PENDING', 'PROCESSING', 'PAUSED', 'ENDED'] as const)[i % 4] ?? 'PENDING';
      server.addCall(
        {
          callId: `seed-${String(i).padStart(3, '0')}`,
          state,
          fromNumber: `+1555000${String(i).padStart(4, '0')}`,
          agentId: i % 2 === 0 ? `agent-${i}` : null,
          callStreamingStartTime: new Date(started + i * 1000).toISOString(),
          callStreamingEndTime:
            state === 'ENDED' ? new Date(started + i * 1000 + 60_000).toISOString() : '',
          channelMapping: {
            callerStreamLabel: '1',
            agentStreamLabel: '2',
            rule: 'label-order',
            swappedByHook: false,
          },
        },
        { silent: true },
      );
    }
    browser = await launchChromium();
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
    if (distDir) await rm(distDir, { recursive: true, force: true });
  });

  async function signedInPage(hash = '#/'): Promise<Page> {
    const page = await browser.context.newPage();
    await page.goto(`${baseUrl}${hash}`);
    await page.getByLabel('API token').fill(token);
    await page.getByRole('button', { name: 'Sign in' }).click();
    return page;
  }

  it('asks for the token on 401, refuses a wrong one, and keeps a good one for the tab', async () => {
    const page = await browser.context.newPage();
    await page.goto(baseUrl);
    await page.getByLabel('API token').fill('wrong');
    await page.keyboard.press('Enter');
    await expect.poll(() => page.getByRole('alert').textContent()).toContain('not accepted');
    await page.getByLabel('API token').fill(token);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Calls' }).waitFor();
    await page.reload();
    await page.getByRole('heading', { name: 'Calls' }).waitFor();
    await page.close();
  });

  it('lists 200 calls, filters by status, searches, and follows new calls live', async () => {
    const page = await signedInPage();
    const rows = page.locator('table.calls tbody tr');
    await expect.poll(() => rows.count()).toBe(200);
    await page.getByLabel('Status').selectOption('PENDING');
    await expect.poll(() => rows.count()).toBe(50);
    expect(await page.locator('tbody tr[data-state="PENDING"]').count()).toBe(50);
    await page.getByLabel('Status').selectOption('');
    await page.getByLabel('Search').fill('+15550000017');
    await expect.poll(() => rows.count()).toBe(1);
    expect(await rows.first().getAttribute('data-call-id')).toBe('seed-017');
    await page.getByLabel('Search').fill('agent-42');
    await expect.poll(() => rows.count()).toBe(1);
    await page.getByLabel('Search').fill('');

    server.addCall({ callId: 'live-new-1', fromNumber: '+14155550123', agentId: null });
    const newRow = page.locator('tr[data-call-id="live-new-1"]');
    await newRow.waitFor();
    expect(await newRow.getAttribute('data-state')).toBe('PENDING');
    // the event carries no mapping rule; the UI fetches the full record for it
    await expect
      .poll(() => newRow.locator('td[data-label="Mapping"]').textContent())
      .toBe('metadata-direction');
    server.setState('live-new-1', 'PROCESSING');
    await expect.poll(() => newRow.getAttribute('data-state')).toBe('PROCESSING');
    const duration = newRow.locator('.duration');
    const first = await duration.textContent();
    await expect.poll(() => duration.textContent(), { timeout: 5000 }).not.toBe(first);

    // Ticking durations must be text writes only: no row is re-rendered or replaced per second.
    await page.evaluate(`(() => {
      window.__mutations = [];
      new MutationObserver((records) => {
        for (const r of records) {
          const el = r.target.nodeType === 1 ? r.target : r.target.parentElement;
          window.__mutations.push(el && el.closest('.duration') ? 'duration' : r.type + ':' + (el ? el.tagName : '?'));
        }
      }).observe(document.querySelector('table.calls tbody'), { subtree: true, childList: true, characterData: true, attributes: true });
    })()`);
    const mutations = (): Promise<string[]> =>
      page.evaluate('window.__mutations') as Promise<string[]>;
    await expect
      .poll(async () => (await mutations()).length, { timeout: 5000 })
      .toBeGreaterThan(150);
    expect((await mutations()).filter((m) => m !== 'duration')).toEqual([]);
    await page.screenshot({ path: join(screenshotDir, 'calls-list.png') });
    await page.close();
  });

  it('starts processing, shows both channels with partials replaced by finals, stops, and ends', async () => {
    const callId = 'call-page-1';
    server.addCall({
      callId,
      metadatajson: JSON.stringify({ queue: 'billing' }),
      siprec: {
        dialect: 'rfc7865',
        participants: [
          { participantId: 'p1', aor: 'sip:+15550100@sbc', name: 'Caller', sendLabels: ['1'] },
        ],
        extensions: { ucid: '00001234561700000000' },
        userAgent: 'Test SBC',
      },
    });
    const page = await signedInPage(`#/calls/${callId}`);
    await page.getByRole('heading', { name: /Call call-page-1/ }).waitFor();
    expect(await page.getByTestId('metadatajson').textContent()).toContain('"queue": "billing"');
    expect(await page.getByTestId('siprec-extensions').textContent()).toContain(
      '00001234561700000000',
    );
    await expect
      .poll(() => page.getByRole('button', { name: 'Stop processing' }).isDisabled())
      .toBe(true);

    await page.getByLabel('Agent ID (optional)').fill('agent-7');
    await page.getByRole('button', { name: 'Start processing' }).click();
    await expect
      .poll(() => page.getByTestId('control-outcome').textContent())
      .toBe('applied — started');
    expect(server.controlRequests.at(-1)).toEqual({
      type: 'START_CALL_PROCESSING',
      callId,
      body: { agentId: 'agent-7' },
    });
    await expect.poll(() => page.locator('.call-header .badge').textContent()).toBe('PROCESSING');

    server.segment(callId, 'CALLER', 'c1', 'hello I have', true, 0.5);
    server.segment(callId, 'AGENT', 'a1', 'thanks for', true, 0.7);
    const caller = page.getByTestId('pane-caller');
    const agent = page.getByTestId('pane-agent');
    await expect
      .poll(() => caller.locator('li[data-segment-id="c1"]').getAttribute('data-partial'))
      .toBe('true');
    server.segment(callId, 'CALLER', 'c1', 'hello I have a billing question', false, 0.5);
    server.segment(callId, 'AGENT', 'a1', 'thanks for calling', false, 0.7);
    await expect
      .poll(() => caller.locator('li[data-segment-id="c1"] .segment-text').textContent())
      .toBe('hello I have a billing question');
    expect(await caller.locator('li').count()).toBe(1);
    await expect
      .poll(() => agent.locator('li[data-segment-id="a1"] .segment-text').textContent())
      .toBe('thanks for calling');
    expect(await agent.locator('li[data-partial="true"]').count()).toBe(0);
    // a partial replayed late must not overwrite the final
    server.segment(callId, 'CALLER', 'c1', 'hello', true, 0.5);
    server.segment(callId, 'AGENT', 'a2', 'how can I help', false, 3);
    await agent.locator('li[data-segment-id="a2"]').waitFor();
    expect(await caller.locator('li[data-segment-id="c1"] .segment-text').textContent()).toBe(
      'hello I have a billing question',
    );

    await page.getByRole('button', { name: 'Interleaved' }).click();
    const interleaved = page.getByTestId('pane-interleaved');
    await expect
      .poll(() => interleaved.locator('li .segment-speaker').allTextContents())
      .toEqual(['Caller', 'Agent', 'Agent']);
    await page.screenshot({ path: join(screenshotDir, 'call-interleaved.png') });
    await page.getByRole('button', { name: 'Side by side' }).click();

    await page.getByRole('button', { name: 'Stop processing' }).click();
    await expect
      .poll(() => page.getByTestId('control-outcome').textContent())
      .toBe('applied — paused');
    await expect.poll(() => page.locator('.call-header .badge').textContent()).toBe('PAUSED');

    server.endCall(callId);
    await expect.poll(() => page.locator('.call-header .badge').textContent()).toBe('ENDED');
    const audio = page.getByLabel('Call recording');
    await audio.waitFor();
    await expect
      .poll(() => audio.evaluate((el) => (el as unknown as { readyState: number }).readyState))
      .toBeGreaterThan(0);
    expect(
      await audio.evaluate((el) => (el as unknown as { duration: number }).duration),
    ).toBeCloseTo(1, 1);
    const textHref = await page
      .getByRole('link', { name: 'Transcript (text)' })
      .getAttribute('href');
    const text = await (await fetch(new URL(textHref ?? '', baseUrl))).text();
    expect(text).toContain('CALLER: hello I have a billing question');
    const jsonHref = await page
      .getByRole('link', { name: 'Transcript (JSON)' })
      .getAttribute('href');
    const json = (await (await fetch(new URL(jsonHref ?? '', baseUrl))).json()) as {
      segments: unknown[];
    };
    expect(json.segments).toHaveLength(3);
    expect(await page.getByRole('button', { name: 'Start processing' }).isDisabled()).toBe(true);
    await page.screenshot({ path: join(screenshotDir, 'call-ended.png'), fullPage: true });
    await page.close();
  });

  it('shows a rejected control outcome with its code and reason', async () => {
    const callId = 'call-race-1';
    server.addCall({ callId });
    const page = await signedInPage(`#/calls/${callId}`);
    await page.getByRole('button', { name: 'Start processing' }).waitFor();
    server.rejectNext(callId, { httpStatus: 409, code: 'CALL_ENDED', reason: 'call ended' });
    await page.getByRole('button', { name: 'Start processing' }).click();
    await expect
      .poll(() => page.getByTestId('control-outcome').textContent())
      .toBe('rejected: CALL_ENDED — call ended');
    await page.close();
  });

  it('pauses auto-scroll when the reader scrolls up and jumps back to live on request', async () => {
    const callId = 'call-scroll-1';
    server.addCall({ callId });
    server.setState(callId, 'PROCESSING');
    for (let i = 0; i < 60; i++)
      server.segment(callId, 'CALLER', `s${i}`, `line number ${i} of a long call`, false, i);
    const page = await signedInPage(`#/calls/${callId}`);
    const pane = page.getByTestId('pane-caller');
    const scroller = pane.locator('.transcript-scroll');
    await pane.locator('li[data-segment-id="s59"]').waitFor();
    const distanceFromBottom = (): Promise<number> =>
      scroller.evaluate((el) => {
        const e = el as unknown as {
          scrollHeight: number;
          scrollTop: number;
          clientHeight: number;
        };
        return e.scrollHeight - e.scrollTop - e.clientHeight;
      });
    await expect.poll(distanceFromBottom).toBeLessThan(2);

    await scroller.evaluate((el) => {
      (el as unknown as { scrollTop: number }).scrollTop = 0;
    });
    const jump = pane.getByRole('button', { name: /Jump to live/ });
    await jump.waitFor();
    server.segment(callId, 'CALLER', 's60', 'a new line while reading', false, 60);
    await pane.locator('li[data-segment-id="s60"]').waitFor();
    expect(
      await scroller.evaluate((el) => (el as unknown as { scrollTop: number }).scrollTop),
    ).toBe(0);

    await jump.focus();
    await page.keyboard.press('Enter');
    await expect.poll(distanceFromBottom).toBeLessThan(2);
    await jump.waitFor({ state: 'detached' });
    server.segment(callId, 'CALLER', 's61', 'following again', false, 61);
    await pane.locator('li[data-segment-id="s61"]').waitFor();
    await expect.poll(distanceFromBottom).toBeLessThan(2);
    await page.close();
  });

  it('fits a phone screen without horizontal scrolling', async () => {
    const page = await signedInPage();
    await page.setViewportSize({ width: 390, height: 844 });
    await page.locator('tr[data-call-id="seed-000"]').waitFor();
    const overflow = (): Promise<number> =>
      page.evaluate('document.documentElement.scrollWidth - document.documentElement.clientWidth');
    expect(await overflow()).toBeLessThanOrEqual(0);
    await page.screenshot({ path: join(screenshotDir, 'calls-phone.png') });
    await page.locator('a.call-link', { hasText: 'call-page-1' }).click();
    await page.getByTestId('pane-caller').waitFor();
    expect(await overflow()).toBeLessThanOrEqual(0);
    await page.screenshot({ path: join(screenshotDir, 'call-phone.png'), fullPage: true });
    await page.close();
  });
});
