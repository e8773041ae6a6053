import type { Logger } from 'pino';
import type { CallState } from '../../domain/call.js';
import type { CallStore } from '../../ports/call-store.js';
import { endOwnerLostCall, type OwnerLossDeps } from './owner-loss.js';
import type { NodeLiveness } from './redis-node-registry.js';

export interface OwnerLossReaperOptions extends OwnerLossDeps {
  store: CallStore;
  liveness: NodeLiveness;
  /** This node: its own calls are never reaped here (the control router handles orphans). */
  nodeId: string;
  intervalMs: number;
  log: Logger;
}

const liveStates: readonly CallState[] = ['PENDING', 'PROCESSING', 'PAUSED'];

/**
 * Periodically ends the unended calls of nodes whose lease has run out, so a crashed node's
 * calls do not stay PROCESSING for a day. Every node runs one; compare-and-set makes them agree.
 */
export class OwnerLossReaper {
  readonly #options: OwnerLossReaperOptions;
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<number> | undefined;

  constructor(options: OwnerLossReaperOptions) {
    this.#options = options;
  }

  start(): void {
    this.#timer = setInterval(() => {
      if (this.#running) return;
      this.#running = this.reap()
        .catch((err: unknown) => {
          this.#options.log.warn({ err }, 'owner-loss scan failed; retried next interval');
          return 0;
        })
        .finally(() => {
          this.#running = undefined;
        });
    }, this.#options.intervalMs);
    this.#timer.unref();
  }

  /** One scan; returns how many calls it ended. */
  async reap(): Promise<number> {
    const { store, liveness, nodeId } = this.#options;
    const alive = new Map<string, boolean>();
    let ended = 0;
    for (const state of liveStates) {
      for (const { call } of await store.list({ state })) {
        if (call.ownerNodeId === nodeId) continue;
        let ownerAlive = alive.get(call.ownerNodeId);
        if (ownerAlive === undefined) {
          ownerAlive = await liveness.isAlive(call.ownerNodeId);
          alive.set(call.ownerNodeId, ownerAlive);
        }
        if (!ownerAlive && (await endOwnerLostCall(this.#options, call.callId))) ended++;
      }
    }
    return ended;
  }

  async stop(): Promise<void> {
    clearInterval(this.#timer);
    this.#timer = undefined;
    await this.#running;
  }
}
