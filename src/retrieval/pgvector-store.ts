// pgvector as the corpus store, through the Postgres wire protocol (node-postgres):
//   table  (id bigint primary key, doc_id text, text text, embedding vector(dim))
//   index  USING hnsw (embedding vector_ip_ops): inner product, the model's metric on normalised vectors
//   query  ORDER BY embedding <#> q LIMIT k  (<#> is the negative inner product; score = -(<#>))
//   meta   the table's COMMENT: {"inbatch": 1, dim, size, metric, embedder, contract}
// Rows are inserted in id order, one transaction per batch, so count(*) is where a resumed load
// continues. Exact search (the recall contract's truth) turns index scans off for its transaction.
import type pgTypes from 'pg';
import type pgvectorTypes from 'pgvector';
import { lazyModule } from '../util/lazy-module.js';
import type { Hit } from '../vectors/topk.js';
import type { VectorSearch } from '../vectors/vector-index.js';

export interface StoreTarget {
  url: string;
  table: string;
  /** the URL without its password, for messages */
  display: string;
  efSearch: number;
  /** the HNSW index's build parameters (default 32, 200: pgvector's own 16, 64 kept 0.9995 of the exact top 10 on LCQMC, 32, 200 all of it) */
  m: number;
  efConstruction: number;
  /** an SQL condition on the table's columns (id, doc_id, text) that every hit must meet; the operator's own, never a request's */
  filter?: string;
}

// loaded on first use, as every heavy dependency
const pg = lazyModule<typeof pgTypes>('pg');
const pgvector = lazyModule<typeof pgvectorTypes>('pgvector');

const IDENTIFIER = /^[a-z_][a-z0-9_]{0,54}$/;

/** postgres://user:pass@host:port/db?table=NAME&ef_search=N&m=M&ef_construction=E&filter=SQL (table default inbatch_corpus). */
export function parseStoreUrl(url: string): StoreTarget {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new Error(`--store ${url}: not a URL (expected postgres://user@host:port/db?table=NAME)`);
  }
  if (u.protocol !== 'postgres:' && u.protocol !== 'postgresql:') throw new Error(`--store: ${u.protocol} is not a store inbatch writes to (postgres://...)`);
  const table = u.searchParams.get('table') ?? 'inbatch_corpus';
  const efSearch = Number(u.searchParams.get('ef_search') ?? 100);
  if (!IDENTIFIER.test(table)) throw new Error(`--store: table "${table}" must be a lower-case SQL identifier (letters, digits, _; at most 55)`);
  if (!Number.isSafeInteger(efSearch) || efSearch < 1 || efSearch > 1000) throw new Error('--store: ef_search must be an integer in 1..1000 (pgvector\'s range)');
  const m = Number(u.searchParams.get('m') ?? 32), efConstruction = Number(u.searchParams.get('ef_construction') ?? 200);
  if (!Number.isSafeInteger(m) || m < 2 || m > 100) throw new Error('--store: m must be an integer in 2..100 (pgvector\'s range)');
  if (!Number.isSafeInteger(efConstruction) || efConstruction < 2 * m || efConstruction > 1000) throw new Error(`--store: ef_construction must be an integer in ${2 * m}..1000 (at least 2 * m)`);
  const shown = new URL(u.href);
  if (shown.password) shown.password = '***';
  const filter = u.searchParams.get('filter') ?? undefined;
  if (filter !== undefined && (/;|--|\/\*/.test(filter) || !filter.trim())) throw new Error('--store: filter must be one SQL condition (no ";", no comments)');
  for (const k of ['table', 'ef_search', 'm', 'ef_construction', 'filter']) u.searchParams.delete(k);
  return { url: u.href, table, display: shown.href, efSearch, m, efConstruction, filter };
}

export interface StoreMeta {
  inbatch: 1;
  dim: number;
  size: number | null;
  metric: 'ip';
  embedder: object;
  contract?: unknown;
}

export interface StoreDescription {
  exists: boolean;
  /** the embedding column's declared dimension */
  dim?: number;
  rows: number;
  meta?: StoreMeta;
  /** indexes on the embedding column: name, access method, operator class */
  indexes: Array<{ name: string; method: string; opclass: string; definition: string }>;
}

export class PgVectorStore implements VectorSearch {
  readonly kind = 'pgvector';
  dim = 0;
  size = 0;
  /** pgvector's version on the server (iterative index scans need 0.8) */
  private version: number[] = [0];

  private constructor(readonly target: StoreTarget, private readonly client: pgTypes.Client) {}

  static async connect(url: string): Promise<PgVectorStore> {
    const target = parseStoreUrl(url);
    const client = new (pg().Client)({ connectionString: target.url, connectionTimeoutMillis: 15_000 });
    client.on('error', () => undefined); // a dropped connection fails the query in flight, with its own message
    try {
      await client.connect();
      await client.query('CREATE EXTENSION IF NOT EXISTS vector');
    } catch (e) {
      await client.end().catch(() => undefined);
      throw new Error(`${target.display}: cannot use the database (${(e as Error).message || (e as NodeJS.ErrnoException).code})`);
    }
    const store = new PgVectorStore(target, client);
    const v = await client.query("SELECT extversion FROM pg_extension WHERE extname = 'vector'");
    store.version = String(v.rows[0]?.extversion ?? '0').split('.').map(Number);
    return store;
  }

  private get name(): string { return `${this.target.display} table ${this.target.table}`; }

  private q(sql: string, params?: unknown[]): Promise<pgTypes.QueryResult> {
    return this.client.query(sql, params).catch((e: Error) => { throw new Error(`${this.name}: ${e.message}`); });
  }

  async describe(): Promise<StoreDescription> {
    const t = this.target.table;
    const exists = (await this.q('SELECT to_regclass($1) AS r', [t])).rows[0].r !== null;
    if (!exists) return { exists, rows: 0, indexes: [] };
    const col = await this.q(`SELECT format_type(atttypid, atttypmod) AS type FROM pg_attribute WHERE attrelid = $1::regclass AND attname = 'embedding' AND NOT attisdropped`, [t]);
    const type: string | undefined = col.rows[0]?.type;
    const dim = type && /^vector\((\d+)\)$/.exec(type) ? Number(/^vector\((\d+)\)$/.exec(type)![1]) : undefined;
    const rows = Number((await this.q(`SELECT count(*) AS n FROM ${t}`)).rows[0].n);
    const comment: string | null = (await this.q('SELECT obj_description($1::regclass, \'pg_class\') AS c', [t])).rows[0].c;
    let meta: StoreMeta | undefined;
    try {
      const parsed = comment ? JSON.parse(comment) : undefined;
      if (parsed && parsed.inbatch === 1) meta = parsed;
    } catch { /* a comment of someone else's */ }
    const idx = await this.q(`SELECT c.relname AS name, am.amname AS method, opc.opcname AS opclass, pg_get_indexdef(i.indexrelid) AS definition
      FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_am am ON am.oid = c.relam
      JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = i.indkey[0]
      JOIN pg_opclass opc ON opc.oid = i.indclass[0]
      WHERE i.indrelid = $1::regclass AND a.attname = 'embedding'`, [t]);
    return { exists, dim, rows, meta, indexes: idx.rows as StoreDescription['indexes'] };
  }

  /**
   * Makes the table ready for `dim`-d vectors of `embedder`: created when missing; an existing one
   * is kept (and resumed) only when built by the same model and dimension; otherwise refused, or
   * dropped with overwrite. Returns the rows already there.
   */
  async prepare(dim: number, embedder: object, overwrite: boolean): Promise<number> {
    const t = this.target.table;
    const d = await this.describe();
    if (d.exists && !overwrite) {
      if (!d.meta) throw new Error(`${this.name}: exists and was not written by inbatch index (no inbatch comment); choose another table, or pass --overwrite to replace it`);
      if (d.meta.dim !== dim || d.dim !== dim) throw new Error(`${this.name}: holds ${d.dim ?? d.meta.dim}-d vectors, this model gives ${dim}-d; pass --overwrite to replace them`);
      if (JSON.stringify(d.meta.embedder) !== JSON.stringify(embedder)) throw new Error(`${this.name}: was built by another model (${JSON.stringify(d.meta.embedder)}); pass --overwrite to replace it`);
      this.dim = dim;
      this.size = d.rows;
      return d.rows;
    }
    if (d.exists) await this.q(`DROP TABLE ${t}`);
    await this.q(`CREATE TABLE ${t} (id bigint PRIMARY KEY, doc_id text, text text NOT NULL, embedding vector(${dim}) NOT NULL)`);
    await this.setMeta({ inbatch: 1, dim, size: null, metric: 'ip', embedder });
    this.dim = dim;
    this.size = 0;
    return 0;
  }

  async setMeta(meta: StoreMeta): Promise<void> {
    await this.q(`COMMENT ON TABLE ${this.target.table} IS ${pg().escapeLiteral(JSON.stringify(meta))}`);
  }

  /** Inserts rows first, first + 1, ... in one transaction. */
  async insert(first: number, vectors: Float32Array, dim: number, texts: string[], docIds?: string[]): Promise<void> {
    const ids = texts.map((_, i) => first + i);
    const literals = texts.map((_, i) => pgvector().toSql(Array.from(vectors.subarray(i * dim, (i + 1) * dim))));
    await this.q('BEGIN');
    try {
      await this.q(`INSERT INTO ${this.target.table} (id, doc_id, text, embedding) SELECT * FROM unnest($1::bigint[], $2::text[], $3::text[], $4::vector[])`, [ids, docIds ?? texts.map(() => null), texts, literals]);
      await this.q('COMMIT');
    } catch (e) {
      await this.q('ROLLBACK').catch(() => undefined);
      throw e;
    }
    this.size = first + texts.length;
  }

  /** The HNSW index with inner product (vector_ip_ops), unless one exists. */
  async createIndex(): Promise<void> {
    await this.q(`CREATE INDEX IF NOT EXISTS ${this.target.table}_embedding_hnsw ON ${this.target.table} USING hnsw (embedding vector_ip_ops) WITH (m = ${this.target.m}, ef_construction = ${this.target.efConstruction})`);
  }

  /** Opens an existing table for search, reading its dimension and size. */
  async open(): Promise<StoreDescription> {
    const d = await this.describe();
    if (!d.exists) throw new Error(`${this.name}: no such table (build it with inbatch index --store)`);
    if (!d.dim) throw new Error(`${this.name}: has no embedding vector(n) column`);
    this.dim = d.dim;
    this.size = d.rows;
    return d;
  }

  search(queries: Float32Array[], k: number): Promise<Hit[][]> {
    return this.ranked(queries, k, false);
  }

  /** The exact top k (a sequential scan: no index is used). */
  exactSearch(queries: Float32Array[], k: number): Promise<Hit[][]> {
    return this.ranked(queries, k, true);
  }

  private async ranked(queries: Float32Array[], k: number, exact: boolean): Promise<Hit[][]> {
    await this.q('BEGIN');
    try {
      await this.q(exact ? 'SET LOCAL enable_indexscan = off' : `SET LOCAL hnsw.ef_search = ${Math.max(this.target.efSearch, Math.min(1000, k))}`);
      // with a filter, pgvector (0.8+) keeps scanning the graph until k rows pass it
      if (!exact && this.target.filter && (this.version[0]! > 0 || this.version[1]! >= 8)) await this.q('SET LOCAL hnsw.iterative_scan = relaxed_order');
      if (exact) await this.q('SET LOCAL enable_bitmapscan = off');
      const out: Hit[][] = [];
      for (const q of queries) {
        const where = this.target.filter ? `WHERE (${this.target.filter}) ` : '';
        const r = await this.q(`SELECT id, (embedding <#> $1::vector) AS d FROM ${this.target.table} ${where}ORDER BY embedding <#> $1::vector LIMIT ${Math.max(0, Math.floor(k))}`, [pgvector().toSql(Array.from(q))]);
        out.push(r.rows.map((row: { id: string; d: number }) => ({ id: Number(row.id), score: Math.fround(-row.d) })));
      }
      await this.q('COMMIT');
      return out;
    } catch (e) {
      await this.q('ROLLBACK').catch(() => undefined);
      throw e;
    }
  }

  async textsOf(ids: number[]): Promise<Map<number, string>> {
    const r = await this.q(`SELECT id, text FROM ${this.target.table} WHERE id = ANY($1::bigint[])`, [ids]);
    return new Map(r.rows.map((row: { id: string; text: string }) => [Number(row.id), row.text]));
  }

  /** Stored rows by id (for checks), in id order. */
  async rowsOf(ids: number[]): Promise<Array<{ id: number; text: string; vector: Float32Array }>> {
    const r = await this.q(`SELECT id, text, embedding::text AS e FROM ${this.target.table} WHERE id = ANY($1::bigint[]) ORDER BY id`, [ids]);
    return r.rows.map((row: { id: string; text: string; e: string }) => ({ id: Number(row.id), text: row.text, vector: Float32Array.from(pgvector().fromSql(row.e) as number[]) }));
  }

  async close(): Promise<void> {
    await this.client.end().catch(() => undefined);
  }
}
