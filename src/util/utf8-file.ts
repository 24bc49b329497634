// Reading text files strictly: invalid UTF-8 is an error naming the file and line (never a silent
// U+FFFD), and a leading byte-order mark is dropped.
import { createReadStream, readFileSync } from 'node:fs';

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

/** The lines of a file, streamed (without their \n or \r\n), strictly decoded. */
export async function* utf8Lines(file: string): AsyncGenerator<string> {
  const decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
  const stream = createReadStream(file);
  let pending = '';
  let lineNo = 0;
  let first = true;
  try {
    for await (const chunk of stream) {
      let text: string;
      try {
        text = decoder.decode(chunk as Buffer, { stream: true });
      } catch {
        throw new Error(`${file}:${lineNo + pending.split('\n').length - 1 + invalidLine(chunk as Buffer, 1)}: invalid UTF-8 (is this a text file?)`);
      }
      if (first && text) { if (text.startsWith(BOM)) text = text.slice(1); first = false; }
      pending += text;
      const lines = pending.split('\n');
      pending = lines.pop()!;
      for (const line of lines) { lineNo++; yield line.endsWith('\r') ? line.slice(0, -1) : line; }
    }
    pending += decoder.decode();
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code) throw cannotRead(file, e);
    throw e;
  }
  if (pending) yield pending.endsWith('\r') ? pending.slice(0, -1) : pending;
}
