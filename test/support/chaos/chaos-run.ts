import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { putEntry } from '../put-events.js';
import { SbcFleet } from '../sbc-fleet/fleet.js';
import { ServerProcess } from '../server-process.js';
import { openStoredCalls } from '../stored-calls.js';
import {
  checkChaosInvariants,
  type AckedControlEvent,
  type InvariantReport,
} from './chaos-invariants.js';
import { seededRandom } from './seeded-random.js';
import { reserveRtpPortRange } from '../rtp-port-range.js';

const PARK_ALL_HOOK = fileURLToPath(
  new URL('../../../examples/hooks/park-all.mjs', import.meta.url),
);

export type ChaosStore = { kind: 'sqlite' } | { kind: 'redis'; url: string; keyPrefix: string };

export interface ChaosOptions {
  seed: number;
  store: ChaosStore;
  /** Each round starts the node, places calls, drives control events, and ends in a SIGKILL. */
  rounds: number;
  callsPerRound: number;
  /** The SIGKILL comes this long after the round's calls were answered (uniform in the range). */
  killAfterMs: [number, number];
  /** PutEvents requests in flight at once. */
  controlConcurrency: number;
  recordingFlushMs: number;
  log(line: string): void;
}

export interface ChaosResult {
  seed: number;
  rounds: number;
  placed: number;
  answered: number;
  acked: number;
  notAcked: number;
  killedAfterMs: number[];
  invariants: InvariantReport;
  dataDir: string;
}

type ControlType = AckedControlEvent['type'];

/**
 * The chaos run: N concurrent SIPREC calls over real SIP and RTP (the SBC simulator in its own
 * process), parked, processing and paused by PutEvents sent all along, a SIGKILL at a random
 * point, a restart on the same data directory (and Redis keys), several times over; then one
 * last restart, and the invariants checked on what was stored. Every random choice comes from
 * `seed`, printed first, so a failing run can be replayed (timing still varies).
 */
export async function runChaos(options: ChaosOptions): Promise<ChaosResult> {
  const random = seededRandom(options.seed);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
  const between = ([low, high]: [number, number]) => low + random() * (high - low);
  options.log(`chaos seed ${options.seed} (replay with CALLSCRIBE_CHAOS_SEED=${options.seed})`);

  const dataDir = mkdtempSync(join(tmpdir(), 'callscribe-chaos-'));
  // Claimed below Linux's ephemeral range, so that neither a client socket nor a parallel test
  // takes a port the restart needs (an exiting process frees it if a round throws).
  const rtpPortCount = options.callsPerRound * 4 + 40;
  const rtpPorts = reserveRtpPortRange(rtpPortCount);
  const rtpBasePort = rtpPorts.min;
  const placed: string[] = [];
  const acked: AckedControlEvent[] = [];
  const killedAfterMs: number[] = [];
  let answered = 0;
  let notAcked = 0;
  let agentSerial = 0;
  let ports: { httpPort?: number; sipPort?: number } = {};

  const start = async (): Promise<ServerProcess> => {
    const settings = {
      dataDir,
      rtpBasePort,
      rtpPortCount,
      recordCalls: true,
      hook: PARK_ALL_HOOK,
      ...(options.store.kind === 'redis'
        ? { redisUrl: options.store.url, redisKeyPrefix: options.store.keyPrefix }
        : {}),
      env: {
        CALLSCRIBE_RECORDING_FLUSH_MS: String(options.recordingFlushMs),
        CALLSCRIBE_LOG_LEVEL: 'info',
      },
    };
    try {
      const node = await ServerProcess.start({ ...settings, ...ports });
      ports = { httpPort: node.httpPort, sipPort: node.sipPort };
      return node;
    } catch (error) {
      // Another process took a port while this node was down: a restart elsewhere is as good.
      options.log(
        `restart on the same ports failed (${(error as Error).message.split('\n')[0]}); new ports`,
      );
      const node = await ServerProcess.start(settings);
      ports = { httpPort: node.httpPort, sipPort: node.sipPort };
      return node;
    }
  };

  const sendControl = async (node: ServerProcess, callId: string, type: ControlType) => {
    const agentId = type === 'UPDATE_AGENT' ? `agent-${++agentSerial}` : undefined;
    try {
      const result = await putEntry(node.baseUrl, type, {
        callId,
        ...(agentId ? { agentId } : {}),
      });
      if ('eventId' in result)
        acked.push({ eventId: result.eventId, type, callId, ...(agentId ? { agentId } : {}) });
      else notAcked++;
    } catch {
      notAcked++; // refused, reset or killed mid-request: never acknowledged
    }
  };

  for (let round = 0; round < options.rounds; round++) {
    const node = await start();
    const fleet = SbcFleet.start({ host: '127.0.0.1', port: node.sipPort });
    const earlier = [...placed];
    const calls = Array.from({ length: options.callsPerRound }, (_, i) => `chaos-r${round}-c${i}`);
    placed.push(...calls);
    const results = await Promise.allSettled(
      calls.map((callId) => fleet.place(callId, { answerTimeoutMs: 30_000 })),
    );
    const live = calls.filter((_, i) => results[i]?.status === 'fulfilled');
    answered += live.length;

    // A mix at once: about a third stay parked, a third processing, a third paused.
    for (const callId of live) {
      const roll = random();
      if (roll < 1 / 3) continue;
      await sendControl(node, callId, 'START_CALL_PROCESSING');
      if (roll > 2 / 3) await sendControl(node, callId, 'STOP_CALL_PROCESSING');
    }

    const killAfterMs = between(options.killAfterMs);
    killedAfterMs.push(Math.round(killAfterMs));
    const killAt = Date.now() + killAfterMs;
    const hangUps = live
      .filter(() => random() < 0.25)
      .map((callId) => ({
        callId,
        atMs: Date.now() + random() * killAfterMs,
      }));
    const driver = async (): Promise<void> => {
      while (Date.now() < killAt) {
        const due = hangUps.filter((h) => h.atMs <= Date.now());
        for (const h of due) {
          fleet.hangUp(h.callId);
          hangUps.splice(hangUps.indexOf(h), 1);
        }
        // Mostly this round's calls; now and then one an earlier round left to the recovery.
        const callId = earlier.length > 0 && random() < 0.1 ? pick(earlier) : pick(calls);
        const type = pick([
          'START_CALL_PROCESSING',
          'START_CALL_PROCESSING',
          'STOP_CALL_PROCESSING',
          'UPDATE_AGENT',
        ] as const);
        await sendControl(node, callId, type);
        await new Promise((resolve) => setTimeout(resolve, 20 + random() * 130));
      }
    };
    const drivers = Array.from({ length: options.controlConcurrency }, () => driver());
    // LCA's START often comes before the call: these are held for calls the next round places,
    // after this node's SIGKILL and restart, well within the hold time.
    if (round + 1 < options.rounds)
      for (let i = 0; i < Math.min(2, options.callsPerRound); i++)
        await sendControl(node, `chaos-r${round + 1}-c${i}`, 'START_CALL_PROCESSING');
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, killAt - Date.now())));
    await node.kill('SIGKILL');
    await fleet.kill();
    await Promise.all(drivers);
    options.log(
      `round ${round + 1}/${options.rounds}: ${live.length}/${calls.length} calls answered, ` +
        `SIGKILL after ${Math.round(killAfterMs)} ms; ${acked.length} control events acknowledged so far`,
    );
  }

  // The last restart recovers what the last kill left; then a clean stop.
  const last = await start();
  const recoveredCall = placed.at(-1);
  if (recoveredCall) await sendControl(last, recoveredCall, 'START_CALL_PROCESSING');
  await last.stop();

  const stored = openStoredCalls(
    options.store.kind === 'sqlite'
      ? { kind: 'sqlite', dataDir }
      : {
          kind: 'redis',
          url: options.store.url,
          cluster: false,
          keyPrefix: options.store.keyPrefix,
        },
  );
  try {
    const invariants = await checkChaosInvariants({
      stored,
      placedCallIds: placed,
      recordingsDir: join(dataDir, 'recordings'),
      acked,
    });
    if (invariants.violations.length === 0) rmSync(dataDir, { recursive: true, force: true });
    else options.log(`data directory kept for inspection: ${dataDir}`);
    return {
      seed: options.seed,
      rounds: options.rounds,
      placed: placed.length,
      answered,
      acked: acked.length,
      notAcked,
      killedAfterMs,
      invariants,
      dataDir,
    };
  } finally {
    await stored.close();
    rtpPorts.release();
  }
}
