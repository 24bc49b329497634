// Writes that never leave a half-written file or folder behind.
import { existsSync, mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
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
