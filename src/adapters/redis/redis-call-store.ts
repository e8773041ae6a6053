import type { Redis } from 'ioredis';
import type { CallData, CallState } from '../../domain/call.js';
import type { ControlOutcome } from '../../domain/control-event.js';
import { AppError } from '../../domain/errors.js';
import type { CallListQuery, CallStore, StoredCall } from '../../ports/call-store.js';
import {
  compareAndSetScript,
  createCallScript,
  pruneIndexScript,
  sweepKeyScript,
} from './call-store-scripts.js';
import { expiresAfterSeconds } from './expiry.js';
import { redisFailure } from './redis-failure.js';
import type { RedisKeys } from './redis-keys.js';
import type { RedisMetrics } from './redis-metrics.js';

export interface RedisCallStoreOptions {
  /** A connection the caller owns (and closes); the store never closes it. */
  redis: Redis;
  keys: RedisKeys;
  /** Lifetime of a record after its last write (`callTtlMs`). */
  ttlMs: number;
  /** Epoch milliseconds; expiry is decided with it, Redis TTLs only back it up. */
  now?: () => number;
  metrics?: RedisMetrics;
  /** Index entries read per round trip while listing. */
  listPageSize?: number;
}

const stateSlot: Readonly<Record<CallState, number>> = {
  PENDING: 1,
  PROCESSING: 2,
  PAUSED: 3,
  ENDED: 4,
};
const CALL_FIELDS = ['data', 'version', 'createdAt', 'expiresAfter', 'state'] as const;

type CallFields = (string | null)[];

/**
 * CallStore on Redis in LCA's key layout: `cd#{callId}` (a hash holding the CallData JSON, its
 * version, createdAt and ExpiresAfter), `cm#{originalCallId}` and `ctl#{eventId}`. Sorted-set
 * indexes (all calls and one per state, scored by creation time) make listing cheap; they are
 * kept in the same Lua scripts as the records and pruned of entries Redis has expired.
 */
export class RedisCallStore implements CallStore {
  readonly #redis: Redis;
  readonly #keys: RedisKeys;
  readonly #ttlMs: number;
  readonly #now: () => number;
  readonly #metrics: RedisMetrics | undefined;
  readonly #pageSize: number;
  #closed = false;

  constructor(options: RedisCallStoreOptions) {
    if (!Number.isFinite(options.ttlMs) || options.ttlMs <= 0) {
      throw new AppError('CONFIG_INVALID', 'call store ttlMs must be a positive number', {
        details: { ttlMs: options.ttlMs },
      });
    }
    this.#redis = options.redis;
    this.#keys = options.keys;
    this.#ttlMs = options.ttlMs;
    this.#now = options.now ?? Date.now;
    this.#metrics = options.metrics;
    this.#pageSize = Math.max(1, Math.trunc(options.listPageSize ?? 200));
  }

  async create(call: CallData): Promise<StoredCall> {
    return this.#run('create', 'cannot create the call record', async () => {
      const nowMs = this.#now();
      const expiresAfter = expiresAfterSeconds(nowMs, this.#ttlMs);
      const createdAt = new Date(nowMs).toISOString();
      const k = this.#keys;
      const version = await createCallScript.run(
        this.#redis,
        [
          k.call(call.callId),
          k.mapping(call.originalCallId),
          k.callIndex,
          k.expiryIndex,
          ...k.callStateIndexes,
        ],
        [
          nowMs,
          expiresAfter,
          expiresAfter * 1000,
          createdAt,
          nowMs,
          call.state,
          JSON.stringify(call),
          call.callId,
          stateSlot[call.state],
        ],
      );
      if (version === null) {
        throw new AppError('CALL_ALREADY_EXISTS', 'a live call with this callId exists', {
          details: { callId: call.callId },
        });
      }
      return { call: structuredClone(call), version: Number(version), createdAt, expiresAfter };
    });
  }

  async get(callId: string): Promise<StoredCall | undefined> {
    return this.#run('get', 'cannot read the call record', async () => {
      const fields = await this.#redis.hmget(this.#keys.call(callId), ...CALL_FIELDS);
      return this.#toStoredCall(fields, this.#now());
    });
  }

  async resolveOriginalCallId(originalCallId: string): Promise<string | undefined> {
    return this.#run('resolve', 'cannot read the call-id mapping', async () => {
      const [callId, expiresAfter] = await this.#redis.hmget(
        this.#keys.mapping(originalCallId),
        'callId',
        'expiresAfter',
      );
      if (!callId || !isLive(expiresAfter, this.#now())) return undefined;
      return callId;
    });
  }

  async compareAndSet(
    callId: string,
    expectedVersion: number,
    next: CallData,
  ): Promise<StoredCall | undefined> {
    return this.#run('compare-and-set', 'cannot update the call record', async () => {
      const nowMs = this.#now();
      const expiresAfter = expiresAfterSeconds(nowMs, this.#ttlMs);
      const k = this.#keys;
      const reply = await compareAndSetScript.run(
        this.#redis,
        [k.call(callId), k.mapping(next.originalCallId), k.expiryIndex, ...k.callStateIndexes],
        [
          String(Math.trunc(expectedVersion)),
          nowMs,
          expiresAfter,
          expiresAfter * 1000,
          next.state,
          JSON.stringify(next),
          callId,
          stateSlot[next.state],
        ],
      );
      if (!Array.isArray(reply)) return undefined;
      const [version, createdAt] = reply as [number, string];
      return { call: structuredClone(next), version: Number(version), createdAt, expiresAfter };
    });
  }

  async list(query: CallListQuery = {}): Promise<StoredCall[]> {
    return this.#run('list', 'cannot list call records', async () => {
      const limit = query.limit === undefined ? Infinity : Math.max(0, Math.trunc(query.limit));
      const index =
        query.state === undefined ? this.#keys.callIndex : this.#keys.callStateIndex(query.state);
      const found: StoredCall[] = [];
      for (let start = 0; found.length < limit; start += this.#pageSize) {
        const callIds = await this.#redis.zrevrange(index, start, start + this.#pageSize - 1);
        if (callIds.length === 0) break;
        const pipeline = this.#redis.pipeline();
        for (const callId of callIds) pipeline.hmget(this.#keys.call(callId), ...CALL_FIELDS);
        const replies = (await pipeline.exec()) ?? [];
        const nowMs = this.#now();
        for (const [i, callId] of callIds.entries()) {
          const [error, fields] = replies[i] ?? [new Error('missing pipeline reply'), null];
          if (error) throw error;
          const record = fields as CallFields;
          if (record[0] === null) {
            await this.#pruneIndex(callId);
            continue;
          }
          const stored = this.#toStoredCall(record, nowMs);
          if (
            stored === undefined ||
            (query.state !== undefined && stored.call.state !== query.state)
          )
            continue;
          found.push(stored);
          if (found.length >= limit) break;
        }
        if (callIds.length < this.#pageSize) break;
      }
      return found;
    });
  }

  async putControlOutcome(outcome: ControlOutcome): Promise<void> {
    await this.#run('put-outcome', 'cannot write the control outcome', async () => {
      const expiresAfter = expiresAfterSeconds(this.#now(), this.#ttlMs);
      const key = this.#keys.controlOutcome(outcome.eventId);
      const replies = await this.#redis
        .multi()
        .hset(key, 'data', JSON.stringify(outcome), 'expiresAfter', expiresAfter)
        .pexpireat(key, expiresAfter * 1000)
        .zadd(this.#keys.expiryIndex, expiresAfter * 1000, key)
        .exec();
      const failed = replies?.find(([error]) => error !== null);
      if (replies === null || failed) throw failed?.[0] ?? new Error('transaction aborted');
    });
  }

  async getControlOutcome(eventId: string): Promise<ControlOutcome | undefined> {
    return this.#run('get-outcome', 'cannot read the control outcome', async () => {
      const [data, expiresAfter] = await this.#redis.hmget(
        this.#keys.controlOutcome(eventId),
        'data',
        'expiresAfter',
      );
      if (!data || !isLive(expiresAfter, this.#now())) return undefined;
      return JSON.parse(data) as ControlOutcome;
    });
  }

  /**
   * Deletes records whose expiry has passed (by this store's clock) and unindexes them. Redis
   * usually got there first through PEXPIREAT; those count too, as their index entries go now.
   */
  async sweepExpired(): Promise<number> {
    return this.#run('sweep', 'cannot delete expired records', async () => {
      const nowMs = this.#now();
      const k = this.#keys;
      let removed = 0;
      for (;;) {
        const due = await this.#redis.zrangebyscore(k.expiryIndex, '-inf', nowMs, 'LIMIT', 0, 500);
        let progressed = 0;
        for (const key of due) {
          const callId = k.callIdOfCallKey(key) ?? '';
          const gone = await sweepKeyScript.run(
            this.#redis,
            [key, k.expiryIndex, k.callIndex, ...k.callStateIndexes],
            [nowMs, callId],
          );
          if (Number(gone) === 1) {
            removed++;
            progressed++;
          }
        }
        if (due.length < 500 || progressed === 0) return removed;
      }
    });
  }

  /** Stops this store; the connection stays open for its owner to close. */
  async close(): Promise<void> {
    this.#closed = true;
  }

  async #pruneIndex(callId: string): Promise<void> {
    const k = this.#keys;
    await pruneIndexScript.run(
      this.#redis,
      [k.call(callId), k.callIndex, ...k.callStateIndexes],
      [callId],
    );
  }

  #toStoredCall(fields: CallFields, nowMs: number): StoredCall | undefined {
    const [data, version, createdAt, expiresAfter] = fields;
    if (!data || !version || !createdAt || !isLive(expiresAfter ?? null, nowMs)) return undefined;
    return {
      call: JSON.parse(data) as CallData,
      version: Number(version),
      createdAt,
      expiresAfter: Number(expiresAfter),
    };
  }

  async #run<T>(operation: string, message: string, body: () => Promise<T>): Promise<T> {
    if (this.#closed) throw new AppError('STORE_UNAVAILABLE', 'the call store is closed');
    try {
      return await body();
    } catch (error) {
      if (error instanceof AppError) throw error;
      this.#metrics?.failures.inc({ operation: `store-${operation}` });
      throw redisFailure(error, 'STORE_UNAVAILABLE', message);
    }
  }
}

function isLive(expiresAfter: string | null | undefined, nowMs: number): boolean {
  return expiresAfter !== null && expiresAfter !== undefined && Number(expiresAfter) * 1000 > nowMs;
}
