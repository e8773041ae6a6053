import { Agent, request } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { epochMs, type PhaseResult, type PhaseSpec } from './protocol.js';
import type { SignedRequest } from '../../src/cli/put-events-signer.js';

const SUCCESS_MARKER = '"FailedEntryCount":0';

/** One keep-alive connection pool to the server under test, and the load shapes the driver asks for. */
export class LoadRunner {
  readonly #agent: Agent;

  constructor(
    private readonly httpPort: number,
    maxSockets: number,
  ) {
    this.#agent = new Agent({ keepAlive: true, maxSockets });
  }

  async run(
    phase: PhaseSpec,
    pool: readonly { key: string; request: SignedRequest }[],
  ): Promise<PhaseResult> {
    if (pool.length === 0) throw new Error(`phase ${phase.name}: no requests`);
    const state: RunState = {
      completed: 0,
      failed: 0,
      firstFailure: null,
      responseMs: [],
      sentAtMs: {},
    };
    const recordSends = phase.pool === 'start' && phase.mode !== 'cycle';
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    const fire = async (item: { key: string; request: SignedRequest }): Promise<void> => {
      const sentAt = epochMs();
      if (recordSends) state.sentAtMs[item.key] = sentAt;
      const outcome = await this.#send(item.request);
      state.responseMs.push(epochMs() - sentAt);
      if (outcome === undefined) state.completed += 1;
      else {
        state.failed += 1;
        state.firstFailure ??= outcome;
      }
    };

    if (phase.mode === 'paced') await paced(pool, phase.ratePerSecond ?? 100, fire);
    else await closedLoop(pool, phase, fire);

    const elapsedMs = performance.now() - t0;
    const cpu = process.cpuUsage(cpu0);
    return { name: phase.name, elapsedMs, cpuUserUs: cpu.user, cpuSystemUs: cpu.system, ...state };
  }

  close(): void {
    this.#agent.destroy();
  }

  /** Resolves to undefined on success, otherwise to a short description of the failure. */
  #send(signed: SignedRequest): Promise<string | undefined> {
    return new Promise((resolve) => {
      const req = request(
        {
          agent: this.#agent,
          host: '127.0.0.1',
          port: this.httpPort,
          method: 'POST',
          path: '/',
          headers: signed.headers,
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.on('end', () => {
            const body = Buffer.concat(chunks).toString('utf8');
            resolve(
              res.statusCode === 200 && body.includes(SUCCESS_MARKER)
                ? undefined
                : `HTTP ${res.statusCode ?? '?'}: ${body.slice(0, 200)}`,
            );
          });
          res.on('error', (error) => resolve(error.message));
        },
      );
      req.on('error', (error) => resolve(error.message));
      req.end(signed.body);
    });
  }
}

interface RunState {
  completed: number;
  failed: number;
  firstFailure: string | null;
  responseMs: number[];
  sentAtMs: Record<string, number>;
}

type Fire = (item: { key: string; request: SignedRequest }) => Promise<void>;

/** `concurrency` requests always in flight: each worker sends the next one when its last returns. */
async function closedLoop(
  pool: readonly { key: string; request: SignedRequest }[],
  phase: PhaseSpec,
  fire: Fire,
): Promise<void> {
  const concurrency = phase.concurrency ?? 32;
  const deadline =
    phase.mode === 'cycle' ? performance.now() + (phase.seconds ?? 10) * 1000 : Infinity;
  let next = 0;
  const worker = async (): Promise<void> => {
    for (;;) {
      if (phase.mode === 'once' && next >= pool.length) return;
      if (performance.now() >= deadline) return;
      const item = pool[next++ % pool.length];
      if (item) await fire(item);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
}

/**
 * Open loop: requests go out on schedule whether or not earlier ones have returned, so a slow
 * server shows up as latency instead of a politely lowered rate.
 */
async function paced(
  pool: readonly { key: string; request: SignedRequest }[],
  ratePerSecond: number,
  fire: Fire,
): Promise<void> {
  const inFlight: Promise<void>[] = [];
  const t0 = performance.now();
  let next = 0;
  while (next < pool.length) {
    const due = Math.min(
      pool.length,
      Math.floor(((performance.now() - t0) * ratePerSecond) / 1000) + 1,
    );
    while (next < due) {
      const item = pool[next++];
      if (item) inFlight.push(fire(item));
    }
    if (next < pool.length) await sleep(1);
  }
  await Promise.all(inFlight);
}
