import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));

/**
 * Builds the UI into `outDir` (absolute). Tests build into their own temp folder so parallel
 * test files never race on web/dist.
 */
export function buildWeb(outDir: string): void {
  const result = spawnSync(
    'npx',
    ['vite', 'build', 'web', '--outDir', outDir, '--emptyOutDir', '--logLevel', 'warn'],
    {
      cwd: repoRoot,
      encoding: 'utf8',
      timeout: 120_000,
    },
  );
  if (result.status !== 0) throw new Error(`vite build failed: ${result.stderr || result.stdout}`);
}
