// Embeds a corpus file of one text per line in streamed chunks: bounded memory for the
// token arrays, vectors appended to a reusable float32 matrix file and to an index.
import { createReadStream } from 'node:fs';
import { streamCorpus } from '../data/paddle-recall-files.js';
import { MatrixWriter } from '../index/matrix-file.js';
import type { VectorIndex } from '../index/vector-index.js';
import { Progress } from '../util/progress.js';
import type { TextEncoder } from './text-encoder.js';

export async function countLines(file: string): Promise<number> {
  let count = 0, last = 10;
  for await (const chunk of createReadStream(file)) {
    const buf = chunk as Buffer;
    for (let i = 0; i < buf.length; i++) if (buf[i] === 10) count++;
    if (buf.length) last = buf[buf.length - 1]!;
  }
  return last === 10 ? count : count + 1;
}

export interface EmbedCorpusOptions {
  /** texts per chunk handed to the encoder (it sorts each chunk by length) */
  chunkSize?: number;
  /** float32 matrix file to write the vectors to */
  matrixPath?: string;
  index?: VectorIndex;
  quiet?: boolean;
}

/** Returns the corpus texts in file order (blank lines skipped); their ids are their positions. */
export async function embedCorpus(encoder: TextEncoder, file: string, o: EmbedCorpusOptions = {}): Promise<string[]> {
  const total = await countLines(file);
  const progress = new Progress('embed corpus', total, 'texts', o.quiet);
  const writer = o.matrixPath ? new MatrixWriter(o.matrixPath, encoder.dim) : undefined;
  const texts: string[] = [];
  for await (const { texts: chunk } of streamCorpus(file, o.chunkSize ?? 2048)) {
    const vectors = await encoder.embed(chunk);
    writer?.append(vectors);
    o.index?.add(vectors, vectors.map((_, i) => texts.length + i));
    texts.push(...chunk);
    progress.update(texts.length);
  }
  writer?.close();
  if (!texts.length) throw new Error(`${file}: empty corpus`);
  progress.done(texts.length);
  return texts;
}
