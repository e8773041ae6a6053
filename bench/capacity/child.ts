import { fork, type ChildProcess } from 'node:child_process';

/**
 * A bench process (server or load generator) forked under tsx, driven over fork IPC: replies are
 * taken in order, each by the command that expects it.
 */
export class Child<C, R extends { type: string }> {
  readonly proc: ChildProcess;
  readonly #queue: R[] = [];
  readonly #waiters: ((reply: R) => void)[] = [];

  constructor(script: URL, args: string[], nodeArgs: readonly string[] = []) {
    this.proc = fork(script.pathname, args, {
      execArgv: [...nodeArgs, '--import', 'tsx'],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    this.proc.on('message', (reply: R) => {
      const waiter = this.#waiters.shift();
      if (waiter) waiter(reply);
      else this.#queue.push(reply);
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
      else this.#waiters.push(take);
    });
  }

  ask<T extends R['type']>(command: C, type: T): Promise<Extract<R, { type: T }>> {
    this.proc.send(command as object);
    return this.next(type);
  }
}
