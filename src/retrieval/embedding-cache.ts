// Corpus embeddings kept on disk (a float32 matrix plus a JSON sidecar naming what made them),
// reused only while the model and the corpus file are unchanged.
import { existsSync, readFileSync, rmSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { writeFileAtomic } from '../util/atomic.js';
import { readMatrix } from '../vectors/matrix-file.js';
import type { VectorIndex } from '../vectors/vector-index.js';

export class EmbeddingCache {
  readonly sidecarPath: string;
  private readonly source: string;

  /** @param modelKey anything that identifies the embedding model (e.g. model/fingerprint) */
  constructor(readonly matrixPath: string, corpusFile: string, modelKey: object) {
    const corpus = statSync(corpusFile);
    this.sidecarPath = `${matrixPath}.json`;
    this.source = JSON.stringify({ embedder: modelKey, corpus: resolve(corpusFile), corpus_size: corpus.size, corpus_mtime: corpus.mtimeMs });
  }

  matches(): boolean {
    return existsSync(this.matrixPath) && existsSync(this.sidecarPath) && readFileSync(this.sidecarPath, 'utf8') === this.source;
  }

  /** Adds the stored vectors to an index; their count must equal the corpus's. */
  addTo(index: VectorIndex, expectedRows: number): void {
    const { rows, cols, data } = readMatrix(this.matrixPath);
    if (rows !== expectedRows || cols !== index.dim) {
      throw new Error(`${this.matrixPath}: ${rows}x${cols} vectors, but the corpus has ${expectedRows} texts and the model ${index.dim} dimensions; run without reuse`);
    }
    for (let r = 0; r < rows; r += 4096) {
      const block = Array.from({ length: Math.min(4096, rows - r) }, (_, i) => data.subarray((r + i) * cols, (r + i + 1) * cols));
      index.add(block, block.map((_, i) => r + i));
    }
  }

  /** Makes the stored vectors unusable (they are about to be rewritten). */
  forget(): void {
    rmSync(this.sidecarPath, { force: true });
  }

  /** Records what made the matrix, once it is completely written. */
  commit(): void {
    writeFileAtomic(this.sidecarPath, this.source);
  }
}
