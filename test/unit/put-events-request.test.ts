import { describe, expect, it } from 'vitest';
import { entrySizeBytes, planPutEvents } from '../../src/adapters/http/put-events-request.js';

const start = (detail: unknown) => ({
  Source: 'lca-solution',
  DetailType: 'START_CALL_PROCESSING',
  Detail: typeof detail === 'string' ? detail : JSON.stringify(detail),
});

describe('PutEvents entry size', () => {
  it('counts 14 bytes for Time plus the UTF-8 bytes of Source, DetailType, Detail and Resources', () => {
    expect(
      entrySizeBytes({
        Source: 'ab',
        DetailType: 'c',
        Detail: '{"k":"é"}',
        Resources: ['xyz', 'q'],
      }),
    ).toBe(2 + 1 + 10 + 3 + 1);
    expect(entrySizeBytes({ Time: 1700000000.123, Source: 'ab' })).toBe(16);
  });

  it('refuses a request whose total is over the limit and accepts one exactly at it', () => {
    const entry = start({ callId: 'c' });
    const size = entrySizeBytes(entry);
    expect(planPutEvents({ Entries: [entry, entry] }, 2 * size).ok).toBe(true);
    expect(planPutEvents({ Entries: [entry, entry] }, 2 * size - 1)).toMatchObject({
      ok: false,
      error: {
        statusCode: 400,
        type: 'ValidationException',
        message: 'Total size of the entries in the request is over the limit.',
      },
    });
  });
});

describe('PutEvents entry validation', () => {
  const plan = (entries: unknown[]) => {
    const result = planPutEvents({ Entries: entries }, 1 << 20);
    if (!result.ok) throw result.error;
    return result.value;
  };

  it('reports the first missing field in the order Source, DetailType, Detail', () => {
    expect(
      plan([
        {},
        { Source: 'x' },
        { Source: 'x', DetailType: 'y' },
        { Source: '', DetailType: 'y', Detail: '{}' },
      ]),
    ).toEqual([
      {
        kind: 'failed',
        errorCode: 'InvalidArgument',
        errorMessage: 'Parameter Source is not valid. Reason: Source is a required argument.',
      },
      {
        kind: 'failed',
        errorCode: 'InvalidArgument',
        errorMessage:
          'Parameter DetailType is not valid. Reason: DetailType is a required argument.',
      },
      {
        kind: 'failed',
        errorCode: 'InvalidArgument',
        errorMessage: 'Parameter Detail is not valid. Reason: Detail is a required argument.',
      },
      {
        kind: 'failed',
        errorCode: 'InvalidArgument',
        errorMessage: 'Parameter Source is not valid. Reason: Source is a required argument.',
      },
    ]);
  });

  it('treats any Detail that is not a JSON object as malformed, for every source', () => {
    const malformed = {
      kind: 'failed',
      errorCode: 'MalformedDetail',
      errorMessage: 'Detail is malformed.',
    };
    expect(
      plan([
        start('{nope'),
        start('[1]'),
        start('42'),
        start('null'),
        { Source: 'other', DetailType: 'x', Detail: '"s"' },
      ]),
    ).toEqual(Array(5).fill(malformed));
  });

  it('requires a non-empty string callId for control events, and agentId for UPDATE_AGENT', () => {
    const [noCallId, emptyCallId, numericCallId, noAgent, badNumber] = plan([
      start({ agentId: 'a' }),
      start({ callId: '  ' }),
      start({ callId: 7 }),
      {
        Source: 'lca-solution',
        DetailType: 'UPDATE_AGENT',
        Detail: JSON.stringify({ callId: 'c' }),
      },
      start({ callId: 'c', toNumber: 5 }),
    ]);
    for (const entry of [noCallId, emptyCallId, numericCallId]) {
      expect(entry).toMatchObject({
        kind: 'failed',
        errorCode: 'InvalidArgument',
        errorMessage: expect.stringContaining('detail.callId'),
      });
    }
    expect(noAgent).toMatchObject({
      kind: 'failed',
      errorCode: 'InvalidArgument',
      errorMessage: expect.stringContaining('detail.agentId'),
    });
    expect(badNumber).toMatchObject({
      kind: 'failed',
      errorMessage: expect.stringContaining('detail.toNumber'),
    });
  });

  it('plans control events with only the known string fields, and ignores other sources and types', () => {
    expect(
      plan([
        start({ callId: 'c', agentId: 'Bob', toNumber: 'CC', fromNumber: 'cell', extra: true }),
        { Source: 'lca-solution', DetailType: 'STOP_CALL_PROCESSING', Detail: '{"callId":"c"}' },
        { Source: 'lca-solution', DetailType: 'SOMETHING_ELSE', Detail: '{}' },
        { Source: 'aws.chime', DetailType: 'START_CALL_PROCESSING', Detail: '{}' },
      ]),
    ).toEqual([
      {
        kind: 'control',
        type: 'START_CALL_PROCESSING',
        detail: { callId: 'c', agentId: 'Bob', toNumber: 'CC', fromNumber: 'cell' },
      },
      { kind: 'control', type: 'STOP_CALL_PROCESSING', detail: { callId: 'c' } },
      { kind: 'ignored' },
      { kind: 'ignored' },
    ]);
  });
});

describe('PutEvents request validation', () => {
  it('refuses 0 and 11 entries with AWS ValidationException messages', () => {
    expect(planPutEvents({ Entries: [] }, 1 << 20)).toMatchObject({
      ok: false,
      error: {
        type: 'ValidationException',
        message:
          "1 validation error detected: Value '[]' at 'entries' failed to satisfy constraint: Member must have length greater than or equal to 1",
      },
    });
    const eleven = planPutEvents(
      { Entries: Array(11).fill({ Source: 's', DetailType: 'd', Detail: '{}' }) },
      1 << 20,
    );
    expect(eleven).toMatchObject({ ok: false, error: { type: 'ValidationException' } });
    if (eleven.ok) return;
    expect(eleven.error.message).toMatch(
      /^1 validation error detected: Value '\[PutEventsRequestEntry\(time=null, source=s, resources=null, detailType=d, detail=\{\}/,
    );
    expect(eleven.error.message).toMatch(
      /at 'entries' failed to satisfy constraint: Member must have length less than or equal to 10$/,
    );
  });

  it('refuses a missing Entries as ValidationException and wrongly typed members as SerializationException', () => {
    expect(planPutEvents({}, 1 << 20)).toMatchObject({
      ok: false,
      error: { type: 'ValidationException' },
    });
    expect(planPutEvents([], 1 << 20)).toMatchObject({
      ok: false,
      error: { type: 'SerializationException' },
    });
    expect(planPutEvents({ Entries: 'x' }, 1 << 20)).toMatchObject({
      ok: false,
      error: { type: 'SerializationException' },
    });
    expect(planPutEvents({ Entries: [{ Source: 1 }] }, 1 << 20)).toMatchObject({
      ok: false,
      error: { type: 'SerializationException' },
    });
    expect(planPutEvents({ Entries: [null] }, 1 << 20)).toMatchObject({
      ok: false,
      error: { type: 'SerializationException' },
    });
  });
});
