import { createSocket, type Socket } from 'node:dgram';
import { readFileSync } from 'node:fs';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { decodeG711 } from '../../src/media/g711.js';
import { buildRtpPacket } from '../../src/adapters/rtp/rtp-packet.js';
import { UdpMediaSessions } from '../../src/adapters/rtp/udp-media-sessions.js';
import type { Channel } from '../../src/domain/call.js';
import { isAppError } from '../../src/domain/errors.js';
import { createMetrics } from '../../src/observability/metrics.js';
import type { LiveCallHandle } from '../../src/ports/call-sessions.js';
import type { AudioFrame } from '../../src/media/audio-frame.js';
import { reserveRtpPortRange, type RtpPortRange } from '../support/rtp-port-range.js';
import { builtInCodecPolicy, concatPcm, pcmuStreams } from '../support/media.js';

const callerAudio = readFileSync(
  new URL('../../samples/support-call/caller.pcmu', import.meta.url),
);
const agentAudio = readFileSync(new URL('../../samples/support-call/agent.pcmu', import.meta.url));
const streams = pcmuStreams(['1', '2']);

/** Stands in for the core: records what the edge hands over. */
class FakeHandle implements LiveCallHandle {
  readonly callId = 'call-1';
  wanting = false;
  readonly audioByChannel: Record<Channel, Int16Array[]> = { CALLER: [], AGENT: [] };
  readonly preRollByChannel: Record<Channel, Int16Array[]> = { CALLER: [], AGENT: [] };
  constructor(readonly preRollMs = 0) {}
  wantsAudio(): boolean {
    return this.wanting;
  }
  channelForLabel(label: string): Channel | null {
    return label === '1' ? 'CALLER' : label === '2' ? 'AGENT' : null;
  }
  audio(channel: Channel, frame: AudioFrame): void {
    expect(frame.sampleRateHz).toBe(8000);
    this.audioByChannel[channel].push(frame.pcm.slice());
  }
  preRoll(channel: Channel, frame: AudioFrame): void {
    this.preRollByChannel[channel].push(frame.pcm.slice());
  }
  answered(): Promise<void> {
    return Promise.resolve();
  }
  metadataUpdated(): void {}
  holdChanged(): void {}
  async end(): Promise<void> {}
  samples(channel: Channel): Int16Array {
    return concatPcm(this.audioByChannel[channel]);
  }
}

/** An SBC-side sender for one stream, with its own fixed source port. */
class Sender {
  seq = 1000;
  constructor(
    readonly socket: Socket,
    readonly port: number,
    readonly audio: Buffer,
    readonly ssrc: number,
  ) {}
  send(packetIndex: number): void {
    const payload = this.audio.subarray(packetIndex * 160, packetIndex * 160 + 160);
    this.socket.send(
      buildRtpPacket({
        payloadType: 0,
        sequenceNumber: this.seq + packetIndex,
        timestamp: packetIndex * 160,
        ssrc: this.ssrc,
        payload,
      }),
      this.port,
      '127.0.0.1',
    );
  }
}

async function udpSocket(): Promise<Socket> {
  const socket = createSocket('udp4');
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', () => resolve()));
  return socket;
}

async function until(check: () => boolean, what: string, timeoutMs = 3000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('UdpMediaSessions on 127.0.0.1', () => {
  let sessions: UdpMediaSessions;
  let range: RtpPortRange;
  const sockets: Socket[] = [];
  const metrics = createMetrics();

  beforeEach(() => {
    range = reserveRtpPortRange(20);
    sessions = new UdpMediaSessions({
      config: {
        rtpHost: '127.0.0.1',
        rtpPorts: { min: range.min, max: range.max },
        mediaTimeoutMs: 400,
        preRollMs: 0,
      },
      log: pino({ level: 'silent' }),
      metrics,
      codecs: builtInCodecPolicy,
    });
  });

  afterEach(async () => {
    await sessions.close();
    for (const s of sockets.splice(0)) s.close();
    range.release();
  });

  async function senders(ports: readonly number[]): Promise<[Sender, Sender]> {
    const a = await udpSocket();
    const b = await udpSocket();
    sockets.push(a, b);
    return [
      new Sender(a, ports[0]!, callerAudio, 0x1111),
      new Sender(b, ports[1]!, agentAudio, 0x2222),
    ];
  }

  it('allocates even ports with RTCP reserved, and delivers both streams as the decoded source', async () => {
    const session = await sessions.allocate(2);
    expect(session.ports.every((p) => p % 2 === 0 && p >= range.min && p <= range.max)).toBe(true);
    const probe = createSocket('udp4');
    const rtcpBusy = await new Promise<boolean>((resolve) => {
      probe.once('error', () => resolve(true));
      probe.bind(session.ports[0]! + 1, '127.0.0.1', () => resolve(false));
    });
    probe.close();
    expect(rtcpBusy).toBe(true);

    const handle = new FakeHandle();
    handle.wanting = true;
    session.attach(streams, handle);
    const [caller, agent] = await senders(session.ports);
    const packets = 50;
    for (let i = 0; i < packets; i++) {
      caller.send(i);
      agent.send(i);
      if (i % 10 === 9) await pause(5);
    }
    await until(() => session.stats().packetsDecoded === 2 * packets, 'all packets decoded');
    expect([...handle.samples('CALLER')]).toEqual([
      ...decodeG711('PCMU', callerAudio.subarray(0, packets * 160)),
    ]);
    expect([...handle.samples('AGENT')]).toEqual([
      ...decodeG711('PCMU', agentAudio.subarray(0, packets * 160)),
    ]);

    const intruder = await udpSocket();
    sockets.push(intruder);
    new Sender(intruder, session.ports[0]!, callerAudio, 0x1111).send(packets);
    await until(
      () => session.stats().packetsReceived === 2 * packets + 1,
      'intruder packet received',
    );
    expect(session.stats().dropped['wrong-source']).toBe(1);
    expect(session.stats().packetsDecoded).toBe(2 * packets);
    await session.close();
  });

  it('drops parked packets without decoding, then delivers once processing starts', async () => {
    const session = await sessions.allocate(2);
    const handle = new FakeHandle();
    session.attach(streams, handle);
    const [caller, agent] = await senders(session.ports);
    for (let i = 0; i < 20; i++) {
      caller.send(i);
      agent.send(i);
    }
    await until(() => session.stats().packetsReceived === 40, 'parked packets received');
    expect(session.stats()).toMatchObject({ packetsDecoded: 0, packetsDroppedWhileParked: 40 });
    expect(handle.samples('CALLER').length + handle.samples('AGENT').length).toBe(0);

    handle.wanting = true;
    for (let i = 20; i < 30; i++) caller.send(i);
    await until(() => session.stats().packetsDecoded === 10, 'processing packets decoded');
    expect([...handle.samples('CALLER')]).toEqual([
      ...decodeG711('PCMU', callerAudio.subarray(20 * 160, 30 * 160)),
    ]);
    expect(handle.preRollByChannel.CALLER).toEqual([]);
  });

  it('keeps a bounded pre-roll while parked and replays it once, on the first start only', async () => {
    const session = await sessions.allocate(2);
    const handle = new FakeHandle(100);
    session.attach(streams, handle);
    const [caller] = await senders(session.ports);
    for (let i = 0; i < 12; i++) caller.send(i);
    await until(() => session.stats().packetsReceived === 12, 'parked packets received');
    expect(handle.audioByChannel.CALLER).toEqual([]);

    handle.wanting = true;
    for (let i = 12; i < 15; i++) caller.send(i);
    await until(
      () => session.stats().packetsReceived === 15 && handle.samples('CALLER').length === 480,
      'live audio',
    );
    // 100 ms = 800 samples: the newest 5 packets before the start, oldest first.
    expect([...concatPcm(handle.preRollByChannel.CALLER)]).toEqual([
      ...decodeG711('PCMU', callerAudio.subarray(7 * 160, 12 * 160)),
    ]);
    expect(handle.preRollByChannel.AGENT).toEqual([]);

    handle.wanting = false;
    for (let i = 15; i < 20; i++) caller.send(i);
    await until(() => session.stats().packetsReceived === 20, 'paused packets received');
    handle.wanting = true;
    caller.send(20);
    await until(() => handle.samples('CALLER').length === 640, 'resumed audio');
    expect(concatPcm(handle.preRollByChannel.CALLER)).toHaveLength(800);
    expect([...handle.samples('CALLER').subarray(480)]).toEqual([
      ...decodeG711('PCMU', callerAudio.subarray(20 * 160, 21 * 160)),
    ]);
  });

  it('lets a new sender take a stream over after a re-INVITE, or after the old one went quiet', async () => {
    const session = await sessions.allocate(2);
    const handle = new FakeHandle();
    handle.wanting = true;
    session.attach(streams, handle);
    const [caller] = await senders(session.ports);
    for (let i = 0; i < 5; i++) caller.send(i);
    await until(() => session.stats().packetsDecoded === 5, 'first sender decoded');

    // A transfer moved the SBC's media to another port: the re-INVITE's answer lets it in.
    const moved = await udpSocket();
    sockets.push(moved);
    const second = new Sender(moved, session.ports[0]!, callerAudio, 0x1111);
    second.send(5);
    await until(
      () => session.stats().dropped['wrong-source'] === 1,
      'refused before the re-INVITE',
    );
    session.update(streams);
    // The old sender's last packets after the answer do not keep the new one out.
    caller.send(5);
    await until(() => session.stats().packetsDecoded === 6, 'old sender still heard');
    for (let i = 6; i < 10; i++) second.send(i);
    await until(() => session.stats().packetsDecoded === 10, 'second sender decoded');
    // The first sender is now the stranger.
    caller.send(10);
    await until(() => session.stats().dropped['wrong-source'] === 2, 'old sender refused');

    // Without signalling, only after the current sender stayed quiet for a sweep (100 ms here).
    await pause(400);
    for (let i = 11; i < 16; i++) caller.send(i);
    await until(() => session.stats().packetsDecoded === 15, 'quiet stream taken over');
    expect([...handle.samples('CALLER').subarray(-160)]).toEqual([
      ...decodeG711('PCMU', callerAudio.subarray(15 * 160, 16 * 160)),
    ]);
    expect(session.stats().dropped['wrong-source']).toBe(2);
  });

  it('fires the media timeout once when RTP stops, not while a stream is on hold', async () => {
    const held = await sessions.allocate(2);
    held.setInactive(0, true);
    held.setInactive(1, true);
    let heldFired = 0;
    held.onMediaTimeout(() => heldFired++);

    const session = await sessions.allocate(2);
    const handle = new FakeHandle();
    session.attach(streams, handle);
    let fired = 0;
    session.onMediaTimeout(() => fired++);
    const [caller] = await senders(session.ports);
    let lastSendMs = 0;
    for (let i = 0; i < 15; i++) {
      caller.send(i);
      lastSendMs = Date.now();
      await pause(40);
    }
    expect(fired).toBe(0);
    await until(() => fired > 0, 'media timeout', 3000);
    expect(Date.now() - lastSendMs).toBeGreaterThanOrEqual(400);
    await pause(600);
    expect(fired).toBe(1);
    expect(heldFired).toBe(0);
  });

  it('skips ports in use and reports RTP_PORTS_EXHAUSTED when the range is full', async () => {
    const squatter = createSocket('udp4');
    await new Promise<void>((resolve) => squatter.bind(range.min, '127.0.0.1', () => resolve()));
    sockets.push(squatter);
    const all = [];
    for (let i = 0; i < 9; i++) all.push(await sessions.allocate(1));
    expect(all.map((s) => s.ports[0])).not.toContain(range.min);
    const error = await sessions.allocate(1).catch((e: unknown) => e);
    expect(isAppError(error) && error.code).toBe('RTP_PORTS_EXHAUSTED');
    await all[0]!.close();
    const again = await sessions.allocate(1);
    expect(again.ports[0]).toBe(all[0]!.ports[0]);
  });
});
