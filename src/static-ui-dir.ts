import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** web/dist relative to the package root, whether running from src (tsx) or dist. */
export function staticUiDir(): string | undefined {
  const here = dirname(fileURLToPath(import.meta.url));
  const dir = join(here, '..', 'web', 'dist');
  return existsSync(join(dir, 'index.html')) ? dir : undefined;
}
