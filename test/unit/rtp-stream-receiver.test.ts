import { describe, expect, it } from 'vitest';
import { DropCounter } from '../../src/adapters/rtp/drop-counter.js';
import { ULAW_TO_PCM16 } from '../../src/media/g711.js';
import { buildRtpPacket } from '../../src/adapters/rtp/rtp-packet.js';
import { RtpStreamReceiver } from '../../src/adapters/rtp/rtp-stream-receiver.js';
import { pcmuStreams } from '../support/media.js';

const SAMPLES = 160;

/** Packet n carries 160 copies of µ-law code (n mod 100) + 1, so its audio identifies it. */
function packet(
  n: number,
  options: { ssrc?: number; payloadType?: number; seqBase?: number } = {},
): Buffer {
  return buildRtpPacket({
    payloadType: options.payloadType ?? 0,
    sequenceNumber: ((options.seqBase ?? 65530) + n) & 0xffff,
    timestamp: (0xffffff00 + n * SAMPLES) >>> 0,
    ssrc: options.ssrc ?? 0x1111,
    payload: new Uint8Array(SAMPLES).fill((n % 100) + 1),
  });
}

function setup(window = 4) {
  const drops = new DropCounter();
  const receiver = new RtpStreamReceiver({ drops, reorderWindowPackets: window });
  const frames: Int16Array[] = [];
  const [stream] = pcmuStreams(['1']);
  receiver.configure(
    { payloads: new Map(stream!.payloads.map((p) => [p.payloadType, p])), outputRateHz: 8000 },
    (frame) => frames.push(frame.pcm.slice()),
  );
  /** Each frame as the packet number it came from, or `s<samples>` for silence. */
  const labels = () =>
    frames.map((f) =>
      f.every((v) => v === 0) ? `s${f.length}` : ULAW_TO_PCM16.indexOf(f[0]!) - 1,
    );
  return { drops, receiver, frames, labels };
}

describe('RtpStreamReceiver', () => {
  it('delivers in-order packets at once, across sequence and timestamp wrap', () => {
    const { receiver, labels, frames } = setup();
    for (let n = 0; n < 10; n++) receiver.push(packet(n));
    expect(labels()).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(frames.every((f) => f.length === SAMPLES)).toBe(true);
    expect(receiver.packetsDecoded).toBe(10);
  });

  it('reorders within the window', () => {
    const { receiver, labels, drops } = setup();
    for (const n of [0, 2, 1, 3, 5, 4, 6]) receiver.push(packet(n));
    expect(labels()).toEqual([0, 1, 2, 3, 4, 5, 6]);
    expect(receiver.packetsLost).toBe(0);
    expect(drops.get('late')).toBe(0);
  });

  it('fills a loss with silence of the missing length once the window is full', () => {
    const { receiver, labels } = setup(3);
    for (const n of [0, 1, 4, 5]) receiver.push(packet(n));
    expect(labels()).toEqual([0, 1]);
    receiver.push(packet(6));
    expect(labels()).toEqual([0, 1, `s${2 * SAMPLES}`, 4, 5, 6]);
    expect(receiver.packetsLost).toBe(2);
  });

  it('drops duplicates and packets that arrive after their slot was given up', () => {
    const { receiver, labels, drops } = setup(2);
    for (const n of [0, 1, 1, 3, 4, 2, 4, 5]) receiver.push(packet(n));
    expect(labels()).toEqual([0, 1, `s${SAMPLES}`, 3, 4, 5]);
    expect(drops.get('duplicate')).toBe(2);
    expect(drops.get('late')).toBe(1);
  });

  it('resyncs on an SSRC change without filling across it', () => {
    const { receiver, labels, receiver: r } = setup();
    for (const n of [0, 1, 2]) receiver.push(packet(n));
    for (const n of [50, 51]) receiver.push(packet(n, { ssrc: 0x2222, seqBase: 100 }));
    expect(labels()).toEqual([0, 1, 2, 50, 51]);
    expect(r.ssrcChanges).toBe(1);
  });

  it('treats comfort noise and telephone-event as sequence holders, not loss', () => {
    const { receiver, labels, drops } = setup();
    receiver.push(packet(0));
    receiver.push(packet(1, { payloadType: 101 }));
    receiver.push(packet(2, { payloadType: 13 }));
    receiver.push(packet(3));
    expect(receiver.packetsLost).toBe(0);
    // Their timestamps still advanced, so the skipped 40 ms come back as silence.
    expect(labels()).toEqual([0, `s${2 * SAMPLES}`, 3]);
    expect(drops.get('unknown-payload-type')).toBe(0);
  });

  it('drops and counts unknown payload types and garbage', () => {
    const { receiver, labels, drops } = setup();
    receiver.push(packet(0, { payloadType: 8 }));
    receiver.push(Buffer.from([0x80, 0]));
    receiver.push(Buffer.from([0x40, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]));
    expect(labels()).toEqual([]);
    expect(drops.get('unknown-payload-type')).toBe(1);
    expect(drops.get('short')).toBe(1);
    expect(drops.get('bad-version')).toBe(1);
  });

  it('latches to the first source and counts the rest as wrong-source', () => {
    const { receiver, drops } = setup();
    expect(receiver.acceptSource('10.0.0.1', 4000)).toBe(true);
    expect(receiver.acceptSource('10.0.0.1', 4000)).toBe(true);
    expect(receiver.acceptSource('10.0.0.1', 4002)).toBe(false);
    expect(receiver.acceptSource('10.0.0.9', 4000)).toBe(false);
    expect(drops.get('wrong-source')).toBe(2);
  });

  it('restarts on a sequence jump beyond the dropout limit', () => {
    const { receiver, labels } = setup();
    receiver.push(packet(0));
    receiver.push(packet(1, { seqBase: 20_000 }));
    expect(labels()).toEqual([0, 1]);
    expect(receiver.packetsLost).toBe(0);
  });

  it('flush releases held packets in order', () => {
    const { receiver, labels } = setup(8);
    for (const n of [0, 2, 3]) receiver.push(packet(n));
    expect(labels()).toEqual([0]);
    receiver.flush();
    expect(labels()).toEqual([0, `s${SAMPLES}`, 2, 3]);
  });
});
