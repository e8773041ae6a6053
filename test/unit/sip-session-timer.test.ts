import { describe, expect, it } from 'vitest';
import {
  expiryMs,
  readSessionTimer,
  refreshMs,
  sessionTimerHeaders,
} from '../../src/adapters/sip/session-timer.js';
import { sipRequest } from '../sipp/support/sip-requests.js';

const invite = (headers: { name: string; value: string }[]) =>
  sipRequest({
    method: 'INVITE',
    callId: 'c',
    cseq: 1,
    branch: 'z9hG4bK1',
    transport: 'udp',
    clientPort: 5070,
    headers,
  });

describe('RFC 4028 negotiation', () => {
  it('no Session-Expires: no timer (the OPTIONS probe watches the dialog)', () => {
    expect(readSessionTimer(invite([{ name: 'Supported', value: 'timer' }]), 90)).toEqual({
      kind: 'none',
    });
  });

  it('keeps the refresher the SRC names, and picks uac when it names none but supports timers', () => {
    const uas = readSessionTimer(
      invite([
        { name: 'Supported', value: 'timer' },
        { name: 'Session-Expires', value: '1800;refresher=uas' },
      ]),
      90,
    );
    expect(uas).toEqual({
      kind: 'timer',
      timer: { intervalS: 1800, refresher: 'uas', uacSupportsTimer: true },
    });
    const none = readSessionTimer(
      invite([
        { name: 'Supported', value: '100rel, timer' },
        { name: 'Session-Expires', value: '600' },
      ]),
      90,
    );
    expect(none).toMatchObject({ timer: { refresher: 'uac' } });
  });

  it('an SRC without timer support leaves callscribe as the refresher (RFC 4028 §9 table)', () => {
    expect(readSessionTimer(invite([{ name: 'Session-Expires', value: '600' }]), 90)).toMatchObject(
      { timer: { refresher: 'uas', uacSupportsTimer: false } },
    );
  });

  it('too small → 422 with the larger of our Min-SE and the request’s', () => {
    expect(readSessionTimer(invite([{ name: 'Session-Expires', value: '60' }]), 90)).toEqual({
      kind: 'too-small',
      minSeS: 90,
    });
    expect(
      readSessionTimer(
        invite([
          { name: 'Session-Expires', value: '60' },
          { name: 'Min-SE', value: '120' },
        ]),
        90,
      ),
    ).toEqual({ kind: 'too-small', minSeS: 120 });
  });

  it('malformed values are reported, not thrown', () => {
    for (const value of ['soon', '90;refresher=both', ''])
      expect(readSessionTimer(invite([{ name: 'Session-Expires', value }]), 90)).toEqual({
        kind: 'malformed',
      });
  });

  it('2xx headers, expiry before the interval ends, refresh at half', () => {
    const timer = { intervalS: 1800, refresher: 'uac' as const, uacSupportsTimer: true };
    expect(sessionTimerHeaders(timer)).toEqual([
      { name: 'Session-Expires', value: '1800;refresher=uac' },
      { name: 'Require', value: 'timer' },
    ]);
    expect(sessionTimerHeaders(null)).toEqual([]);
    expect(expiryMs(timer)).toBe(1_768_000);
    expect(expiryMs({ ...timer, intervalS: 90 })).toBe(60_000);
    expect(refreshMs(timer)).toBe(900_000);
  });
});
