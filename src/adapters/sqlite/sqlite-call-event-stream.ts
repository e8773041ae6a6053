import type { Logger } from 'pino';
import type { CallEvent, StoredCallEvent } from '../../domain/call-event.js';
import { AppError } from '../../domain/errors.js';
import type { CallEventQuery, CallEventStream } from '../../ports/call-event-stream.js';
import type { SqliteDatabase } from './database.js';
import { SubscriberRegistry } from '../event-fanout/subscriber-registry.js';
import { parseAfterId } from './event-id.js';
import { GroupCommit } from '../storage/group-commit.js';
import { expiresAfterSeconds, nowSeconds } from './expiry.js';
import { sqliteFailure } from './sqlite-failure.js';

export interface SqliteCallEventStreamOptions {
  database: SqliteDatabase;
  /** Events live this long after their call's last event (`callTtlMs`, as the call record). */
  ttlMs: number;
  /** Epoch milliseconds; injectable so tests can move time forward. */
  now?: () => number;
  log: Logger;
  /** Rows read per step while a subscriber catches up on history; the event loop runs between steps. */
  historyPageSize?: number;
  /**
   * How long an append waits for others to share its transaction (`eventCommitIntervalMs`);
   * 0 groups only the appends of one event-loop turn.
   */
  commitIntervalMs?: number;
  /** A group this large commits at once (`eventCommitMaxEvents`); 1 commits every event alone. */
  commitMaxEvents?: number;
}

/** The most an expiry is written ahead of its exact value (1 % of the TTL below 100 minutes). */
const EXPIRY_SLACK_MAX_MS = 60_000;
const EXPIRY_PRUNE_EVERY_MS = 60_000;

interface EventRow {
  id: number;
  data: string;
}

/**
 * The LCA call-event stream on SQLite. One autoincrement id space serves every call, so the
 * all-calls feed and per-call feeds share ids. Expiry is per call: each append pushes the whole
 * call's expiry forward, so a call's transcript never loses its beginning while the call is
 * still being written to. Fan-out is in-process; several nodes share events through Redis.
 */
export class SqliteCallEventStream implements CallEventStream {
  readonly #database: SqliteDatabase;
  readonly #ttlMs: number;
  readonly #now: () => number;
  readonly #appends: GroupCommit<CallEvent, StoredCallEvent>;
  readonly #pageSize: number;
  readonly #statements: ReturnType<typeof prepare>;
  readonly #subscribers: SubscriberRegistry;
  /**
   * Each call's expiry as last committed (epoch seconds), so that a call talking several times a
   * second does not rewrite its expiry row with every event: it is written `#expirySlackS` ahead
   * and rewritten only once the exact value passes it. A call's events thus live at least
   * `ttlMs`, and at most the slack longer. Entries of calls quiet for a while are pruned.
   */
  readonly #expiryWritten = new Map<string, number>();
  readonly #expirySlackS: number;
  #expiryPrunedAtMs = 0;
  #closed = false;

  constructor(options: SqliteCallEventStreamOptions) {
    if (!Number.isFinite(options.ttlMs) || options.ttlMs <= 0) {
      throw new AppError('CONFIG_INVALID', 'event stream ttlMs must be a positive number', {
        details: { ttlMs: options.ttlMs },
      });
    }
    this.#database = options.database;
    this.#ttlMs = options.ttlMs;
    this.#now = options.now ?? Date.now;
    this.#pageSize = Math.max(1, Math.trunc(options.historyPageSize ?? 500));
    this.#subscribers = new SubscriberRegistry({
      log: options.log,
      pageSize: this.#pageSize,
      readPage: (callId, afterId, limit) => {
        this.#assertOpen();
        return this.#readRows(callId, afterId, limit).map(toStoredEvent);
      },
    });
    this.#statements = prepare(options.database);
    this.#expirySlackS = Math.floor(Math.min(EXPIRY_SLACK_MAX_MS, options.ttlMs / 100) / 1000);
    this.#appends = new GroupCommit((events) => this.#commitAppends(events), {
      intervalMs: options.commitIntervalMs ?? 0,
      maxItems: options.commitMaxEvents ?? 500,
    });
  }

  /**
   * Durable before it resolves, and group-committed: appends made within `commitIntervalMs` of
   * each other (many calls talking at once) share one transaction, since each commit costs far
   * more than the rows it writes. Subscribers see an event only once it is committed, and in
   * id order: a group's appends resolve in the order they were made.
   */
  async append(event: CallEvent): Promise<StoredCallEvent> {
    this.#assertOpen();
    const stored = await this.#appends.write(event);
    this.#subscribers.publish(stored);
    return stored;
  }

  /** One transaction per group; if it fails, no event of the group is stored. */
  #commitAppends(events: CallEvent[]): StoredCallEvent[] {
    try {
      this.#assertOpen();
      const nowMs = this.#now();
      const createdAt = new Date(nowMs).toISOString();
      const expiresAfter = expiresAfterSeconds(nowMs, this.#ttlMs);
      const s = this.#statements;
      const written = this.#expiryWritten;
      const wrote = new Map<string, number>();
      const append = this.#database.connection.transaction((): StoredCallEvent[] =>
        events.map((event) => {
          const callId = event.CallId;
          const id = s.insertEvent.run(callId, createdAt, JSON.stringify(event)).lastInsertRowid;
          if ((wrote.get(callId) ?? written.get(callId) ?? 0) < expiresAfter) {
            const ahead = expiresAfter + this.#expirySlackS;
            s.upsertExpiry.run(callId, ahead);
            wrote.set(callId, ahead);
          }
          return { id: String(id), event };
        }),
      );
      const stored = this.#database.write(() => append.immediate());
      // Only once committed: a rolled-back group wrote no expiry.
      for (const [callId, ahead] of wrote) written.set(callId, ahead);
      this.#pruneExpiryWritten(nowMs, expiresAfter);
      return stored;
    } catch (error) {
      throw sqliteFailure(error, 'EVENT_STREAM_UNAVAILABLE', 'cannot append the call event');
    }
  }

  /** Calls whose expiry is due for a rewrite anyway need no entry: the map holds recent talkers. */
  #pruneExpiryWritten(nowMs: number, expiresAfter: number): void {
    if (nowMs - this.#expiryPrunedAtMs < EXPIRY_PRUNE_EVERY_MS) return;
    this.#expiryPrunedAtMs = nowMs;
    for (const [callId, ahead] of this.#expiryWritten)
      if (ahead < expiresAfter) this.#expiryWritten.delete(callId);
  }

  async read(query: CallEventQuery): Promise<StoredCallEvent[]> {
    this.#assertOpen();
    const afterId = parseAfterId(query.afterId);
    const limit = query.limit === undefined ? -1 : Math.max(0, Math.trunc(query.limit));
    return this.#readRows(query.callId, afterId, limit).map(toStoredEvent);
  }

  subscribe(
    query: Omit<CallEventQuery, 'limit'>,
    onEvent: (event: StoredCallEvent) => void,
  ): () => void {
    this.#assertOpen();
    return this.#subscribers.add(
      { callId: query.callId, afterId: parseAfterId(query.afterId) },
      onEvent,
    );
  }

  /** Deletes the events of calls whose expiry has passed; returns how many events went. */
  async sweepExpired(): Promise<number> {
    this.#assertOpen();
    try {
      const nowSec = nowSeconds(this.#now());
      const s = this.#statements;
      const sweep = this.#database.connection.transaction((): number => {
        const events = s.deleteExpiredEvents.run(nowSec).changes;
        s.deleteExpiredCalls.run(nowSec);
        return events;
      });
      return this.#database.write(() => sweep.immediate());
    } catch (error) {
      throw sqliteFailure(error, 'EVENT_STREAM_UNAVAILABLE', 'cannot delete expired call events');
    }
  }

  /** Ends every subscription; the shared database stays open for its owner to close. */
  async close(): Promise<void> {
    // Appends already accepted are written, not dropped.
    // A synchronous commit: done when flush returns, before the owner closes the database.
    if (!this.#closed && this.#database.isOpen) void this.#appends.flush();
    this.#closed = true;
    this.#subscribers.clear();
  }

  #readRows(callId: string | undefined, afterId: number, limit: number): EventRow[] {
    const nowSec = nowSeconds(this.#now());
    try {
      return (
        callId === undefined
          ? this.#statements.readAll.all({ afterId, nowSec, limit })
          : this.#statements.readCall.all({ callId, afterId, nowSec, limit })
      ) as EventRow[];
    } catch (error) {
      throw sqliteFailure(error, 'EVENT_STREAM_UNAVAILABLE', 'cannot read call events');
    }
  }

  #assertOpen(): void {
    if (this.#closed || !this.#database.isOpen) {
      throw new AppError('EVENT_STREAM_UNAVAILABLE', 'the call event stream is closed');
    }
  }
}

function toStoredEvent(row: EventRow): StoredCallEvent {
  return { id: String(row.id), event: JSON.parse(row.data) as CallEvent };
}

function prepare(database: SqliteDatabase) {
  const db = database.connection;
  return {
    insertEvent: db.prepare(
      // Positional parameters: named ones cost a property lookup each, per event. The id comes
      // from lastInsertRowid: RETURNING builds and drops a temporary table per row.
      'INSERT INTO call_events (call_id, created_at, data) VALUES (?, ?, ?)',
    ),
    upsertExpiry: db.prepare(`
      INSERT INTO call_event_expiry (call_id, expires_after) VALUES (?, ?)
      ON CONFLICT (call_id) DO UPDATE SET expires_after = excluded.expires_after`),
    readAll: db.prepare(`
      SELECT e.id, e.data FROM call_events e JOIN call_event_expiry x ON x.call_id = e.call_id
      WHERE e.id > @afterId AND x.expires_after > @nowSec
      ORDER BY e.id LIMIT @limit`),
    readCall: db.prepare(`
      SELECT e.id, e.data FROM call_events e JOIN call_event_expiry x ON x.call_id = e.call_id
      WHERE e.call_id = @callId AND e.id > @afterId AND x.expires_after > @nowSec
      ORDER BY e.id LIMIT @limit`),
    deleteExpiredEvents: db.prepare(`
      DELETE FROM call_events
      WHERE call_id IN (SELECT call_id FROM call_event_expiry WHERE expires_after <= ?)`),
    deleteExpiredCalls: db.prepare('DELETE FROM call_event_expiry WHERE expires_after <= ?'),
  };
}
