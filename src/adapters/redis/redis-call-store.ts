import type { Logger } from 'pino';
import type { CallData, CallState } from '../../domain/call.js';
import type { ControlOutcome } from '../../domain/control-event.js';
import { AppError } from '../../domain/errors.js';
import type { CallListQuery, CallStore, StoredCall } from '../../ports/call-store.js';
import {
  applyIndexScript,
  compareAndSetRecordScript,
  createRecordScript,
  refreshMappingScript,
  sweepRecordScript,
  unindexScript,
} from './call-store-scripts.js';
import { expiresAfterSeconds } from './expiry.js';
import type { RedisClient } from './redis-connection.js';
import { redisFailure } from './redis-failure.js';
import type { RedisKeys } from './redis-keys.js';
import type { RedisMetrics } from './redis-metrics.js';

export interface RedisCallStoreOptions {
  /** A connection the caller owns (and closes); the store never closes it. */
  redis: RedisClient;
  keys: RedisKeys;
  /** Lifetime of a record after its last write (`callTtlMs`). */
  ttlMs: number;
  /** Epoch milliseconds; expiry is decided with it, Redis TTLs only back it up. */
  now?: () => number;
  metrics?: RedisMetrics;
  /** Where failed follow-up writes (mapping, indexes) are reported; they repair later. */
  log?: Logger;
  /** Index entries read per round trip while listing. */
  listPageSize?: number;
}

const stateSlot: Readonly<Record<CallState, number>> = {
  PENDING: 1,
  PROCESSING: 2,
  PAUSED: 3,
  ENDED: 4,
};
/** Enough for every call of a long outage on a busy node; beyond it, the next write repairs. */
const MAX_PENDING_REPAIRS = 10_000;
const CALL_FIELDS = ['data', 'version', 'createdAt', 'expiresAfter', 'createdMs'] as const;

type CallFields = (string | null)[];

/** What the indexes need to know of one write of a record. */
interface IndexedWrite {
  callId: string;
  state: CallState;
  createdMs: string;
  version: number;
  expiresAfter: number;
  /** The mapping key, when this write (re)wrote it and so moved its expiry. */
  mappingKey?: string;
}

/**
 * CallStore on Redis in LCA's key layout: `cd#{callId}` (a hash holding the CallData JSON, its
 * version, createdAt and ExpiresAfter), `cm#{originalCallId}` and `ctl#{eventId}`. Sorted-set
 * indexes (all calls and one per state, scored by creation time) make listing cheap.
 *
 * Each key is written by a script of its own hash slot, so the store runs on a Redis Cluster.
 * The record's write decides; the mapping and the indexes follow it. Should a follow-up fail
 * (its shard down past the retries), the write still stands: the failure is logged and
 * counted, the next write of the call rewrites both, and a listing that finds an index entry
 * behind its record re-applies the record.
 */
export class RedisCallStore implements CallStore {
  readonly #redis: RedisClient;
  readonly #keys: RedisKeys;
  readonly #ttlMs: number;
  readonly #now: () => number;
  readonly #metrics: RedisMetrics | undefined;
  readonly #log: Logger | undefined;
  readonly #pageSize: number;
  /** Calls whose mapping or index write failed after their record's write. */
  readonly #repairs = new Set<string>();
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
    this.#log = options.log;
    this.#pageSize = Math.max(1, Math.trunc(options.listPageSize ?? 200));
  }

  async create(call: CallData): Promise<StoredCall> {
    return this.#run('create', 'cannot create the call record', async () => {
      // Whole ms: createdMs is parsed back as an integer by the index scripts.
      const nowMs = Math.trunc(this.#now());
      const expiresAfter = expiresAfterSeconds(nowMs, this.#ttlMs);
      const createdAt = new Date(nowMs).toISOString();
      const k = this.#keys;
      const version = await createRecordScript.run(
        this.#redis,
        [k.call(call.callId)],
        [
          nowMs,
          expiresAfter,
          expiresAfter * 1000,
          createdAt,
          nowMs,
          call.state,
          JSON.stringify(call),
        ],
      );
      if (version === null) {
        throw new AppError('CALL_ALREADY_EXISTS', 'a live call with this callId exists', {
          details: { callId: call.callId },
        });
      }
      const mappingKey = k.mapping(call.originalCallId);
      await Promise.all([
        this.#followUp('mapping', call.callId, () =>
          this.#redis
            .multi()
            .del(mappingKey)
            .hset(mappingKey, 'callId', call.callId, 'expiresAfter', expiresAfter)
            .pexpireat(mappingKey, expiresAfter * 1000)
            .exec()
            .then(assertCommitted),
        ),
        this.#applyIndex({
          callId: call.callId,
          state: call.state,
          createdMs: String(nowMs),
          version: Number(version),
          expiresAfter,
          mappingKey,
        }),
      ]);
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
      const reply = await compareAndSetRecordScript.run(
        this.#redis,
        [k.call(callId)],
        [
          String(Math.trunc(expectedVersion)),
          nowMs,
          expiresAfter,
          expiresAfter * 1000,
          next.state,
          JSON.stringify(next),
        ],
      );
      if (!Array.isArray(reply)) return undefined;
      const [version, createdAt, createdMs] = reply as [number, string, string];
      await this.#refreshFollowUps(next.originalCallId, nowMs, {
        callId,
        state: next.state,
        createdMs,
        version: Number(version),
        expiresAfter,
      });
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
        // One command per record, all sent at once: on a Cluster the records sit on different
        // shards, which one pipeline may not span.
        const records = await Promise.all(
          callIds.map((callId) => this.#redis.hmget(this.#keys.call(callId), ...CALL_FIELDS)),
        );
        const nowMs = this.#now();
        for (const [i, callId] of callIds.entries()) {
          const record = records[i] ?? [null];
          if (record[0] === null) {
            await this.#unindex(this.#keys.call(callId), callId, nowMs, '');
            continue;
          }
          const stored = this.#toStoredCall(record, nowMs);
          if (stored === undefined) continue;
          if (query.state !== undefined && stored.call.state !== query.state) {
            // The index is behind its record (a follow-up write was lost): catch it up.
            await this.#applyIndex({
              callId,
              state: stored.call.state,
              createdMs: record[4] ?? '0',
              version: stored.version,
              expiresAfter: stored.expiresAfter,
            });
            continue;
          }
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
      await this.#redis
        .multi()
        .hset(key, 'data', JSON.stringify(outcome), 'expiresAfter', expiresAfter)
        .pexpireat(key, expiresAfter * 1000)
        .exec()
        .then(assertCommitted);
      // Only for the sweeper; Redis' own expiry frees the outcome if this is lost.
      await this.#followUp('outcome-index', undefined, () =>
        this.#redis.zadd(this.#keys.expiryIndex, 'GT', expiresAfter * 1000, key),
      );
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
      await this.#repairFollowUps(nowMs);
      let removed = 0;
      for (;;) {
        const due = await this.#redis.zrangebyscore(k.expiryIndex, '-inf', nowMs, 'LIMIT', 0, 500);
        let progressed = 0;
        for (const key of due) {
          const live = await sweepRecordScript.run(this.#redis, [key], [nowMs]);
          if (live === null) {
            removed++;
            progressed++;
          }
          await this.#unindex(
            key,
            k.callIdOfCallKey(key) ?? '',
            nowMs,
            live === null ? '' : String(Number(live) * 1000),
          );
        }
        if (due.length < 500 || progressed === 0) return removed;
      }
    });
  }

  /** Stops this store; the connection stays open for its owner to close. */
  async close(): Promise<void> {
    this.#closed = true;
  }

  async #unindex(key: string, callId: string, nowMs: number, liveExpiresAtMs: string) {
    const k = this.#keys;
    await unindexScript.run(
      this.#redis,
      [k.indexedVersions, k.callIndex, k.expiryIndex, ...k.callStateIndexes],
      [key, callId, nowMs, liveExpiresAtMs],
    );
  }

  #applyIndex(write: IndexedWrite): Promise<void> {
    const k = this.#keys;
    return this.#followUp('index', write.callId, () =>
      applyIndexScript.run(
        this.#redis,
        [k.indexedVersions, k.callIndex, k.expiryIndex, ...k.callStateIndexes],
        [
          write.callId,
          write.createdMs,
          write.version,
          write.expiresAfter * 1000,
          stateSlot[write.state],
          k.call(write.callId),
          write.mappingKey ?? '',
        ],
      ),
    );
  }

  /** A write that follows a committed one: its failure is reported, never the caller's. */
  async #followUp(what: string, callId: string | undefined, write: () => Promise<unknown>) {
    try {
      await write();
    } catch (err) {
      this.#metrics?.failures.inc({ operation: `store-${what}` });
      if (callId !== undefined && this.#repairs.size < MAX_PENDING_REPAIRS)
        this.#repairs.add(callId);
      this.#log?.error(
        { err, callId, code: 'STORE_UNAVAILABLE' },
        `call store ${what} write failed after the record was written; it is repaired by the next write or sweep`,
      );
    }
  }

  /**
   * Rewrites the mapping and the indexes of calls whose follow-up writes failed, from their
   * records as they are now. Idempotent; a call that still fails stays for the next sweep.
   */
  async #repairFollowUps(nowMs: number): Promise<void> {
    const k = this.#keys;
    for (const callId of [...this.#repairs]) {
      // A failing read leaves this call (and the rest) for the next sweep.
      const fields = await this.#redis.hmget(k.call(callId), ...CALL_FIELDS);
      this.#repairs.delete(callId);
      const stored = this.#toStoredCall(fields, nowMs);
      if (!stored) continue;
      await this.#refreshFollowUps(stored.call.originalCallId, nowMs, {
        callId,
        state: stored.call.state,
        createdMs: fields[4] ?? '0',
        version: stored.version,
        expiresAfter: stored.expiresAfter,
        mappingKey: k.mapping(stored.call.originalCallId),
      });
    }
  }

  /**
   * The follow-ups of a write to a live call: late events by the original id must keep
   * resolving for as long as the call lives, and the indexes must show the write.
   */
  async #refreshFollowUps(originalCallId: string, nowMs: number, write: IndexedWrite) {
    await Promise.all([
      this.#followUp('mapping', write.callId, () =>
        refreshMappingScript.run(
          this.#redis,
          [this.#keys.mapping(originalCallId)],
          [write.callId, nowMs, write.expiresAfter, write.expiresAfter * 1000],
        ),
      ),
      this.#applyIndex(write),
    ]);
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

function assertCommitted(replies: [Error | null, unknown][] | null): void {
  const failed = replies?.find(([error]) => error !== null);
  if (replies === null || failed) throw failed?.[0] ?? new Error('transaction aborted');
}

function isLive(expiresAfter: string | null | undefined, nowMs: number): boolean {
  return expiresAfter !== null && expiresAfter !== undefined && Number(expiresAfter) * 1000 > nowMs;
}
