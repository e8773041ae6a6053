import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { CallEvent } from '../../src/domain/call-event.js';
import { wavHeader } from '../../src/adapters/recording/wav-header.js';
import { checkChaosInvariants } from '../support/chaos/chaos-invariants.js';
import { sampleCall } from '../support/sample-call.js';
import { openStoredCalls, type StoredCalls } from '../support/stored-calls.js';

/** The chaos test's checker must see each kind of broken state it claims to look for. */
describe('chaos invariants', () => {
  const dirs: string[] = [];
  const opened: StoredCalls[] = [];
  afterEach(async () => {
    for (const stored of opened.splice(0)) await stored.close();
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });

  async function setUp() {
    const dataDir = mkdtempSync(join(tmpdir(), 'callscribe-chaos-check-'));
    dirs.push(dataDir);
    const recordingsDir = join(dataDir, 'recordings');
    mkdirSync(recordingsDir);
    const stored = openStoredCalls({ kind: 'sqlite', dataDir });
    opened.push(stored);
    const append = async (callId: string, ...bodies: Record<string, unknown>[]) => {
      for (const body of bodies)
        await stored.eventStream.append({
          CallId: callId,
          CreatedAt: new Date().toISOString(),
          CustomerPhoneNumber: '',
          SystemPhoneNumber: '',
          ...body,
        } as CallEvent);
    };
    const ended = {
      state: 'ENDED' as const,
      endReason: 'node-restart',
      callStreamingEndTime: '2026-11-25T12:00:00.000Z',
    };
    const wav = (callId: string, dataBytes: number, onDisk = dataBytes) =>
      writeFileSync(
        join(recordingsDir, `${callId}.wav`),
        Buffer.concat([
          wavHeader({ sampleRateHz: 8000, channels: 2, dataBytes }),
          Buffer.alloc(onDisk),
        ]),
      );
    return { stored, recordingsDir, append, ended, wav };
  }

  it('passes a clean history', async () => {
    const { stored, recordingsDir, append, ended, wav } = await setUp();
    await stored.store.create(
      sampleCall({ callId: 'good', ...ended, callProcessingStartTime: '2026-11-25T11:59:01.000Z' }),
    );
    await append(
      'good',
      { EventType: 'CALL_STATE', State: 'PENDING' },
      { EventType: 'START' },
      { EventType: 'CALL_STATE', State: 'PROCESSING' },
      { EventType: 'UPDATE_AGENT', AgentId: 'agent-1' },
      { EventType: 'CALL_STATE', State: 'PAUSED' },
      { EventType: 'CALL_STATE', State: 'ENDED' },
      { EventType: 'END' },
      { EventType: 'ADD_S3_RECORDING_URL', RecordingUrl: 'x' },
    );
    wav('good', 400);
    await stored.store.putControlOutcome({
      eventId: 'e1',
      type: 'UPDATE_AGENT',
      status: 'applied',
      callId: 'good',
      requestedCallId: 'good',
      code: null,
      reason: 'agent updated',
      receivedAt: '2026-11-25T11:59:02.000Z',
      decidedAt: '2026-11-25T11:59:02.000Z',
    });
    const report = await checkChaosInvariants({
      stored,
      placedCallIds: ['good', 'never-arrived'],
      recordingsDir,
      acked: [{ eventId: 'e1', type: 'UPDATE_AGENT', callId: 'good', agentId: 'agent-1' }],
    });
    expect(report.violations).toEqual([]);
    expect(report).toMatchObject({ calls: 1, recordings: 1, endReasons: { 'node-restart': 1 } });
  });

  it('reports live calls, broken streams, bad recordings and lost outcomes', async () => {
    const { stored, recordingsDir, append, ended, wav } = await setUp();
    await stored.store.create(sampleCall({ callId: 'live', state: 'PROCESSING' }));
    await append('live', { EventType: 'CALL_STATE', State: 'PENDING' }, { EventType: 'START' });
    await stored.store.create(sampleCall({ callId: 'twice', ...ended }));
    await append(
      'twice',
      { EventType: 'START' },
      { EventType: 'CALL_STATE', State: 'PROCESSING' },
      { EventType: 'CALL_STATE', State: 'ENDED' },
      { EventType: 'END' },
      { EventType: 'END' },
    );
    await stored.store.create(sampleCall({ callId: 'skipped', ...ended }));
    await append(
      'skipped',
      { EventType: 'CALL_STATE', State: 'PENDING' },
      { EventType: 'CALL_STATE', State: 'PAUSED' },
      { EventType: 'CALL_STATE', State: 'ENDED' },
    );
    await stored.store.create(sampleCall({ callId: 'torn', ...ended }));
    await append(
      'torn',
      { EventType: 'CALL_STATE', State: 'PENDING' },
      { EventType: 'CALL_STATE', State: 'ENDED' },
    );
    wav('torn', 400, 300);
    writeFileSync(join(recordingsDir, 'other.wav.part'), Buffer.alloc(100));

    const report = await checkChaosInvariants({
      stored,
      placedCallIds: ['live', 'twice', 'skipped', 'torn'],
      recordingsDir,
      acked: [{ eventId: 'lost', type: 'START_CALL_PROCESSING', callId: 'live' }],
    });
    const text = report.violations.join('\n');
    expect(text).toContain('live: state PROCESSING, not ENDED');
    expect(text).toContain('live: last CALL_STATE PENDING, not ENDED');
    expect(text).toContain('twice: 2 END events');
    expect(text).toContain('skipped: CALL_STATE PENDING → PAUSED');
    expect(text).toContain('torn: ');
    expect(text).toContain('is not a valid WAV');
    expect(text).toContain('torn: recording announced 0 times');
    expect(text).toContain('other.wav.part: left as .part');
    expect(text).toContain('acknowledged START_CALL_PROCESSING lost has no stored outcome');
  });
});
