import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { AppError } from '../../domain/errors.js';
import { OWNER_ONLY_DIR_MODE, OWNER_ONLY_FILE_MODE } from '../storage/owner-only.js';

const FILE_NAME = 'node-id';
const VALID = /^[A-Za-z0-9._:-]{1,128}$/;

/**
 * This node's stable identity: `<dataDir>/node-id`, created once as `<hostname>-<random>`. A
 * restarted process must come back as the same node, so it can tell its own calls (left live by
 * the crash) from other nodes' and end them at once, instead of waiting for a lease that was
 * never coming back.
 */
export function persistedNodeId(dataDir: string): string {
  const path = join(dataDir, FILE_NAME);
  let existing: string | undefined;
  try {
    existing = readFileSync(path, 'utf8').trim();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw unreadable(path, error);
  }
  if (existing !== undefined) {
    if (!VALID.test(existing)) {
      throw new AppError('CONFIG_INVALID', `${path} does not hold a valid node id`, {
        details: { path },
      });
    }
    return existing;
  }
  const nodeId = `${hostname()
    .replace(/[^A-Za-z0-9._-]/g, '-')
    .slice(0, 100)}-${randomBytes(3).toString('hex')}`;
  try {
    mkdirSync(dataDir, { recursive: true, mode: OWNER_ONLY_DIR_MODE });
    // Written aside and renamed: a crash mid-write never leaves a half id behind.
    const temp = `${path}.${process.pid}.tmp`;
    writeFileSync(temp, `${nodeId}\n`, { mode: OWNER_ONLY_FILE_MODE, flush: true });
    renameSync(temp, path);
  } catch (error) {
    throw unreadable(path, error);
  }
  return nodeId;
}

function unreadable(path: string, cause: unknown): AppError {
  return new AppError('CONFIG_INVALID', `cannot read or create the node id file ${path}`, {
    cause,
    details: { path },
  });
}
