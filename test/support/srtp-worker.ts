import { parentPort, workerData } from 'node:worker_threads';
import { loadLibsrtp } from '../../src/adapters/srtp/libsrtp.js';
import type { SrtpKeying } from '../../src/adapters/srtp/srtp-suites.js';
import { SrtpUnprotector } from '../../src/adapters/srtp/srtp-unprotector.js';

/** A media worker's view of SRTP: its own koffi binding of libsrtp, its own unprotector. */
const loaded = loadLibsrtp();
if (!loaded.ok) throw new Error(loaded.reason);
const unprotector = new SrtpUnprotector(loaded.libsrtp, workerData as SrtpKeying);
parentPort?.on('message', (packets: Uint8Array[]) => {
  const out = packets.map((p) => {
    const r = unprotector.unprotect(Buffer.from(p));
    return typeof r === 'string' ? r : new Uint8Array(r);
  });
  parentPort?.postMessage(out);
});
