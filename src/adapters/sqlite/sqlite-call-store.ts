import type { CallData } from '../../domain/call.js';
import type { ControlOutcome } from '../../domain/control-event.js';
import { AppError } from '../../domain/errors.js';
import type { CallListQuery, CallStore, StoredCall } from '../../ports/call-store.js';
import type { SqliteDatabase } from './database.js';
import { expiresAfterSeconds, nowSeconds } from './expiry.js';
import { GroupCommit } from '../storage/group-commit.js';
import { sqliteFailure } from './sqlite-failure.js';

export interface SqliteCallStoreOptions {
  database: SqliteDatabase;
  /** Lifetime of a record after its last write (`callTtlMs`). */
  ttlMs: number;
  /** Epoch milliseconds; injectable so tests can move time forward. */
  now?: () => number;
}

interface ItemRow {
  created_at: string;
  expires_after: number;
  version: number;
  data: string;
}

interface PendingUpdate {
  callId: string;
  expectedVersion: number;
  next: CallData;
}

const CALL_SK = 'BOTH';
const MAPPING_SK = 'CALL_ID_MAPPING';
const OUTCOME_SK = 'OUTCOME';

const callPk = (callId: string): string => `cd#${callId}`;
const mappingPk = (originalCallId: string): string => `cm#${originalCallId}`;
const outcomePk = (eventId: string): string => `ctl#${eventId}`;

/**
 * CallStore on SQLite in LCA's key layout (one `items` table keyed by pk/sk, like LCA's
 * TranscriberCallEventTable). The call's state is also kept in its own column so listing by
 * state uses an index instead of parsing every blob. Expired rows stay on disk until
 * `sweepExpired` but are invisible to every read.
 */
export class SqliteCallStore implements CallStore {
  readonly #database: SqliteDatabase;
  readonly #ttlMs: number;
  readonly #now: () => number;
  readonly #statements: ReturnType<typeof prepare>;
  readonly #updates = new GroupCommit<PendingUpdate, StoredCall | undefined>((updates) =>
    this.#commitUpdates(updates),
  );
  readonly #outcomes = new GroupCommit<ControlOutcome, undefined>((outcomes) =>
    this.#commitOutcomes(outcomes),
  );
  #closed = false;

  constructor(options: SqliteCallStoreOptions) {
    if (!Number.isFinite(options.ttlMs) || options.ttlMs <= 0) {
      throw new AppError('CONFIG_INVALID', 'call store ttlMs must be a positive number', {
        details: { ttlMs: options.ttlMs },
      });
    }
    this.#database = options.database;
    this.#ttlMs = options.ttlMs;
    this.#now = options.now ?? Date.now;
    this.#statements = prepare(options.database);
  }

  async create(call: CallData): Promise<StoredCall> {
    return this.#run('cannot create the call record', () => {
      const nowMs = this.#now();
      const nowSec = nowSeconds(nowMs);
      const createdAt = new Date(nowMs).toISOString();
      const expiresAfter = expiresAfterSeconds(nowMs, this.#ttlMs);
      const s = this.#statements;
      const write = this.#database.connection.transaction((): StoredCall => {
        if (s.getLiveItem.get(callPk(call.callId), CALL_SK, nowSec) !== undefined) {
          throw new AppError('CALL_ALREADY_EXISTS', 'a live call with this callId exists', {
            details: { callId: call.callId },
          });
        }
        const row = s.upsertExpiredCall.get({
          pk: callPk(call.callId),
          sk: CALL_SK,
          createdAt,
          expiresAfter,
          state: call.state,
          data: JSON.stringify(call),
          nowSec,
        }) as { version: number } | undefined;
        if (row === undefined) {
          // Only reachable if another process created the call between our check and the write.
          throw new AppError('CALL_ALREADY_EXISTS', 'a live call with this callId exists', {
            details: { callId: call.callId },
          });
        }
        s.upsertItem.run({
          pk: mappingPk(call.originalCallId),
          sk: MAPPING_SK,
          createdAt,
          expiresAfter,
          data: JSON.stringify({ CallId: call.callId }),
          nowSec,
        });
        return { call, version: row.version, createdAt, expiresAfter };
      });
      return this.#database.write(() => write.immediate());
    });
  }

  async get(callId: string): Promise<StoredCall | undefined> {
    return this.#run('cannot read the call record', () => {
      const row = this.#statements.getLiveItem.get(
        callPk(callId),
        CALL_SK,
        nowSeconds(this.#now()),
      ) as ItemRow | undefined;
      return row === undefined ? undefined : toStoredCall(row);
    });
  }

  async resolveOriginalCallId(originalCallId: string): Promise<string | undefined> {
    return this.#run('cannot read the call-id mapping', () => {
      const row = this.#statements.getLiveItem.get(
        mappingPk(originalCallId),
        MAPPING_SK,
        nowSeconds(this.#now()),
      ) as ItemRow | undefined;
      if (row === undefined) return undefined;
      const mapping = JSON.parse(row.data) as { CallId?: unknown };
      return typeof mapping.CallId === 'string' ? mapping.CallId : undefined;
    });
  }

  async compareAndSet(
    callId: string,
    expectedVersion: number,
    next: CallData,
  ): Promise<StoredCall | undefined> {
    // Fails at once when closed, instead of queueing a write that can never commit.
    this.#run('cannot update the call record', () => undefined);
    return this.#updates.write({ callId, expectedVersion, next });
  }

  /**
   * Compare-and-sets of one event-loop turn share a transaction. They still run one after the
   * other inside it, so two racing writers of one call see each other's version bump.
   */
  #commitUpdates(updates: PendingUpdate[]): (StoredCall | undefined)[] {
    return this.#run('cannot update the call record', () => {
      const nowMs = this.#now();
      const nowSec = nowSeconds(nowMs);
      const expiresAfter = expiresAfterSeconds(nowMs, this.#ttlMs);
      const s = this.#statements;
      const write = this.#database.connection.transaction(() =>
        updates.map(({ callId, expectedVersion, next }): StoredCall | undefined => {
          const row = s.compareAndSet.get({
            pk: callPk(callId),
            sk: CALL_SK,
            expectedVersion,
            expiresAfter,
            state: next.state,
            data: JSON.stringify(next),
            nowSec,
          }) as Omit<ItemRow, 'data'> | undefined;
          if (row === undefined) return undefined;
          // The mapping lives as long as the call it points to, so late START events by original id still resolve.
          s.refreshMapping.run({
            pk: mappingPk(next.originalCallId),
            sk: MAPPING_SK,
            callId,
            expiresAfter,
            nowSec,
          });
          return {
            call: next,
            version: row.version,
            createdAt: row.created_at,
            expiresAfter: row.expires_after,
          };
        }),
      );
      return this.#database.write(() => write.immediate());
    });
  }

  async list(query: CallListQuery = {}): Promise<StoredCall[]> {
    return this.#run('cannot list call records', () => {
      const limit = query.limit === undefined ? -1 : Math.max(0, Math.trunc(query.limit));
      const nowSec = nowSeconds(this.#now());
      const rows = (
        query.state === undefined
          ? this.#statements.listCalls.all({ sk: CALL_SK, nowSec, limit })
          : this.#statements.listCallsByState.all({
              sk: CALL_SK,
              state: query.state,
              nowSec,
              limit,
            })
      ) as ItemRow[];
      return rows.map(toStoredCall);
    });
  }

  async putControlOutcome(outcome: ControlOutcome): Promise<void> {
    // Fails at once when closed, instead of queueing a write that can never commit.
    this.#run('cannot write the control outcome', () => undefined);
    await this.#outcomes.write(outcome);
  }

  /** Outcomes of one event-loop turn share a transaction: every control event writes one. */
  #commitOutcomes(outcomes: ControlOutcome[]): undefined[] {
    return this.#run('cannot write the control outcome', () => {
      const nowMs = this.#now();
      const createdAt = new Date(nowMs).toISOString();
      const expiresAfter = expiresAfterSeconds(nowMs, this.#ttlMs);
      const nowSec = nowSeconds(nowMs);
      const write = this.#database.connection.transaction(() =>
        outcomes.map((outcome) => {
          this.#statements.upsertItem.run({
            pk: outcomePk(outcome.eventId),
            sk: OUTCOME_SK,
            createdAt,
            expiresAfter,
            data: JSON.stringify(outcome),
            nowSec,
          });
          return undefined;
        }),
      );
      return this.#database.write(() => write.immediate());
    });
  }

  async getControlOutcome(eventId: string): Promise<ControlOutcome | undefined> {
    return this.#run('cannot read the control outcome', () => {
      const row = this.#statements.getLiveItem.get(
        outcomePk(eventId),
        OUTCOME_SK,
        nowSeconds(this.#now()),
      ) as ItemRow | undefined;
      return row === undefined ? undefined : (JSON.parse(row.data) as ControlOutcome);
    });
  }

  async sweepExpired(): Promise<number> {
    return this.#run('cannot delete expired records', () => {
      return this.#database.write(
        () => this.#statements.deleteExpired.run(nowSeconds(this.#now())).changes,
      );
    });
  }

  /** Stops this store; the shared database stays open for its owner to close. */
  async close(): Promise<void> {
    // Outcomes already accepted are written, not dropped.
    if (!this.#closed && this.#database.isOpen) {
      // Synchronous commits: done when flush returns.
      void this.#updates.flush();
      void this.#outcomes.flush();
    }
    this.#closed = true;
  }

  #run<T>(message: string, operation: () => T): T {
    if (this.#closed || !this.#database.isOpen) {
      throw new AppError('STORE_UNAVAILABLE', 'the call store is closed');
    }
    try {
      return operation();
    } catch (error) {
      throw sqliteFailure(error, 'STORE_UNAVAILABLE', message);
    }
  }
}

function toStoredCall(row: ItemRow): StoredCall {
  return {
    call: JSON.parse(row.data) as CallData,
    version: row.version,
    createdAt: row.created_at,
    expiresAfter: row.expires_after,
  };
}

function prepare(database: SqliteDatabase) {
  const db = database.connection;
  const statements = {
    getLiveItem: db.prepare(
      'SELECT created_at, expires_after, version, data FROM items WHERE pk = ? AND sk = ? AND expires_after > ?',
    ),
    // Overwrites only an expired row; the version keeps counting up so a writer still holding
    // the expired record's version cannot compare-and-set the new one.
    upsertExpiredCall: db.prepare(`
      INSERT INTO items (pk, sk, created_at, expires_after, version, state, data)
      VALUES (@pk, @sk, @createdAt, @expiresAfter, 1, @state, @data)
      ON CONFLICT (pk, sk) DO UPDATE SET
        created_at = excluded.created_at, expires_after = excluded.expires_after,
        version = items.version + 1, state = excluded.state, data = excluded.data
      WHERE items.expires_after <= @nowSec
      RETURNING version`),
    upsertItem: db.prepare(`
      INSERT INTO items (pk, sk, created_at, expires_after, version, state, data)
      VALUES (@pk, @sk, @createdAt, @expiresAfter, 1, NULL, @data)
      ON CONFLICT (pk, sk) DO UPDATE SET
        created_at = CASE WHEN items.expires_after > @nowSec THEN items.created_at ELSE excluded.created_at END,
        expires_after = excluded.expires_after, version = items.version + 1, data = excluded.data`),
    compareAndSet: db.prepare(`
      UPDATE items SET data = @data, state = @state, expires_after = @expiresAfter, version = version + 1
      WHERE pk = @pk AND sk = @sk AND version = @expectedVersion AND expires_after > @nowSec
      RETURNING created_at, expires_after, version`),
    refreshMapping: db.prepare(`
      UPDATE items SET expires_after = @expiresAfter
      WHERE pk = @pk AND sk = @sk AND expires_after > @nowSec AND json_extract(data, '$.CallId') = @callId`),
    listCalls: db.prepare(`
      SELECT created_at, expires_after, version, data FROM items
      WHERE sk = @sk AND expires_after > @nowSec
      ORDER BY created_at DESC, rowid DESC LIMIT @limit`),
    listCallsByState: db.prepare(`
      SELECT created_at, expires_after, version, data FROM items
      WHERE state = @state AND sk = @sk AND expires_after > @nowSec
      ORDER BY created_at DESC, rowid DESC LIMIT @limit`),
    deleteExpired: db.prepare('DELETE FROM items WHERE expires_after <= ?'),
  };
  return statements;
}
