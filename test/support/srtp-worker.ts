import { parentPort, workerData } from 'node:worker_threads';
import { loadSrtpLibrary } from '../../src/adapters/srtp/load-srtp-library.js';
import type { SrtpLibraryName } from '../../src/adapters/srtp/srtp-library.js';
import type { SrtpKeying } from '../../src/adapters/srtp/srtp-suites.js';
import { SrtpUnprotector } from '../../src/adapters/srtp/srtp-unprotector.js';

/** A media worker's view of SRTP: its own koffi binding of the library, its own unprotector. */
const { keying, library } = workerData as { keying: SrtpKeying; library: SrtpLibraryName };
const loaded = loadSrtpLibrary(library);
if (!loaded.ok) throw new Error(loaded.reason);
const unprotector = new SrtpUnprotector(loaded.library, keying);
parentPort?.on('message', (packets: Uint8Array[]) => {
  const out = packets.map((p) => {
    const r = unprotector.unprotect(Buffer.from(p));
    return typeof r === 'string' ? r : new Uint8Array(r);
  });
  parentPort?.postMessage(out);
});
