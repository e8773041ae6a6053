/**
 * Web UI benchmark: first contentful paint of the call list on loopback (Performance API in
 * real Chromium, served by the UI-dev fixture with 200 calls), the time until the 200 rows are
 * in the DOM (the UI's `callscribe:calls-listed` performance mark), and the gzipped size of the JavaScript in the production build.
 *
 *   npx tsx bench/web-ui/run.ts [--runs 7] [--write-docs]
 *
 * --write-docs replaces the "Web UI" section of docs/benchmarks.md with the figures.
 */
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { launchChromium } from '../../test/e2e/support/browser.js';
import { buildWeb, repoRoot } from '../../test/e2e/support/build-web.js';
import { FixtureServer } from '../../test/e2e/support/fixture-server.js';

const callCount = 200;
const goals = { fcpMs: 1000, jsGzipBytes: 150 * 1024 };

interface Figures {
  runs: number;
  /** One-minute load average when the run ended: figures from a busy machine read high. */
  loadAverage1m: number;
  fcpMedianMs: number;
  fcpMaxMs: number;
  rowsReadyMedianMs: number;
  jsBytes: number;
  jsGzipBytes: number;
  cssGzipBytes: number;
}

function argValue(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1
    ? (sorted[mid] ?? 0)
    : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
}

async function assetSizes(
  distDir: string,
): Promise<{ jsBytes: number; jsGzipBytes: number; cssGzipBytes: number }> {
  const assets = join(distDir, 'assets');
  let jsBytes = 0;
  let jsGzipBytes = 0;
  let cssGzipBytes = 0;
  for (const name of await readdir(assets)) {
    const body = await readFile(join(assets, name));
    const gz = gzipSync(body, { level: 9 }).length;
    if (name.endsWith('.js')) {
      jsBytes += body.length;
      jsGzipBytes += gz;
    } else if (name.endsWith('.css')) {
      cssGzipBytes += gz;
    }
  }
  return { jsBytes, jsGzipBytes, cssGzipBytes };
}

async function measure(runs: number): Promise<Figures> {
  const distDir = await mkdtemp(join(tmpdir(), 'callscribe-web-bench-'));
  const server = new FixtureServer({ webDistDir: distDir });
  const browser = await (async () => {
    buildWeb(distDir);
    const startedMs = Date.now() - 3_600_000;
    for (let i = 0; i < callCount; i++) {
      server.addCall(
        {
          callId: `bench-${i}`,
          state: (['PENDING', 'PROCESSING', 'PAUSED', 'ENDED'] as const)[i % 4] ?? 'PENDING',
          callStreamingStartTime: new Date(startedMs + i * 1000).toISOString(),
        },
        { silent: true },
      );
    }
    await server.start();
    return launchChromium();
  })();
  try {
    const fcps: number[] = [];
    const rowsReady: number[] = [];
    // One warm-up load so Chromium's own first-launch work is not counted.
    for (let run = -1; run < runs; run++) {
      const page = await browser.context.newPage();
      await page.goto(server.baseUrl);
      await page.locator(`tr[data-call-id="bench-${callCount - 1}"]`).waitFor();
      const fcp = Number(
        await page.evaluate(
          "performance.getEntriesByName('first-contentful-paint')[0]?.startTime ?? performance.getEntriesByType('paint').at(-1)?.startTime ?? -1",
        ),
      );
      const ready = Number(
        await page.evaluate(
          "performance.getEntriesByName('callscribe:calls-listed')[0]?.startTime ?? -1",
        ),
      );
      if (run >= 0) {
        fcps.push(fcp);
        rowsReady.push(ready);
      }
      await page.close();
    }
    return {
      runs,
      loadAverage1m: Number((loadavg()[0] ?? 0).toFixed(1)),
      fcpMedianMs: Math.round(median(fcps)),
      fcpMaxMs: Math.round(Math.max(...fcps)),
      rowsReadyMedianMs: Math.round(median(rowsReady)),
      ...(await assetSizes(distDir)),
    };
  } finally {
    await browser.close();
    await server.stop();
    await rm(distDir, { recursive: true, force: true });
  }
}

function docsSection(f: Figures): string {
  const kb = (bytes: number): string => `${(bytes / 1024).toFixed(1)} KB`;
  const verdict = (ok: boolean): string => (ok ? 'met' : 'MISSED');
  return [
    '## Web UI',
    '',
    `Measured by \`npx tsx bench/web-ui/run.ts --write-docs\` on ${new Date().toISOString().slice(0, 10)}, ` +
      `${cpus().length} CPU cores (1-minute load average ${f.loadAverage1m} at the end), Debian Chromium headless, loopback, the UI-dev fixture API with ${callCount} calls; ` +
      `median of ${f.runs} page loads after one warm-up.`,
    '',
    '| figure | value | goal |',
    '| --- | --- | --- |',
    `| first contentful paint (median / max) | ${f.fcpMedianMs} ms / ${f.fcpMaxMs} ms | < ${goals.fcpMs} ms (${verdict(f.fcpMaxMs < goals.fcpMs)}) |`,
    `| all ${callCount} rows rendered (median, from navigation start) | ${f.rowsReadyMedianMs} ms | — |`,
    `| JavaScript, gzipped (raw) | ${kb(f.jsGzipBytes)} (${kb(f.jsBytes)}) | < 150 KB (${verdict(f.jsGzipBytes < goals.jsGzipBytes)}) |`,
    `| CSS, gzipped | ${kb(f.cssGzipBytes)} | — |`,
    '',
  ].join('\n');
}

/** Replaces only the "## Web UI" section; other sections belong to other benchmarks. */
async function writeDocs(section: string): Promise<void> {
  const path = join(repoRoot, 'docs', 'benchmarks.md');
  const current = await readFile(path, 'utf8').catch(() => '# Benchmarks\n');
  const start = current.indexOf('\n## Web UI\n');
  let next: string;
  if (start < 0) {
    next = `${current.trimEnd()}\n\n${section}`;
  } else {
    const after = current.indexOf('\n## ', start + 1);
    next = `${current.slice(0, start + 1)}${section}${after < 0 ? '' : current.slice(after)}`;
  }
  await writeFile(path, next.endsWith('\n') ? next : `${next}\n`);
}

const figures = await measure(Number(argValue('--runs') ?? 7));
console.log(JSON.stringify(figures, null, 2));
if (process.argv.includes('--write-docs')) await writeDocs(docsSection(figures));
