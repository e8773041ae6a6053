/**
 * Opens TLS connections to the SIP TLS port as fast as `concurrency` loops can, for `seconds`,
 * and reports how many handshakes completed: each connection handshakes, then closes.
 */
import { connect } from 'node:tls';

const [portArg, versionArg, secondsArg, concurrencyArg] = process.argv.slice(2);
const port = Number(portArg);
const version = versionArg === 'TLSv1.2' ? 'TLSv1.2' : 'TLSv1.3';
const until = performance.now() + Number(secondsArg) * 1000;
let handshakes = 0;
let failures = 0;

function once(): Promise<void> {
  return new Promise((resolve) => {
    const socket = connect({
      host: '127.0.0.1',
      port,
      rejectUnauthorized: false,
      minVersion: version,
      maxVersion: version,
      // A new full handshake each time, as a fleet of distinct SBCs would make.
      session: undefined,
    });
    socket.once('secureConnect', () => {
      handshakes++;
      socket.destroy();
      resolve();
    });
    socket.once('error', () => {
      failures++;
      socket.destroy();
      resolve();
    });
  });
}

async function loop(): Promise<void> {
  while (performance.now() < until) await once();
}

await Promise.all(Array.from({ length: Number(concurrencyArg) }, loop));
process.stdout.write(JSON.stringify({ handshakes, failures }));
