// sha256 of files' contents, streamed: what identifies weights (model fingerprints) and data (mteb's
// dataset_revision) by content rather than by path or mtime.
//   digest = sha256( for each file, in order: basename \0 byte length \0 bytes )
import { closeSync, openSync, readSync, statSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { basename } from 'node:path';

/** sha256 over the files' names, lengths and bytes, read in 4 MiB pieces. */
export function hashFiles(files: string[]): string {
  const hash = createHash('sha256');
  const buffer = Buffer.allocUnsafe(4 << 20);
  for (const file of files) {
    const fd = openSync(file, 'r');
    try {
      hash.update(`${basename(file)}\0${statSync(file).size}\0`);
      for (let n; (n = readSync(fd, buffer, 0, buffer.length, null)) > 0;) hash.update(buffer.subarray(0, n));
    } finally {
      closeSync(fd);
    }
  }
  return hash.digest('hex');
}
