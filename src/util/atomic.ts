// Writes that never leave a half-written file or folder behind. One convention for every temporary:
// `.tmp-PID-NAME` beside its target (`.old-PID-NAME` for a folder being replaced), so that
// removeStaleTemporaries can clean up after any killed writer.
import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { makeDir } from './make-dir.js';

/** This process's temporary sibling of path (its folder is created). */
export function temporarySibling(path: string): string {
  makeDir(dirname(path));
  return join(dirname(path), `.tmp-${process.pid}-${basename(path)}`);
}

export function writeFileAtomic(path: string, data: string | Uint8Array): void {
  writeFileAtomicByPath(path, (tmp) => writeFileSync(tmp, data));
}

/** For writers that take a path (native libraries): write(tmpPath), then renamed over path; removed if write fails. */
export function writeFileAtomicByPath(path: string, write: (tmpPath: string) => void): void {
  const tmp = temporarySibling(path);
  try {
    write(tmp);
  } catch (e) {
    rmSync(tmp, { force: true });
    const code = (e as NodeJS.ErrnoException).code;
    throw code && (e as Error).message.includes(tmp) ? new Error(`${path}: cannot write here (${code})`) : e;
  }
  renameSync(tmp, path);
}

export interface TempFile {
  readonly fd: number;
  /** fsyncs, closes and renames the temporary over its target */
  commit(): void;
  /** closes and removes the temporary; returns the error to throw (a full disk is said so) */
  abort(e?: unknown): Error;
}

/** A temporary sibling of path, open for writing (for writers that append and finish later). */
export function openTempFile(path: string): TempFile {
  const tmp = temporarySibling(path);
  let fd: number;
  try {
    fd = openSync(tmp, 'w');
  } catch (e) {
    throw new Error(`${path}: cannot write here (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  return {
    fd,
    commit(): void {
      fsyncSync(fd);
      closeSync(fd);
      renameSync(tmp, path);
    },
    abort(e?: unknown): Error {
      closeSync(fd);
      rmSync(tmp, { force: true });
      return (e as NodeJS.ErrnoException | undefined)?.code === 'ENOSPC' ? new Error(`${path}: not enough disk space`) : (e as Error ?? new Error(`${path}: abandoned`));
    },
  };
}

/**
 * Streams a file into place: write(fd) appends to a temporary sibling, which is renamed over
 * `path` once complete (and removed if writing fails, e.g. when the disk is full).
 */
export function writeFileAtomicStreamed(path: string, write: (fd: number) => void): void {
  const file = openTempFile(path);
  try {
    write(file.fd);
  } catch (e) {
    throw file.abort(e);
  }
  file.commit();
}

/** writeFileAtomicStreamed for writers that await between writes (streamed inputs). */
export async function writeFileAtomicStreamedAsync(path: string, write: (fd: number) => Promise<void>): Promise<void> {
  const file = openTempFile(path);
  try {
    await write(file.fd);
  } catch (e) {
    throw file.abort(e);
  }
  file.commit();
}

/**
 * Fills a temporary sibling folder with write(tmpDir), then swaps it into place.
 * An existing folder at `dir` is only removed once the new one is complete.
 */
export function writeDirAtomic(dir: string, write: (tmpDir: string) => void): void {
  const tmp = beginDir(dir);
  try {
    write(tmp);
  } catch (e) {
    rmSync(tmp, { recursive: true, force: true });
    throw e;
  }
  swapInto(tmp, dir);
}

/** writeDirAtomic for writers that await (streamed inputs, worker threads). */
export async function writeDirAtomicAsync(dir: string, write: (tmpDir: string) => Promise<void>): Promise<void> {
  const tmp = beginDir(dir);
  try {
    await write(tmp);
  } catch (e) {
    rmSync(tmp, { recursive: true, force: true });
    throw e;
  }
  swapInto(tmp, dir);
}

/** A fresh temporary sibling of dir (after cleaning up what killed writes of dir left). */
function beginDir(dir: string): string {
  const parent = dirname(dir);
  makeDir(parent);
  removeStaleTemporaries(parent, basename(dir));
  const tmp = temporarySibling(dir);
  try {
    rmSync(tmp, { recursive: true, force: true });
    mkdirSync(tmp);
  } catch (e) {
    // the temporary is an implementation detail: say where the output cannot go
    throw new Error(`${dir}: cannot write a folder here (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  return tmp;
}

/** Moves a complete temporary folder into place; an existing dir is removed only once the new one is there. */
function swapInto(tmp: string, dir: string): void {
  const old = join(dirname(dir), `.old-${process.pid}-${basename(dir)}`);
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

/**
 * Cleans up after writes that were killed, in dir (those of live processes are left alone):
 * a .old-PID-NAME whose NAME is missing was killed between the two renames of writeDirAtomic,
 * and is renamed back (the earlier output is restored); any other .tmp-PID-* or .old-PID-* is
 * removed. Only entries for `name` when given. Returns what was removed or restored.
 */
export function removeStaleTemporaries(dir: string, name?: string): string[] {
  if (!existsSync(dir)) return [];
  const stale = readdirSync(dir).filter((entry) => {
    const m = TEMPORARY.exec(entry);
    return m !== null && Number(m[2]) !== process.pid && !alive(Number(m[2])) && (name === undefined || entry.slice(m[0].length) === name);
  });
  for (const entry of stale.sort()) { // .old-* before .tmp-*: restore first
    const original = entry.replace(TEMPORARY, '');
    if (entry.startsWith('.old-') && !existsSync(join(dir, original))) renameSync(join(dir, entry), join(dir, original));
    else rmSync(join(dir, entry), { recursive: true, force: true });
  }
  return stale;
}
