// The one retrieval pipeline: embed a corpus (streamed from a file, or given), index it
// (HNSW or exact), embed queries, search, and map ids back to texts. Saved as one folder,
// written atomically: the vector index, texts.txt (one text per id), corpus.json, and bm25/ (the
// lexical index over the same texts, for the bm25 and hybrid retrievers) when one was built.
import { existsSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { countLines, readCorpusTexts } from '../data/corpus-file.js';
import { writeDirAtomic } from '../util/atomic.js';
import { readUtf8File } from '../util/utf8-file.js';
import { Progress } from '../util/progress.js';
import { Bm25Index, DEFAULT_BM25, type Bm25Params } from '../lexical/bm25-index.js';
import { createIndex, type IndexKind } from '../vectors/create-index.js';
import { DEFAULT_HNSW, type HnswOptions } from '../vectors/hnsw.js';
import { loadIndex } from '../vectors/load-index.js';
import type { VectorIndex, VectorSearch } from '../vectors/vector-index.js';
import { PgVectorStore } from './pgvector-store.js';

const isVectorIndex = (i: VectorSearch): i is VectorIndex => typeof (i as Partial<VectorIndex>).save === 'function';
import { embedCorpus } from './embed-corpus.js';
import type { EmbeddingCache } from './embedding-cache.js';
import { Bm25Retriever, DEFAULT_HYBRID, DenseRetriever, HybridRetriever, type HybridOptions, type Retriever, type RetrieverKind } from './retriever.js';
import type { Hit } from '../vectors/topk.js';
import type { TextEmbedder } from './text-embedder.js';
import { readJsonObject } from '../util/json-file.js';
import { isCorpusFolder, openCorpusFolder, type CorpusManifest } from './corpus-store.js';

export interface IndexSpec {
  kind: IndexKind;
  hnsw: HnswOptions;
}

export const DEFAULT_INDEX_SPEC: IndexSpec = { kind: 'hnsw', hnsw: DEFAULT_HNSW };

export interface SearchOptions {
  /** how to rank (default dense) */
  retriever?: RetrieverKind;
  /** the model that embedded the corpus: dense and hybrid need it */
  embedder?: TextEmbedder;
  hybrid?: HybridOptions;
}

const TEXTS_FILE = 'texts.txt';
const META_FILE = 'corpus.json';
const LEXICAL_DIR = 'bm25';

/** A corpus's texts by id: an array (a dev set), or a file-backed table (inbatch index). */
export interface CorpusTexts extends Iterable<string> {
  readonly size: number;
  textOf(id: number): string;
  /** A remote table's texts are fetched for the hits a search returned, before textOf reads them. */
  prefetch?(ids: number[]): Promise<void>;
}

/** The texts of a pgvector table: fetched for each search's hits, kept in a bounded cache. */
class StoreTexts implements CorpusTexts {
  private readonly cache = new Map<number, string>();
  constructor(private readonly store: PgVectorStore, readonly size: number) {}

  async prefetch(ids: number[]): Promise<void> {
    const missing = [...new Set(ids)].filter((id) => !this.cache.has(id));
    if (!missing.length) return;
    if (this.cache.size + missing.length > 100_000) this.cache.clear();
    for (const [id, text] of await this.store.textsOf(missing)) this.cache.set(id, text);
  }

  textOf(id: number): string {
    const text = this.cache.get(id);
    if (text === undefined) throw new RangeError(`text ${id} of ${this.store.target.table} was not fetched (only a search's hits are)`);
    return text;
  }

  [Symbol.iterator](): Iterator<string> {
    throw new Error(`the texts of pgvector table ${this.store.target.table} are not read whole (BM25 and hybrid need an index folder: inbatch index --output)`);
  }
}

export function arrayTexts(list: string[]): CorpusTexts {
  return {
    size: list.length,
    textOf: (id) => {
      const text = list[id];
      if (text === undefined) throw new RangeError(`no text ${id} in a corpus of ${list.length}`);
      return text;
    },
    [Symbol.iterator]: () => list[Symbol.iterator](),
  };
}

export class CorpusIndex {
  readonly texts: CorpusTexts;

  constructor(readonly index: VectorSearch, texts: string[] | CorpusTexts, public lexical?: Bm25Index, readonly manifest?: CorpusManifest) {
    this.texts = Array.isArray(texts) ? arrayTexts(texts) : texts;
    if (index.size !== this.texts.size) throw new Error(`an index of ${index.size} vectors for ${this.texts.size} texts`);
    if (lexical && lexical.size !== this.texts.size) throw new Error(`a BM25 index of ${lexical.size} documents for ${this.texts.size} texts`);
  }

  /** Builds the BM25 index over the texts (once; a saved one is kept unless params differ). */
  withLexical(params: Bm25Params = DEFAULT_BM25): this {
    if (!this.lexical || this.lexical.params.k1 !== params.k1 || this.lexical.params.b !== params.b) this.lexical = Bm25Index.build(this.texts, params);
    return this;
  }

  /** A retriever over this corpus: dense needs the embedder that built the vectors, bm25 the lexical index, hybrid both. */
  retriever(kind: RetrieverKind, embedder?: TextEmbedder, hybrid: HybridOptions = DEFAULT_HYBRID): Retriever {
    const dense = () => {
      if (!embedder) throw new Error('the dense retriever needs a model');
      return new DenseRetriever(this.index, embedder);
    };
    const bm25 = () => {
      if (!this.lexical) throw new Error('this index has no BM25 part (rebuild it with inbatch recall)');
      return new Bm25Retriever(this.lexical);
    };
    return kind === 'dense' ? dense() : kind === 'bm25' ? bm25() : new HybridRetriever(dense(), bm25(), hybrid);
  }

  /** The k best texts per query, best first: hit ids are corpus positions (textOf gives the text). */
  async search(queries: string[], k: number, o: SearchOptions = {}): Promise<Hit[][]> {
    const hits = await this.retriever(o.retriever ?? 'dense', o.embedder, o.hybrid).search(queries, k);
    await this.texts.prefetch?.(hits.flat().map((h) => h.id));
    return hits;
  }

  /** Vectors ranked by the index alone (callers that embed their own queries); texts of the hits readable by textOf. */
  async searchVectors(vectors: Float32Array[], k: number): Promise<Hit[][]> {
    const hits = await this.index.search(vectors, k);
    await this.texts.prefetch?.(hits.flat().map((h) => h.id));
    return hits;
  }

  /** A pgvector table written by inbatch index --store, searched in the database. */
  static async openStore(url: string): Promise<CorpusIndex & { embedder: object | null; close(): Promise<void> }> {
    const store = await PgVectorStore.connect(url);
    try {
      const d = await store.open();
      if (!d.meta || d.meta.size !== d.rows) throw new Error(`${store.target.display} table ${store.target.table}: ${d.meta ? `its load stopped at ${d.rows} of ${d.meta.size} rows` : 'not written by inbatch index'}; run inbatch index --store again`);
      const manifest = { contract: (d.meta.contract ?? null) as CorpusManifest['contract'], memory_bytes_per_text: null } as unknown as CorpusManifest;
      return Object.assign(new CorpusIndex(store, new StoreTexts(store, d.rows), undefined, manifest), { embedder: d.meta.embedder, close: () => store.close() });
    } catch (e) {
      await store.close();
      throw e;
    }
  }

  textOf(id: number): string {
    return this.texts.textOf(id);
  }

  get size(): number { return this.texts.size; }
  get dim(): number { return this.index.dim; }

  /** Embeds and indexes texts held in memory (a dev set), in chunks. */
  static async fromTexts(embedder: TextEmbedder, texts: string[], spec: IndexSpec = DEFAULT_INDEX_SPEC, quiet = true): Promise<CorpusIndex> {
    const index = createIndex(spec.kind, embedder.dim, texts.length, spec.hnsw);
    const progress = new Progress('embed corpus', texts.length, 'texts', quiet);
    for (let i = 0; i < texts.length; i += 2048) {
      const chunk = texts.slice(i, i + 2048);
      index.add(await embedder.embed(chunk), chunk.map((_, k) => i + k));
      progress.update(i + chunk.length);
    }
    progress.done(texts.length);
    return new CorpusIndex(index, texts);
  }

  /** Streams a corpus file through the embedder; with a cache, stored vectors are reused when they still match. */
  static async fromFile(embedder: TextEmbedder, file: string, spec: IndexSpec = DEFAULT_INDEX_SPEC, options: { cache?: EmbeddingCache; quiet?: boolean } = {}): Promise<CorpusIndex & { reused: boolean }> {
    const lines = await countLines(file);
    const index = createIndex(spec.kind, embedder.dim, lines, spec.hnsw);
    const { cache } = options;
    if (cache?.matches()) {
      const texts = await readCorpusTexts(file);
      cache.addTo(index, texts.length);
      return Object.assign(new CorpusIndex(index, texts), { reused: true });
    }
    const texts = await embedCorpus(embedder, file, { index, matrixPath: cache?.matrixPath, quiet: options.quiet, lines });
    cache?.commit();
    return Object.assign(new CorpusIndex(index, texts), { reused: false });
  }

  /**
   * Writes the index, its texts and corpus.json (kind, dim, size, and what embedded them) into dir,
   * all at once: a reader never sees a mix of two builds.
   */
  save(dir: string, embedder?: object): void {
    if (this.manifest || !isVectorIndex(this.index)) throw new Error(`a corpus folder or table written by inbatch index is not saved again (${dir})`);
    const index = this.index;
    writeDirAtomic(dir, (tmp) => {
      index.save(tmp);
      writeFileSync(join(tmp, TEXTS_FILE), [...this.texts].join('\n') + '\n');
      writeFileSync(join(tmp, META_FILE), JSON.stringify({ kind: this.index.kind, dim: this.dim, size: this.size, embedder: embedder ?? null }));
      this.lexical?.save(join(tmp, LEXICAL_DIR));
    });
  }

  /** Opens a folder written by save(), checking that its parts agree. */
  static load(dir: string): CorpusIndex & { embedder: object | null } {
    if (isCorpusFolder(dir)) {
      const opened = openCorpusFolder(dir);
      const lexical = existsSync(join(dir, LEXICAL_DIR)) ? Bm25Index.load(join(dir, LEXICAL_DIR)) : undefined;
      return Object.assign(new CorpusIndex(opened.index, opened.texts, lexical, opened.manifest), { embedder: opened.manifest.embedder });
    }
    const textsPath = join(dir, TEXTS_FILE), metaPath = join(dir, META_FILE);
    for (const p of [textsPath, metaPath]) if (!existsSync(p)) throw new Error(`${dir}: no ${basename(p)} (build the index with inbatch recall)`);
    const meta = readJsonObject(metaPath) as { size?: unknown; dim?: unknown; embedder?: object | null };
    const index = loadIndex(dir);
    const lines = readUtf8File(textsPath).split('\n');
    if (lines.at(-1) === '') lines.pop();
    if (meta.size !== index.size || meta.dim !== index.dim) throw new Error(`${metaPath} describes ${meta.size}x${meta.dim} but the index holds ${index.size}x${index.dim}`);
    if (lines.length !== index.size) throw new Error(`${dir}: ${TEXTS_FILE} has ${lines.length} texts but the index holds ${index.size} vectors`);
    const lexical = existsSync(join(dir, LEXICAL_DIR)) ? Bm25Index.load(join(dir, LEXICAL_DIR)) : undefined;
    return Object.assign(new CorpusIndex(index, lines, lexical), { embedder: meta.embedder ?? null });
  }
}
