/**
 * What callscribe knows about each RTP audio codec it may decode, as data: the SDP answer,
 * the RTP receiver and the docs all read this table.
 */
export type CodecName = 'PCMU' | 'PCMA' | 'G722' | 'G729' | 'opus';

export interface CodecDescriptor {
  name: CodecName;
  /** The rtpmap encoding name as RFC 3551 / RFC 7587 spell it. */
  encodingName: string;
  /** RTP timestamp clock. G.722 keeps 8000 (RFC 3551's historical error); Opus is always 48000. */
  rtpClockRateHz: number;
  /** Channel count the rtpmap names (Opus always says 2, whatever is sent). */
  rtpChannels: number;
  /** RFC 3551 static payload type, if any. */
  staticPayloadType: number | null;
  /** Rate callscribe decodes to: 16 kHz for wideband codecs, so engines get the full band. */
  outputRateHz: number;
  /** Whether the rtpmap clock rate must match (`opus/16000` still means Opus at 48 kHz). */
  strictClockRate: boolean;
  /** Other encoding names SBCs use for the same bitstream. */
  aliases: readonly string[];
}

export const CODECS: Readonly<Record<CodecName, CodecDescriptor>> = {
  PCMU: {
    name: 'PCMU',
    encodingName: 'PCMU',
    rtpClockRateHz: 8000,
    rtpChannels: 1,
    staticPayloadType: 0,
    outputRateHz: 8000,
    strictClockRate: true,
    aliases: [],
  },
  PCMA: {
    name: 'PCMA',
    encodingName: 'PCMA',
    rtpClockRateHz: 8000,
    rtpChannels: 1,
    staticPayloadType: 8,
    outputRateHz: 8000,
    strictClockRate: true,
    aliases: [],
  },
  G722: {
    name: 'G722',
    encodingName: 'G722',
    rtpClockRateHz: 8000,
    rtpChannels: 1,
    staticPayloadType: 9,
    outputRateHz: 16_000,
    strictClockRate: true,
    aliases: [],
  },
  G729: {
    name: 'G729',
    encodingName: 'G729',
    rtpClockRateHz: 8000,
    rtpChannels: 1,
    staticPayloadType: 18,
    outputRateHz: 8000,
    strictClockRate: true,
    // G.729A decodes with any G.729 decoder; a few SBCs name it so.
    aliases: ['G729A'],
  },
  opus: {
    name: 'opus',
    encodingName: 'opus',
    rtpClockRateHz: 48_000,
    rtpChannels: 2,
    staticPayloadType: null,
    outputRateHz: 16_000,
    strictClockRate: false,
    aliases: [],
  },
};

export const CODEC_NAMES = Object.keys(CODECS) as CodecName[];

/** Payloads that ride on an audio stream but carry no speech: recognised, never decoded. */
export type SignallingPayload = 'telephone-event' | 'comfort-noise';

/** RFC 3389 comfort noise has a static payload type too (13) besides dynamic `CN/8000`. */
export const COMFORT_NOISE_STATIC_PAYLOAD_TYPE = 13;

/** Offered encoding name (any case) and clock rate to a codec, or null when unknown. */
export function codecFor(encodingName: string, clockRateHz: number): CodecDescriptor | null {
  const upper = encodingName.toUpperCase();
  for (const codec of Object.values(CODECS)) {
    const names = [codec.encodingName, ...codec.aliases].map((n) => n.toUpperCase());
    if (!names.includes(upper)) continue;
    if (codec.strictClockRate && clockRateHz !== codec.rtpClockRateHz) return null;
    return codec;
  }
  return null;
}

export function signallingPayloadFor(encodingName: string): SignallingPayload | null {
  const upper = encodingName.toUpperCase();
  if (upper === 'TELEPHONE-EVENT') return 'telephone-event';
  if (upper === 'CN') return 'comfort-noise';
  return null;
}
