import { describe, expect, it } from 'vitest';
import { measureRecordingLoss } from '../support/recording-loss.js';

/**
 * What a crash costs a recording, measured with a real SIGKILL: a recorder fed a real-time
 * call is killed, the file is repaired as a restart does, and the audio it lost is at most
 * `recordingFlushMs` (plus the write in flight and one pacing step).
 */
describe('recording loss on SIGKILL', () => {
  for (const flushMs of [200, 1000]) {
    it(`loses at most recordingFlushMs (${flushMs} ms) of audio`, async () => {
      const loss = await measureRecordingLoss({ flushMs, runMs: 1500 + Math.random() * 1000 });
      expect(loss.fedMs).toBeGreaterThan(1000);
      expect(loss.keptMs).toBeGreaterThan(0);
      expect(loss.lostMs).toBeGreaterThanOrEqual(0);
      expect(loss.lostMs).toBeLessThanOrEqual(flushMs + 100);
    });
  }
});
