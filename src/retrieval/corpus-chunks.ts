// The corpus half of recall, resumable: rows are streamed from the corpus files and cut into
// chunks of `chunkSize` rows; each chunk is embedded (by one of `embedder.parallel` workers) and
// written into WORK/chunks as three files, the .json last:
//   NNNNNN.tsv   its texts, one per line (id<TAB>text for a corpus with ids)
//   NNNNNN.npy   its vectors, float32 [rows, dim]
//   NNNNNN.json  {rows, sha256 of the .tsv}: the chunk is done once this exists
// WORK/build.json names what is being built (model, corpus files, chunking); a rerun with the same
// one skips done chunks (after checking each one's texts still hash the same) and a rerun with
// another is refused. A killed run loses at most the chunks in flight, and the assembled result is
// byte-identical to an uninterrupted run's (each chunk is embedded alone, in the same batches).
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { corpusRows, type CorpusFormat, type CorpusStats } from '../data/corpus-rows.js';
import { TextTableWriter } from '../data/text-table.js';
import { writeFileAtomic, removeStaleTemporaries } from '../util/atomic.js';
import { readJsonObject } from '../util/json-file.js';
import { makeDir } from '../util/make-dir.js';
import { Progress } from '../util/progress.js';
import { encodeRows, NpyRows, NpyWriter } from '../vectors/npy.js';

/** Embeds chunks, `parallel` at a time (worker processes, or this one). */
export interface ChunkEmbedder {
  readonly dim: number;
  readonly parallel: number;
  embed(texts: string[]): Promise<Float32Array>;
  close(): Promise<void>;
}

export interface ChunkPlan {
  files: string[];
  format: CorpusFormat;
  maxChars: number;
  skipBad: boolean;
  chunkSize: number;
  /** what embeds (a model fingerprint, its settings) */
  embedder: object;
}

export interface ChunkRunOptions {
  /** only chunks c with c % count === index */
  shard?: { index: number; count: number };
  overwrite?: boolean;
  quiet?: boolean;
}

export interface ChunkRunReport {
  chunks: number;
  rows: number;
  embedded: number;
  reused: number;
  /** every chunk is done (false for a shard whose siblings have not run) */
  complete: boolean;
  hasIds: boolean;
  stats: CorpusStats;
  seconds: number;
}

const chunkName = (c: number) => String(c).padStart(6, '0');
/** A done chunk's marker (not a killed writer's `.tmp-PID-NNNNNN.json`). */
const CHUNK_MARKER = /^\d{6,}\.json$/;
/** How many chunks of a work folder are done. */
export const doneChunkCount = (dir: string) => (existsSync(dir) ? readdirSync(dir).filter((n) => CHUNK_MARKER.test(n)).length : 0);

function describePlan(plan: ChunkPlan): object {
  return {
    files: plan.files.map((f) => { const s = statSync(f); return { path: resolve(f), size: s.size, mtime: s.mtimeMs }; }),
    format: plan.format, max_chars: plan.maxChars, skip_bad_lines: plan.skipBad, chunk_size: plan.chunkSize, embedder: plan.embedder,
  };
}

/** Starts or resumes the build in workDir; refuses one begun for another corpus or model unless overwrite. */
export function openWork(workDir: string, plan: ChunkPlan, overwrite = false): void {
  const path = join(workDir, 'build.json');
  const wanted = describePlan(plan);
  if (existsSync(path) && !overwrite) {
    const had = readJsonObject(path) as Record<string, unknown>;
    const differs = Object.keys(wanted).filter((k) => JSON.stringify(had[k]) !== JSON.stringify((wanted as Record<string, unknown>)[k]));
    const doneChunks = doneChunkCount(join(workDir, 'chunks'));
    if (differs.length && doneChunks === 0) overwrite = true; // nothing embedded yet: nothing to lose
    else if (differs.length) {
      throw new Error(`${workDir} holds a build of another ${differs.join(', ')} (the corpus files or the model changed since it began; ${doneChunks} chunks done): ` +
        'rerun with the same inputs to resume, or pass --overwrite to start again');
    } else return;
  }
  if (overwrite) rmSync(join(workDir, 'chunks'), { recursive: true, force: true });
  makeDir(join(workDir, 'chunks'));
  writeFileAtomic(path, JSON.stringify(wanted, null, 1));
}

function chunkTsv(rows: Array<{ id?: string; text: string }>): Buffer {
  return Buffer.from(rows.map((r) => (r.id !== undefined ? `${r.id}\t${r.text}` : r.text)).join('\n') + '\n', 'utf8');
}

/** Embeds every chunk not yet done (of this shard), writing each as it completes. */
export async function embedChunks(workDir: string, plan: ChunkPlan, embedder: ChunkEmbedder, o: ChunkRunOptions = {}): Promise<ChunkRunReport> {
  const started = Date.now();
  const dir = join(workDir, 'chunks');
  removeStaleTemporaries(dir); // a killed run's half-written chunk files
  const stats: CorpusStats = { rows: 0, skipped: 0, examples: [] };
  const inFlight = new Set<Promise<void>>();
  let failure: unknown;
  let chunk = 0, embedded = 0, reused = 0, hasIds: boolean | undefined, pendingRows: Array<{ id?: string; text: string }> = [];
  const progress = new Progress('embed corpus', 0, 'texts', o.quiet);
  let doneRows = 0;

  const submit = async (c: number, rows: Array<{ id?: string; text: string }>) => {
    const tsv = chunkTsv(rows);
    const sha = createHash('sha256').update(tsv).digest('hex');
    const marker = join(dir, `${chunkName(c)}.json`);
    if (existsSync(marker)) {
      const had = readJsonObject(marker) as { rows?: number; sha256?: string };
      if (had.sha256 !== sha || had.rows !== rows.length) throw new Error(`${marker}: chunk ${c} was embedded from other texts: the corpus changed since this build began; pass --overwrite to start again`);
      reused++;
      doneRows += rows.length;
      return;
    }
    if (o.shard && c % o.shard.count !== o.shard.index) return;
    while (inFlight.size >= embedder.parallel) await Promise.race(inFlight);
    if (failure) throw failure;
    const job = (async () => {
      const vectors = await embedder.embed(rows.map((r) => r.text));
      if (vectors.length !== rows.length * embedder.dim) throw new Error(`chunk ${c}: ${vectors.length / embedder.dim} vectors for ${rows.length} texts`);
      writeFileAtomic(join(dir, `${chunkName(c)}.tsv`), tsv);
      const w = new NpyWriter(join(dir, `${chunkName(c)}.npy`), 'float32', embedder.dim);
      w.appendBytes(encodeRows('float32', vectors));
      w.close();
      writeFileAtomic(marker, JSON.stringify({ rows: rows.length, sha256: sha }));
      embedded++;
      doneRows += rows.length;
      progress.update(doneRows, { chunks: `${embedded + reused}` });
    })().catch((e) => { failure ??= e; });
    inFlight.add(job);
    void job.finally(() => inFlight.delete(job));
  };

  for await (const row of corpusRows(plan.files, { format: plan.format, maxChars: plan.maxChars, skipBad: plan.skipBad, stats })) {
    if (failure) break;
    const withId = row.id !== undefined;
    hasIds ??= withId;
    if (hasIds !== withId) throw new Error(`${plan.files.join(', ')}: some files have ids (TSV) and some do not; use one layout`);
    pendingRows.push(row);
    progress.setTotal(stats.rows);
    if (pendingRows.length === plan.chunkSize) {
      await submit(chunk++, pendingRows);
      pendingRows = [];
    }
  }
  if (pendingRows.length && !failure) await submit(chunk++, pendingRows);
  await Promise.all(inFlight);
  if (failure) throw failure;
  if (!stats.rows) throw new Error(`${plan.files.join(', ')}: an empty corpus${stats.skipped ? ` (${stats.skipped} bad lines skipped)` : ''}`);
  progress.done(doneRows, { chunks: `${embedded + reused}/${chunk}` });
  const done = doneChunkCount(dir);
  return { chunks: chunk, rows: stats.rows, embedded, reused, complete: done === chunk, hasIds: hasIds ?? false, stats, seconds: (Date.now() - started) / 1000 };
}

export interface AssembledCorpus {
  rows: number;
  dim: number;
  hasIds: boolean;
}

/** Joins the chunks, in order, into OUT/vectors.npy (float32 or float16), OUT/texts and OUT/ids tables. */
export function assembleChunks(workDir: string, chunks: number, outDir: string, dtype: 'float32' | 'float16', hasIds: boolean): AssembledCorpus {
  const dir = join(workDir, 'chunks');
  makeDir(outDir);
  let vectors: NpyWriter | undefined;
  const texts = new TextTableWriter(join(outDir, 'texts'));
  const ids = hasIds ? new TextTableWriter(join(outDir, 'ids')) : undefined;
  try {
    for (let c = 0; c < chunks; c++) {
      const rows = new NpyRows(join(dir, `${chunkName(c)}.npy`));
      try {
        vectors ??= new NpyWriter(join(outDir, 'vectors.npy'), dtype, rows.cols);
        if (rows.cols !== vectors.cols) throw new Error(`${rows.path}: ${rows.cols} dimensions, chunk 0 has ${vectors.cols}`);
        const data = rows.read(0, rows.rows);
        vectors.appendBytes(encodeRows(dtype, data));
      } finally {
        rows.close();
      }
      const lines = readFileSync(join(dir, `${chunkName(c)}.tsv`), 'utf8').split('\n');
      lines.pop();
      for (const line of lines) {
        if (ids) {
          const tab = line.indexOf('\t');
          ids.append(line.slice(0, tab));
          texts.append(line.slice(tab + 1));
        } else texts.append(line);
      }
    }
    if (!vectors) throw new Error(`${workDir}: no chunks to assemble`);
    if (vectors.rows !== texts.size) throw new Error(`${workDir}: ${vectors.rows} vectors for ${texts.size} texts`);
    texts.close();
    ids?.close();
    vectors.close();
    return { rows: texts.size, dim: vectors.cols, hasIds };
  } catch (e) {
    texts.abandon();
    ids?.abandon();
    vectors?.abandon();
    throw e;
  }
}

/** Once assembled, the chunks and the build record are no longer needed (the output records the plan). */
export function removeWork(workDir: string): void {
  rmSync(join(workDir, 'chunks'), { recursive: true, force: true });
  rmSync(join(workDir, 'build.json'), { force: true });
}

export { describePlan };
