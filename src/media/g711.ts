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

// Pairs are read and written as 16- and 32-bit words, which puts the first code and sample in
// the low half only on little-endian machines; others take the byte loop.
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
/** Below this many bytes the views cost more than the pair loop saves. */
const PAIR_MIN_BYTES = 16;
let ulawPairs: Int32Array | undefined;
let alawPairs: Int32Array | undefined;

/**
 * Two codes (a 16-bit word) to their two samples (a 32-bit word): half the loads, stores and
 * loop turns of a table lookup per byte, which is the whole cost of G.711 and, at hundreds of
 * calls, a visible share of a media worker. 256 KB per law, built on first use.
 */
function pairTable(table: Readonly<Int16Array>): Int32Array | undefined {
  if (table === ULAW_TO_PCM16) return (ulawPairs ??= buildPairs(table));
  if (table === ALAW_TO_PCM16) return (alawPairs ??= buildPairs(table));
  return undefined;
}

function buildPairs(table: Readonly<Int16Array>): Int32Array {
  const pairs = new Int32Array(65536);
  for (let second = 0; second < 256; second++) {
    const high = table[second]! << 16;
    for (let first = 0; first < 256; first++)
      pairs[first | (second << 8)] = (table[first]! & 0xffff) | high;
  }
  return pairs;
}

/**
 * The pair table of `table` (one of the two laws), or undefined on a big-endian machine: for a
 * decoder that writes pairs into 32-bit words of its own (`decodeG711Pairs`).
 */
export function g711PairTable(table: Readonly<Int16Array>): Int32Array | undefined {
  return LITTLE_ENDIAN ? pairTable(table) : undefined;
}

/**
 * Decodes `length` bytes of `src` into `words` from word `wordOffset` (two samples a word, as
 * `g711PairTable` packs them); an odd last byte goes to `dst` (the same memory as 16-bit
 * samples), at sample `2 * wordOffset + length - 1`. No view is made per call.
 */
export function decodeG711Pairs(
  table: Readonly<Int16Array>,
  pairs: Int32Array,
  src: Uint8Array,
  length: number,
  words: Int32Array,
  wordOffset: number,
  dst: Int16Array,
): void {
  const whole = length >> 1;
  for (let i = 0; i < whole; i++)
    words[wordOffset + i] = pairs[src[2 * i]! | (src[2 * i + 1]! << 8)]!;
  if ((length & 1) !== 0) dst[2 * wordOffset + length - 1] = table[src[length - 1]!]!;
}

/** Decodes `length` bytes of `src` from `srcOffset` into `dst` from `dstOffset`. */
export function decodeG711Into(
  table: Readonly<Int16Array>,
  src: Uint8Array,
  srcOffset: number,
  length: number,
  dst: Int16Array,
  dstOffset: number,
): void {
  const dstByte = dst.byteOffset + 2 * dstOffset;
  // Only the destination needs word alignment: decodeG711Pairs reads the codes byte by byte.
  const pairs =
    LITTLE_ENDIAN && length >= PAIR_MIN_BYTES && dstByte % 4 === 0 ? pairTable(table) : undefined;
  if (pairs === undefined) {
    for (let i = 0; i < length; i++) dst[dstOffset + i] = table[src[srcOffset + i]!]!;
    return;
  }
  decodeG711Pairs(
    table,
    pairs,
    src.subarray(srcOffset, srcOffset + length),
    length,
    new Int32Array(dst.buffer, dstByte, length >> 1),
    0,
    dst.subarray(dstOffset, dstOffset + length),
  );
}

export function decodeG711(codec: G711Codec, src: Uint8Array): Int16Array {
  const out = new Int16Array(src.length);
  decodeG711Into(g711Table(codec), src, 0, src.length, out, 0);
  return out;
}
