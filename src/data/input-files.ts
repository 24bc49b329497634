// Input files named as a file, a folder (all its files) or a glob on the file name
// (data/*.tsv.gz), read as lines from plain or gzip files, with strict UTF-8 per line.
import { createReadStream, existsSync, readdirSync, statSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { createGunzip } from 'node:zlib';

/** The files an argument names, in a stable (sorted) order. */
export function expandInputs(inputs: string[]): string[] {
  const files: string[] = [];
  for (const input of inputs) {
    if (/[*?[]/.test(basename(input))) {
      const dir = dirname(input);
      const pattern = new RegExp(`^${basename(input).replace(/[.+^${}()|\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}$`);
      if (/[*?[]/.test(dir)) throw new Error(`${input}: only the file name may hold a wildcard`);
      const matches = existsSync(dir) ? readdirSync(dir).filter((n) => pattern.test(n) && statSync(join(dir, n)).isFile()).sort() : [];
      if (!matches.length) throw new Error(`${input}: no file matches`);
      files.push(...matches.map((n) => join(dir, n)));
    } else if (existsSync(input) && statSync(input).isDirectory()) {
      const inside = readdirSync(input).filter((n) => !n.startsWith('.') && statSync(join(input, n)).isFile()).sort();
      if (!inside.length) throw new Error(`${input}: an empty folder`);
      files.push(...inside.map((n) => join(input, n)));
    } else if (existsSync(input)) files.push(input);
    else throw new Error(`${input}: no such file or folder`);
  }
  return files;
}

/** Lines of a plain or .gz file; a line that is not valid UTF-8 comes as null. `bytes` counts the compressed bytes read. */
export async function* fileLines(file: string, progress?: { bytes: number }): AsyncGenerator<string | null> {
  const strict = new TextDecoder('utf-8', { fatal: true });
  const raw = createReadStream(file);
  if (progress) raw.on('data', (c) => { progress.bytes += (c as Buffer).length; });
  const stream = file.endsWith('.gz') ? raw.pipe(createGunzip()) : raw;
  let rest: Buffer | undefined;
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
  try {
    for await (const chunk of stream) {
      let buf = rest ? Buffer.concat([rest, chunk as Buffer]) : (chunk as Buffer);
      let start = 0;
      for (let nl = buf.indexOf(10, start); nl >= 0; nl = buf.indexOf(10, start)) {
        yield decode(buf.subarray(start, nl));
        start = nl + 1;
      }
      rest = start < buf.length ? Buffer.from(buf.subarray(start)) : undefined;
      buf = Buffer.alloc(0);
    }
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new Error(`${file}: cannot read (${code === 'Z_DATA_ERROR' || code === 'Z_BUF_ERROR' ? 'not a valid gzip file' : code ?? (e as Error).message})`);
  }
  if (rest?.length) yield decode(rest);
}
