import { afterEach, describe, expect, it } from 'vitest';
import { startProcessing } from '../../src/domain/call-lifecycle.js';
import { fillMissingNumbers, markNumbersSetBy } from '../../src/domain/party-numbers.js';
import type { CallSiprecInfo } from '../../src/domain/call.js';
import { buildAppHarness, functionHook, newSession } from '../support/app-harness.js';
import { sampleCall } from '../support/sample-call.js';
import { answeredSession } from '../support/answered-session.js';

const siprec: CallSiprecInfo = {
  dialect: 'rfc7865',
  participants: [
    { participantId: 'a', aor: 'sip:13035381001@pbx', name: null, sendLabels: ['10'] },
    { participantId: 'b', aor: 'sip:7204541001@pbx', name: null, sendLabels: ['20'] },
  ],
  extensions: {},
  userAgent: null,
};

describe('metadata updates fill unknown numbers (pure rule)', () => {
  it('fills an empty number and records that the metadata did', () => {
    const call = sampleCall({ fromNumber: '+1303', toNumber: '' });
    const { call: next, filled } = fillMissingNumbers(call, {
      fromNumber: '+1999',
      toNumber: '7204541001',
    });
    expect(filled).toEqual(['toNumber']);
    expect(next).toMatchObject({
      fromNumber: '+1303',
      toNumber: '7204541001',
      numbersSetBy: { toNumber: 'metadata-update' },
    });
  });

  it('never fills a number the hook or a control event set, even to empty', () => {
    const byHook = markNumbersSetBy(sampleCall({ fromNumber: '', toNumber: '' }), 'hook', {
      toNumber: '',
    });
    expect(fillMissingNumbers(byHook, { fromNumber: '1', toNumber: '2' }).filled).toEqual([
      'fromNumber',
    ]);
    const started = startProcessing(
      sampleCall({ state: 'PENDING', fromNumber: '', toNumber: '' }),
      { callId: 'x', toNumber: 'Queue 5' },
      new Date().toISOString(),
    );
    if (!started.ok) throw started.error;
    expect(started.value.call.numbersSetBy).toEqual({ toNumber: 'control-event' });
    expect(
      fillMissingNumbers(started.value.call, { fromNumber: '', toNumber: '2' }).filled,
    ).toEqual([]);
  });
});

describe('metadata updates through a live call', () => {
  let h: Awaited<ReturnType<typeof buildAppHarness>>;
  afterEach(async () => h?.close());

  it('stores the new participants, fills the unknown number, and tells subscribers (CALL_STATE)', async () => {
    h = await buildAppHarness();
    const decision = await answeredSession(h.service, newSession({ toNumber: '' }));
    if (!decision.accepted) throw new Error('refused');
    decision.handle.metadataUpdated(siprec, { fromNumber: '13035381001', toNumber: '7204541001' });
    await expect.poll(async () => (await h.store.get('call-8'))?.call.toNumber).toBe('7204541001');
    const stored = (await h.store.get('call-8'))?.call;
    expect(stored?.fromNumber).toBe('+15551230001');
    expect(stored?.siprec?.participants.map((p) => p.aor)).toContain('sip:7204541001@pbx');
    await expect
      .poll(async () =>
        (await h.eventStream.read({ callId: 'call-8' }))
          .map((e) => e.event)
          .filter((e) => e.EventType === 'CALL_STATE')
          .map((e) => e.EventType === 'CALL_STATE' && e.SystemPhoneNumber),
      )
      .toContain('7204541001');
    await decision.handle.end('bye');
    const events = (await h.eventStream.read({ callId: 'call-8' })).map((e) => e.event);
    expect(events.find((e) => e.EventType === 'END')).toMatchObject({
      SystemPhoneNumber: '7204541001',
    });
  });

  it('leaves the numbers the hook chose alone, and fills only the unknown one', async () => {
    h = await buildAppHarness({
      hook: functionHook(async () => ({ fromNumber: 'Customer 17' })),
    });
    const decision = await answeredSession(h.service, newSession({ toNumber: '' }));
    if (!decision.accepted) throw new Error('refused');
    decision.handle.metadataUpdated(siprec, { fromNumber: '13035381001', toNumber: '7204541001' });
    await expect
      .poll(async () => (await h.store.get('call-8'))?.call.siprec?.participants.length)
      .toBe(2);
    expect((await h.store.get('call-8'))?.call).toMatchObject({
      fromNumber: 'Customer 17',
      toNumber: '7204541001',
      numbersSetBy: { fromNumber: 'hook', toNumber: 'metadata-update' },
    });
  });
});
