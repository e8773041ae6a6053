import { execFileSync, spawn } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import koffi from 'koffi';
import { RTP_FIXED_HEADER_BYTES, buildRtpPacket } from '../../src/adapters/rtp/rtp-packet.js';
import type { TimedPacket } from './pcap.js';

/**
 * The codec tests' audio: the wideband sample call as the source, and RTP made from it by
 * encoders callscribe did not write (sox for G.711, ffmpeg for G.722 and Opus, bcg729's own
 * encoder for G.729). Everything returned is real RTP, ready for a receiver or a pcap.
 */
export const WIDEBAND_SAMPLE_DIR = new URL('../../samples/support-call-wideband/', import.meta.url)
  .pathname;

export type ClipCodec = 'PCMU' | 'PCMA' | 'G722' | 'G729' | 'opus' | 'opus-stereo';

export interface RtpClip {
  codec: ClipCodec;
  payloadType: number;
  /** RTP timestamp clock of the packets. */
  clockRateHz: number;
  /** Whole RTP datagrams, in sending order. */
  packets: Buffer[];
}

export interface SourceClip {
  /** The source at 16 kHz and at 8 kHz (ffmpeg's resampler), time-aligned. */
  pcm16k: Int16Array;
  pcm8k: Int16Array;
}

function run(command: string, args: string[], input?: Buffer): Buffer {
  return execFileSync(command, args, {
    input,
    maxBuffer: 64 * 1024 * 1024,
    stdio: ['pipe', 'pipe', 'pipe'],
  });
}

function asInt16(buf: Buffer): Int16Array {
  const copy = Buffer.from(buf);
  return new Int16Array(copy.buffer, copy.byteOffset, Math.floor(copy.length / 2));
}

function asBytes(pcm: Int16Array): Buffer {
  return Buffer.from(pcm.buffer, pcm.byteOffset, pcm.byteLength);
}

/** `seconds` of one channel of the wideband sample call from `fromS`. */
export function loadSource(
  channel: 'caller' | 'agent',
  fromS: number,
  seconds: number,
): SourceClip {
  const file = join(WIDEBAND_SAMPLE_DIR, `${channel}.flac`);
  const decode = (rateHz: number) =>
    asInt16(
      run('ffmpeg', [
        ...['-hide_banner', '-loglevel', 'error', '-i', file],
        ...['-ss', String(fromS), '-t', String(seconds)],
        ...['-f', 's16le', '-ac', '1', '-ar', String(rateHz), '-'],
      ]),
    );
  return { pcm16k: decode(16_000), pcm8k: decode(8000) };
}

/** G.711 by sox (the reference the G.711 decoder is bit-exact with), 20 ms packets. */
export function encodeG711(codec: 'PCMU' | 'PCMA', pcm8k: Int16Array): RtpClip {
  const coded = run(
    'sox',
    [
      ...['-t', 'raw', '-r', '8000', '-e', 'signed', '-b', '16', '-c', '1', '-'],
      ...['-t', codec === 'PCMU' ? 'ul' : 'al', '-'],
    ],
    asBytes(pcm8k),
  );
  const payloadType = codec === 'PCMU' ? 0 : 8;
  const packets: Buffer[] = [];
  for (let at = 0, n = 0; at < coded.length; at += 160, n++) {
    packets.push(
      buildRtpPacket({
        payloadType,
        sequenceNumber: 1000 + n,
        timestamp: 160 * n,
        ssrc: 0x0711,
        marker: n === 0,
        payload: coded.subarray(at, at + 160),
      }),
    );
  }
  return { codec, payloadType, clockRateHz: 8000, packets };
}

/**
 * ffmpeg's own RTP muxer output (`-f rtp rtp://…`), received on a loopback socket. ffmpeg reads
 * at 10× real time, fast for a test and slow enough for loopback; should a busy machine still
 * drop a datagram, the capture is taken again (up to three times) rather than used with a hole.
 */
async function ffmpegRtp(
  pcm16k: Int16Array,
  encoderArgs: string[],
  inputChannels = 1,
): Promise<Buffer[]> {
  let lastError: unknown;
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      return await captureFfmpegRtp(pcm16k, encoderArgs, inputChannels);
    } catch (error) {
      lastError = error;
    }
  }
  throw lastError;
}

async function captureFfmpegRtp(
  pcm16k: Int16Array,
  encoderArgs: string[],
  inputChannels: number,
): Promise<Buffer[]> {
  const dir = mkdtempSync(join(tmpdir(), 'callscribe-ffmpeg-'));
  const input = join(dir, 'source.raw');
  writeFileSync(input, asBytes(pcm16k));
  const socket = createSocket('udp4');
  const packets: Buffer[] = [];
  socket.on('message', (msg) => packets.push(msg));
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  socket.setRecvBufferSize(1 << 20);
  const port = socket.address().port;
  try {
    const channelArgs =
      inputChannels === 2 ? ['-af', 'pan=stereo|c0=c0|c1=0.5*c0', '-ac', '2'] : ['-ac', '1'];
    const child = spawn(
      'ffmpeg',
      [
        ...['-hide_banner', '-loglevel', 'error', '-readrate', '10'],
        ...['-f', 's16le', '-ar', '16000', '-ac', '1', '-i', input],
        ...channelArgs,
        ...encoderArgs,
        ...['-f', 'rtp', `rtp://127.0.0.1:${port}`],
      ],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    if (code !== 0) throw new Error(`ffmpeg failed (${code}): ${stderr}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  } finally {
    socket.close();
    rmSync(dir, { recursive: true, force: true });
  }
  const expected = Math.floor(pcm16k.length / 320);
  if (packets.length < expected)
    throw new Error(`ffmpeg RTP capture: ${packets.length} of ${expected} packets`);
  for (let i = 1; i < packets.length; i++) {
    const step = (packets[i]!.readUInt16BE(2) - packets[i - 1]!.readUInt16BE(2)) & 0xffff;
    if (step !== 1) throw new Error(`ffmpeg RTP capture lost or reordered packets at ${i}`);
  }
  return packets;
}

/** G.722 at 64 kbit/s by ffmpeg, 20 ms RTP packets of ffmpeg's muxer (PT 9, 8 kHz clock). */
export async function encodeG722(pcm16k: Int16Array): Promise<RtpClip> {
  const packets = await ffmpegRtp(pcm16k, ['-c:a', 'g722']);
  return { codec: 'G722', payloadType: 9, clockRateHz: 8000, packets };
}

/** Opus (libopus through ffmpeg), 20 ms frames, mono or a stereo encoding of the source. */
export async function encodeOpus(
  pcm16k: Int16Array,
  options: { stereo?: boolean; payloadType?: number } = {},
): Promise<RtpClip> {
  const packets = await ffmpegRtp(
    pcm16k,
    [
      '-c:a',
      'libopus',
      '-b:a',
      options.stereo ? '48k' : '24k',
      '-application',
      'voip',
      '-frame_duration',
      '20',
    ],
    options.stereo ? 2 : 1,
  );
  const payloadType = options.payloadType ?? 111;
  return {
    codec: options.stereo ? 'opus-stereo' : 'opus',
    payloadType,
    clockRateHz: 48_000,
    packets: packets.map((p) => withPayloadType(p, payloadType)),
  };
}

/** The same datagram with another payload type (the SDP's, not the muxer's default 97). */
export function withPayloadType(packet: Buffer, payloadType: number): Buffer {
  const out = Buffer.from(packet);
  out[1] = (out[1]! & 0x80) | (payloadType & 0x7f);
  return out;
}

interface Bcg729Encoder {
  init(enableVad: boolean): unknown;
  encode(state: unknown, frame: Int16Array, out: Uint8Array, length: Uint8Array): void;
  close(state: unknown): void;
}

let bcg729Encoder: Bcg729Encoder | undefined;

function loadBcg729Encoder(): Bcg729Encoder {
  if (bcg729Encoder) return bcg729Encoder;
  const lib = koffi.load('libbcg729.so.0');
  const init = lib.func('void *initBcg729EncoderChannel(uint8_t)');
  const encode = lib.func('void bcg729Encoder(void *, const int16_t *, uint8_t *, uint8_t *)');
  const close = lib.func('void closeBcg729EncoderChannel(void *)');
  bcg729Encoder = {
    init: (enableVad) => init(enableVad ? 1 : 0),
    encode: (state, frame, out, length) => encode(state, frame, out, length),
    close: (state) => close(state),
  };
  return bcg729Encoder;
}

/**
 * G.729 by bcg729's own encoder (through koffi), two 10 ms frames per 20 ms packet. With VAD
 * (Annex B) the encoder emits 2-octet SID frames, which end their packet (RFC 3551 §4.5.6), and
 * untransmitted frames, which leave a timestamp gap as a DTX sender does.
 */
export function encodeG729(
  pcm8k: Int16Array,
  options: { vad?: boolean } = {},
): RtpClip & {
  sidFrames: number;
  untransmittedFrames: number;
} {
  const lib = loadBcg729Encoder();
  const state = lib.init(options.vad === true);
  const packets: Buffer[] = [];
  let sidFrames = 0;
  let untransmittedFrames = 0;
  let seq = 2000;
  let pending: Buffer[] = [];
  let pendingTimestamp = 0;
  const flush = () => {
    if (pending.length === 0) return;
    packets.push(
      buildRtpPacket({
        payloadType: 18,
        sequenceNumber: seq++,
        timestamp: pendingTimestamp,
        ssrc: 0x0729,
        marker: packets.length === 0,
        payload: Buffer.concat(pending),
      }),
    );
    pending = [];
  };
  try {
    const frames = Math.floor(pcm8k.length / 80);
    const out = new Uint8Array(10);
    const length = new Uint8Array(1);
    for (let f = 0; f < frames; f++) {
      lib.encode(state, pcm8k.slice(f * 80, f * 80 + 80), out, length);
      const n = length[0]!;
      if (n === 0) {
        untransmittedFrames++;
        flush();
        continue;
      }
      if (pending.length === 0) pendingTimestamp = f * 80;
      pending.push(Buffer.from(out.subarray(0, n)));
      if (n === 2) {
        sidFrames++;
        flush();
      } else if (pending.length === 2) flush();
    }
    flush();
  } finally {
    lib.close(state);
  }
  return {
    codec: 'G729',
    payloadType: 18,
    clockRateHz: 8000,
    packets,
    sidFrames,
    untransmittedFrames,
  };
}

/** The RTP payload of a datagram (no CSRCs, extensions or padding in these clips). */
export function payloadOf(packet: Buffer): Buffer {
  return packet.subarray(RTP_FIXED_HEADER_BYTES);
}

/** An RFC 4733 telephone-event packet (digit `event`, end bit when `end`). */
export function telephoneEvent(fields: {
  payloadType: number;
  sequenceNumber: number;
  timestamp: number;
  ssrc: number;
  event: number;
  durationTicks: number;
  end: boolean;
}): Buffer {
  const payload = Buffer.alloc(4);
  payload[0] = fields.event;
  payload[1] = (fields.end ? 0x80 : 0) | 10;
  payload.writeUInt16BE(fields.durationTicks, 2);
  return buildRtpPacket({ ...fields, payload });
}

/** An RFC 3389 comfort-noise packet (static PT 13): noise level, no spectral detail. */
export function comfortNoise(fields: {
  sequenceNumber: number;
  timestamp: number;
  ssrc: number;
}): Buffer {
  return buildRtpPacket({ ...fields, payloadType: 13, payload: Buffer.from([60]) });
}

/** A clip's packets with their send times, from the RTP timestamps (DTX gaps included). */
export function timed(clip: RtpClip, offsetMs = 0): TimedPacket[] {
  const first = clip.packets[0]?.readUInt32BE(4) ?? 0;
  return clip.packets.map((data) => ({
    atMs: offsetMs + (((data.readUInt32BE(4) - first) >>> 0) * 1000) / clip.clockRateHz,
    data,
  }));
}

/**
 * Joins clips of different codecs into one stream, as an SBC switching codecs mid-call sends it:
 * one SSRC, continuous sequence numbers, timestamps continuing the elapsed time in each codec's
 * own clock.
 */
export function joinClips(clips: RtpClip[], ssrc = 0x5eed): TimedPacket[] {
  const out: TimedPacket[] = [];
  let seq = 3000;
  let elapsedS = 0;
  for (const clip of clips) {
    const first = clip.packets[0]?.readUInt32BE(4) ?? 0;
    const base = Math.round(elapsedS * clip.clockRateHz);
    let lastTicks = 0;
    for (const packet of clip.packets) {
      const copy = Buffer.from(packet);
      const ticks = (copy.readUInt32BE(4) - first) >>> 0;
      copy.writeUInt16BE(seq++ & 0xffff, 2);
      copy.writeUInt32BE((base + ticks) >>> 0, 4);
      copy.writeUInt32BE(ssrc, 8);
      copy[1] = (copy[1]! & 0x7f) | (out.length === 0 ? 0x80 : 0);
      out.push({ atMs: (elapsedS + ticks / clip.clockRateHz) * 1000, data: copy });
      lastTicks = ticks;
    }
    const packetTicks = clip.packets.length > 1 ? lastTicks / (clip.packets.length - 1) : 0;
    elapsedS += (lastTicks + packetTicks) / clip.clockRateHz;
  }
  return out;
}

/**
 * RFC 4733 events for one digit inserted into a stream at `atMs` (three packets sharing the
 * event's timestamp, the last with the end bit), sequence numbers renumbered after them.
 */
export function withDtmf(
  stream: readonly TimedPacket[],
  atMs: number,
  payloadType = 101,
): TimedPacket[] {
  const index = Math.max(
    1,
    stream.findIndex((p) => p.atMs >= atMs),
  );
  const anchor = stream[index]!.data;
  const events = [0, 1, 2].map((i) => ({
    atMs: stream[index]!.atMs + i * 0.5,
    data: telephoneEvent({
      payloadType,
      sequenceNumber: 0,
      timestamp: anchor.readUInt32BE(4),
      ssrc: anchor.readUInt32BE(8),
      event: 7,
      durationTicks: 400 * (i + 1),
      end: i === 2,
    }),
  }));
  const joined = [...stream.slice(0, index), ...events, ...stream.slice(index)];
  const firstSeq = joined[0]!.data.readUInt16BE(2);
  return joined.map((p, i) => {
    const data = Buffer.from(p.data);
    data.writeUInt16BE((firstSeq + i) & 0xffff, 2);
    return { atMs: p.atMs, data };
  });
}

export function readPcm16(file: string): Int16Array {
  return asInt16(readFileSync(file));
}
