import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { freePort } from './free-port.js';

const repoRoot = fileURLToPath(new URL('../..', import.meta.url));
const cli = join(repoRoot, 'bin', 'callscribe.js');
const STOP_GRACE_MS = 5_000;

export interface ServerProcessOptions {
  /** Unset: the node keeps (or creates) the id in its data directory. */
  nodeId?: string;
  /** Unset: SQLite in the data directory. */
  redisUrl?: string;
  /** `redisUrl` names the seed nodes of a Redis Cluster. */
  redisCluster?: boolean;
  redisKeyPrefix?: string;
  nodeLeaseMs?: number;
  /** First port of this node's RTP range (even). */
  rtpBasePort: number;
  /** Ports in the RTP range; each call takes four (two streams, RTP + RTCP). Default 20. */
  rtpPortCount?: number;
  /** Unset: every call is processed at once. */
  hook?: string;
  /** An existing data directory (a restart); it is then left in place by `stop()`. */
  dataDir?: string;
  /** Ports to listen on (a restart on the same addresses); free ones otherwise. */
  httpPort?: number;
  sipPort?: number;
  recordCalls?: boolean;
  /** Any further CALLSCRIBE_* settings. */
  env?: Record<string, string>;
}

/** One pino line of the child's stdout. */
export interface LogLine {
  level: number;
  msg: string;
  [key: string]: unknown;
}

/**
 * `callscribe serve` as its own process, configured only through CALLSCRIBE_* variables as an
 * operator would, so the test covers the CLI, the config loader and the composition root.
 */
export class ServerProcess {
  readonly logs: LogLine[] = [];
  readonly #stderr: string[] = [];
  readonly #exited: Promise<void>;

  private constructor(
    readonly label: string,
    readonly httpPort: number,
    readonly sipPort: number,
    readonly dataDir: string,
    readonly child: ChildProcess,
    private readonly ownsDataDir: boolean,
  ) {
    this.#exited = new Promise((resolve) => child.once('exit', () => resolve()));
    if (child.stdout) {
      createInterface({ input: child.stdout }).on('line', (line) => {
        try {
          this.logs.push(JSON.parse(line) as LogLine);
        } catch {
          this.#stderr.push(line);
        }
      });
    }
    child.stderr?.on('data', (chunk: Buffer) => this.#stderr.push(chunk.toString('utf8')));
  }

  static async start(options: ServerProcessOptions): Promise<ServerProcess> {
    if (!existsSync(join(repoRoot, 'dist', 'cli', 'main.js'))) {
      throw new Error('dist/ is missing: run `npm run build` before this test');
    }
    const httpPort = options.httpPort ?? (await freePort('tcp'));
    const sipPort = options.sipPort ?? (await freePort('udp'));
    const label = options.nodeId ?? 'node';
    const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), `callscribe-${label}-`));
    const env: NodeJS.ProcessEnv = {};
    // The developer's own CALLSCRIBE_* settings must not leak into the nodes under test.
    for (const [key, value] of Object.entries(process.env)) {
      if (!key.startsWith('CALLSCRIBE_')) env[key] = value;
    }
    Object.assign(env, {
      ...(options.nodeId ? { CALLSCRIBE_NODE_ID: options.nodeId } : {}),
      ...(options.redisUrl ? { CALLSCRIBE_REDIS_URL: options.redisUrl } : {}),
      ...(options.redisCluster ? { CALLSCRIBE_REDIS_CLUSTER: 'true' } : {}),
      ...(options.redisKeyPrefix ? { CALLSCRIBE_REDIS_KEY_PREFIX: options.redisKeyPrefix } : {}),
      ...(options.nodeLeaseMs ? { CALLSCRIBE_NODE_LEASE_MS: String(options.nodeLeaseMs) } : {}),
      CALLSCRIBE_HTTP_HOST: '127.0.0.1',
      CALLSCRIBE_HTTP_PORT: String(httpPort),
      CALLSCRIBE_SIP_HOST: '127.0.0.1',
      CALLSCRIBE_SIP_PORT: String(sipPort),
      CALLSCRIBE_SIP_TRANSPORTS: 'udp',
      CALLSCRIBE_RTP_HOST: '127.0.0.1',
      CALLSCRIBE_RTP_PORTS: `${options.rtpBasePort}-${options.rtpBasePort + (options.rtpPortCount ?? 20) - 1}`,
      CALLSCRIBE_ENGINE: 'fake',
      // A shared, often saturated test box: only the admission tests set low limits.
      CALLSCRIBE_ADMISSION_MAX_LAG_MS: '5000',
      CALLSCRIBE_ADMISSION_MAX_CPU_PERCENT: '100',
      ...(options.hook ? { CALLSCRIBE_HOOK: options.hook } : {}),
      CALLSCRIBE_DATA_DIR: dataDir,
      CALLSCRIBE_RECORD_CALLS: options.recordCalls ? 'true' : 'false',
      CALLSCRIBE_WEB_UI: 'false',
      CALLSCRIBE_LOG_LEVEL: 'info',
      ...options.env,
    });
    const child = spawn(process.execPath, [cli, 'serve'], {
      cwd: repoRoot,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const node = new ServerProcess(
      label,
      httpPort,
      sipPort,
      dataDir,
      child,
      options.dataDir === undefined,
    );
    try {
      await node.waitForLog((line) => line.msg === 'callscribe started', 'startup', 20_000);
    } catch (error) {
      await node.stop();
      throw error;
    }
    return node;
  }

  get baseUrl(): string {
    return `http://127.0.0.1:${this.httpPort}`;
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  async waitForLog(
    match: (line: LogLine) => boolean,
    what: string,
    timeoutMs = 15_000,
  ): Promise<LogLine> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.logs.find(match);
      if (found) return found;
      if (!this.running)
        throw new Error(`${this.label} exited waiting for ${what}\n${this.tail()}`);
      if (Date.now() > deadline)
        throw new Error(`${this.label}: timed out waiting for ${what}\n${this.tail()}`);
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  }

  /** Sends a signal and waits for the process to be gone. */
  async kill(signal: NodeJS.Signals): Promise<void> {
    if (!this.running) return;
    this.child.kill(signal);
    await this.#exited;
  }

  /** SIGTERM (a clean shutdown), SIGKILL if it hangs; then removes the data dir it created. */
  async stop(): Promise<void> {
    if (this.running) {
      this.child.kill('SIGTERM');
      const timer = setTimeout(() => this.child.kill('SIGKILL'), STOP_GRACE_MS);
      await this.#exited;
      clearTimeout(timer);
    }
    if (this.ownsDataDir) rmSync(this.dataDir, { recursive: true, force: true });
  }

  /** The last log lines and stderr, for failure messages. */
  tail(lines = 20): string {
    const logText = this.logs.slice(-lines).map((l) => JSON.stringify(l));
    return [...logText, ...this.#stderr.slice(-lines)].join('\n');
  }
}
