// Embeds a corpus file of one text per line in streamed chunks: bounded memory for the
// token arrays, vectors appended to a float32 matrix file and to an index as they come.
import { countLines, streamCorpus } from '../data/corpus-file.js';
import { MatrixWriter } from '../vectors/matrix-file.js';
import type { VectorIndex } from '../vectors/vector-index.js';
import { Progress } from '../util/progress.js';
import type { TextEmbedder } from './text-embedder.js';

export interface EmbedCorpusOptions {
  /** texts per chunk handed to the embedder (it sorts each chunk by length) */
  chunkSize?: number;
  /** float32 matrix file to write the vectors to */
  matrixPath?: string;
  index?: VectorIndex;
  quiet?: boolean;
  /** the file's line count when the caller has it (for the progress line) */
  lines?: number;
}

/** Returns the corpus texts in file order (data/corpus-file's rule); their ids are their positions. */
export async function embedCorpus(embedder: TextEmbedder, file: string, o: EmbedCorpusOptions = {}): Promise<string[]> {
  const total = o.lines ?? await countLines(file);
  const progress = new Progress('embed corpus', total, 'texts', o.quiet);
  const writer = o.matrixPath ? new MatrixWriter(o.matrixPath, embedder.dim) : undefined;
  const texts: string[] = [];
  try {
    for await (const { texts: chunk } of streamCorpus(file, o.chunkSize ?? 2048)) {
      const vectors = await embedder.embed(chunk);
      writer?.append(vectors);
      o.index?.add(vectors, vectors.map((_, i) => texts.length + i));
      texts.push(...chunk);
      progress.update(texts.length);
    }
  } catch (e) {
    writer?.abandon();
    throw e;
  }
  if (!texts.length) {
    writer?.abandon();
    throw new Error(`${file}: empty corpus`);
  }
  writer?.close();
  progress.done(texts.length);
  return texts;
}
