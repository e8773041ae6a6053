import { createHash, timingSafeEqual } from 'node:crypto';
import type { Config } from '../../config/schema.js';

/** A key PutEvents accepts: long-term (`accessKeys`) or temporary with its token (`sessionKeys`). */
export interface PutEventsCredential {
  secretAccessKey: string;
  sessionToken?: string;
  expiresAtMs?: number;
}

export function putEventsCredentials(
  config: Pick<Config, 'accessKeys' | 'sessionKeys'>,
): Map<string, PutEventsCredential> {
  const credentials = new Map<string, PutEventsCredential>();
  for (const key of config.accessKeys) {
    credentials.set(key.accessKeyId, { secretAccessKey: key.secretAccessKey });
  }
  for (const key of config.sessionKeys) {
    credentials.set(key.accessKeyId, {
      secretAccessKey: key.secretAccessKey,
      sessionToken: key.sessionToken,
      ...(key.expiresAt === undefined ? {} : { expiresAtMs: Date.parse(key.expiresAt) }),
    });
  }
  return credentials;
}

export interface SessionTokenFailure {
  kind: 'invalid-token' | 'expired-token';
  /** For the log only; the client gets AWS's fixed message. */
  reason:
    'no-session-keys' | 'token-with-long-term-key' | 'missing-token' | 'wrong-token' | 'expired';
}

/**
 * X-Amz-Security-Token is never ignored: a temporary key needs its own token, and a token
 * anywhere else (a long-term key, or a server with no credentials at all) is refused, as AWS
 * refuses a token it did not issue.
 */
export function checkSessionToken(
  presented: string | undefined,
  credential: PutEventsCredential | undefined,
  nowMs: number,
): SessionTokenFailure | undefined {
  if (credential === undefined) {
    return presented === undefined
      ? undefined
      : { kind: 'invalid-token', reason: 'no-session-keys' };
  }
  if (credential.sessionToken === undefined) {
    return presented === undefined
      ? undefined
      : { kind: 'invalid-token', reason: 'token-with-long-term-key' };
  }
  if (presented === undefined) return { kind: 'invalid-token', reason: 'missing-token' };
  if (!timingSafeEqual(digest(presented), digest(credential.sessionToken))) {
    return { kind: 'invalid-token', reason: 'wrong-token' };
  }
  if (credential.expiresAtMs !== undefined && nowMs >= credential.expiresAtMs) {
    return { kind: 'expired-token', reason: 'expired' };
  }
  return undefined;
}

function digest(value: string): Buffer {
  return createHash('sha256').update(value, 'utf8').digest();
}
