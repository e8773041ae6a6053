import type { Logger } from 'pino';
import type { ControlOutcome } from '../../domain/control-event.js';
import { toAppError } from '../../domain/errors.js';
import type { ControlEvents, ControlRequest } from '../../ports/control-events.js';
import type { ControlForwarder } from '../../ports/control-forwarder.js';
import type { CallStore } from '../../ports/call-store.js';
import type { NodeLiveness } from '../../ports/node-liveness.js';
import type { ControlBus } from './redis-control-bus.js';
import type { RedisKeys } from './redis-keys.js';
import type { RedisMetrics } from './redis-metrics.js';

type ForwardedRequest = ControlRequest & { eventId: string };

interface RequestMessage {
  replyTo: string;
  request: ForwardedRequest;
}

interface ReplyMessage {
  eventId: string;
  outcome?: ControlOutcome;
  error?: { code: string; message: string };
}

interface ArrivalMessage {
  from: string;
  callId: string;
  originalCallId: string;
}

/** The owner side of forwarding: the node's router, and where held events wait for calls. */
export interface ControlListenerTarget extends ControlEvents {
  callArrived?(callId: string, originalCallId: string): void;
}

interface Waiting {
  resolve(outcome: ControlOutcome): void;
  fail(code: string, message: string): void;
}

export interface RedisControlForwarderOptions {
  /** Pub/Sub; the forwarder owns (and drops) its subscriber connection. */
  bus: ControlBus;
  keys: RedisKeys;
  nodeId: string;
  liveness: NodeLiveness;
  store: CallStore;
  now: () => number;
  /** How long to wait for the owner's answer before giving up on it. */
  replyTimeoutMs?: number;
  /** Pause between publish attempts while the owner's listener is (re)connecting. */
  republishIntervalMs?: number;
  metrics?: RedisMetrics;
  log: Logger;
}

/**
 * Control events for a call another node holds travel over Redis Pub/Sub (sharded on a
 * Cluster): the request on `ctl:{ownerNodeId}`, the owner's outcome back on
 * `ctl-reply:{thisNodeId}`, matched by eventId.
 * Pub/Sub keeps nothing, so an owner that is not listening is detected (PUBLISH reaches no one)
 * and retried until its lease says it is gone; the answer is then `owner-gone`, and the router
 * ends the call.
 */
export class RedisControlForwarder implements ControlForwarder {
  readonly #o: RedisControlForwarderOptions;
  readonly #waiting = new Map<string, Waiting>();
  readonly #replyTimeoutMs: number;
  readonly #republishMs: number;
  #router: ControlListenerTarget | undefined;
  #started: Promise<void> | undefined;
  #closed = false;

  constructor(options: RedisControlForwarderOptions) {
    this.#o = options;
    this.#replyTimeoutMs = options.replyTimeoutMs ?? 5000;
    this.#republishMs = options.republishIntervalMs ?? 100;
    options.bus.onMessage((channel, text) => this.#onMessage(channel, text));
  }

  /** Subscribes to this node's reply channel; forward() waits for it. */
  start(): Promise<void> {
    this.#started ??= this.#o.bus.subscribe(this.#o.keys.controlReplyChannel(this.#o.nodeId));
    return this.#started;
  }

  /**
   * The owner side: control events forwarded to this node go through `router`, and arrivals of
   * calls on other nodes release the events `router` holds for them (which it then forwards).
   */
  async startControlListener(router: ControlListenerTarget): Promise<void> {
    this.#router = router;
    await this.start();
    await this.#o.bus.subscribe(
      this.#o.keys.controlChannel(this.#o.nodeId),
      this.#o.keys.callArrivalChannel,
    );
  }

  /**
   * Tells every node that a call arrived here, so a START that reached another node before the
   * INVITE reached this one is applied now instead of expiring there. Best effort: if it is
   * lost, the held event is rejected after `pendingEventTtlMs`, as on a single node.
   */
  async announceCallArrived(callId: string, originalCallId: string): Promise<void> {
    const message: ArrivalMessage = { from: this.#o.nodeId, callId, originalCallId };
    try {
      await this.#o.bus.publish(this.#o.keys.callArrivalChannel, JSON.stringify(message));
    } catch (err) {
      this.#o.log.warn({ err, callId }, 'call arrival could not be announced to other nodes');
    }
  }

  async forward(
    ownerNodeId: string,
    request: ForwardedRequest,
  ): Promise<ControlOutcome | 'owner-gone'> {
    const receivedAt = new Date(this.#o.now()).toISOString();
    const log = this.#o.log.child({
      eventId: request.eventId,
      callId: request.detail.callId,
      ownerNodeId,
    });
    const reject = (reason: string, code: string): ControlOutcome => ({
      eventId: request.eventId,
      type: request.type,
      status: 'rejected',
      callId: request.detail.callId,
      requestedCallId: request.detail.callId,
      code,
      reason,
      receivedAt,
      decidedAt: new Date(this.#o.now()).toISOString(),
    });
    await this.start();
    if (!(await this.#o.liveness.isAlive(ownerNodeId))) {
      return this.#ownerGone(log);
    }
    const reply = new Promise<ControlOutcome>((resolve) =>
      this.#waiting.set(request.eventId, {
        resolve,
        fail: (code, message) => resolve(reject(message, code)),
      }),
    );
    const deadline = this.#o.now() + this.#replyTimeoutMs;
    const message = JSON.stringify({ replyTo: this.#o.nodeId, request } satisfies RequestMessage);
    try {
      for (;;) {
        const receivers = await this.#o.bus.publish(
          this.#o.keys.controlChannel(ownerNodeId),
          message,
        );
        if (receivers > 0) break;
        if (!(await this.#o.liveness.isAlive(ownerNodeId))) return this.#ownerGone(log);
        if (this.#o.now() >= deadline) {
          this.#o.metrics?.forwarded.inc({ result: 'not-listening' });
          return reject(
            `the node holding this call (${ownerNodeId}) is not listening for control events`,
            'CALL_OWNER_UNAVAILABLE',
          );
        }
        await sleep(this.#republishMs);
      }
      const outcome = await Promise.race([
        reply,
        sleep(Math.max(0, deadline - this.#o.now())).then(() => undefined),
      ]);
      if (outcome) {
        this.#o.metrics?.forwarded.inc({ result: 'answered' });
        return outcome;
      }
      // The owner records every outcome in the shared store, so a lost reply is recoverable.
      const recorded = await this.#o.store.getControlOutcome(request.eventId);
      if (recorded && recorded.status !== 'pending') {
        this.#o.metrics?.forwarded.inc({ result: 'answered' });
        return recorded;
      }
      if (!(await this.#o.liveness.isAlive(ownerNodeId))) return this.#ownerGone(log);
      this.#o.metrics?.forwarded.inc({ result: 'timeout' });
      log.warn(
        { timeoutMs: this.#replyTimeoutMs },
        'owning node did not answer a forwarded control event',
      );
      return reject(
        `the node holding this call (${ownerNodeId}) did not answer within ${this.#replyTimeoutMs} ms`,
        'CALL_OWNER_UNAVAILABLE',
      );
    } catch (error) {
      this.#o.metrics?.failures.inc({ operation: 'control-forward' });
      const failure = toAppError(error, 'STORE_UNAVAILABLE');
      log.error({ err: failure }, 'control event could not be forwarded');
      return reject(failure.message, failure.code);
    } finally {
      this.#waiting.delete(request.eventId);
    }
  }

  async close(): Promise<void> {
    this.#closed = true;
    this.#router = undefined;
    this.#o.bus.disconnect();
  }

  #ownerGone(log: Logger): 'owner-gone' {
    this.#o.metrics?.forwarded.inc({ result: 'owner-lost' });
    log.warn("the owning node's lease has expired");
    return 'owner-gone';
  }

  #onMessage(channel: string, text: string): void {
    if (this.#closed) return;
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      this.#o.log.warn({ channel }, 'ignored a control message that is not JSON');
      return;
    }
    if (channel === this.#o.keys.controlReplyChannel(this.#o.nodeId))
      this.#onReply(parsed as ReplyMessage);
    else if (channel === this.#o.keys.controlChannel(this.#o.nodeId))
      void this.#onRequest(parsed as RequestMessage);
    else if (channel === this.#o.keys.callArrivalChannel) this.#onArrival(parsed as ArrivalMessage);
  }

  #onReply(reply: ReplyMessage): void {
    const waiting =
      typeof reply.eventId === 'string' ? this.#waiting.get(reply.eventId) : undefined;
    if (!waiting) return;
    if (reply.outcome) waiting.resolve(reply.outcome);
    else
      waiting.fail(
        reply.error?.code ?? 'INTERNAL_ERROR',
        reply.error?.message ?? 'the owning node failed',
      );
  }

  #onArrival(message: ArrivalMessage): void {
    if (message.from === this.#o.nodeId || typeof message.callId !== 'string') return;
    if (typeof message.originalCallId !== 'string') return;
    this.#router?.callArrived?.(message.callId, message.originalCallId);
  }

  async #onRequest(message: RequestMessage): Promise<void> {
    const router = this.#router;
    const request = message.request;
    if (!router || typeof message.replyTo !== 'string' || typeof request?.eventId !== 'string') {
      this.#o.log.warn('ignored a malformed forwarded control event');
      return;
    }
    let reply: ReplyMessage;
    try {
      const outcome = await router.submit(
        { ...request, ingress: 'forwarded' },
        { holdIfUnknown: false },
      );
      reply = { eventId: request.eventId, outcome };
    } catch (error) {
      const failure = toAppError(error, 'INTERNAL_ERROR');
      reply = { eventId: request.eventId, error: { code: failure.code, message: failure.message } };
    }
    try {
      await this.#o.bus.publish(
        this.#o.keys.controlReplyChannel(message.replyTo),
        JSON.stringify(reply),
      );
    } catch (err) {
      // The forwarding node falls back to the outcome recorded in the store.
      this.#o.log.warn(
        { err, eventId: request.eventId },
        'forwarded control outcome could not be returned',
      );
    }
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
