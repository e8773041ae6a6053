import { createHash } from 'node:crypto';
import type { CallState } from '../../domain/call.js';
import { AppError } from '../../domain/errors.js';

const states: readonly CallState[] = ['PENDING', 'PROCESSING', 'PAUSED', 'ENDED'];

/**
 * The key layout, in one place, laid out for Redis Cluster (and equally valid on one Redis).
 * Every multi-key script touches keys of one hash slot only:
 * - one call's record and its event stream share the hash tag of its callId (`cd#{id}`,
 *   `ev#{id}`); the mapping `cm#{originalId}` and an outcome `ctl#{eventId}` have slots of
 *   their own;
 * - the shared listing indexes share the tag `{idx}`, and the all-calls stream with its id
 *   sequence the tag `{ev}`, so the two shared groups may sit on two different shards.
 */
export class RedisKeys {
  constructor(readonly prefix: string) {
    if (/[{}]/.test(prefix)) {
      throw new AppError('CONFIG_INVALID', 'the Redis key prefix must not contain { or }', {
        details: { prefix },
      });
    }
  }

  call(callId: string): string {
    return `${this.prefix}cd#${tagged(callId)}`;
  }

  mapping(originalCallId: string): string {
    return `${this.prefix}cm#${tagged(originalCallId)}`;
  }

  controlOutcome(eventId: string): string {
    return `${this.prefix}ctl#${tagged(eventId)}`;
  }

  /** One node's held control events: a hash of eventId → event. */
  heldControlEvents(nodeId: string): string {
    return `${this.prefix}held#${tagged(nodeId)}`;
  }

  /** The callId of a `cd#` key, or undefined for any other key. */
  callIdOfCallKey(key: string): string | undefined {
    const head = `${this.prefix}cd#{`;
    if (!key.startsWith(head)) return undefined;
    const rest = key.slice(head.length);
    const close = rest.indexOf('}');
    if (close === rest.length - 1) return rest.slice(0, -1);
    return rest.startsWith('h-') && rest[close + 1] === ':' ? rest.slice(close + 2) : undefined;
  }

  /** Calls by creation time (ms), all states. */
  get callIndex(): string {
    return `${this.prefix}{idx}:calls`;
  }

  callStateIndex(state: CallState): string {
    return `${this.prefix}{idx}:calls:${state}`;
  }

  get callStateIndexes(): string[] {
    return states.map((s) => this.callStateIndex(s));
  }

  /** Store keys by expiry (ms), for the sweeper. */
  get expiryIndex(): string {
    return `${this.prefix}{idx}:expiry`;
  }

  /**
   * callId → `createdMs:version:expiresAtMs` of the record the indexes reflect. Index updates
   * are a second step after the record's own write, so this is what makes them idempotent and
   * keeps a late, older update from undoing a newer one.
   */
  get indexedVersions(): string {
    return `${this.prefix}{idx}:versions`;
  }

  callEvents(callId: string): string {
    return `${this.prefix}ev#${tagged(callId)}`;
  }

  get allEvents(): string {
    return `${this.prefix}{ev}:all`;
  }

  get eventSequence(): string {
    return `${this.prefix}{ev}:seq`;
  }

  /** Calls with events, scored by the expiry (ms) of their events. */
  get eventExpiry(): string {
    return `${this.prefix}{ev}:expiry`;
  }

  node(nodeId: string): string {
    return `${this.prefix}node#${tagged(nodeId)}`;
  }

  controlChannel(nodeId: string): string {
    return `${this.prefix}ctl:${tagged(nodeId)}`;
  }

  /** Every node hears of every call's arrival here, to release control events it holds. */
  get callArrivalChannel(): string {
    return `${this.prefix}ctl-arrivals`;
  }

  controlReplyChannel(nodeId: string): string {
    return `${this.prefix}ctl-reply:${tagged(nodeId)}`;
  }
}

/**
 * `{id}`, so every key of one id hashes alike. SIP Call-IDs may contain braces (RFC 3261
 * `word`), which would end the tag early or leave it empty (an empty tag hashes the whole key,
 * splitting a call over slots); such ids get a tag from their hash and keep the id after it.
 */
function tagged(id: string): string {
  if (!/[{}]/.test(id)) return `{${id}}`;
  return `{h-${createHash('sha1').update(id).digest('hex').slice(0, 16)}}:${id}`;
}
