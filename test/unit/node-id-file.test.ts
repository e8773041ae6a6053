import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { persistedNodeId } from '../../src/adapters/node-identity/node-id-file.js';
import { buildServer } from '../../src/composition-root.js';
import { loadConfig } from '../../src/config/load.js';
import { captureLog } from '../support/capture-log.js';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});
const tempDir = () => {
  const dir = mkdtempSync(join(tmpdir(), 'callscribe-node-id-'));
  dirs.push(dir);
  return dir;
};

describe('persisted node id', () => {
  it('is created once in the data directory and read back on every start', () => {
    const dataDir = join(tempDir(), 'data');
    const first = persistedNodeId(dataDir);
    expect(first).toMatch(/^[A-Za-z0-9._-]+-[0-9a-f]{6}$/);
    expect(
      first.startsWith(
        hostname()
          .replace(/[^A-Za-z0-9._-]/g, '-')
          .slice(0, 100),
      ),
    ).toBe(true);
    expect(readFileSync(join(dataDir, 'node-id'), 'utf8')).toBe(`${first}\n`);
    expect(statSync(join(dataDir, 'node-id')).mode & 0o777).toBe(0o600);
    expect(persistedNodeId(dataDir)).toBe(first);
  });

  it('refuses a node-id file that does not hold an id, instead of inventing a new identity', () => {
    const dataDir = tempDir();
    writeFileSync(join(dataDir, 'node-id'), 'two words\n');
    expect(() => persistedNodeId(dataDir)).toThrow(/does not hold a valid node id/);
  });

  it('the server keeps its id across restarts unless nodeId is set', async () => {
    const dataDir = tempDir();
    const idOf = async (overrides: Record<string, unknown>) => {
      const config = loadConfig({
        env: {},
        overrides: { dataDir, engine: 'fake', logLevel: 'silent', ...overrides },
      });
      const server = await buildServer(config, { log: captureLog('silent').log });
      await server.stop();
      return readFileSync(join(dataDir, 'node-id'), 'utf8').trim();
    };
    const first = await idOf({});
    expect(await idOf({})).toBe(first);
    // An explicit id wins and leaves the file alone.
    expect(await idOf({ nodeId: 'node-explicit' })).toBe(first);
  });
});
