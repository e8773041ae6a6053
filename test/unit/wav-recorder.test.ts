import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { WavCallRecorder } from '../../src/adapters/recording/wav-call-recorder.js';
import { wavHeader } from '../../src/adapters/recording/wav-header.js';
import { audioFrame } from '../../src/media/audio-frame.js';
import { createMetrics } from '../../src/observability/metrics.js';
import { captureLog } from '../support/capture-log.js';
import { SmallFilesystem } from '../support/small-filesystem.js';
import { checkWav } from '../support/wav-check.js';

const dirs: string[] = [];
afterEach(() => {
  vi.restoreAllMocks();
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function recorderIn(dataDir: string, flushMs = 100) {
  const captured = captureLog('info');
  const metrics = createMetrics();
  const recorder = new WavCallRecorder({ dataDir, log: captured.log, flushMs, metrics });
  return { recorder, captured, metrics };
}

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'callscribe-wav-'));
  dirs.push(dir);
  return dir;
}

/** 20 ms of one channel at `rateHz` whose samples all carry `value`. */
const frame = (value: number, rateHz = 8000) =>
  audioFrame(new Int16Array(rateHz / 50).fill(value), rateHz);
const NARROW = { sampleRateHz: 8000 };
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function failures(metrics: ReturnType<typeof createMetrics>, code: string) {
  const metric = await metrics.registry
    .getSingleMetric('callscribe_recording_failures_total')
    ?.get();
  return metric?.values.find((v) => v.labels.code === code)?.value ?? 0;
}

describe('WAV recorder', () => {
  it('writes frames in batches, not one write per packet, and finalises a valid stereo file', async () => {
    const { recorder } = recorderIn(tempDir(), 200);
    const probe = await open(join(tmpdir(), `callscribe-probe-${process.pid}`), 'w');
    const writev = vi.spyOn(Object.getPrototypeOf(probe) as { writev: () => unknown }, 'writev');
    await probe.close();
    const writer = recorder.open('batched', NARROW);
    // 2 s of packets at real pace: 100 per channel.
    for (let i = 0; i < 100; i++) {
      writer.write('CALLER', frame(i + 1));
      writer.write('AGENT', frame(-(i + 1)));
      await sleep(20);
    }
    const path = await writer.close();
    expect(path).toBe(join(dirs[0]!, 'recordings', 'batched.wav'));
    // Roughly one write per 200 ms of audio instead of 200 writes.
    expect(writev.mock.calls.length).toBeGreaterThanOrEqual(5);
    expect(writev.mock.calls.length).toBeLessThanOrEqual(16);
    const wav = checkWav(path!);
    expect(wav).toMatchObject({ sampleRateHz: 8000, channels: 2, durationMs: 2000 });
    const data = readFileSync(path!).subarray(44);
    // Caller left, agent right, in order.
    for (const i of [0, 1, 50, 99]) {
      const offset = i * 160 * 4;
      expect([data.readInt16LE(offset), data.readInt16LE(offset + 2)]).toEqual([i + 1, -(i + 1)]);
    }
    expect(existsSync(`${path}.part`)).toBe(false);
  });

  it('keeps the sample rate a property of the file: written, then read back by the repair', async () => {
    const dataDir = tempDir();
    const { recorder } = recorderIn(dataDir);
    const writer = recorder.open('wideband', { sampleRateHz: 16_000 });
    expect(writer.sampleRateHz).toBe(16_000);
    // A frame at another rate is a caller bug: dropped, never written into the file.
    writer.write('CALLER', frame(9, 8000));
    writer.write('CALLER', frame(7, 16_000));
    writer.write('AGENT', frame(8, 16_000));
    expect(checkWav((await writer.close())!)).toMatchObject({
      sampleRateHz: 16_000,
      durationMs: 20,
    });

    const part = join(dataDir, 'recordings', 'crashed-16k.wav.part');
    writeFileSync(
      part,
      Buffer.concat([wavHeader({ sampleRateHz: 16_000, channels: 2 }), Buffer.alloc(64_000 + 3)]),
    );
    expect(await recorder.recoverInterrupted()).toEqual([
      { callId: 'crashed-16k', path: part.slice(0, -5) },
    ]);
    // The partial frame is trimmed; the rate comes from the header.
    expect(checkWav(part.slice(0, -5))).toMatchObject({
      sampleRateHz: 16_000,
      dataBytes: 64_000,
      durationMs: 1000,
    });
  });

  it('repairs what a crash left: header from the length, partial frame trimmed, renamed; empty ones deleted', async () => {
    const dataDir = tempDir();
    const { recorder, captured } = recorderIn(dataDir);
    const dir = join(dataDir, 'recordings');
    const name = encodeURIComponent('call/with?odd#id');
    writeFileSync(
      join(dir, `${name}.wav.part`),
      Buffer.concat([wavHeader({ sampleRateHz: 8000, channels: 2 }), Buffer.alloc(32_000 + 2, 3)]),
    );
    writeFileSync(join(dir, 'empty.wav.part'), wavHeader({ sampleRateHz: 8000, channels: 2 }));
    writeFileSync(join(dir, 'cut.wav.part'), Buffer.alloc(10));
    writeFileSync(join(dir, 'foreign.wav.part'), Buffer.alloc(100, 1));
    const recovered = await recorder.recoverInterrupted();
    expect(recovered).toEqual([{ callId: 'call/with?odd#id', path: join(dir, `${name}.wav`) }]);
    expect(checkWav(join(dir, `${name}.wav`))).toMatchObject({
      dataBytes: 32_000,
      durationMs: 1000,
    });
    expect(existsSync(join(dir, 'empty.wav.part'))).toBe(false);
    expect(existsSync(join(dir, 'cut.wav.part'))).toBe(false);
    expect(existsSync(join(dir, 'foreign.wav.part'))).toBe(true);
    expect(captured.messages()).toContain('interrupted recording has no WAV header; left as it is');
    expect(await recorder.recoverInterrupted()).toEqual([]);
  });

  it('a recording that never received audio leaves no file', async () => {
    const dataDir = tempDir();
    const { recorder } = recorderIn(dataDir);
    const writer = recorder.open('silent', NARROW);
    expect(await writer.close()).toBeUndefined();
    expect(existsSync(join(dataDir, 'recordings', 'silent.wav.part'))).toBe(false);
  });
});

describe.skipIf(!SmallFilesystem.available())('WAV recorder on a full or unwritable disk', () => {
  let fs: SmallFilesystem | undefined;
  afterEach(() => {
    fs?.unmount();
    fs = undefined;
  });

  it('stops the recording of a call when the disk fills, keeps what was written, and records new calls once space returns', async () => {
    fs = SmallFilesystem.mount(2 * 1024 * 1024);
    const { recorder, captured, metrics } = recorderIn(fs.dir, 50);
    const writer = recorder.open('filling', NARROW);
    for (let i = 0; i < 10; i++) {
      writer.write('CALLER', frame(1));
      writer.write('AGENT', frame(2));
    }
    await sleep(150);
    fs.fill();
    // Far more than the little room left: the writes fail with ENOSPC.
    for (let i = 0; i < 500; i++) {
      writer.write('CALLER', frame(3));
      writer.write('AGENT', frame(4));
      if (i % 50 === 0) await sleep(60);
    }
    const path = await writer.close();
    expect(
      captured.lines.find(
        (l) => l.msg === 'recording stopped: the recordings directory cannot be written',
      ),
    ).toMatchObject({
      code: 'ENOSPC',
      callId: 'filling',
      level: 50,
    });
    expect(await failures(metrics, 'ENOSPC')).toBe(1);
    // What reached the disk before it filled is kept, as a valid file.
    expect(path).toBeDefined();
    const kept = checkWav(path!);
    expect(kept.durationMs).toBeGreaterThanOrEqual(200);
    expect(kept.durationMs).toBeLessThan(10_000);

    // A call arriving while the disk is still full does not record, and says so.
    const refused = recorder.open('while-full', NARROW);
    refused.write('CALLER', frame(1));
    refused.write('AGENT', frame(1));
    expect(await refused.close()).toBeUndefined();
    expect(await failures(metrics, 'ENOSPC')).toBe(2);

    fs.free();
    const next = recorder.open('after', NARROW);
    for (let i = 0; i < 50; i++) {
      next.write('CALLER', frame(5));
      next.write('AGENT', frame(6));
    }
    expect(checkWav((await next.close())!)).toMatchObject({ durationMs: 1000 });
  });

  it('an unwritable recordings directory stops recording with an error, not the process', async () => {
    fs = SmallFilesystem.mount(1024 * 1024);
    const { recorder, captured, metrics } = recorderIn(fs.dir, 50);
    fs.readOnly(true);
    const writer = recorder.open('read-only', NARROW);
    writer.write('CALLER', frame(1));
    writer.write('AGENT', frame(1));
    expect(await writer.close()).toBeUndefined();
    expect(await failures(metrics, 'EROFS')).toBe(1);
    expect(captured.messages()).toContain(
      'recording stopped: the recordings directory cannot be written',
    );
    fs.readOnly(false);
    const next = recorder.open('writable-again', NARROW);
    next.write('CALLER', frame(1));
    next.write('AGENT', frame(1));
    expect(await next.close()).toBeDefined();
  });
});
