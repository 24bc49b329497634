// `inbatch mine` as a library function: streams pair files, ranks each query against a corpus
// index with the model, and writes query<TAB>positive[<TAB>its own negatives]<TAB>mined... per row.
// Rows are processed in chunks: memory holds one chunk of rows, never the pair files.
import { statSync, writeSync } from 'node:fs';
import { DataFileError } from '../data/errors.js';
import { fileLines } from '../data/input-files.js';
import { pairColumns } from '../data/pairs.js';
import { writeFileAtomicStreamedAsync } from '../util/atomic.js';
import { Progress } from '../util/progress.js';
import { innerProduct } from '../vectors/inner-product.js';
import type { CorpusIndex } from './corpus-index.js';
import { NegativeSelector, type MiningCounts, type MiningOptions } from './hard-negatives.js';
import type { TextEmbedder } from './text-embedder.js';

/** query, positive and 14 hard negatives: what prepare and train read */
export const MAX_PAIR_COLUMNS = 16;

export interface MinePairsOptions {
  mining: MiningOptions;
  skipBadLines?: boolean;
  chunkRows?: number;
  quiet?: boolean;
}

export interface MinePairsReport extends MiningCounts {
  badLines: DataFileError[];
  badLineCount: number;
}

interface Row { cols: string[] }

export async function minePairs(corpus: CorpusIndex, embedder: TextEmbedder, files: string[], output: string, options: MinePairsOptions): Promise<MinePairsReport> {
  const selector = new NegativeSelector(options.mining);
  const { negatives, rangeMax } = options.mining;
  const chunkRows = options.chunkRows ?? 1024;
  const badLines: DataFileError[] = [];
  let badLineCount = 0;
  const totalBytes = files.reduce((s, f) => s + statSync(f).size, 0);
  const progress = new Progress('mine', totalBytes, 'B', options.quiet ?? false);
  const read = { bytes: 0 };

  await writeFileAtomicStreamedAsync(output, async (fd) => {
    let chunk: Row[] = [];
    const flush = async () => {
      if (!chunk.length) return;
      const queries = chunk.map((r) => r.cols[0]!), positives = chunk.map((r) => r.cols[1]!);
      const vectors = await embedder.embed([...queries, ...positives]);
      const rankings = await corpus.searchVectors(vectors.slice(0, chunk.length), Math.min(rangeMax, corpus.size));
      let out = '';
      chunk.forEach((row, i) => {
        const positiveScore = innerProduct(vectors[i]!, vectors[chunk.length + i]!);
        const ranking = rankings[i]!.map((h) => ({ id: corpus.textOf(h.id), score: h.score }));
        const mined = selector.select(queries[i]!, positives[i]!, positiveScore, ranking, row.cols.slice(2));
        out += [...row.cols, ...mined].join('\t') + '\n';
      });
      writeSync(fd, out);
      chunk = [];
      progress.update(read.bytes, { rows: selector.counts.rows });
    };
    for (const file of files) {
      let lineNo = 0;
      for await (const line of fileLines(file, read)) {
        lineNo++;
        if (line !== null && line.trim() === '') continue;
        let cols = line === null ? 'invalid UTF-8' : pairColumns(line, MAX_PAIR_COLUMNS);
        if (typeof cols !== 'string' && cols.length + negatives > MAX_PAIR_COLUMNS) cols = `${cols.length - 2} hard negative(s) here plus ${negatives} mined exceed the ${MAX_PAIR_COLUMNS - 2} a row may have`;
        if (typeof cols === 'string') {
          const err = new DataFileError(file, lineNo, cols);
          if (!options.skipBadLines) throw err;
          if (badLines.length < 100) badLines.push(err);
          badLineCount++;
          continue;
        }
        chunk.push({ cols });
        if (chunk.length >= chunkRows) await flush();
      }
    }
    await flush();
  });
  progress.done(read.bytes, { rows: selector.counts.rows });
  return { ...selector.counts, badLines, badLineCount };
}
