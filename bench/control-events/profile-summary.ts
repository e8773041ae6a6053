import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';

/**
 * Where a `--cpu-prof` profile's time went: self time by function and by source (package or
 * repository file), so "what is slow" is answered without opening DevTools.
 *
 *   npx tsx bench/control-events/profile-summary.ts /tmp/prof/callscribe-server.cpuprofile --top 25
 */
interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { top: { type: 'string', default: '25' } },
});
const file = positionals[0];
if (!file) throw new Error('usage: profile-summary.ts <file.cpuprofile> [--top N]');
const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile;
const top = Number(values.top);

const selfUs = new Map<number, number>();
profile.samples.forEach((nodeId, i) =>
  selfUs.set(nodeId, (selfUs.get(nodeId) ?? 0) + (profile.timeDeltas[i] ?? 0)),
);
const totalUs = [...selfUs.values()].reduce((a, b) => a + b, 0);

function source(url: string): string {
  if (url === '') return '(native / VM)';
  const nm = url.lastIndexOf('node_modules/');
  if (nm >= 0) {
    const rest = url.slice(nm + 'node_modules/'.length).split('/');
    return rest[0]?.startsWith('@') ? `${rest[0]}/${rest[1] ?? ''}` : (rest[0] ?? url);
  }
  if (url.startsWith('node:')) return url;
  const repo = url.indexOf('/src/');
  return repo >= 0 ? url.slice(repo + 1) : url.replace(/^file:\/\//, '');
}

const byFunction = new Map<string, number>();
const bySource = new Map<string, number>();
for (const node of profile.nodes) {
  const us = selfUs.get(node.id) ?? 0;
  if (us === 0) continue;
  const { functionName, url, lineNumber } = node.callFrame;
  const where = source(url);
  const fn = `${functionName || '(anonymous)'}  ${where}${url ? `:${lineNumber + 1}` : ''}`;
  byFunction.set(fn, (byFunction.get(fn) ?? 0) + us);
  bySource.set(where, (bySource.get(where) ?? 0) + us);
}

// Inclusive time: each function counted once per sample even when it recurses. Async code
// resumes from microtasks, so time after an `await` is charged to runMicrotasks, not the caller.
const parentOf = new Map<number, number>();
for (const node of profile.nodes)
  for (const child of node.children ?? []) parentOf.set(child, node.id);
const nodeById = new Map(profile.nodes.map((node) => [node.id, node]));
const inclusive = new Map<string, number>();
profile.samples.forEach((nodeId, i) => {
  const seen = new Set<string>();
  for (let id: number | undefined = nodeId; id !== undefined; id = parentOf.get(id)) {
    const node = nodeById.get(id);
    if (!node) break;
    const { functionName, url, lineNumber } = node.callFrame;
    if (!url) continue;
    const fn = `${functionName || '(anonymous)'}  ${source(url)}:${lineNumber + 1}`;
    if (seen.has(fn)) continue;
    seen.add(fn);
    inclusive.set(fn, (inclusive.get(fn) ?? 0) + (profile.timeDeltas[i] ?? 0));
  }
});

const print = (title: string, entries: Map<string, number>) => {
  console.log(`\n${title}`);
  for (const [name, us] of [...entries].sort((a, b) => b[1] - a[1]).slice(0, top)) {
    console.log(
      `${((100 * us) / totalUs).toFixed(1).padStart(5)} %  ${(us / 1000).toFixed(0).padStart(7)} ms  ${name}`,
    );
  }
};
console.log(`total sampled: ${(totalUs / 1000).toFixed(0)} ms`);
print('self time by source', bySource);
print('self time by function', byFunction);
print('inclusive time by function', inclusive);
