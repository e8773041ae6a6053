import { execFileSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, rmSync, rmdirSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inCi } from './tools.js';

/**
 * A tmpfs of a few MiB that the test mounts, fills and empties, so "disk full" is the kernel's
 * own ENOSPC and "unwritable" its own EROFS. Mounting needs root: CI runs as root; elsewhere
 * the tests skip visibly.
 */
export class SmallFilesystem {
  #fillers = 0;

  private constructor(readonly dir: string) {}

  static available(): boolean {
    const root = process.getuid?.() === 0;
    if (!root) {
      if (inCi) throw new Error('mounting a tmpfs needs root, but CI=true: run CI as root');
      console.warn('SKIPPED: mounting a small tmpfs needs root; disk-full tests are skipped');
    }
    return root;
  }

  static mount(sizeBytes: number): SmallFilesystem {
    const dir = mkdtempSync(join(tmpdir(), 'callscribe-smallfs-'));
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${sizeBytes},mode=0755`, 'tmpfs', dir]);
    return new SmallFilesystem(dir);
  }

  /** Writes filler files until the filesystem refuses (ENOSPC), leaving it full. */
  fill(): void {
    const chunk = Buffer.alloc(64 * 1024, 0x5a);
    const path = join(this.dir, `filler-${this.#fillers++}`);
    const fd = openSync(path, 'w');
    try {
      for (;;) writeSync(fd, chunk);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOSPC') throw error;
    } finally {
      closeSync(fd);
    }
  }

  /** Deletes the filler files: space returns. */
  free(): void {
    for (let i = 0; i < this.#fillers; i++) rmSync(join(this.dir, `filler-${i}`), { force: true });
  }

  readOnly(on: boolean): void {
    execFileSync('mount', ['-o', `remount,${on ? 'ro' : 'rw'}`, this.dir]);
  }

  unmount(): void {
    execFileSync('umount', ['-l', this.dir]);
    rmdirSync(this.dir);
  }
}
