import { fork, type ChildProcess } from 'node:child_process';

/**
 * A forked bench process spoken to by request and reply: each command is answered by exactly
 * one message, and a `failed` message or an early exit rejects the waiting request.
 */
export class ChildChannel<Command extends { type: string }, Reply extends { type: string }> {
  readonly #child: ChildProcess;
  readonly #exited: Promise<number | null>;
  #waiting: { resolve: (reply: Reply) => void; reject: (error: Error) => void } | undefined;
  #firstReply: Promise<Reply>;

  constructor(
    readonly name: string,
    modulePath: URL,
    args: string[],
    execArgv: string[] = [],
  ) {
    this.#child = fork(modulePath, args, {
      execArgv: ['--import', 'tsx', ...execArgv],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    this.#firstReply = this.#expect();
    this.#child.on('message', (message: Reply) => {
      const waiting = this.#waiting;
      this.#waiting = undefined;
      if (!waiting) return;
      if (message.type === 'failed')
        waiting.reject(
          new Error(`${name}: ${(message as { message?: string }).message ?? 'failed'}`),
        );
      else waiting.resolve(message);
    });
    this.#exited = new Promise((resolve) => {
      this.#child.once('exit', (code) => {
        this.#waiting?.reject(new Error(`${name} exited with ${code ?? 'a signal'}`));
        this.#waiting = undefined;
        resolve(code);
      });
    });
  }

  /** The message the process sends by itself once it is ready. */
  ready(): Promise<Reply> {
    return this.#firstReply;
  }

  async ask<T extends Reply['type']>(
    command: Command,
    replyType: T,
  ): Promise<Extract<Reply, { type: T }>> {
    const reply = this.#expect();
    this.#child.send(command);
    const message = await reply;
    if (message.type !== replyType)
      throw new Error(`${this.name}: expected ${replyType}, got ${message.type}`);
    return message as Extract<Reply, { type: T }>;
  }

  /** Sends the stop command and waits for the exit; kills the process if it does not go within `graceMs`. */
  async stop(command: Command, graceMs = 10_000): Promise<void> {
    if (this.#child.exitCode !== null || this.#child.signalCode !== null) return;
    if (this.#child.connected) this.#child.send(command);
    const timer = setTimeout(() => this.#child.kill('SIGKILL'), graceMs);
    await this.#exited;
    clearTimeout(timer);
  }

  #expect(): Promise<Reply> {
    if (this.#waiting) throw new Error(`${this.name}: a request is already waiting`);
    return new Promise((resolve, reject) => {
      this.#waiting = { resolve, reject };
    });
  }
}
