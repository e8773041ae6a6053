import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { freePort } from './free-port.js';

const READY_TIMEOUT_MS = 10_000;

/**
 * A redis-server of the test's own on a free port, never the shared one. With `persist` (the
 * default) it keeps an append-only file in a temp dir, fsynced on every write, so a SIGKILL and
 * restart keeps every acknowledged write, as a production Redis with AOF would; without it a
 * restart comes back empty.
 */
export class PrivateRedis {
  readonly dir = mkdtempSync(join(tmpdir(), 'callscribe-redis-'));
  #child: ChildProcess | undefined;

  private constructor(
    readonly port: number,
    private readonly persist: boolean,
    private readonly extraArgs: readonly string[],
  ) {}

  static async start(
    options: { persist?: boolean; port?: number; extraArgs?: readonly string[] } = {},
  ): Promise<PrivateRedis> {
    const redis = new PrivateRedis(
      options.port ?? (await freePort('tcp')),
      options.persist ?? true,
      options.extraArgs ?? [],
    );
    await redis.start();
    return redis;
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  get running(): boolean {
    return (
      this.#child !== undefined && this.#child.exitCode === null && this.#child.signalCode === null
    );
  }

  /** Starts (or restarts) the server on the same port and directory; resolves when it answers. */
  async start(): Promise<void> {
    if (this.running) return;
    this.#child = spawn(
      'redis-server',
      [
        '--port',
        String(this.port),
        '--bind',
        '127.0.0.1',
        '--save',
        '',
        ...(this.persist
          ? ['--appendonly', 'yes', '--appendfsync', 'always']
          : ['--appendonly', 'no']),
        '--dir',
        this.dir,
        '--daemonize',
        'no',
        ...this.extraArgs,
      ],
      { stdio: 'ignore' },
    );
    const deadline = Date.now() + READY_TIMEOUT_MS;
    for (;;) {
      const probe = new Redis(this.url, {
        lazyConnect: true,
        retryStrategy: () => null,
        maxRetriesPerRequest: 0,
      });
      probe.on('error', () => undefined);
      try {
        await probe.connect();
        // PING answers LOADING while the AOF is replayed; the server is ready once it answers PONG.
        if ((await probe.ping()) === 'PONG') return;
      } catch (error) {
        if (Date.now() > deadline) throw error;
      } finally {
        probe.disconnect();
      }
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  }

  /** SIGKILL, as a crash or an OOM kill would end it. */
  async kill(): Promise<void> {
    const child = this.#child;
    if (!child || !this.running) return;
    await new Promise<void>((resolve) => {
      child.once('exit', () => resolve());
      child.kill('SIGKILL');
    });
  }

  async destroy(): Promise<void> {
    await this.kill();
    rmSync(this.dir, { recursive: true, force: true });
  }
}
