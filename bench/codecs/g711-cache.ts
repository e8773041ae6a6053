import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { decodeG711Into, ULAW_TO_PCM16 } from '../../src/media/g711.js';
import { median } from '../capacity/median.js';

/**
 * G.711 decoding, hot and under cache pressure: callscribe's one lookup per byte in a 512-byte
 * table (the baseline) against a table of code pairs (64 K entries, 256 KB: half the loop
 * turns), which callscribe used before. In a micro-benchmark the pair table stays in cache and
 * wins; in a media worker, hundreds of calls' state passes through the caches between two
 * packets. "Pressure" here is a random walk over `--pressure-mb` of memory between packets.
 *
 *   npx tsx bench/codecs/g711-cache.ts
 *   options: --packets 200000  --rounds 5  --pressure-mb 0,4,8,32
 */
const { values } = parseArgs({
  options: {
    packets: { type: 'string', default: '200000' },
    rounds: { type: 'string', default: '5' },
    'pressure-mb': { type: 'string', default: '0,4,8,32' },
  },
});
const packets = Number(values.packets);
const rounds = Number(values.rounds);
const PAYLOAD_BYTES = 160;
/** Cache lines touched between two packets. */
const TOUCHES_PER_PACKET = 4096;

const audio = readFileSync(new URL('../../samples/support-call/caller.pcmu', import.meta.url));
const pairs = new Int32Array(65536);
for (let second = 0; second < 256; second++)
  for (let first = 0; first < 256; first++)
    pairs[first | (second << 8)] =
      (ULAW_TO_PCM16[first]! & 0xffff) | (ULAW_TO_PCM16[second]! << 16);

function decodePairs(src: Uint8Array, words: Int32Array): void {
  const whole = src.length >> 1;
  for (let i = 0; i < whole; i++) words[i] = pairs[src[2 * i]! | (src[2 * i + 1]! << 8)]!;
}

type Variant = 'byte table' | 'pair table';
const out = new Int16Array(PAYLOAD_BYTES);
const words = new Int32Array(out.buffer);
let sink = 0;

/** ns per packet of the decode alone (the pressure walk is outside the timed span). */
function measure(variant: Variant, pressure: Int32Array): number {
  let decodeNs = 0;
  for (let k = 0; k < packets; k++) {
    if (pressure.length > 0) {
      for (let j = 0; j < TOUCHES_PER_PACKET; j++) {
        const index = (k * 7919 + j * 131_071) % pressure.length;
        sink += pressure[index]!;
        pressure[index] = j;
      }
    }
    const offset = (k * PAYLOAD_BYTES) % (audio.length - PAYLOAD_BYTES);
    const src = audio.subarray(offset, offset + PAYLOAD_BYTES);
    const t0 = process.hrtime.bigint();
    if (variant === 'byte table') decodeG711Into(ULAW_TO_PCM16, src, 0, PAYLOAD_BYTES, out, 0);
    else decodePairs(src, words);
    decodeNs += Number(process.hrtime.bigint() - t0);
    sink += out[k % PAYLOAD_BYTES]!;
  }
  return decodeNs / packets;
}

// The clock read around each packet is in every figure; a run of empty spans measures it.
function clockNs(): number {
  let total = 0;
  for (let k = 0; k < packets; k++) {
    const t0 = process.hrtime.bigint();
    total += Number(process.hrtime.bigint() - t0);
  }
  return total / packets;
}

const variants: Variant[] = ['byte table', 'pair table'];
console.log(
  `G.711 µ-law, ${PAYLOAD_BYTES}-byte packets, ${packets} per round, ${rounds} rounds (median), ns per packet less the clock read (${clockNs().toFixed(0)} ns)`,
);
for (const mb of values['pressure-mb'].split(',').map(Number)) {
  const pressure = new Int32Array((mb * 1024 * 1024) / 4);
  const results: Record<Variant, number[]> = { 'byte table': [], 'pair table': [] };
  for (let round = 0; round < rounds; round++) {
    const clock = clockNs();
    for (const variant of variants) results[variant].push(measure(variant, pressure) - clock);
  }
  const byte = median(results['byte table']);
  const pair = median(results['pair table']);
  console.log(
    `  pressure ${String(mb).padStart(3)} MB: byte table ${byte.toFixed(0)} ns, pair table ${pair.toFixed(0)} ns (${(pair / byte).toFixed(2)}x the byte table)`,
  );
}
// Keeps the pressure walk's reads and the decoded samples observable: the JIT may not drop them.
if (sink === 0.5) console.log('');
