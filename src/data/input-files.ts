// Input files named as a file, a folder (all its files) or a glob on the file name
// (data/*.tsv.gz), read as lines from plain or gzip files, with strict UTF-8 per line.
import { createReadStream, existsSync, readdirSync, statSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { createGunzip } from 'node:zlib';
import picomatch from 'picomatch';
import { DataFileError } from './errors.js';
import { pairColumns } from './pairs.js';

/**
 * The files an argument names, in a stable (sorted) order. A path that exists is taken literally
 * (data[1].tsv is that file, not a pattern); otherwise its file name may be a glob (picomatch).
 * Only regular files are read: a FIFO or a device (/dev/zero) would never end.
 */
export function expandInputs(inputs: string[]): string[] {
  const files: string[] = [];
  for (const input of inputs) {
    if (existsSync(input)) {
      const s = statSync(input);
      if (s.isDirectory()) {
        const inside = readdirSync(input).filter((n) => !n.startsWith('.') && statSync(join(input, n)).isFile()).sort();
        if (!inside.length) throw new Error(`${input}: an empty folder`);
        files.push(...inside.map((n) => join(input, n)));
      } else if (s.isFile()) files.push(input);
      else throw new Error(`${input}: not a regular file (a pipe or a device is not read: its end cannot be known)`);
    } else if (picomatch.scan(basename(input)).isGlob) {
      const dir = dirname(input);
      if (picomatch.scan(dir).isGlob) throw new Error(`${input}: only the file name may hold a wildcard`);
      const matches = existsSync(dir) ? readdirSync(dir).filter((n) => picomatch.isMatch(n, basename(input), { dot: false }) && statSync(join(dir, n)).isFile()).sort() : [];
      if (!matches.length) throw new Error(`${input}: no file matches`);
      files.push(...matches.map((n) => join(dir, n)));
    } else throw new Error(`${input}: no such file or folder`);
  }
  return files;
}

/** Longest line read from an input file: a longer one is an error naming its line, never a quadratic assembly. */
export const MAX_LINE_BYTES = 16 << 20;

/** Lines of a plain or .gz file; a line that is not valid UTF-8 comes as null. `bytes` counts the compressed bytes read. */
export async function* fileLines(file: string, progress?: { bytes: number }): AsyncGenerator<string | null> {
  const strict = new TextDecoder('utf-8', { fatal: true });
  if (existsSync(file) && !statSync(file).isFile()) throw new Error(`${file}: not a regular file (a pipe or a device is not read: its end cannot be known)`);
  const raw = createReadStream(file);
  if (progress) raw.on('data', (c) => { progress.bytes += (c as Buffer).length; });
  const stream = file.endsWith('.gz') ? raw.pipe(createGunzip()) : raw;
  let first = true;
  const decode = (bytes: Buffer): string | null => {
    let b = bytes.length && bytes[bytes.length - 1] === 13 ? bytes.subarray(0, -1) : bytes;
    if (first) { first = false; if (b[0] === 0xef && b[1] === 0xbb && b[2] === 0xbf) b = b.subarray(3); }
    try {
      return strict.decode(b);
    } catch {
      return null;
    }
  };
  // the pieces of the line being read, joined once when its end comes: linear in the line's length
  let pending: Buffer[] = [];
  let pendingBytes = 0, line = 0;
  try {
    for await (const chunk of stream) {
      const buf = chunk as Buffer;
      let start = 0;
      for (let nl = buf.indexOf(10, start); nl >= 0; nl = buf.indexOf(10, start)) {
        line++;
        const piece = buf.subarray(start, nl);
        if (pendingBytes + piece.length > MAX_LINE_BYTES) throw new DataFileError(file, line, `line longer than ${MAX_LINE_BYTES} bytes`);
        yield decode(pending.length ? Buffer.concat([...pending, piece]) : piece);
        pending = [];
        pendingBytes = 0;
        start = nl + 1;
      }
      if (start < buf.length) {
        pending.push(Buffer.from(buf.subarray(start)));
        pendingBytes += buf.length - start;
        if (pendingBytes > MAX_LINE_BYTES) throw new DataFileError(file, line + 1, `line longer than ${MAX_LINE_BYTES} bytes`);
      }
    }
  } catch (e) {
    if (e instanceof DataFileError) throw e;
    const code = (e as NodeJS.ErrnoException).code;
    throw new Error(`${file}: cannot read (${code === 'Z_DATA_ERROR' || code === 'Z_BUF_ERROR' ? 'not a valid gzip file' : code ?? (e as Error).message})`);
  } finally {
    raw.destroy();
  }
  if (pendingBytes) yield decode(Buffer.concat(pending));
}

/** Every row of the inputs as [query, positive, ...], with file:line errors for malformed rows. */
export async function* pairRows(files: string[]): AsyncGenerator<{ cols: string[]; raw: string }> {
  for (const file of files) {
    let line = 0;
    for await (const raw of fileLines(file)) {
      line++;
      if (raw === null) throw new DataFileError(file, line, 'invalid UTF-8');
      if (raw.trim() === '') continue;
      const cols = pairColumns(raw, 64);
      if (typeof cols === 'string') throw new DataFileError(file, line, cols);
      yield { cols, raw };
    }
  }
}
