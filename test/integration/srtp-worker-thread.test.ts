import { describe, expect, it } from 'vitest';
import { buildRtpPacket } from '../../src/adapters/rtp/rtp-packet.js';
import { spawnModuleWorker } from '../../src/adapters/worker-threads/spawn-module-worker.js';
import {
  libsrtpTool,
  randomKeying,
  srtpLibraryTool,
  SrtpTestSender,
} from '../support/srtp-protector.js';

const srtp = libsrtpTool();
const libre = srtpLibraryTool('libre');

/**
 * The RTP receive path may run in media worker threads: each loads its own koffi binding of its
 * SRTP library (libsrtp's srtp_init is process-wide, so only the first binding initialises it;
 * libre needs no initialisation) and unprotects its streams, while the main thread keeps using
 * its own binding.
 */
describe.skipIf(!srtp.available || !libre.available)('SRTP in worker threads', () => {
  it('four workers (libre and libsrtp2, two suites each) unprotect their own streams (across a sequence wrap) while the main thread protects with its own binding', async () => {
    const jobs = (['libre', 'libsrtp2'] as const).flatMap((library) =>
      [randomKeying('AES_CM_128_HMAC_SHA1_80'), randomKeying('AEAD_AES_256_GCM')].map((keying) => ({
        library,
        keying,
      })),
    );
    const plain = Array.from({ length: 100 }, (_, i) =>
      buildRtpPacket({
        payloadType: 0,
        sequenceNumber: 65_480 + i,
        timestamp: i * 160,
        ssrc: 9,
        payload: Buffer.alloc(160, i),
      }),
    );
    const workers = jobs.map((job) =>
      spawnModuleWorker(new URL('../support/x.ts', import.meta.url).href, 'srtp-worker', job),
    );
    try {
      const results = await Promise.all(
        jobs.map(({ keying }, w) => {
          const sender = new SrtpTestSender(srtp.library!, keying);
          const packets = plain.map((p) => new Uint8Array(sender.protect(p)));
          sender.close();
          const worker = workers[w]!;
          return new Promise<(Uint8Array | string)[]>((resolve, reject) => {
            worker.once('message', resolve);
            worker.once('error', reject);
            worker.postMessage(packets);
          });
        }),
      );
      for (const out of results)
        expect(
          out.map((p) => (typeof p === 'string' ? p : Buffer.from(p).toString('hex'))),
        ).toEqual(plain.map((p) => p.toString('hex')));
    } finally {
      await Promise.all(workers.map((w) => w.terminate()));
    }
  }, 30_000);
});
