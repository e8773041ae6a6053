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

function ulawFrames(file: string): Int16Array[] {
  const bytes = readFileSync(file);
  return Array.from({ length: Math.floor(bytes.length / 160) }, (_, k) =>
    Int16Array.from(bytes.subarray(k * 160, (k + 1) * 160), (b) => ULAW_TO_LINEAR[b] ?? 0),
  );
}

const frameKey = (pcm: Int16Array): string =>
  Buffer.from(pcm.buffer, pcm.byteOffset, pcm.byteLength).toString('latin1');

export interface MixCheck {
  /** Distinct frames of the channel's own source found, alone or mixed. */
  ownFrames: number;
  /** Frame indexes of the added source found mixed in, in recording order. */
  addedFrames: number[];
  /** Recorded 20 ms blocks that were neither silence, nor an own frame, nor own + added. */
  unexplainedBlocks: number;
}

/**
 * Takes a recorded channel apart into the µ-law sources mixed into it: each 20 ms block must be
 * silence (padding), a frame of the channel's own source, or that frame plus a frame of the
 * added source (a conference's party), sample-exact. The added stream started at an unknown
 * moment, so its frames are found by content, not position.
 */
export function mixedSources(recorded: Int16Array, ownFile: string, addedFile: string): MixCheck {
  const own = ulawFrames(ownFile);
  const ownByKey = new Map(own.map((f, k) => [frameKey(f), k]));
  const added = new Map<string, number>();
  ulawFrames(addedFile).forEach((f, k) => {
    if (f.some((v) => v !== 0) && !added.has(frameKey(f))) added.set(frameKey(f), k);
  });
  const ownSeen = new Set<number>();
  const addedFrames: number[] = [];
  let unexplainedBlocks = 0;
  let lastOwn = -1;
  let at = 0;
  const residual = new Int16Array(160);
  while (at + 160 <= recorded.length) {
    const block = recorded.subarray(at, at + 160);
    if (block.every((v) => v === 0)) {
      at += 160;
      continue;
    }
    const near = own.slice(lastOwn + 1, lastOwn + 4);
    let found = false;
    const exact = near.findIndex((f) => f.every((v, i) => v === block[i]));
    if (exact >= 0) {
      lastOwn += exact + 1;
      ownSeen.add(lastOwn);
      found = true;
    }
    for (let n = 0; n < near.length && !found; n++) {
      const frame = near[n]!;
      let fits = true;
      for (let i = 0; i < 160 && fits; i++) {
        const r = block[i]! - frame[i]!;
        if (r < -32_768 || r > 32_767) fits = false;
        else residual[i] = r;
      }
      const addedIndex = fits ? added.get(frameKey(residual)) : undefined;
      if (addedIndex !== undefined) {
        lastOwn += n + 1;
        ownSeen.add(lastOwn);
        addedFrames.push(addedIndex);
        found = true;
      }
    }
    const alone = found ? undefined : ownByKey.get(frameKey(block));
    if (alone !== undefined && alone > lastOwn) {
      lastOwn = alone;
      ownSeen.add(alone);
      found = true;
    }
    if (found) {
      at += 160;
    } else {
      // Clipped sums, or the stream out of frame alignment: step on sample by sample.
      unexplainedBlocks += 1 / 160;
      at += 1;
    }
  }
  return { ownFrames: ownSeen.size, addedFrames, unexplainedBlocks: Math.round(unexplainedBlocks) };
}

/** Non-silent 20 ms frames among the first `frames` of a µ-law source. */
export function nonSilentFrames(file: string, frames: number): number {
  return ulawFrames(file)
    .slice(0, frames)
    .filter((f) => f.some((v) => v !== 0)).length;
}
