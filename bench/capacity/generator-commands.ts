import { performance } from 'node:perf_hooks';
import type { RtpPacer } from '../../src/sbc-sim/index.js';
import type { GeneratorReply } from './protocol.js';

/**
 * The command loop of a load-generator process (bench/capacity, bench/srtp calls): the
 * generator's own commands go to `handle` (which says whether it took the command), the shared
 * ones (counters, stop-media, hangup) are answered here, and any failure is reported, not thrown.
 */
export function serveGeneratorCommands<C extends { type: string }>(options: {
  pacer: RtpPacer;
  calls: readonly { hangUp(): Promise<void> }[];
  send: (reply: GeneratorReply) => void;
  handle: (command: C) => Promise<boolean> | boolean;
}): void {
  const { pacer, calls, send } = options;
  const counters = () => {
    const cpu = process.cpuUsage();
    send({
      type: 'counters',
      sent: pacer.packetsSent,
      skipped: pacer.packetsSkipped,
      cpuUs: cpu.user + cpu.system,
    });
  };
  process.on('message', (command: C) => {
    void (async () => {
      try {
        if (await options.handle(command)) return;
        switch (command.type) {
          case 'counters':
            return counters();
          case 'stop-media':
            pacer.stop();
            return counters();
          case 'hangup': {
            const t0 = performance.now();
            await Promise.allSettled(calls.map((call) => call.hangUp()));
            send({ type: 'hung-up', elapsedMs: performance.now() - t0 });
            process.exit(0);
          }
        }
      } catch (error) {
        send({ type: 'failed', message: error instanceof Error ? error.message : String(error) });
      }
    })();
  });
  send({ type: 'ready' });
}
