import type { Logger } from 'pino';
import { SubscriberRegistry } from '../event-fanout/subscriber-registry.js';
import { GroupCommit } from '../storage/group-commit.js';
import type { CallEvent, StoredCallEvent } from '../../domain/call-event.js';
import { AppError } from '../../domain/errors.js';
import type {
  CallEventQuery,
  CallEventStream,
  HistoryRepairTarget,
} from '../../ports/call-event-stream.js';
import {
  appendAllEventsScript,
  appendCallEventScript,
  callEventIdsScript,
  newestCallEventIdScript,
  sweepAllEventsScript,
  trimCallEventsScript,
} from './call-event-scripts.js';
import { CallHistoryRetry } from './call-history-retry.js';
import { fromStreamId, parseAfterId, toStreamId } from './event-id.js';
import type { RedisClient } from './redis-connection.js';
import { redisFailure } from './redis-failure.js';
import type { RedisKeys } from './redis-keys.js';
import type { RedisMetrics } from './redis-metrics.js';

export interface RedisCallEventStreamOptions {
  /** Connection for appends and reads; the caller owns and closes it. */
  redis: RedisClient;
  /** A second connection the stream owns for its blocking XREAD (closed by `close`). */
  blockingRedis: RedisClient;
  keys: RedisKeys;
  /** Events live this long after their call's last event (`callTtlMs`). */
  ttlMs: number;
  now?: () => number;
  log: Logger;
  metrics?: RedisMetrics;
  /** Approximate cap of the all-calls stream (XADD MAXLEN ~). */
  allMaxLen?: number;
  /** Approximate cap of one call's stream. */
  callMaxLen?: number;
  /**
   * Redis drops a call's stream this long after its logical expiry; the sweeper (which also
   * removes the call's entries from the all-calls stream) normally deletes it first.
   */
  backstopGraceMs?: number;
  /** How long one XREAD blocks before the reader loop checks for close. */
  blockMs?: number;
  historyPageSize?: number;
  /** How long an append waits for others to share its round of scripts (`eventCommitIntervalMs`). */
  commitIntervalMs?: number;
  /** A group this large is sent at once (`eventCommitMaxEvents`); 1 sends every event alone. */
  commitMaxEvents?: number;
}

type StreamEntry = [id: string, fields: string[]];

/** How far another node's clock may be behind: a call's first event id is not older than its start less this. */
const HISTORY_REPAIR_SKEW_MS = 60_000;

/**
 * LCA call events on Redis Streams: `{ev}:all` for every call and `ev#{callId}` per call, both
 * under the same entry id. Live delivery uses one blocking reader per instance on `{ev}:all`,
 * fanned out in-process, so events appended on any node reach every node's subscribers.
 * External consumers may read `{ev}:all` with consumer groups.
 */
export class RedisCallEventStream implements CallEventStream {
  readonly #redis: RedisClient;
  readonly #blocking: RedisClient;
  readonly #keys: RedisKeys;
  readonly #ttlMs: number;
  readonly #now: () => number;
  readonly #log: Logger;
  readonly #metrics: RedisMetrics | undefined;
  readonly #allMaxLen: number;
  readonly #callMaxLen: number;
  readonly #backstopGraceMs: number;
  readonly #blockMs: number;
  readonly #pageSize: number;
  readonly #subscribers: SubscriberRegistry;
  readonly #appends: GroupCommit<CallEvent, string>;
  readonly #historyRetry: CallHistoryRetry;
  #reader: Promise<void> | undefined;
  #readerStopped: Promise<void> | undefined;
  #closed = false;

  constructor(options: RedisCallEventStreamOptions) {
    if (!Number.isFinite(options.ttlMs) || options.ttlMs <= 0) {
      throw new AppError('CONFIG_INVALID', 'event stream ttlMs must be a positive number', {
        details: { ttlMs: options.ttlMs },
      });
    }
    this.#redis = options.redis;
    this.#blocking = options.blockingRedis;
    this.#keys = options.keys;
    this.#ttlMs = options.ttlMs;
    this.#now = options.now ?? Date.now;
    this.#log = options.log;
    this.#metrics = options.metrics;
    this.#allMaxLen = options.allMaxLen ?? 100_000;
    this.#callMaxLen = options.callMaxLen ?? 10_000;
    this.#backstopGraceMs = options.backstopGraceMs ?? 3_600_000;
    this.#blockMs = options.blockMs ?? 2000;
    this.#pageSize = Math.max(1, Math.trunc(options.historyPageSize ?? 500));
    this.#subscribers = new SubscriberRegistry({
      log: options.log,
      pageSize: this.#pageSize,
      readPage: (callId, afterId, limit) => this.#read(callId, afterId, limit),
    });
    this.#historyRetry = new CallHistoryRetry({
      store: (callId, idsAndEvents) => this.#storeInCall(callId, idsAndEvents),
      log: options.log,
    });
    this.#appends = new GroupCommit((events) => this.#commitAppends(events), {
      intervalMs: options.commitIntervalMs ?? 0,
      maxItems: options.commitMaxEvents ?? 500,
    });
  }

  /**
   * Stored before it resolves, and group-committed: appends made within `commitIntervalMs` of
   * each other share one script on the all-calls stream and one per call, instead of two round
   * trips each. Subscribers get events from the reader, like events appended on other nodes,
   * so only once they are in Redis.
   */
  async append(event: CallEvent): Promise<StoredCallEvent> {
    this.#assertOpen();
    const id = await this.#appends.write(event);
    return { id, event: structuredClone(event) };
  }

  /** A group fails as a whole when the all-calls step fails: none of its events got an id. */
  async #commitAppends(events: CallEvent[]): Promise<string[]> {
    const nowMs = Math.trunc(this.#now());
    const expiresAtMs = nowMs + this.#ttlMs;
    const k = this.#keys;
    const json = events.map((event) => JSON.stringify(event));
    let ids: string[];
    try {
      const reply = await appendAllEventsScript.run(
        this.#redis,
        [k.eventSequence, k.allEvents, k.eventExpiry],
        [
          nowMs * 1000,
          this.#allMaxLen,
          expiresAtMs,
          ...events.flatMap((e, i) => [e.CallId, json[i] ?? '']),
        ],
      );
      ids = (reply as unknown[]).map(String);
    } catch (error) {
      const failure = this.#failure('event-append', error, 'cannot append the call event');
      this.#log.error(
        { err: failure, code: failure.code, events: events.length },
        'call event not stored: redis unavailable',
      );
      throw failure;
    }
    const byCall = new Map<string, string[]>();
    events.forEach((event, i) => {
      const args = byCall.get(event.CallId) ?? [];
      args.push(ids[i] ?? '', json[i] ?? '');
      byCall.set(event.CallId, args);
    });
    await Promise.all(
      [...byCall].map(([callId, args]) =>
        this.#storeInCall(callId, args).catch((error: unknown) => {
          // Stored and delivered live through the all-calls stream; the call's own history
          // lacks them until the retry writes them there (they are held in memory meanwhile).
          const failure = this.#failure('event-append-call', error, 'cannot append the event');
          this.#log.error(
            { err: failure, code: failure.code, callId, ids: args.filter((_, j) => j % 2 === 0) },
            "call event stored in the all-calls stream only: the call's stream is unavailable; retried",
          );
          this.#historyRetry.hold(callId, args);
        }),
      ),
    );
    return ids;
  }

  /** The second step of a group (also the repair's and the retry's): skips ids the stream holds. */
  #storeInCall(callId: string, idsAndEvents: readonly string[]): Promise<unknown> {
    const expiresAtMs = Math.trunc(this.#now()) + this.#ttlMs + this.#backstopGraceMs;
    return appendCallEventScript.run(
      this.#redis,
      [this.#keys.callEvents(callId)],
      [callId, this.#callMaxLen, expiresAtMs, ...idsAndEvents],
    );
  }

  async read(query: CallEventQuery): Promise<StoredCallEvent[]> {
    this.#assertOpen();
    const afterId = parseAfterId(query.afterId);
    const limit = query.limit === undefined ? Infinity : Math.max(0, Math.trunc(query.limit));
    try {
      return await this.#read(query.callId, afterId, limit);
    } catch (error) {
      throw this.#failure('event-read', error, 'cannot read call events');
    }
  }

  subscribe(
    query: Omit<CallEventQuery, 'limit'>,
    onEvent: (event: StoredCallEvent) => void,
  ): () => void {
    this.#assertOpen();
    // History is read only once the live reader has fixed its cursor: everything up to that
    // cursor is history, everything after it arrives live, so nothing falls in between.
    return this.#subscribers.add(
      { callId: query.callId, afterId: parseAfterId(query.afterId) },
      onEvent,
      this.#startReader(),
    );
  }

  /**
   * One pass over the all-calls stream for all `calls` (a dead node's, say): from the oldest of
   * their histories' newest ids (a call without history from its start, less a minute of clock
   * skew between nodes) to the end, gathering each call's entries newer than its own history,
   * which the append script then stores once each (an entry already there is skipped, so a slow
   * node finishing its own second step at the same time adds nothing twice).
   */
  async repairHistories(calls: readonly HistoryRepairTarget[]): Promise<number> {
    this.#assertOpen();
    if (calls.length === 0) return 0;
    const k = this.#keys;
    try {
      const after = new Map<string, number>();
      await Promise.all(
        calls.map(async ({ callId, startedAtMs }) => {
          const newest = await newestCallEventIdScript.run(this.#redis, [k.callEvents(callId)], []);
          const fromMs = Math.max(0, startedAtMs - HISTORY_REPAIR_SKEW_MS);
          after.set(callId, typeof newest === 'string' ? Number(newest) : fromMs * 1000);
        }),
      );
      const missing = new Map<string, string[]>();
      const from = `(${toStreamId(Math.min(...after.values()))}`;
      for await (const entries of this.#pages(k.allEvents, from, () => this.#pageSize)) {
        for (const [streamId, fields] of entries) {
          const callId = fieldOf(fields, 'c');
          const newest = callId === undefined ? undefined : after.get(callId);
          const id = fromStreamId(streamId);
          if (callId === undefined || newest === undefined || Number(id) <= newest) continue;
          const args = missing.get(callId) ?? [];
          args.push(id, fieldOf(fields, 'e') ?? 'null');
          missing.set(callId, args);
        }
      }
      const added = await Promise.all(
        [...missing].map(([callId, args]) => this.#storeInCall(callId, args)),
      );
      return added.reduce<number>((sum, n) => sum + Number(n), 0);
    } catch (error) {
      throw this.#failure('event-repair', error, 'cannot repair call histories');
    }
  }

  /** Deletes the events of calls whose expiry has passed; returns how many events went. */
  async sweepExpired(): Promise<number> {
    this.#assertOpen();
    const k = this.#keys;
    const nowMs = this.#now();
    try {
      let removed = 0;
      for (;;) {
        const due = await this.#redis.zrangebyscore(k.eventExpiry, '-inf', nowMs, 'LIMIT', 0, 200);
        for (const callId of due) removed += await this.#sweepCall(callId, nowMs);
        if (due.length < 200) return removed;
      }
    } catch (error) {
      throw this.#failure('event-sweep', error, 'cannot delete expired call events');
    }
  }

  /**
   * Three steps, as the call's stream and the all-calls stream live in different slots: read
   * the call's ids, delete them from the all-calls stream if the call is still expired, then
   * trim the call's stream up to what was read, so an event appended meanwhile stays.
   */
  async #sweepCall(callId: string, nowMs: number): Promise<number> {
    const k = this.#keys;
    const key = k.callEvents(callId);
    const [newest, ...ids] = (await callEventIdsScript.run(this.#redis, [key], [])) as string[];
    const removed = Number(
      await sweepAllEventsScript.run(
        this.#redis,
        [k.allEvents, k.eventExpiry],
        [callId, nowMs, ...ids],
      ),
    );
    if (removed < 0) return 0;
    if (newest !== undefined) await trimCallEventsScript.run(this.#redis, [key], [newest]);
    return removed;
  }

  /** Ends every subscription and the reader; the shared connection stays open for its owner. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    // Appends already accepted are sent, not dropped.
    await this.#appends.flush();
    await this.#historyRetry.close();
    this.#subscribers.clear();
    this.#blocking.disconnect();
    await this.#readerStopped?.catch(() => undefined);
  }

  async #read(
    callId: string | undefined,
    afterId: number,
    limit: number,
  ): Promise<StoredCallEvent[]> {
    if (limit === 0) return [];
    const k = this.#keys;
    const nowMs = this.#now();
    if (callId !== undefined) {
      const expiresAt = await this.#redis.zscore(k.eventExpiry, callId);
      if (expiresAt === null || Number(expiresAt) <= nowMs) return [];
    }
    const key = callId === undefined ? k.allEvents : k.callEvents(callId);
    const found: StoredCallEvent[] = [];
    const from = afterId === 0 ? '-' : `(${toStreamId(afterId)}`;
    const pageSize = () =>
      Math.min(this.#pageSize, limit === Infinity ? this.#pageSize : limit - found.length);
    for await (const entries of this.#pages(key, from, pageSize)) {
      const live = callId === undefined ? await this.#liveCalls(entries, nowMs) : undefined;
      for (const entry of entries) {
        const stored = toStoredEvent(entry);
        if (live === undefined || live.has(stored.event.CallId)) found.push(stored);
      }
      if (found.length >= limit) break;
    }
    return found;
  }

  /**
   * The entries of `key` from `from`, a page at a time (at most `count()` entries, asked before
   * each page), until a short page shows the end.
   */
  async *#pages(key: string, from: string, count: () => number): AsyncGenerator<StreamEntry[]> {
    let start = from;
    for (;;) {
      const size = count();
      const entries = (await this.#redis.xrange(key, start, '+', 'COUNT', size)) as StreamEntry[];
      if (entries.length > 0) yield entries;
      const last = entries[entries.length - 1];
      if (last === undefined || entries.length < size) return;
      start = `(${last[0]}`;
    }
  }

  /** Counts a failure of `operation` and makes the error its caller gets. */
  #failure(operation: string, error: unknown, message: string): AppError {
    this.#metrics?.failures.inc({ operation });
    return redisFailure(error, 'EVENT_STREAM_UNAVAILABLE', message);
  }

  /** The calls among `entries` whose events have not expired. */
  async #liveCalls(entries: StreamEntry[], nowMs: number): Promise<Set<string>> {
    const callIds = [...new Set(entries.map((e) => fieldOf(e[1], 'c') ?? ''))];
    const scores = await this.#redis.zmscore(this.#keys.eventExpiry, ...callIds);
    return new Set(
      callIds.filter((_, i) => {
        const score = scores[i];
        return score !== null && score !== undefined && Number(score) > nowMs;
      }),
    );
  }

  #startReader(): Promise<void> {
    if (this.#reader) return this.#reader;
    this.#reader = (async () => {
      const newest = (await this.#redis.xrevrange(
        this.#keys.allEvents,
        '+',
        '-',
        'COUNT',
        1,
      )) as StreamEntry[];
      const cursor = newest[0]?.[0] ?? '0-0';
      this.#readerStopped = this.#readLoop(cursor);
    })();
    // A failed start is retried by the next subscriber.
    this.#reader.catch(() => {
      this.#reader = undefined;
    });
    return this.#reader;
  }

  async #readLoop(from: string): Promise<void> {
    let cursor = from;
    let failures = 0;
    while (!this.#closed) {
      try {
        const reply = (await this.#blocking.xread(
          'COUNT',
          500,
          'BLOCK',
          this.#blockMs,
          'STREAMS',
          this.#keys.allEvents,
          cursor,
        )) as [string, StreamEntry[]][] | null;
        failures = 0;
        for (const entry of reply?.[0]?.[1] ?? []) {
          cursor = entry[0];
          this.#subscribers.publish(toStoredEvent(entry));
        }
      } catch (error) {
        if (this.#closed) return;
        failures++;
        if (failures === 1)
          this.#log.warn({ err: error }, 'live call-event reader failed; retrying');
        await new Promise((resolve) => setTimeout(resolve, Math.min(100 * 2 ** failures, 2000)));
      }
    }
  }

  #assertOpen(): void {
    if (this.#closed)
      throw new AppError('EVENT_STREAM_UNAVAILABLE', 'the call event stream is closed');
  }
}

function fieldOf(fields: string[], name: string): string | undefined {
  for (let i = 0; i + 1 < fields.length; i += 2) if (fields[i] === name) return fields[i + 1];
  return undefined;
}

function toStoredEvent([streamId, fields]: StreamEntry): StoredCallEvent {
  return {
    // `i` marks an entry a call's stream had to store out of id order (see the append script).
    id: fieldOf(fields, 'i') ?? fromStreamId(streamId),
    event: JSON.parse(fieldOf(fields, 'e') ?? 'null') as CallEvent,
  };
}
