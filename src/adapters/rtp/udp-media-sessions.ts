import type { RemoteInfo } from 'node:dgram';
import type { Logger } from 'pino';
import type { Config } from '../../config/schema.js';
import type { Channel } from '../../domain/call.js';
import type { AudioFrame } from '../../media/audio-frame.js';
import { AudioMixer, type MixerInput } from '../../media/audio-mixer.js';
import type { CodecPolicy } from '../../media/codec-policy.js';
import { threadDecodeScratch, type PcmSlab } from '../../media/pcm-slab.js';
import type { CounterSink } from '../../observability/metric-sinks.js';
import { AppError } from '../../domain/errors.js';
import { DropCounter } from './drop-counter.js';
import type {
  AcceptedStream,
  CallMediaSink,
  MediaLossReason,
  MediaSession,
  MediaSessions,
  MediaSessionStats,
  StreamPayload,
} from './media-sessions.js';
import { PreRollPackets } from './pre-roll-packets.js';
import { RTP_FIXED_HEADER_BYTES } from './rtp-packet.js';
import { RtpPortPool, type RtpPortPair } from './rtp-port-pool.js';
import { RtpStreamReceiver } from './rtp-stream-receiver.js';
import type { SrtpLibrary } from '../srtp/srtp-library.js';
import { sameKeying, type SrtpKeying } from '../srtp/srtp-suites.js';
import { NO_SRTP, type SrtpSupport } from '../srtp/srtp-support.js';
import { SrtpUnprotector } from '../srtp/srtp-unprotector.js';

const MAX_SWEEP_INTERVAL_MS = 1000;
const RELATCH_GRACE_PACKETS = 50;
/**
 * How long a channel's mix waits for one of its streams before going on without it (see
 * AudioMixer): streams of one SRC differ by jitter, far below this; a held or stopped stream
 * delays the others by at most this much.
 */
const MIX_MAX_WAIT_MS = 100;

export interface UdpMediaSessionsDeps {
  config: Pick<Config, 'rtpHost' | 'rtpPorts' | 'mediaTimeoutMs' | 'preRollMs'>;
  log: Logger;
  metrics: { rtpDropped: CounterSink<'reason'>; rtpPackets?: CounterSink<never> };
  /** Decodable codecs and their preference (`sipCodecs`). */
  codecs: CodecPolicy;
  /** `srtpPolicy` and the SRTP library (null when it did not load: SRTP offers are then refused). */
  srtp?: { support: SrtpSupport; library: SrtpLibrary | null };
}

interface StreamSlot {
  readonly index: number;
  readonly pair: RtpPortPair;
  readonly receiver: RtpStreamReceiver;
  stream: AcceptedStream | null;
  /** SRTP streams: verifies and decrypts before anything else reads the packet. */
  srtp: SrtpUnprotector | null;
  srtpKeying: SrtpKeying | undefined;
  /** Every payload type answered on this stream so far, the latest answer winning a number. */
  payloads: ReadonlyMap<number, StreamPayload>;
  /** Payload type → RTP clock of the stream's audio codecs, for the pre-roll's time span. */
  audioClocksHz: Map<number, number>;
  channel: Channel | null;
  preRoll: PreRollPackets | null;
  /** True while pre-roll packets replay: their frames go to `handle.preRoll`. */
  replaying: boolean;
  /** Whether the last packet went to the engine; a change of mind resets the receiver. */
  delivering: boolean;
  inactive: boolean;
  /** Set when the channel carries more than one stream (a conference): frames go to the mix. */
  mixerInput: MixerInput | null;
  /** Set per packet, cleared by the sweep: cheaper than reading the clock per packet. */
  sawPacket: boolean;
  packetsReceived: number;
}

/**
 * RTP over plain UDP sockets, one even/odd pair per m-line. Parked calls (the handle does not
 * want audio) are the common case in a contact center, so their packets are only counted:
 * no parsing, no decoding, no allocation beyond the datagram Node already made.
 */
export class UdpMediaSessions implements MediaSessions {
  readonly codecs: CodecPolicy;
  readonly srtp: SrtpSupport;
  readonly #deps: UdpMediaSessionsDeps;
  readonly #pool: RtpPortPool;
  readonly #sessions = new Set<UdpMediaSession>();
  readonly #sweepIntervalMs: number;
  /** One per instance, and an instance serves one thread (the main thread or a media worker). */
  readonly #decodeScratch = threadDecodeScratch();
  #sweepTimer: NodeJS.Timeout | null = null;

  constructor(deps: UdpMediaSessionsDeps) {
    this.#deps = deps;
    this.codecs = deps.codecs;
    this.srtp = deps.srtp?.support ?? NO_SRTP;
    this.#pool = new RtpPortPool({ host: deps.config.rtpHost, range: deps.config.rtpPorts });
    this.#sweepIntervalMs = Math.max(
      10,
      Math.min(MAX_SWEEP_INTERVAL_MS, Math.floor(deps.config.mediaTimeoutMs / 4)),
    );
  }

  get openSessions(): number {
    return this.#sessions.size;
  }

  async allocate(streamCount: number): Promise<MediaSession> {
    const pairs: RtpPortPair[] = [];
    try {
      for (let i = 0; i < streamCount; i++) pairs.push(await this.#pool.acquire());
    } catch (error) {
      await Promise.all(pairs.map((p) => this.#pool.release(p)));
      throw error;
    }
    const session = new UdpMediaSession(pairs, {
      codecs: this.codecs,
      srtp: this.srtp,
      srtpLibrary: this.#deps.srtp?.library ?? null,
      log: this.#deps.log,
      metrics: this.#deps.metrics,
      mediaTimeoutMs: this.#deps.config.mediaTimeoutMs,
      decodeScratch: this.#decodeScratch,
      acquire: () => this.#pool.acquire(),
      release: async (s, held) => {
        this.#sessions.delete(s);
        if (this.#sessions.size === 0) this.#stopSweep();
        await Promise.all(held.map((p) => this.#pool.release(p)));
      },
      releasePairs: async (held) => {
        await Promise.all(held.map((p) => this.#pool.release(p)));
      },
    });
    this.#sessions.add(session);
    this.#startSweep();
    return session;
  }

  async close(): Promise<void> {
    await Promise.all([...this.#sessions].map((s) => s.close()));
    this.#stopSweep();
  }

  #startSweep(): void {
    if (this.#sweepTimer !== null) return;
    this.#sweepTimer = setInterval(() => {
      const now = Date.now();
      for (const session of this.#sessions) session.sweep(now);
    }, this.#sweepIntervalMs);
    this.#sweepTimer.unref();
  }

  #stopSweep(): void {
    if (this.#sweepTimer === null) return;
    clearInterval(this.#sweepTimer);
    this.#sweepTimer = null;
  }
}

interface SessionDeps {
  codecs: CodecPolicy;
  srtp: SrtpSupport;
  srtpLibrary: SrtpLibrary | null;
  log: Logger;
  metrics: UdpMediaSessionsDeps['metrics'];
  mediaTimeoutMs: number;
  /** Shared by every stream of this thread (see `DecoderOptions.scratch`). */
  decodeScratch: PcmSlab;
  acquire(): Promise<RtpPortPair>;
  /** The session closed: gives back every pair it held. */
  release(session: UdpMediaSession, pairs: RtpPortPair[]): Promise<void>;
  /** Pairs bound for a session that closed meanwhile. */
  releasePairs(pairs: RtpPortPair[]): Promise<void>;
}

class UdpMediaSession implements MediaSession {
  readonly ports: number[];
  readonly codecs: CodecPolicy;
  readonly srtp: SrtpSupport;
  readonly #deps: SessionDeps;
  readonly #slots: StreamSlot[];
  /** Per channel that carries more than one stream. */
  readonly #mixers = new Map<Channel, AudioMixer>();
  readonly #drops = new DropCounter();
  readonly #timeoutListeners: ((reason: MediaLossReason) => void)[] = [];
  #log: Logger;
  #handle: CallMediaSink | null = null;
  #parkedDrops = 0;
  #parkedDropsReported = 0;
  #packetsReported = 0;
  #lastActivityMs = Date.now();
  #timedOut = false;
  #closing: Promise<void> | null = null;

  constructor(pairs: RtpPortPair[], deps: SessionDeps) {
    this.#deps = deps;
    this.#log = deps.log;
    this.codecs = deps.codecs;
    this.srtp = deps.srtp;
    this.ports = pairs.map((p) => p.port);
    this.#slots = pairs.map((pair, index) => this.#newSlot(pair, index));
  }

  #newSlot(pair: RtpPortPair, index: number): StreamSlot {
    const slot: StreamSlot = {
      index,
      pair,
      receiver: new RtpStreamReceiver({
        drops: this.#drops,
        decodeScratch: this.#deps.decodeScratch,
      }),
      stream: null,
      srtp: null,
      srtpKeying: undefined,
      payloads: new Map(),
      audioClocksHz: new Map(),
      channel: null,
      preRoll: null,
      replaying: false,
      delivering: false,
      inactive: false,
      mixerInput: null,
      sawPacket: false,
      packetsReceived: 0,
    };
    pair.rtp.on('message', (msg: Buffer, rinfo: RemoteInfo) => this.#onPacket(slot, msg, rinfo));
    const onSocketError = (error: Error): void =>
      this.#log.warn({ err: error, port: pair.port }, 'rtp socket error');
    pair.rtp.on('error', onSocketError);
    pair.rtcp.on('error', onSocketError);
    return slot;
  }

  async addStreams(count: number): Promise<void> {
    const pairs: RtpPortPair[] = [];
    try {
      for (let i = 0; i < count; i++) pairs.push(await this.#deps.acquire());
    } catch (error) {
      await this.#deps.releasePairs(pairs);
      throw error;
    }
    if (this.#closing !== null) {
      await this.#deps.releasePairs(pairs);
      throw new AppError('CALL_ENDED', 'the media session closed while adding streams');
    }
    for (const pair of pairs) {
      this.#slots.push(this.#newSlot(pair, this.#slots.length));
      this.ports.push(pair.port);
    }
  }

  attach(streams: AcceptedStream[], handle: CallMediaSink): void {
    this.#handle = handle;
    this.#log = this.#deps.log.child({ callId: handle.callId });
    for (const stream of streams) {
      const slot = this.#slotFor(stream);
      if (slot === undefined) continue;
      const channel = channelOf(handle, stream);
      slot.channel = channel;
      this.#configure(slot, stream);
      if (channel !== null && handle.preRollMs > 0) {
        slot.preRoll = new PreRollPackets(handle.preRollMs);
      }
    }
    this.#arrangeMixes();
  }

  update(streams: AcceptedStream[]): void {
    const handle = this.#handle;
    const answered = new Set(streams.map((s) => s.index));
    for (const slot of this.#slots) {
      if (slot.stream !== null && !answered.has(slot.index)) this.#disable(slot);
    }
    for (const stream of streams) {
      const slot = this.#slotFor(stream);
      if (slot === undefined) continue;
      // An m-line first accepted now (declined in the first offer, or added by a conference)
      // gets its channel here.
      if (slot.stream === null && handle !== null) slot.channel = channelOf(handle, stream);
      this.#configure(slot, stream);
      // A transfer may move the SBC's media to another port: the new sender takes over, even
      // if the old one still sends for a while (a second at 20 ms packets).
      slot.receiver.allowNewSource(RELATCH_GRACE_PACKETS);
    }
    this.#arrangeMixes();
  }

  /** Port 0 in a re-offer: the stream is off; its packets are dropped, its mix goes on without it. */
  #disable(slot: StreamSlot): void {
    slot.mixerInput?.remove();
    slot.mixerInput = null;
    slot.stream = null;
    slot.channel = null;
    slot.payloads = new Map();
    slot.audioClocksHz = new Map();
    slot.preRoll = null;
    slot.delivering = false;
    slot.receiver.reset();
  }

  /**
   * A channel with more than one stream (a conference's added party) mixes them; the stream the
   * call started with joins the mix with its next frame. A call's own two streams never share
   * a channel, so an ordinary call never goes through a mixer.
   */
  #arrangeMixes(): void {
    const byChannel = new Map<Channel, StreamSlot[]>();
    for (const slot of this.#slots) {
      if (slot.channel === null || slot.stream === null) continue;
      byChannel.set(slot.channel, [...(byChannel.get(slot.channel) ?? []), slot]);
    }
    for (const [channel, slots] of byChannel) {
      let mixer = this.#mixers.get(channel);
      if (mixer === undefined) {
        if (slots.length < 2) continue;
        const outputRateHz = Math.max(...slots.map((s) => s.stream?.outputRateHz ?? 0));
        mixer = new AudioMixer({
          outputRateHz,
          maxWaitMs: MIX_MAX_WAIT_MS,
          emit: (frame) => this.#handle?.audio(channel, frame),
        });
        this.#mixers.set(channel, mixer);
        this.#log.info(
          { channel, streams: slots.map((s) => s.stream?.label), outputRateHz },
          'streams mixed into one channel',
        );
      }
      for (const slot of slots) {
        if (slot.mixerInput !== null) continue;
        slot.mixerInput = mixer.addInput();
        if (slot.inactive) slot.mixerInput.idle();
      }
    }
  }

  #slotFor(stream: AcceptedStream): StreamSlot | undefined {
    const slot = this.#slots[stream.index];
    if (slot === undefined)
      this.#log.warn({ index: stream.index }, 'accepted stream has no allocated port');
    return slot;
  }

  #configure(slot: StreamSlot, stream: AcceptedStream): void {
    // Payload types of earlier answers stay decodable unless the new answer gives their number
    // to another codec: packets of the old codec still in flight after a re-INVITE are audio too.
    const payloads = new Map(slot.payloads);
    for (const p of stream.payloads) payloads.set(p.payloadType, p);
    slot.payloads = payloads;
    slot.stream = stream;
    this.#configureSrtp(slot, stream.srtp);
    slot.audioClocksHz = new Map(
      [...payloads.values()].flatMap((p) =>
        p.kind === 'audio' ? [[p.payloadType, p.decoder.codec.rtpClockRateHz] as const] : [],
      ),
    );
    const handle = this.#handle;
    const channel = slot.channel;
    if (handle === null || channel === null) return;
    slot.receiver.configure(
      { payloads, outputRateHz: stream.outputRateHz },
      (frame: AudioFrame) => {
        // Pre-roll predates the conference's mix timeline: it goes to the call as it was.
        if (slot.replaying) handle.preRoll(channel, frame);
        else if (slot.mixerInput !== null) slot.mixerInput.push(frame);
        else handle.audio(channel, frame);
      },
    );
  }

  /** A new keying (first answer, or a re-INVITE's new key) gets a new crypto context. */
  #configureSrtp(slot: StreamSlot, keying: SrtpKeying | undefined): void {
    if (sameKeying(slot.srtpKeying, keying)) return;
    slot.srtpKeying = keying;
    if (keying === undefined) {
      // Answered plain RTP now (re-offer without SRTP under `optional`).
      slot.srtp?.close();
      slot.srtp = null;
      return;
    }
    const library = this.#deps.srtpLibrary;
    if (library === null) throw new Error('SRTP stream accepted without an SRTP library');
    if (slot.srtp === null) slot.srtp = new SrtpUnprotector(library, keying);
    else slot.srtp.rekey(keying);
  }

  setInactive(index: number, inactive: boolean): void {
    const slot = this.#slots[index];
    if (slot === undefined) return;
    if (slot.inactive && !inactive) {
      this.#lastActivityMs = Date.now();
      // A resumed sender starts afresh: its timestamps may have run on through the hold, and
      // filling that gap would add the hold again on top of what the recording keeps for it.
      slot.receiver.reset();
    }
    slot.inactive = inactive;
    if (inactive) slot.mixerInput?.idle();
  }

  onMediaTimeout(listener: (reason: MediaLossReason) => void): void {
    this.#timeoutListeners.push(listener);
  }

  stats(): MediaSessionStats {
    const dropped: Record<string, number> = {};
    this.#drops.addTotalsTo(dropped);
    let packetsReceived = 0;
    let packetsDecoded = 0;
    let lost = 0;
    let telephoneEventPackets = 0;
    let comfortNoisePackets = 0;
    const decodedByCodec: Record<string, number> = {};
    for (const slot of this.#slots) {
      const receiver = slot.receiver;
      packetsReceived += slot.packetsReceived;
      packetsDecoded += receiver.packetsDecoded;
      lost += receiver.packetsLost;
      telephoneEventPackets += receiver.telephoneEventPackets;
      comfortNoisePackets += receiver.comfortNoisePackets;
      for (const [codec, n] of Object.entries(receiver.decodedByCodec))
        decodedByCodec[codec] = (decodedByCodec[codec] ?? 0) + n;
    }
    if (lost > 0) dropped['lost'] = lost;
    return {
      packetsReceived,
      packetsDecoded,
      packetsDroppedWhileParked: this.#parkedDrops,
      dropped,
      decodedByCodec,
      telephoneEventPackets,
      comfortNoisePackets,
    };
  }

  close(): Promise<void> {
    this.#closing ??= (async () => {
      for (const mixer of this.#mixers.values()) mixer.flush();
      for (const slot of this.#slots) {
        slot.pair.rtp.removeAllListeners('message');
        slot.receiver.close();
        slot.srtp?.close();
        slot.srtp = null;
        slot.preRoll = null;
      }
      this.#reportDrops();
      await this.#deps.release(
        this,
        this.#slots.map((s) => s.pair),
      );
    })();
    return this.#closing;
  }

  /** Called by the owner's timer: media timeout and metric export. */
  sweep(nowMs: number): void {
    this.#reportDrops();
    if (this.#timedOut || this.#closing !== null) return;
    let active = false;
    let heard = false;
    for (const slot of this.#slots) {
      if (slot.inactive) continue;
      active = true;
      if (slot.sawPacket) heard = true;
    }
    for (const slot of this.#slots) {
      // A whole sweep without a packet from the latched sender: another may take over.
      if (!slot.sawPacket) slot.receiver.allowNewSource();
      slot.sawPacket = false;
    }
    if (!active || heard) {
      this.#lastActivityMs = nowMs;
      return;
    }
    if (nowMs - this.#lastActivityMs < this.#deps.mediaTimeoutMs) return;
    this.#timedOut = true;
    this.#log.info({ mediaTimeoutMs: this.#deps.mediaTimeoutMs }, 'rtp media timeout');
    for (const listener of this.#timeoutListeners) {
      try {
        listener('media-timeout');
      } catch (error) {
        this.#log.error({ err: error }, 'media timeout listener failed');
      }
    }
  }

  #onPacket(slot: StreamSlot, msg: Buffer, rinfo: RemoteInfo): void {
    slot.packetsReceived++;
    // On an SRTP stream only an authenticated packet may latch or move the source: a forged
    // first packet must not lock the SBC out.
    let clear: Buffer | null = null;
    if (slot.srtp !== null && !slot.receiver.isLatchedTo(rinfo.address, rinfo.port)) {
      clear = this.#unprotect(slot, msg);
      if (clear === null) return;
    }
    if (!slot.receiver.acceptSource(rinfo.address, rinfo.port)) return;
    slot.sawPacket = true;
    const handle = this.#handle;
    if (handle === null || slot.channel === null) {
      this.#parkedDrops++;
      return;
    }
    if (!handle.wantsAudio()) {
      if (slot.delivering) {
        slot.delivering = false;
        slot.receiver.reset();
        // Paused: what the mix holds must not reach the engine on resume.
        this.#mixers.get(slot.channel)?.reset();
      }
      if (slot.preRoll !== null)
        this.#keepPreRoll(slot, slot.preRoll, clear ?? msg, clear !== null);
      else {
        this.#parkedDrops++;
        if (clear === null) slot.srtp?.track(msg);
      }
      return;
    }
    const packet = clear ?? this.#unprotect(slot, msg);
    if (packet === null) return;
    if (!slot.delivering) {
      slot.delivering = true;
      slot.receiver.reset();
      this.#replayPreRoll(slot);
    }
    slot.receiver.push(packet);
  }

  /** The plain RTP of a datagram: itself on RTP streams, the SRTP library's output on SRTP ones. */
  #unprotect(slot: StreamSlot, msg: Buffer): Buffer | null {
    const srtp = slot.srtp;
    if (srtp === null) return msg;
    const clear = srtp.unprotect(msg);
    if (typeof clear === 'string') {
      this.#drops.count(clear);
      return null;
    }
    return clear;
  }

  /** Keeps the datagram as it came; only its payload type and timestamp are read. */
  #keepPreRoll(slot: StreamSlot, ring: PreRollPackets, msg: Buffer, isClear: boolean): void {
    const packet = isClear ? msg : this.#unprotect(slot, msg);
    if (packet === null) return;
    const clockRateHz =
      packet.length >= RTP_FIXED_HEADER_BYTES
        ? slot.audioClocksHz.get(packet[1]! & 0x7f)
        : undefined;
    if (clockRateHz === undefined) {
      // Not audio (events, comfort noise) or not RTP: the replay would skip it anyway.
      this.#parkedDrops++;
      return;
    }
    ring.keep(packet, packet.readUInt32BE(4), clockRateHz);
  }

  /**
   * Only the first start gets pre-roll: audio from a STOP_CALL_PROCESSING pause (card numbers,
   * say) must never reach the engine, so the ring is dropped for good here.
   */
  #replayPreRoll(slot: StreamSlot): void {
    const ring = slot.preRoll;
    if (ring === null) return;
    slot.preRoll = null;
    slot.replaying = true;
    try {
      for (const packet of ring.drain()) slot.receiver.push(packet);
    } finally {
      slot.replaying = false;
    }
  }

  #reportDrops(): void {
    let received = 0;
    for (const slot of this.#slots) received += slot.packetsReceived;
    if (received > this.#packetsReported) {
      this.#deps.metrics.rtpPackets?.inc({}, received - this.#packetsReported);
      this.#packetsReported = received;
    }
    const counter = this.#deps.metrics.rtpDropped;
    for (const [reason, n] of this.#drops.takeUnreported()) counter.inc({ reason }, n);
    const parked = this.#parkedDrops - this.#parkedDropsReported;
    if (parked > 0) {
      counter.inc({ reason: 'parked' }, parked);
      this.#parkedDropsReported = this.#parkedDrops;
    }
  }
}

/** The call's own streams by label; a conference's added stream by the stream it is mixed into. */
function channelOf(handle: CallMediaSink, stream: AcceptedStream): Channel | null {
  const own = handle.channelForLabel(stream.label);
  if (own !== null || stream.mixInto === undefined) return own;
  return handle.channelForLabel(stream.mixInto);
}
