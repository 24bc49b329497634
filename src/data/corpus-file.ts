// A corpus file: one text per line. The one rule every command shares: the text is the
// line's first tab-separated column, trimmed (a second column, e.g. a label, is ignored,
// so a text never contains a TAB and recall files stay three columns); blank lines are skipped.
// Texts are numbered 0, 1, ... in file order among the non-blank lines.
import { createReadStream } from 'node:fs';
import { utf8Lines } from '../util/utf8-file.js';

export function corpusText(line: string): string {
  const tab = line.indexOf('\t');
  return (tab >= 0 ? line.slice(0, tab) : line).trim();
}

function cannotRead(file: string, e: unknown): Error {
  return new Error(`${file}: cannot read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
}

/** Streams the texts in chunks, so millions of lines are never held at once. */
export async function* streamCorpus(file: string, chunkSize = 4096): AsyncGenerator<{ texts: string[]; firstLine: number }> {
  let texts: string[] = [];
  let lineNo = 0, first = 1;
  for await (const raw of utf8Lines(file)) {
    lineNo++;
    const text = corpusText(raw);
    if (!text) continue;
    if (!texts.length) first = lineNo;
    texts.push(text);
    if (texts.length >= chunkSize) {
      yield { texts, firstLine: first };
      texts = [];
    }
  }
  if (texts.length) yield { texts, firstLine: first };
}

/** All texts of a small corpus (a dev set), through the same stream. */
export async function readCorpusTexts(file: string): Promise<string[]> {
  const texts: string[] = [];
  for await (const chunk of streamCorpus(file)) for (const t of chunk.texts) texts.push(t);
  if (!texts.length) throw new Error(`${file}: empty corpus`);
  return texts;
}

/** Lines in a file (a last line without a newline counts), read in chunks. */
export async function countLines(file: string): Promise<number> {
  let count = 0, last = 10;
  try {
    for await (const chunk of createReadStream(file)) {
      const buf = chunk as Buffer;
      for (let i = 0; i < buf.length; i++) if (buf[i] === 10) count++;
      if (buf.length) last = buf[buf.length - 1]!;
    }
  } catch (e) {
    throw cannotRead(file, e);
  }
  return last === 10 ? count : count + 1;
}
