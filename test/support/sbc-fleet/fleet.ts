import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { FleetCommand, FleetReport } from './protocol.js';

const entry = fileURLToPath(new URL('./fleet-process.ts', import.meta.url));

/** The parent's handle on an SBC fleet process: place calls, hang them up, or drop them all. */
export class SbcFleet {
  readonly #child: ChildProcess;
  readonly #exited: Promise<void>;
  readonly #waiters = new Map<string, (report: FleetReport) => void>();
  /** The last report of each call. */
  readonly calls = new Map<string, FleetReport>();

  private constructor(child: ChildProcess) {
    this.#child = child;
    this.#exited = new Promise((resolve) => child.once('exit', () => resolve()));
    child.on('message', (report: FleetReport) => {
      this.calls.set(report.callId, report);
      this.#waiters.get(report.callId)?.(report);
    });
  }

  static start(target: { host: string; port: number }): SbcFleet {
    return new SbcFleet(
      fork(entry, [target.host, String(target.port)], {
        execArgv: ['--import', 'tsx'],
        stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      }),
    );
  }

  /** Places a call; resolves once the recorder answered it (rejects if it did not). */
  place(
    callId: string,
    options: { durationMs?: number; answerTimeoutMs?: number } = {},
  ): Promise<void> {
    const answered = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#waiters.delete(callId);
        reject(new Error(`call ${callId} was not answered`));
      }, options.answerTimeoutMs ?? 15_000);
      this.#waiters.set(callId, (report) => {
        clearTimeout(timer);
        this.#waiters.delete(callId);
        if (report.type === 'answered') resolve();
        else
          reject(
            new Error(`call ${callId} ended before it was answered: ${JSON.stringify(report)}`),
          );
      });
    });
    this.#send({
      type: 'place',
      callId,
      ...(options.durationMs ? { durationMs: options.durationMs } : {}),
    });
    return answered;
  }

  /** BYE from the SBC. */
  hangUp(callId: string): void {
    this.#send({ type: 'hang-up', callId });
  }

  /** The SBC vanishes: no BYE for any call. */
  async kill(): Promise<void> {
    if (this.#child.exitCode !== null || this.#child.signalCode !== null) return;
    this.#child.kill('SIGKILL');
    await this.#exited;
  }

  #send(command: FleetCommand): void {
    if (this.#child.connected) this.#child.send(command);
  }
}
