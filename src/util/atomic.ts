// Writes that never leave a half-written file or folder behind.
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';

export function writeFileAtomic(path: string, data: string | Uint8Array): void {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = join(dirname(path), `.tmp-${process.pid}-${basename(path)}`);
  writeFileSync(tmp, data);
  renameSync(tmp, path);
}

/**
 * Fills a temporary sibling folder with write(tmpDir), then swaps it into place.
 * An existing folder at `dir` is only removed once the new one is complete.
 */
export function writeDirAtomic(dir: string, write: (tmpDir: string) => void): void {
  const parent = dirname(dir);
  mkdirSync(parent, { recursive: true });
  const tmp = join(parent, `.tmp-${process.pid}-${basename(dir)}`);
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp);
  try {
    write(tmp);
  } catch (e) {
    rmSync(tmp, { recursive: true, force: true });
    throw e;
  }
  const old = join(parent, `.old-${process.pid}-${basename(dir)}`);
  if (existsSync(dir)) renameSync(dir, old);
  renameSync(tmp, dir);
  rmSync(old, { recursive: true, force: true });
}

const TEMPORARY = /^\.(tmp|old)-(\d+)-/;

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Removes .tmp-PID-* and .old-PID-* leftovers of killed writes in dir (those of live processes stay); returns their names. */
export function removeStaleTemporaries(dir: string): string[] {
  if (!existsSync(dir)) return [];
  const stale = readdirSync(dir).filter((name) => {
    const m = TEMPORARY.exec(name);
    return m !== null && Number(m[2]) !== process.pid && !alive(Number(m[2]));
  });
  for (const name of stale) rmSync(join(dir, name), { recursive: true, force: true });
  return stale;
}
