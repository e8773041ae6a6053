// Runs the whole vitest suite, then prints one plain summary line for CI logs
// ("tests: N passed, N failed, N skipped"), keeping vitest's exit status.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';

const report = 'test-output/vitest.json';
mkdirSync('test-output', { recursive: true });
rmSync(report, { force: true });
const result = spawnSync(
  'npx',
  [
    'vitest',
    'run',
    '--reporter=default',
    '--reporter=json',
    `--outputFile.json=${report}`,
    ...process.argv.slice(2),
  ],
  { stdio: 'inherit' },
);
if (existsSync(report)) {
  const r = JSON.parse(readFileSync(report, 'utf8'));
  console.log(
    `tests: ${r.numPassedTests} passed, ${r.numFailedTests} failed, ${r.numPendingTests + r.numTodoTests} skipped`,
  );
  if (r.numTotalTests === 0) process.exit(1);
}
process.exit(result.status ?? 1);
