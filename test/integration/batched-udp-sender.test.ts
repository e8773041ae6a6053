import { createSocket, type Socket } from 'node:dgram';
import { afterEach, describe, expect, it } from 'vitest';
import { BatchedUdpSender, batchedSendSupported } from '../../bench/capacity/batched-udp-sender.js';
import { RtpPacer } from '../../src/sbc-sim/index.js';

/**
 * The capacity bench's generator sends RTP with sendmmsg(2) through koffi: what it queues must
 * arrive byte for byte, to the right ports, however many packets one pass holds.
 */
const sockets: Socket[] = [];

async function receiver(): Promise<{ port: number; received: Buffer[] }> {
  const socket = createSocket('udp4');
  sockets.push(socket);
  const received: Buffer[] = [];
  socket.on('message', (message) => received.push(message));
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  return { port: socket.address().port, received };
}

async function until(condition: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 5000;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

afterEach(() => {
  for (const socket of sockets.splice(0)) socket.close();
});

describe.skipIf(!batchedSendSupported())('BatchedUdpSender', () => {
  it('delivers every queued datagram to its port, byte for byte, past its first capacity', async () => {
    const targets = await Promise.all([receiver(), receiver(), receiver()]);
    const sender = new BatchedUdpSender('127.0.0.1', 4);
    try {
      const expected: Buffer[][] = targets.map(() => []);
      for (let i = 0; i < 30; i++) {
        const target = i % targets.length;
        const packet = Buffer.alloc(12 + (i % 7) * 20, i);
        expected[target]!.push(packet);
        sender.queue(packet, targets[target]!.port);
      }
      expect(sender.flush()).toBe(30);
      await until(() => targets.every((t, i) => t.received.length === expected[i]!.length), 'all');
      targets.forEach((t, i) => expect(t.received).toEqual(expected[i]));
      expect(sender.failed).toBe(0);
      // A flushed batch is gone: the next flush sends only what was queued since.
      sender.queue(Buffer.from('again'), targets[0]!.port);
      expect(sender.flush()).toBe(1);
      await until(() => targets[0]!.received.length === 11, 'the second batch');
      expect(targets[0]!.received.at(-1)!.toString()).toBe('again');
    } finally {
      sender.close();
    }
  });

  it("sends a pacer's packets once per pass, through the pacer's afterSends", async () => {
    const target = await receiver();
    const sender = new BatchedUdpSender('127.0.0.1');
    let passes = 0;
    const pacer = new RtpPacer({
      afterSends: () => {
        passes++;
        sender.flush();
      },
    });
    try {
      pacer.add({
        send: (packet) => sender.queue(packet, target.port),
        audio: new Uint8Array(160 * 5).fill(0x7f),
        loop: false,
      });
      await until(() => target.received.length === 5, 'five packets');
      const first = target.received[0]!.readUInt16BE(2);
      const steps = target.received.map((p) => (p.readUInt16BE(2) - first) & 0xffff);
      expect(steps).toEqual([0, 1, 2, 3, 4]);
      expect(passes).toBeGreaterThanOrEqual(5);
    } finally {
      pacer.stop();
      sender.close();
    }
  });
});
