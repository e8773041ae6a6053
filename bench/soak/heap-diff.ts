import { readFileSync } from 'node:fs';

/**
 * Compares two V8 heap snapshots (from `bench/soak/run.ts --heap-snapshots DIR`): objects by
 * constructor or kind, with the growth in count and bytes from the first to the second, largest
 * first. A per-call leak shows as a count growing with the number of calls in between.
 *
 *   npx tsx bench/soak/heap-diff.ts DIR/Heap.<first>.heapsnapshot DIR/Heap.<second>.heapsnapshot
 */
interface Snapshot {
  snapshot: { meta: { node_fields: string[]; node_types: [string[], ...unknown[]] } };
  nodes: number[];
  strings: string[];
}

function tally(path: string): Map<string, { count: number; bytes: number }> {
  const heap = JSON.parse(readFileSync(path, 'utf8')) as Snapshot;
  const fields = heap.snapshot.meta.node_fields;
  const types = heap.snapshot.meta.node_types[0];
  const width = fields.length;
  const typeAt = fields.indexOf('type');
  const nameAt = fields.indexOf('name');
  const sizeAt = fields.indexOf('self_size');
  const out = new Map<string, { count: number; bytes: number }>();
  for (let i = 0; i < heap.nodes.length; i += width) {
    const type = types[heap.nodes[i + typeAt]!] ?? '?';
    const name =
      type === 'object' || type === 'closure' ? heap.strings[heap.nodes[i + nameAt]!] : '';
    const key = `${type}${name ? ` ${name}` : ''}`;
    const entry = out.get(key) ?? { count: 0, bytes: 0 };
    entry.count++;
    entry.bytes += heap.nodes[i + sizeAt]!;
    out.set(key, entry);
  }
  return out;
}

const [firstPath, secondPath] = process.argv.slice(2);
if (!firstPath || !secondPath) throw new Error('usage: heap-diff.ts FIRST SECOND');
const first = tally(firstPath);
const second = tally(secondPath);
const rows = [...second].map(([key, b]) => {
  const a = first.get(key) ?? { count: 0, bytes: 0 };
  return { key, count: b.count - a.count, bytes: b.bytes - a.bytes, total: b.count };
});
const total = (m: Map<string, { bytes: number }>) =>
  [...m.values()].reduce((sum, e) => sum + e.bytes, 0) / 2 ** 20;
console.log(`live heap: ${total(first).toFixed(1)} MiB → ${total(second).toFixed(1)} MiB`);
console.log('| kind | count growth | count now | bytes growth |');
console.log('| --- | ---: | ---: | ---: |');
for (const row of rows.sort((x, y) => y.bytes - x.bytes).slice(0, 25))
  console.log(`| ${row.key.slice(0, 60)} | ${row.count} | ${row.total} | ${row.bytes} |`);
