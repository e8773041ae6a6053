/**
 * G.711 µ-law and A-law to linear PCM16 (ITU-T G.711, the classic Sun reference decoder that
 * sox also uses). Tables are built once per module load and never written again.
 */
export type G711Codec = 'PCMU' | 'PCMA';

function ulawToLinear(code: number): number {
  const u = ~code & 0xff;
  let t = ((u & 0x0f) << 3) + 0x84;
  t <<= (u & 0x70) >> 4;
  return u & 0x80 ? 0x84 - t : t - 0x84;
}

function alawToLinear(code: number): number {
  const a = code ^ 0x55;
  let t = (a & 0x0f) << 4;
  const segment = (a & 0x70) >> 4;
  if (segment === 0) t += 8;
  else if (segment === 1) t += 0x108;
  else t = (t + 0x108) << (segment - 1);
  return a & 0x80 ? t : -t;
}

function buildTable(decode: (code: number) => number): Int16Array {
  const table = new Int16Array(256);
  for (let i = 0; i < 256; i++) table[i] = decode(i);
  return table;
}

export const ULAW_TO_PCM16: Readonly<Int16Array> = buildTable(ulawToLinear);
export const ALAW_TO_PCM16: Readonly<Int16Array> = buildTable(alawToLinear);

export function g711Table(codec: G711Codec): Readonly<Int16Array> {
  return codec === 'PCMU' ? ULAW_TO_PCM16 : ALAW_TO_PCM16;
}

/**
 * Decodes `length` bytes of `src` from `srcOffset` into `dst` from `dstOffset`: one lookup per
 * byte in a 512-byte table, which stays in L1 cache. A table of code pairs (256 KB) halves the
 * loop turns and wins when it is hot, but in a media worker carrying hundreds of calls it is
 * evicted between packets and its lookups miss cache: docs/benchmarks.md, "G.711 decoding".
 */
export function decodeG711Into(
  table: Readonly<Int16Array>,
  src: Uint8Array,
  srcOffset: number,
  length: number,
  dst: Int16Array,
  dstOffset: number,
): void {
  for (let i = 0; i < length; i++) dst[dstOffset + i] = table[src[srcOffset + i]!]!;
}

export function decodeG711(codec: G711Codec, src: Uint8Array): Int16Array {
  const out = new Int16Array(src.length);
  decodeG711Into(g711Table(codec), src, 0, src.length, out, 0);
  return out;
}
