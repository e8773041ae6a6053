import { fork, type ChildProcess } from 'node:child_process';

interface Waiter<R> {
  take(reply: R): void;
  fail(error: Error): void;
}

/**
 * A bench process (server, load generator, one measured variant) forked under tsx, driven over
 * fork IPC: replies are taken in order, each by the command that expects it. A process that
 * exits fails what still waits on it, so a crashed child ends the run instead of hanging it.
 */
export class Child<C, R extends { type: string }> {
  readonly proc: ChildProcess;
  readonly #queue: R[] = [];
  readonly #waiters: Waiter<R>[] = [];
  #exited: Error | null = null;

  constructor(script: URL, args: string[], nodeArgs: readonly string[] = []) {
    this.proc = fork(script.pathname, args, {
      execArgv: [...nodeArgs, '--import', 'tsx'],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    this.proc.on('message', (reply: R) => {
      const waiter = this.#waiters.shift();
      if (waiter) waiter.take(reply);
      else this.#queue.push(reply);
    });
    this.proc.on('exit', (code, signal) => {
      this.#exited = new Error(`${script.pathname} exited (${code ?? signal}) before replying`);
      for (const waiter of this.#waiters.splice(0)) waiter.fail(this.#exited);
    });
  }

  next<T extends R['type']>(type: T): Promise<Extract<R, { type: T }>> {
    return new Promise((resolve, reject) => {
      const take = (reply: R): void => {
        if (reply.type === type) resolve(reply as Extract<R, { type: T }>);
        else reject(new Error(`expected ${type}, got ${JSON.stringify(reply).slice(0, 300)}`));
      };
      const queued = this.#queue.shift();
      if (queued) take(queued);
      else if (this.#exited) reject(this.#exited);
      else this.#waiters.push({ take, fail: reject });
    });
  }

  ask<T extends R['type']>(command: C, type: T): Promise<Extract<R, { type: T }>> {
    this.proc.send(command as object);
    return this.next(type);
  }

  /** Resolves once the process has exited (at once if it already has). */
  async exited(): Promise<void> {
    if (this.proc.exitCode !== null || this.proc.signalCode !== null) return;
    await new Promise((resolve) => this.proc.once('exit', resolve));
  }
}
