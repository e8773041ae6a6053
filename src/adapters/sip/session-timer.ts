import { parseParams } from './sip-header-values.js';
import { headerList, headerValue, type SipHeader, type SipRequest } from './sip-message.js';

/** RFC 4028 §4: the absolute floor of a session interval. */
export const RFC_4028_MIN_SE_S = 90;

/** A session timer in force in a dialog (RFC 4028). */
export interface SessionTimer {
  intervalS: number;
  /** Who sends the refreshes: the SRC (`uac`) or callscribe (`uas`). */
  refresher: 'uac' | 'uas';
  /** The SRC said `Supported: timer`; the 2xx then carries `Require: timer`. */
  uacSupportsTimer: boolean;
}

export type SessionTimerOffer =
  | { kind: 'none' }
  | { kind: 'malformed' }
  /** 422 Session Interval Too Small, with this Min-SE. */
  | { kind: 'too-small'; minSeS: number }
  | { kind: 'timer'; timer: SessionTimer };

const DELTA = /^\d{1,10}$/;

/**
 * Reads Session-Expires / Min-SE / Supported of an INVITE, re-INVITE or UPDATE (RFC 4028 §9)
 * against the recorder's own minimum. The refresher is the one the request names; when it names
 * none, the SRC refreshes if it supports timers, else callscribe must (RFC 4028 §9 table).
 */
export function readSessionTimer(request: SipRequest, minSeS: number): SessionTimerOffer {
  const value = headerValue(request, 'session-expires');
  if (value === undefined) return { kind: 'none' };
  const semi = value.indexOf(';');
  const delta = (semi < 0 ? value : value.slice(0, semi)).trim();
  if (!DELTA.test(delta)) return { kind: 'malformed' };
  const intervalS = Number(delta);
  const params = parseParams(semi < 0 ? '' : value.slice(semi));
  const asked = params.get('refresher')?.toLowerCase();
  if (asked !== undefined && asked !== 'uac' && asked !== 'uas') return { kind: 'malformed' };
  const requestMinSe = Number(
    /^\s*(\d{1,10})/.exec(headerValue(request, 'min-se') ?? '')?.[1] ?? 0,
  );
  if (intervalS < minSeS) return { kind: 'too-small', minSeS: Math.max(minSeS, requestMinSe) };
  const uacSupportsTimer =
    headerList(request, 'supported').some((tag) => tag.toLowerCase() === 'timer') ||
    headerList(request, 'require').some((tag) => tag.toLowerCase() === 'timer');
  return {
    kind: 'timer',
    timer: {
      intervalS,
      refresher: asked ?? (uacSupportsTimer ? 'uac' : 'uas'),
      uacSupportsTimer,
    },
  };
}

/** The headers of a 2xx that accepts the timer. */
export function sessionTimerHeaders(timer: SessionTimer | null): SipHeader[] {
  if (timer === null) return [];
  return [
    { name: 'Session-Expires', value: `${timer.intervalS};refresher=${timer.refresher}` },
    ...(timer.uacSupportsTimer ? [{ name: 'Require', value: 'timer' }] : []),
  ];
}

/**
 * RFC 4028 §10: the side that does not refresh ends the session a little before it expires,
 * by the smaller of 32 s and a third of the interval.
 */
export function expiryMs(timer: SessionTimer): number {
  const intervalMs = timer.intervalS * 1000;
  return intervalMs - Math.min(32_000, intervalMs / 3);
}

/** RFC 4028 §10: the refresher refreshes at half the interval. */
export function refreshMs(timer: SessionTimer): number {
  return (timer.intervalS * 1000) / 2;
}
