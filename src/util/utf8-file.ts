// Reading text files strictly: invalid UTF-8 is an error naming the file and line (never a silent
// U+FFFD), and a leading byte-order mark is dropped.
import { createReadStream, readFileSync, statSync } from 'node:fs';

const BOM = '\uFEFF';

function cannotRead(file: string, e: unknown): Error {
  return new Error(`${file}: cannot read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
}

/** 1-based line of the first invalid UTF-8 sequence in bytes (whose first line is `firstLine`). */
function invalidLine(bytes: Uint8Array, firstLine: number): number {
  const strict = new TextDecoder('utf-8', { fatal: true });
  let start = 0;
  for (let line = firstLine; ; line++) {
    let end = bytes.indexOf(10, start);
    if (end < 0) end = bytes.length;
    try {
      strict.decode(bytes.subarray(start, end));
    } catch {
      return line;
    }
    if (end >= bytes.length) return line;
    start = end + 1;
  }
}

export function readUtf8File(file: string): string {
  let bytes: Buffer;
  try {
    bytes = readFileSync(file);
  } catch (e) {
    throw cannotRead(file, e);
  }
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes);
  } catch {
    throw new Error(`${file}:${invalidLine(bytes, 1)}: invalid UTF-8 (is this a text file?)`);
  }
  return text.startsWith(BOM) ? text.slice(1) : text;
}

/** Longest line of a streamed text file, in UTF-16 code units: a longer one is an error naming it. */
export const MAX_LINE_CHARS = 16 << 20;

/** The lines of a file, streamed (without their \n or \r\n), strictly decoded; a line is assembled once. */
export async function* utf8Lines(file: string): AsyncGenerator<string> {
  const decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
  try {
    if (!statSync(file).isFile()) throw new Error(`${file}: not a regular file (a pipe or a device is not read: its end cannot be known)`);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code) throw cannotRead(file, e);
    throw e;
  }
  const stream = createReadStream(file);
  let parts: string[] = [];
  let partChars = 0;
  let lineNo = 0;
  let first = true;
  const finish = (tail: string) => {
    const line = parts.length ? parts.join('') + tail : tail;
    parts = [];
    partChars = 0;
    return line.endsWith('\r') ? line.slice(0, -1) : line;
  };
  try {
    for await (const chunk of stream) {
      let text: string;
      try {
        text = decoder.decode(chunk as Buffer, { stream: true });
      } catch {
        throw new Error(`${file}:${lineNo + invalidLine(chunk as Buffer, 1)}: invalid UTF-8 (is this a text file?)`);
      }
      if (first && text) { if (text.startsWith(BOM)) text = text.slice(1); first = false; }
      let start = 0;
      for (let nl = text.indexOf('\n'); nl >= 0; nl = text.indexOf('\n', start)) {
        lineNo++;
        if (partChars + nl - start > MAX_LINE_CHARS) throw new Error(`${file}:${lineNo}: line longer than ${MAX_LINE_CHARS} characters`);
        yield finish(text.slice(start, nl));
        start = nl + 1;
      }
      if (start < text.length) {
        parts.push(text.slice(start));
        partChars += text.length - start;
        if (partChars > MAX_LINE_CHARS) throw new Error(`${file}:${lineNo + 1}: line longer than ${MAX_LINE_CHARS} characters`);
      }
    }
    const last = decoder.decode();
    if (last) { parts.push(last); partChars += last.length; }
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code) throw cannotRead(file, e);
    throw e;
  } finally {
    stream.destroy();
  }
  if (partChars) yield finish('');
}
