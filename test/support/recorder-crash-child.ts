import { openSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { pino } from 'pino';
import { WavCallRecorder } from '../../src/adapters/recording/wav-call-recorder.js';
import { audioFrame } from '../../src/media/audio-frame.js';

/**
 * A recorder fed a real-time call until its parent SIGKILLs it. Frame n (20 ms per channel)
 * carries the value n+1 in every sample, and after writing it the child notes n in `fed`
 * (a plain write to the page cache, which survives the kill), so the parent can tell exactly
 * how much audio reached the recorder and how much of it the repaired file kept.
 */
const [dataDir = '.', flushMs = '1000'] = process.argv.slice(2);
const recorder = new WavCallRecorder({
  dataDir,
  log: pino({ level: 'silent' }),
  flushMs: Number(flushMs),
});
const writer = recorder.open('loss-call', { sampleRateHz: 8000 });
const fed = openSync(join(dataDir, 'fed'), 'w');
const note = Buffer.alloc(4);
const startMs = performance.now();
let next = 0;

function tick(): void {
  const due = Math.floor((performance.now() - startMs) / 20);
  for (; next <= due; next++) {
    const value = (next % 32_000) + 1;
    writer.write('CALLER', audioFrame(new Int16Array(160).fill(value), 8000));
    writer.write('AGENT', audioFrame(new Int16Array(160).fill(-value), 8000));
    note.writeUInt32LE(next, 0);
    writeSync(fed, note, 0, 4, 0);
  }
  setTimeout(tick, 5);
}
process.send?.('started');
tick();
