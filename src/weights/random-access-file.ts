// A file read by position, never whole: checkpoints (weights, Adam moments) grow past what
// readFileSync takes (2 GiB) and past what is worth holding twice in memory. Every read is checked
// against the file's size first and names the file, the byte range and what was being read.
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';

const MAX_READ = 1 << 30; // one readSync moves at most 2 GiB - 1; stay well below

export class RandomAccessFile {
  private constructor(readonly path: string, private fd: number, readonly size: number) {}

  static open(path: string): RandomAccessFile {
    let fd: number;
    try {
      fd = openSync(path, 'r');
    } catch (e) {
      throw new Error(`${path}: cannot read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
    }
    try {
      const stat = fstatSync(fd);
      if (!stat.isFile()) throw new Error(`${path}: not a regular file`);
      return new RandomAccessFile(path, fd, stat.size);
    } catch (e) {
      closeSync(fd);
      throw e;
    }
  }

  /** Bytes [offset, offset + length) of the file; `what` names them in errors. */
  read(offset: number, length: number, what = 'data'): Uint8Array {
    if (!Number.isSafeInteger(offset) || !Number.isSafeInteger(length) || offset < 0 || length < 0) {
      throw new Error(`${this.path}: ${what}: bad byte range (offset ${offset}, length ${length})`);
    }
    if (offset + length > this.size) {
      throw new Error(`${this.path}: ${what} at bytes [${offset}, ${offset + length}) runs past the end of the file (${this.size} bytes; truncated?)`);
    }
    const out = new Uint8Array(length);
    for (let done = 0; done < length;) {
      const n = readSync(this.fd, out, done, Math.min(MAX_READ, length - done), offset + done);
      if (n === 0) throw new Error(`${this.path}: ${what}: the file ended at byte ${offset + done} while being read (changed underneath?)`);
      done += n;
    }
    return out;
  }

  close(): void {
    if (this.fd >= 0) closeSync(this.fd);
    this.fd = -1;
  }
}

/** Opens path, hands it to body, and closes it whatever happens. */
export function withFile<R>(path: string, body: (file: RandomAccessFile) => R): R {
  const file = RandomAccessFile.open(path);
  try {
    return body(file);
  } finally {
    file.close();
  }
}
