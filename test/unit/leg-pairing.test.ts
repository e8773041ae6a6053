import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { LegPairing, PAIRED_LEGS_RULE } from '../../src/app/leg-pairing.js';
import type { RecordedEnd } from '../../src/domain/recorded-leg.js';
import type { LiveCallHandle, NewSession } from '../../src/ports/call-sessions.js';
import { buildAppHarness, functionHook, newSession } from '../support/app-harness.js';
import { frame8k } from '../support/media.js';
import { parseStereoWav } from '../support/recording-check.js';

type Harness = Awaited<ReturnType<typeof buildAppHarness>>;
let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

/** One dialog of a CUCM Built-in-Bridge call, as the SIP edge hands it over: one stream. */
function leg(
  end: RecordedEnd,
  sipCallId: string,
  pairKey = 'cluster\u000038960750\u000038960749',
): NewSession {
  return newSession({
    callId: sipCallId,
    fromNumber: '9110001',
    toNumber: '8675309',
    streams: [{ label: '0', role: 'CALLER' }],
    channelMapping: {
      callerStreamLabel: '0',
      agentStreamLabel: null,
      rule: 'single-stream',
      swappedByHook: false,
    },
    recordedLeg: {
      pairKey,
      end,
      nearEnd: { number: '9110001', device: 'SEP001795BDD16B' },
      farEnd: { number: '9110006', device: 'SEP0018195AA209' },
    },
  });
}

async function accept(pairing: LegPairing, session: NewSession): Promise<LiveCallHandle> {
  const decision = await pairing.sessionStarted(session);
  if (!decision.accepted) throw new Error(`refused: ${decision.code}`);
  await decision.handle.answered();
  return decision.handle;
}

const tone = (value: number, samples = 160) => frame8k(new Int16Array(samples).fill(value));

describe('CUCM Built-in-Bridge pairing (app)', () => {
  it('two dialogs make one call: near end AGENT, far end CALLER, numbers from the ends, one hook run', async () => {
    const hookEvents: unknown[] = [];
    h = await buildAppHarness({
      hook: functionHook(async (event) => {
        hookEvents.push(event);
        return {};
      }),
    });
    const pairing = new LegPairing({
      inner: h.service,
      pairingWindowMs: 5000,
      log: h.captured.log,
    });
    const near = await accept(pairing, leg('near', 'sip-a'));
    const far = await accept(pairing, leg('far', 'sip-b'));
    expect(near.callId).toBe('sip-a');
    expect(far.callId).toBe('sip-a');
    expect(hookEvents).toHaveLength(1);
    expect(hookEvents[0]).toMatchObject({
      detail: {
        fromNumber: '9110006',
        toNumber: '9110001',
        streams: [
          { label: 'near-end', role: 'AGENT' },
          { label: 'far-end', role: 'CALLER' },
        ],
      },
    });
    const stored = (await h.store.get('sip-a'))?.call;
    expect(stored).toMatchObject({
      fromNumber: '9110006',
      toNumber: '9110001',
      channelMapping: {
        callerStreamLabel: 'far-end',
        agentStreamLabel: 'near-end',
        rule: PAIRED_LEGS_RULE,
      },
    });
    expect(h.liveCalls.size).toBe(1);
    // Whatever the SDP label of each dialog's one stream, it feeds its end's channel.
    expect(near.channelForLabel('0')).toBe('AGENT');
    expect(far.channelForLabel('0')).toBe('CALLER');
    expect(pairing.waitingCount).toBe(0);
  });

  it('a hook that answers isCaller=false swaps the ends', async () => {
    h = await buildAppHarness({ hook: functionHook(async () => ({ isCaller: false })) });
    const pairing = new LegPairing({
      inner: h.service,
      pairingWindowMs: 5000,
      log: h.captured.log,
    });
    const near = await accept(pairing, leg('near', 'sip-a'));
    const far = await accept(pairing, leg('far', 'sip-b'));
    expect(near.channelForLabel('0')).toBe('CALLER');
    expect(far.channelForLabel('0')).toBe('AGENT');
  });

  it('the far end may come first; the partner arriving while the hook runs joins the same call', async () => {
    let release: () => void = () => undefined;
    const hookDone = new Promise<void>((resolve) => (release = resolve));
    h = await buildAppHarness({
      hook: functionHook(async () => {
        await hookDone;
        return {};
      }),
    });
    const pairing = new LegPairing({
      inner: h.service,
      pairingWindowMs: 5000,
      log: h.captured.log,
    });
    const first = pairing.sessionStarted(leg('far', 'sip-far'));
    const second = pairing.sessionStarted(leg('near', 'sip-near'));
    release();
    const [a, b] = await Promise.all([first, second]);
    if (!a.accepted || !b.accepted) throw new Error('refused');
    expect(a.handle.callId).toBe('sip-far');
    expect(b.handle.callId).toBe('sip-far');
    expect(h.liveCalls.size).toBe(1);
  });

  it('the call ends when both dialogs ended, with the last reason; the recording has both channels', async () => {
    h = await buildAppHarness();
    const pairing = new LegPairing({
      inner: h.service,
      pairingWindowMs: 5000,
      log: h.captured.log,
    });
    const near = await accept(pairing, leg('near', 'sip-a'));
    const far = await accept(pairing, leg('far', 'sip-b'));
    for (let i = 0; i < 10; i++) {
      near.audio(near.channelForLabel('0') ?? 'CALLER', tone(1000));
      far.audio(far.channelForLabel('0') ?? 'CALLER', tone(-2000));
    }
    await far.end('bye');
    expect((await h.store.get('sip-a'))?.call.state).toBe('PROCESSING');
    await near.end('dialog-lost');
    const ended = (await h.store.get('sip-a'))?.call;
    expect(ended).toMatchObject({ state: 'ENDED', endReason: 'dialog-lost' });
    const path = await h.recorder.pathFor('sip-a');
    const wav = parseStereoWav(readFileSync(path ?? ''));
    expect(wav.caller.length).toBe(1600);
    expect(wav.caller.every((s) => s === -2000)).toBe(true);
    expect(wav.agent.every((s) => s === 1000)).toBe(true);
  });

  it('a dialog whose partner never comes is recorded alone, the other channel silent; a late partner is a call of its own', async () => {
    h = await buildAppHarness();
    const pairing = new LegPairing({ inner: h.service, pairingWindowMs: 100, log: h.captured.log });
    const near = await accept(pairing, leg('near', 'sip-a'));
    for (let i = 0; i < 5; i++) near.audio('AGENT', tone(700));
    await expect.poll(() => pairing.waitingCount, { timeout: 5000 }).toBe(0);
    expect(
      h.captured.messages().some((m) => m.includes('no partner dialog within the pairing window')),
    ).toBe(true);
    const late = await accept(pairing, leg('far', 'sip-b'));
    expect(late.callId).toBe('sip-b');
    expect(h.liveCalls.size).toBe(2);
    await near.end('bye');
    await late.end('bye');
    const wav = parseStereoWav(readFileSync((await h.recorder.pathFor('sip-a')) ?? ''));
    expect(wav.agent.every((s) => s === 700)).toBe(true);
    expect(wav.caller.every((s) => s === 0)).toBe(true);
    expect(wav.agent.length).toBe(800);
  });

  it('a lone dialog that ends before its partner came ends the call', async () => {
    h = await buildAppHarness();
    const pairing = new LegPairing({
      inner: h.service,
      pairingWindowMs: 5000,
      log: h.captured.log,
    });
    const near = await accept(pairing, leg('near', 'sip-a'));
    await near.end('bye');
    expect((await h.store.get('sip-a'))?.call).toMatchObject({ state: 'ENDED', endReason: 'bye' });
    expect(pairing.waitingCount).toBe(0);
  });

  it('the same end twice is not paired with itself; other pair keys never mix', async () => {
    h = await buildAppHarness();
    const pairing = new LegPairing({
      inner: h.service,
      pairingWindowMs: 5000,
      log: h.captured.log,
    });
    const a = await accept(pairing, leg('near', 'sip-a'));
    const b = await accept(pairing, leg('near', 'sip-b'));
    const c = await accept(pairing, leg('far', 'sip-c', 'cluster\u00001\u00002'));
    expect(new Set([a.callId, b.callId, c.callId]).size).toBe(3);
    // The first call still takes its partner.
    const d = await accept(pairing, leg('far', 'sip-d'));
    expect(d.callId).toBe('sip-a');
  });

  it('a restarted recording whose id (the GUID) an earlier call holds is kept as <id>~2, its partner joining it', async () => {
    h = await buildAppHarness();
    const pairing = new LegPairing({
      inner: h.service,
      pairingWindowMs: 5000,
      log: h.captured.log,
    });
    const before = await accept(pairing, leg('near', 'guid-1', 'cluster\u00001\u00002'));
    await before.end('bye');
    const near = await accept(pairing, leg('near', 'guid-1', 'cluster\u00003\u00004'));
    const far = await accept(pairing, leg('far', 'guid-1', 'cluster\u00003\u00004'));
    expect(near.callId).toBe('guid-1~2');
    expect(far.callId).toBe('guid-1~2');
    expect((await h.store.get('guid-1~2'))?.call).toMatchObject({
      state: 'PROCESSING',
      originalCallId: 'guid-1~2',
    });
    expect((await h.store.get('guid-1'))?.call.state).toBe('ENDED');
  });

  it('sessions without a recorded leg pass through untouched', async () => {
    h = await buildAppHarness();
    const pairing = new LegPairing({
      inner: h.service,
      pairingWindowMs: 5000,
      log: h.captured.log,
    });
    const handle = await accept(pairing, newSession());
    expect(handle.channelForLabel('1')).toBe('CALLER');
    expect((await h.store.get('call-8'))?.call.channelMapping.rule).toBe('label-order');
  });
});
