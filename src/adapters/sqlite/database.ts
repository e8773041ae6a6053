import { closeSync, mkdirSync, openSync } from 'node:fs';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import type { Logger } from 'pino';
import { AppError } from '../../domain/errors.js';
import type { ComponentHealth, HealthSource } from '../../ports/health.js';
import { WriteFailures } from '../storage/write-failures.js';
import { isStorageFailure, sqliteCodeOf } from './sqlite-failure.js';
import { OWNER_ONLY_DIR_MODE, OWNER_ONLY_FILE_MODE } from '../storage/owner-only.js';

export type SqliteConnection = BetterSqlite3.Database;

/**
 * Each entry moves the schema from version `index` to `index + 1` (tracked in `user_version`).
 * Entries are append-only: an installed database has already run the earlier ones.
 */
const migrations: readonly string[] = [
  `
  CREATE TABLE items (
    pk TEXT NOT NULL,
    sk TEXT NOT NULL,
    created_at TEXT NOT NULL,
    expires_after INTEGER NOT NULL,
    version INTEGER NOT NULL,
    state TEXT,
    data TEXT NOT NULL,
    PRIMARY KEY (pk, sk)
  );
  CREATE INDEX items_by_sk_created ON items (sk, created_at);
  CREATE INDEX items_by_state_created ON items (state, created_at) WHERE state IS NOT NULL;
  CREATE INDEX items_by_expiry ON items (expires_after);

  CREATE TABLE call_events (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    call_id TEXT NOT NULL,
    created_at TEXT NOT NULL,
    data TEXT NOT NULL
  );
  CREATE INDEX call_events_by_call ON call_events (call_id, id);

  CREATE TABLE call_event_expiry (
    call_id TEXT PRIMARY KEY,
    expires_after INTEGER NOT NULL
  ) WITHOUT ROWID;
  CREATE INDEX call_event_expiry_by_expiry ON call_event_expiry (expires_after);
  `,
  `
  CREATE TABLE held_control_events (
    node_id TEXT NOT NULL,
    event_id TEXT NOT NULL,
    received_at TEXT NOT NULL,
    data TEXT NOT NULL,
    PRIMARY KEY (node_id, event_id)
  ) WITHOUT ROWID;
  `,
];

export const SCHEMA_VERSION = migrations.length;

/**
 * The one SQLite connection the call store and the event stream share (both are handed this
 * object). Its opener owns it: the adapters never close it, so closing one of them cannot pull
 * the connection from under the other.
 */
export class SqliteDatabase implements HealthSource {
  readonly connection: SqliteConnection;
  readonly path: string;
  readonly #writes: WriteFailures;

  private constructor(connection: SqliteConnection, path: string, writes: WriteFailures) {
    this.connection = connection;
    this.path = path;
    this.#writes = writes;
  }

  /** Opens (creating the directory and file when missing) `<dataDir>/callscribe.db`. */
  static open(options: {
    dataDir: string;
    busyTimeoutMs?: number;
    /** Where a database that stops taking writes (and starts again) is reported. */
    log?: Logger;
    now?: () => number;
  }): SqliteDatabase {
    const path = join(options.dataDir, 'callscribe.db');
    let connection: SqliteConnection | undefined;
    try {
      mkdirSync(options.dataDir, { recursive: true, mode: OWNER_ONLY_DIR_MODE });
      // SQLite gives its -wal and -shm files the database file's mode, so this covers all three.
      closeSync(openSync(path, 'a', OWNER_ONLY_FILE_MODE));
      connection = new BetterSqlite3(path);
      // WAL lets readers (API, event streams) proceed while a write is in flight.
      connection.pragma('journal_mode = WAL');
      // NORMAL is durable against process crashes in WAL mode; only an OS crash can lose the last commit.
      connection.pragma('synchronous = NORMAL');
      // A checkpoint every 4,000 WAL pages (16 MB) rather than SQLite's 1,000: at 500 calls'
      // transcript events the default checkpointed several times a second, on the main thread,
      // each copying back pages the next second rewrites. bench/event-store/sqlite-checkpoint.ts:
      // 0.87x the CPU per event, 99th-percentile commit 10.7 → 0.5 ms (docs/benchmarks.md).
      connection.pragma('wal_autocheckpoint = 4000');
      connection.pragma(`busy_timeout = ${Math.max(0, Math.trunc(options.busyTimeoutMs ?? 5000))}`);
      migrate(connection);
      const writes = new WriteFailures({
        component: 'database',
        log: options.log,
        now: options.now ?? Date.now,
        message: 'SQLite database cannot be written; writes are refused and retried',
      });
      return new SqliteDatabase(connection, path, writes);
    } catch (error) {
      connection?.close();
      if (error instanceof AppError) throw error;
      throw new AppError('STORE_UNAVAILABLE', 'cannot open the SQLite database', {
        cause: error,
        details: { path },
      });
    }
  }

  /**
   * Runs a write (a transaction) and keeps track of whether the storage takes writes: a disk
   * that filled up is logged once and reported by `health()` until a write succeeds again.
   */
  write<T>(operation: () => T): T {
    try {
      const result = operation();
      this.#writes.succeeded();
      return result;
    } catch (error) {
      const code = sqliteCodeOf(error);
      if (isStorageFailure(code)) this.#writes.failed(code, error);
      throw error;
    }
  }

  /** While writes are failing, each check tries a tiny write, so the report clears once space returns. */
  health(): ComponentHealth {
    if (this.#writes.failing && this.isOpen) {
      try {
        this.write(() => this.connection.pragma(`user_version = ${SCHEMA_VERSION}`));
      } catch {
        // Still failing: reported below.
      }
    }
    return this.#writes.health();
  }

  get isOpen(): boolean {
    return this.connection.open;
  }

  close(): void {
    if (this.connection.open) this.connection.close();
  }
}

function migrate(connection: SqliteConnection): void {
  // IMMEDIATE takes the write lock before reading the version, so two processes opening the same
  // file cannot both run a migration.
  connection
    .transaction(() => {
      const current = Number(connection.pragma('user_version', { simple: true }));
      if (current > migrations.length) {
        throw new AppError('STORE_UNAVAILABLE', 'the database was written by a newer callscribe', {
          details: { schemaVersion: current, supportedVersion: migrations.length },
        });
      }
      for (let version = current; version < migrations.length; version++) {
        connection.exec(migrations[version] ?? '');
      }
      if (current < migrations.length) connection.pragma(`user_version = ${migrations.length}`);
    })
    .immediate();
}
