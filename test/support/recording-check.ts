import { readFileSync } from 'node:fs';

/** ITU-T G.711 µ-law expansion, written here so tests never check the product against itself. */
export const ULAW_TO_LINEAR = Int16Array.from({ length: 256 }, (_, i) => {
  const u = ~i & 0xff;
  const t = (((u & 0x0f) << 3) + 0x84) << ((u & 0x70) >> 4);
  return u & 0x80 ? 0x84 - t : t - 0x84;
});

export interface StereoWav {
  sampleRateHz: number;
  caller: Int16Array;
  agent: Int16Array;
}

/** The recorder's 16-bit stereo WAV: left CALLER, right AGENT. */
export function parseStereoWav(bytes: Buffer): StereoWav {
  if (bytes.toString('ascii', 0, 4) !== 'RIFF' || bytes.toString('ascii', 8, 12) !== 'WAVE')
    throw new Error('not a WAV file');
  const channels = bytes.readUInt16LE(22);
  if (channels !== 2) throw new Error(`expected 2 channels, got ${channels}`);
  const data = bytes.subarray(44);
  const frames = Math.floor(data.length / 4);
  const caller = new Int16Array(frames);
  const agent = new Int16Array(frames);
  for (let i = 0; i < frames; i++) {
    caller[i] = data.readInt16LE(i * 4);
    agent[i] = data.readInt16LE(i * 4 + 2);
  }
  return { sampleRateHz: bytes.readUInt32LE(24), caller, agent };
}

const nonZero = (samples: Iterable<number>): number[] => [...samples].filter((s) => s !== 0);

/**
 * How much of the expected µ-law source audio a recorded channel carries, bit-exact and in
 * order. `frameRanges` are the 20 ms source frames the SRC sent on that stream, [from, to).
 * Silence the recorder padded in (hold, pause) and digital silence alike are zero samples, so
 * both sides are compared without zeros. Throws when the recording departs from the source;
 * returns the fraction of the expected audio recorded (the last frames may race the BYE).
 */
export function sourceCoverage(
  recorded: Int16Array,
  sourceFile: string,
  frameRanges: readonly (readonly [number, number])[],
): number {
  const source = readFileSync(sourceFile);
  const expected = nonZero(
    frameRanges.flatMap(([from, to]) =>
      [...source.subarray(from * 160, to * 160)].map((byte) => ULAW_TO_LINEAR[byte] ?? 0),
    ),
  );
  const got = nonZero(recorded);
  if (got.length > expected.length)
    throw new Error(`recorded ${got.length} non-silent samples, the source has ${expected.length}`);
  for (let i = 0; i < got.length; i++) {
    if (got[i] !== expected[i])
      throw new Error(`recorded audio departs from the source at non-silent sample ${i}`);
  }
  return expected.length === 0 ? 1 : got.length / expected.length;
}
