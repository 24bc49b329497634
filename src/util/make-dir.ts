// Creating a folder and its parents, one level at a time: Node's recursive mkdir spins forever
// under /proc, and reports ENOENT where the real reason is a read-only or non-folder parent.
import { accessSync, constants, mkdirSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';

export function makeDir(path: string): void {
  const target = resolve(path);
  const missing: string[] = [];
  let at = target;
  for (;;) {
    let isDir: boolean;
    try {
      isDir = statSync(at).isDirectory();
    } catch {
      missing.push(at);
      const parent = dirname(at);
      if (parent === at) break;
      at = parent;
      continue;
    }
    if (!isDir) throw new Error(`cannot create ${path}: ${at} is not a folder`);
    if (missing.length) {
      try {
        accessSync(at, constants.W_OK);
      } catch {
        throw new Error(`cannot create ${path}: ${at} is not writable`);
      }
    }
    break;
  }
  for (const dir of missing.reverse()) {
    try {
      mkdirSync(dir);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'EEXIST') continue;
      throw new Error(`cannot create ${path}: ${dir}: ${code === 'ENOENT' ? 'this file system does not allow new folders here' : code ?? (e as Error).message}`);
    }
  }
}
