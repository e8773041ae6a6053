import { describe, expect, it } from 'vitest';
import { buildRtpPacket, parseRtpPacket } from '../../src/adapters/rtp/rtp-packet.js';

function header(overrides: Partial<{ b0: number; b1: number }> = {}): number[] {
  return [
    overrides.b0 ?? 0x80,
    overrides.b1 ?? 0x00,
    0x12,
    0x34,
    0,
    0,
    0x01,
    0x00,
    0xde,
    0xad,
    0xbe,
    0xef,
  ];
}

describe('parseRtpPacket', () => {
  it('reads the fixed header fields', () => {
    const r = parseRtpPacket(Uint8Array.from([...header({ b1: 0x80 | 8 }), 1, 2, 3]));
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.packet).toMatchObject({
      marker: true,
      payloadType: 8,
      sequenceNumber: 0x1234,
      timestamp: 256,
      ssrc: 0xdeadbeef,
      csrcs: [],
      extension: null,
      payloadOffset: 12,
      payloadLength: 3,
    });
  });

  it('round-trips what buildRtpPacket writes', () => {
    const payload = Uint8Array.from({ length: 160 }, (_, i) => i);
    const buf = buildRtpPacket({
      payloadType: 0,
      sequenceNumber: 65535,
      timestamp: 0xfffffff0,
      ssrc: 7,
      payload,
    });
    const r = parseRtpPacket(buf);
    if (!r.ok) throw new Error(r.reason);
    expect(r.packet.sequenceNumber).toBe(65535);
    expect(r.packet.timestamp).toBe(0xfffffff0);
    expect(Buffer.from(buf.subarray(r.packet.payloadOffset)).equals(Buffer.from(payload))).toBe(
      true,
    );
  });

  it.each([
    ['empty', [], 'short'],
    ['11 bytes', header().slice(0, 11), 'short'],
    ['version 0', header({ b0: 0x00 }), 'bad-version'],
    ['version 1', header({ b0: 0x40 }), 'bad-version'],
    ['version 3', header({ b0: 0xc0 }), 'bad-version'],
    ['CSRC count beyond the end', header({ b0: 0x82 }).concat([0, 0, 0, 1]), 'bad-csrc-count'],
    ['extension header cut off', header({ b0: 0x90 }).concat([0xbe, 0xde]), 'bad-extension'],
    [
      'extension length beyond the end',
      header({ b0: 0x90 }).concat([0xbe, 0xde, 0, 2, 1, 2, 3, 4]),
      'bad-extension',
    ],
    ['padding count 0', header({ b0: 0xa0 }).concat([1, 2, 0]), 'bad-padding'],
    ['padding larger than payload', header({ b0: 0xa0 }).concat([1, 9]), 'bad-padding'],
  ])('refuses %s with a reason instead of throwing', (_name, bytes, reason) => {
    expect(parseRtpPacket(Uint8Array.from(bytes))).toEqual({ ok: false, reason });
  });

  it('skips the CSRC list', () => {
    const r = parseRtpPacket(
      Uint8Array.from([...header({ b0: 0x82 }), 0, 0, 0, 1, 0, 0, 0, 2, 0xaa]),
    );
    if (!r.ok) throw new Error(r.reason);
    expect(r.packet.csrcs).toEqual([1, 2]);
    expect(r.packet.payloadOffset).toBe(20);
    expect(r.packet.payloadLength).toBe(1);
  });

  it('skips a header extension and exposes it', () => {
    const r = parseRtpPacket(
      Uint8Array.from([...header({ b0: 0x90 }), 0xbe, 0xde, 0, 1, 9, 8, 7, 6, 0xaa, 0xbb]),
    );
    if (!r.ok) throw new Error(r.reason);
    expect(r.packet.extension?.profile).toBe(0xbede);
    expect([...(r.packet.extension?.data ?? [])]).toEqual([9, 8, 7, 6]);
    expect(r.packet.payloadOffset).toBe(20);
    expect(r.packet.payloadLength).toBe(2);
  });

  it('removes padding, with CSRC and extension together', () => {
    const bytes = [
      ...header({ b0: 0x80 | 0x20 | 0x10 | 1 }),
      0,
      0,
      0,
      5,
      0x10,
      0x00,
      0,
      0,
      0xaa,
      0xbb,
      0,
      0,
      3,
    ];
    const r = parseRtpPacket(Uint8Array.from(bytes));
    if (!r.ok) throw new Error(r.reason);
    expect(r.packet.csrcs).toEqual([5]);
    expect(r.packet.extension?.data.length).toBe(0);
    expect(r.packet.payloadOffset).toBe(20);
    expect(r.packet.payloadLength).toBe(2);
  });

  it('accepts a header-only packet with an empty payload', () => {
    const r = parseRtpPacket(Uint8Array.from(header()));
    expect(r.ok && r.packet.payloadLength).toBe(0);
  });
});
