import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { SbcChildMessage, SbcParentMessage } from './sbc-call-protocol.js';

const entry = fileURLToPath(new URL('./sbc-call-process.ts', import.meta.url));
const ANSWER_TIMEOUT_MS = 15_000;

/** The parent's handle on one SIPREC call placed by the SBC process. */
export class SbcCall {
  readonly #child: ChildProcess;
  readonly #exited: Promise<void>;
  readonly #ended: Promise<SbcChildMessage>;

  private constructor(child: ChildProcess) {
    this.#child = child;
    this.#exited = new Promise((resolve) => child.once('exit', () => resolve()));
    this.#ended = new Promise((resolve) => {
      child.on('message', (message: SbcChildMessage) => {
        if (message.type !== 'answered') resolve(message);
      });
      child.once('exit', (code, signal) =>
        resolve({ type: 'failed', message: `SBC process exited (${code ?? signal})` }),
      );
    });
  }

  /** Places the call and resolves once the recorder answered it. */
  static async place(target: { host: string; port: number }, callId: string): Promise<SbcCall> {
    const child = fork(entry, [target.host, String(target.port), callId], {
      execArgv: ['--import', 'tsx'],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    const call = new SbcCall(child);
    const answered = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error('the recorder did not answer')),
        ANSWER_TIMEOUT_MS,
      );
      child.on('message', (message: SbcChildMessage) => {
        if (message.type === 'answered') {
          clearTimeout(timer);
          resolve();
        }
      });
      void call.#ended.then((message) => {
        clearTimeout(timer);
        reject(new Error(`the call ended before it was answered: ${JSON.stringify(message)}`));
      });
    });
    try {
      await answered;
    } catch (error) {
      await call.kill();
      throw error;
    }
    return call;
  }

  /** BYE to the recorder; resolves with how the call ended. */
  async hangUp(): Promise<SbcChildMessage> {
    if (this.#child.connected) this.#child.send({ type: 'hang-up' } satisfies SbcParentMessage);
    return this.#ended;
  }

  /** The SBC vanishes without a BYE (used once the recorder it talked to is dead). */
  async kill(): Promise<void> {
    if (this.#child.exitCode !== null || this.#child.signalCode !== null) return;
    this.#child.kill('SIGKILL');
    await this.#exited;
  }
}
