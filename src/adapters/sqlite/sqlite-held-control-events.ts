import type { HeldControlEvent, HeldControlEvents } from '../../ports/held-control-events.js';
import type { SqliteDatabase } from './database.js';
import { sqliteFailure } from './sqlite-failure.js';

/** Held control events in the node's SQLite file, one row each while held. */
export class SqliteHeldControlEvents implements HeldControlEvents {
  readonly #database: SqliteDatabase;
  readonly #statements;

  constructor(options: { database: SqliteDatabase }) {
    this.#database = options.database;
    const db = options.database.connection;
    this.#statements = {
      insert: db.prepare(
        'INSERT OR REPLACE INTO held_control_events (node_id, event_id, received_at, data) VALUES (?, ?, ?, ?)',
      ),
      delete: db.prepare('DELETE FROM held_control_events WHERE node_id = ? AND event_id = ?'),
      list: db.prepare(
        'SELECT data FROM held_control_events WHERE node_id = ? ORDER BY received_at, event_id',
      ),
    };
  }

  async add(nodeId: string, held: HeldControlEvent): Promise<void> {
    this.#run('cannot store the held control event', () =>
      this.#database.write(() =>
        this.#statements.insert.run(
          nodeId,
          held.request.eventId,
          held.receivedAt,
          JSON.stringify(held),
        ),
      ),
    );
  }

  async remove(nodeId: string, eventId: string): Promise<void> {
    this.#run('cannot delete the held control event', () =>
      this.#database.write(() => this.#statements.delete.run(nodeId, eventId)),
    );
  }

  async list(nodeId: string): Promise<HeldControlEvent[]> {
    return this.#run('cannot read the held control events', () =>
      (this.#statements.list.all(nodeId) as { data: string }[]).map(
        (row) => JSON.parse(row.data) as HeldControlEvent,
      ),
    );
  }

  #run<T>(message: string, operation: () => T): T {
    try {
      return operation();
    } catch (error) {
      throw sqliteFailure(error, 'STORE_UNAVAILABLE', message);
    }
  }
}
