import { appendFileSync } from 'node:fs';
import { pino } from 'pino';
import { openRedis } from '../../src/adapters/redis/redis-connection.js';
import { RedisCallEventStream } from '../../src/adapters/redis/redis-call-event-stream.js';
import { RedisKeys } from '../../src/adapters/redis/redis-keys.js';
import { SqliteDatabase } from '../../src/adapters/sqlite/database.js';
import { SqliteCallEventStream } from '../../src/adapters/sqlite/sqlite-call-event-stream.js';
import { CallEventPublisher } from '../../src/app/call-event-publisher.js';
import type { CallEventStream } from '../../src/ports/call-event-stream.js';

/**
 * Calls publishing transcript segments into a grouped event stream until the parent SIGKILLs
 * the process. Segment n of call c is `seg-<n>`; once the publisher says it is stored, the child
 * notes `<c> <n>` in `acked` (a plain write to the page cache, which survives the kill), so the
 * parent can check that everything acknowledged was stored, without gaps or duplicates.
 *
 *   event-group-crash-child.ts <sqlite DATA_DIR | redis URL PREFIX> <ackedFile> <commitIntervalMs>
 */
const [kind = 'sqlite', where = '.', prefix = '', ackedFile = 'acked', intervalArg = '20'] =
  process.argv.slice(2);
const log = pino({ level: 'silent' });
const commit = { commitIntervalMs: Number(intervalArg), commitMaxEvents: 500 };
let stream: CallEventStream;
if (kind === 'sqlite') {
  const database = SqliteDatabase.open({ dataDir: where });
  stream = new SqliteCallEventStream({ database, ttlMs: 3_600_000, log, ...commit });
} else {
  const redis = openRedis({ url: where, log, name: 'callscribe:crash-child' });
  stream = new RedisCallEventStream({
    redis,
    blockingRedis: redis.duplicate(),
    keys: new RedisKeys(prefix),
    ttlMs: 3_600_000,
    log,
    ...commit,
  });
}

const calls = Array.from({ length: 8 }, (_, c) => ({
  publisher: new CallEventPublisher({ stream, log, now: Date.now }, `crash-call-${c}`),
  next: 0,
}));
// About 800 events/s in all, spread over the calls; each call's publisher keeps them in order.
setInterval(() => {
  for (const [c, call] of calls.entries()) {
    const n = call.next++;
    void call.publisher
      .publish({
        EventType: 'ADD_TRANSCRIPT_SEGMENT',
        Channel: 'CALLER',
        SegmentId: `seg-${n}`,
        StartTime: n,
        EndTime: n + 0.5,
        Transcript: `utterance ${n}`,
        IsPartial: false,
      })
      .then(() => appendFileSync(ackedFile, `${c} ${n}\n`));
  }
}, 10);
process.send?.('started');
