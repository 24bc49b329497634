// inbatch index: the corpus half of recall on its own, for a corpus of any size: streamed, embedded
// by N workers in resumable chunks, written as vectors.npy + a text table + a search structure
// (hnsw, exact, int8 or binary with rescoring) whose recall of the exact top 10 is measured and
// stored; or loaded into pgvector (--store). `inbatch index verify` re-checks any of them.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Option } from '@commander-js/extra-typings';
import { DEFAULT_MAX_TEXT_CHARS } from '../data/corpus-rows.js';
import { expandInputs } from '../data/input-files.js';
import { TextTable } from '../data/text-table.js';
import { Bm25Index } from '../lexical/bm25-index.js';
import { assembleChunks, describePlan, embedChunks, openWork, removeWork, type ChunkPlan } from '../retrieval/corpus-chunks.js';
import { buildSearchIndex, CONTRACT_K, saveSearchIndex, writeManifest, type CorpusManifest, type StoreKind } from '../retrieval/corpus-store.js';
import { PgVectorStore } from '../retrieval/pgvector-store.js';
import { exportBulk } from '../retrieval/bulk-export.js';
import { openCorpusFolder } from '../retrieval/corpus-store.js';
import { readJsonObject } from '../util/json-file.js';
import { Progress } from '../util/progress.js';
import { NpyRows } from '../vectors/npy.js';
import { exactTopK, measureRecall, meetRecallTarget, pseudoQueries, type RecallContract } from '../vectors/recall-contract.js';
import { rmSync } from 'node:fs';
import type { Command } from './command.js';
import {
  anyModelOption, apiKeyOption, documentPrefixOption, embedBatchOption, endpointModelOption, hnswEfOption, hnswMOption, intIn, maxSeqLengthOption, numberWhere, oneOf,
  paddleBaseOption, pathValue, poolingOption, queryPrefixOption, dimensionsOption, allowUntrainedDimensionsOption, UsageError,
} from './flags.js';
import { startChunkEmbedder } from './embed-workers.js';
import { defaultWorkerCount } from './worker-count.js';
import { addIndexVerifyCommand } from './index-verify.js';

export function addIndexCommand(program: Command): void {
  const index = program.command('index').description('Index a corpus of any size (resumable, parallel) into a folder or pgvector; `index verify` checks one.');
  index.command('build', { isDefault: true })
    .description('Embed a corpus in resumable chunks and write vectors.npy, a text table and a search index (or load pgvector).')
    .addOption(anyModelOption().makeOptionMandatory())
    .addOption(poolingOption()).addOption(queryPrefixOption()).addOption(dimensionsOption()).addOption(allowUntrainedDimensionsOption()).addOption(documentPrefixOption()).addOption(apiKeyOption()).addOption(endpointModelOption()).addOption(paddleBaseOption())
    .addOption(new Option('--corpus-file <files...>', 'files, folders or globs (plain or .gz): one text per line, or id<TAB>text (*.tsv)').makeOptionMandatory())
    .addOption(new Option('--corpus-format <f>', 'auto (tsv for *.tsv files) | lines | tsv').argParser(oneOf('auto', 'lines', 'tsv')).default('auto' as const))
    .addOption(new Option('--output <dir>', 'the index folder').argParser(pathValue))
    .addOption(new Option('--store <url>', 'or pgvector: postgres://user@host:port/db?table=NAME[&ef_search=N&m=M&ef_construction=E] (HNSW defaults 32, 200)'))
    .addOption(new Option('--work-dir <dir>', 'with --store: where the chunks and vectors are kept (default inbatch-work-TABLE)').argParser(pathValue))
    .addOption(new Option('--vectors <t>', 'float32 | float16 (HNSW or --exact over them) | int8 | binary (compressed codes, rescored with float32 from disk)').argParser(oneOf('float32', 'float16', 'int8', 'binary')).default('float32' as const))
    .addOption(new Option('--exact', 'float vectors: brute-force search instead of HNSW').default(false))
    .addOption(new Option('--workers <n>', 'embedding processes, each with cores / n threads (default: one per core, fewer where memory would not hold them)').argParser(intIn(1, 64)))
    .addOption(new Option('--shard <i/n>', 'embed only chunks c with c % n == i (several machines; a run without --shard assembles)').argParser(shardValue))
    .addOption(new Option('--chunk-size <n>', 'texts per resumable chunk').argParser(intIn(1, 1 << 20)).default(4096))
    .addOption(new Option('--recall-target <r>', 'raise ef / oversampling until the recall of the exact top 10 reaches r on the sample queries, or fail').argParser(numberWhere((v) => v > 0 && v <= 1, 'in (0, 1]')))
    .addOption(new Option('--oversample <n>', 'int8/binary: candidates kept per hit before rescoring').argParser(intIn(1, 1024)).default(4))
    .addOption(new Option('--contract-queries <n>', 'sample queries the recall contract is measured on').argParser(intIn(10, 100_000)).default(200))
    .addOption(hnswMOption()).addOption(hnswEfOption())
    .addOption(new Option('--bm25', 'also build the BM25 index (for --retriever bm25/hybrid)').default(false))
    .addOption(embedBatchOption()).addOption(maxSeqLengthOption())
    .addOption(new Option('--max-text-chars <n>', 'longer corpus texts are bad lines').argParser(intIn(1, 16 << 20)).default(DEFAULT_MAX_TEXT_CHARS))
    .addOption(new Option('--skip-bad-lines', 'count and skip bad lines (empty, invalid UTF-8, too long) instead of stopping at the first').default(false))
    .addOption(new Option('--overwrite', 'replace an index (or table) built from another corpus or model').default(false))
    .addOption(new Option('--quiet', 'no progress lines').default(false))
    .action(async (f) => {
      if (!f.output === !f.store) throw new UsageError('give exactly one of --output DIR and --store URL');
      if (f.exact && (f.vectors === 'int8' || f.vectors === 'binary')) throw new UsageError(`--exact searches float vectors; --vectors ${f.vectors} is searched by its codes`);
      if (f.store && f.vectors !== 'float32') throw new UsageError('--store keeps float32 vectors (pgvector\'s vector type)');
      const files = expandInputs(f.corpusFile);
      const workDir = f.output ?? f.workDir ?? `inbatch-work-${new URL(f.store!).searchParams.get('table') ?? 'inbatch_corpus'}`;
      const kind: StoreKind = f.vectors === 'int8' || f.vectors === 'binary' ? f.vectors : f.exact ? 'exact' : 'hnsw';
      const floatType = f.vectors === 'float16' ? 'float16' : 'float32';
      const started = Date.now();
      const workers: number = f.workers ?? defaultWorkerCount(f.model);
      const { embedder, fingerprint } = await startChunkEmbedder({ model: f.model, flags: f }, workers);
      const plan: ChunkPlan = { files, format: f.corpusFormat, maxChars: f.maxTextChars, skipBad: f.skipBadLines, chunkSize: f.chunkSize, embedder: fingerprint };
      let assembled: { rows: number; dim: number; hasIds: boolean };
      try {
        const previous = existingBuild(workDir, plan, floatType);
        if (previous) {
          assembled = previous;
          console.error(`${workDir}: already embedded (${previous.rows} texts, same corpus and model): rebuilding its search index only`);
        } else {
          if (existsSync(join(workDir, 'corpus.json')) && !f.overwrite && !existsSync(join(workDir, 'build.json'))) {
            throw new Error(`${workDir} holds an index of another corpus or model (or other --vectors); pass --overwrite to replace it`);
          }
          openWork(workDir, plan, f.overwrite);
          const report = await embedChunks(workDir, plan, embedder, { shard: f.shard, quiet: f.quiet });
          const skipped = report.stats.skipped ? `, ${report.stats.skipped} bad lines skipped (${report.stats.examples.join('; ')})` : '';
          console.error(`${report.rows} texts in ${report.chunks} chunks: ${report.embedded} embedded now, ${report.reused} done before, ${report.seconds.toFixed(1)} s${skipped}`);
          if (!report.complete) {
            console.error(`${f.shard ? `shard ${f.shard.index}/${f.shard.count} done` : 'not every chunk is done'}: run again without --shard (with every shard's chunk files in ${join(workDir, 'chunks')}) to assemble the index`);
            return;
          }
          rmSync(join(workDir, 'corpus.json'), { force: true });
          assembled = assembleChunks(workDir, report.chunks, workDir, floatType, report.hasIds);
        }
      } finally {
        await embedder.close();
      }
      const embedSeconds = (Date.now() - started) / 1000;
      if (f.store) {
        // the work folder stays an exact index of its own: a rerun resumes the load without embedding again
        writeManifest(workDir, { format: 2, kind: 'exact', vectors: 'float32', dim: assembled.dim, size: assembled.rows, ids: assembled.hasIds, embedder: fingerprint, plan: describePlan(plan), contract: null, memory_bytes_per_text: assembled.dim * 4 });
        removeWork(workDir);
        await loadStore(f.store, workDir, assembled, fingerprint, { target: f.recallTarget, queries: f.contractQueries, overwrite: f.overwrite, quiet: f.quiet });
        return;
      }
      const built = await buildSearchIndex(workDir, kind, { hnsw: { m: f.hnswM, efConstruction: f.hnswEf, ef: f.hnswEf, seed: 100 }, oversample: f.oversample, recallTarget: f.recallTarget, contractQueries: f.contractQueries, quiet: f.quiet });
      saveSearchIndex(workDir, built.index);
      if (f.bm25) withTable(join(workDir, 'texts'), (t) => Bm25Index.build(t)).save(join(workDir, 'bm25'));
      const manifest: CorpusManifest = {
        format: 2, kind, vectors: floatType, dim: assembled.dim, size: assembled.rows, ids: assembled.hasIds, embedder: fingerprint, plan: describePlan(plan),
        contract: built.contract, ...(kind === 'hnsw' ? { hnsw: { m: f.hnswM, efConstruction: f.hnswEf, ef: built.setting, seed: 100 } } : {}),
        ...(kind === 'int8' || kind === 'binary' ? { oversample: built.setting } : {}), memory_bytes_per_text: Math.round(built.bytesPerText), build_seconds: (Date.now() - started) / 1000,
      };
      writeManifest(workDir, manifest);
      removeWork(workDir);
      console.error(`${assembled.rows} texts indexed (${kind}, ${floatType} vectors.npy) in ${manifest.build_seconds!.toFixed(1)} s (embedding ${embedSeconds.toFixed(1)} s); ` +
        `recall of the exact top ${CONTRACT_K}: ${describeContract(built.contract)}; ${manifest.memory_bytes_per_text} bytes per text in memory; ${workers} embedding process${workers > 1 ? 'es' : ''}; peak RSS ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MB`);
      console.log(workDir);
    });
  addIndexVerifyCommand(index);
  index.command('export')
    .description('Write an index folder as Milvus or Qdrant bulk-import JSON files (their documented formats), with the collection they fit.')
    .addOption(new Option('--index <dir>', 'a folder written by inbatch index').argParser(pathValue).makeOptionMandatory())
    .addOption(new Option('--format <f>', 'milvus (row-based JSON for bulk insert) | qdrant (PUT .../points bodies)').argParser(oneOf('milvus', 'qdrant')).makeOptionMandatory())
    .addOption(new Option('--output <dir>', 'folder for part-NNNNN.json and collection.json').argParser(pathValue).makeOptionMandatory())
    .addOption(new Option('--rows-per-file <n>', 'rows per part file').argParser(intIn(1, 10_000_000)).default(100_000))
    .action((f) => {
      const corpus = openCorpusFolder(f.index);
      try {
        const files = exportBulk(corpus, f.format, f.output, f.rowsPerFile);
        console.error(`${corpus.manifest.size} rows in ${files.length} ${f.format} file(s) and collection.json`);
        console.log(f.output);
      } finally {
        corpus.close();
      }
    });
}

function shardValue(raw: string): { index: number; count: number } {
  const m = /^(\d+)\/(\d+)$/.exec(raw);
  if (!m || Number(m[2]) < 1 || Number(m[1]) >= Number(m[2])) throw new UsageError(`--shard ${raw}: expected i/n with 0 <= i < n`);
  return { index: Number(m[1]), count: Number(m[2]) };
}

export function describeContract(c: RecallContract): string {
  const setting = Object.entries(c.setting).map(([k, v]) => `${k} ${v}`).join(', ');
  return `${c.recall.toFixed(4)} [${c.low.toFixed(4)}, ${c.high.toFixed(4)}] on ${c.queries} queries${setting ? ` at ${setting}` : ''}`;
}

function withTable<T>(base: string, use: (t: TextTable) => T): T {
  const t = new TextTable(base);
  try {
    return use(t);
  } finally {
    t.close();
  }
}

/** A finished build in dir of the same plan and float type: only its search structure is redone. */
function existingBuild(dir: string, plan: ChunkPlan, floatType: string): { rows: number; dim: number; hasIds: boolean } | undefined {
  const path = join(dir, 'corpus.json');
  if (!existsSync(path) || !existsSync(join(dir, 'vectors.npy'))) return undefined;
  const m = readJsonObject(path) as Partial<CorpusManifest>;
  if (m.format !== 2 || m.vectors !== floatType || JSON.stringify(m.plan) !== JSON.stringify(describePlan(plan))) return undefined;
  return { rows: m.size!, dim: m.dim!, hasIds: m.ids === true };
}

interface StoreLoad { target?: number; queries: number; overwrite: boolean; quiet: boolean }

/** Loads the assembled vectors and texts into pgvector (resuming after the rows already there), indexes them and measures the contract. */
async function loadStore(url: string, workDir: string, a: { rows: number; dim: number; hasIds: boolean }, embedder: object, o: StoreLoad): Promise<void> {
  const store = await PgVectorStore.connect(url);
  const floats = new NpyRows(join(workDir, 'vectors.npy'));
  const texts = new TextTable(join(workDir, 'texts'));
  const ids = a.hasIds ? new TextTable(join(workDir, 'ids')) : undefined;
  try {
    const from = await store.prepare(a.dim, embedder, o.overwrite);
    if (from > a.rows) throw new Error(`${store.target.display} table ${store.target.table}: holds ${from} rows, the corpus has ${a.rows}; pass --overwrite`);
    const progress = new Progress('load pgvector', a.rows - from, 'rows', o.quiet);
    const batch = 1000;
    for (let r = from; r < a.rows; r += batch) {
      const n = Math.min(batch, a.rows - r);
      const range = Array.from({ length: n }, (_, i) => r + i);
      await store.insert(r, floats.read(r, n), a.dim, range.map((id) => texts.textOf(id)), ids ? range.map((id) => ids.textOf(id)) : undefined);
      progress.update(r + n - from);
    }
    progress.done(a.rows - from);
    await store.createIndex();
    const queries = pseudoQueries(floats, o.queries);
    const truth = exactTopK(floats, queries, CONTRACT_K);
    const efs = o.target ? [40, 80, 160, 320, 640, 1000].filter((e) => e >= Math.min(store.target.efSearch, 1000)) : [store.target.efSearch];
    const reached = await meetRecallTarget(efs, o.target ?? 0, async (ef) => {
      store.target.efSearch = ef;
      return measureRecall(truth, await store.search(queries.vectors, CONTRACT_K + 1), queries, CONTRACT_K);
    });
    const contract: RecallContract = { ...reached.result, source: queries.source, setting: { ef_search: reached.setting } };
    await store.setMeta({ inbatch: 1, dim: a.dim, size: a.rows, metric: 'ip', embedder, contract });
    if (o.target && !reached.met) throw new Error(`pgvector reaches a recall of ${reached.result.recall.toFixed(4)} at ef_search ${reached.setting} at best, under --recall-target ${o.target}`);
    console.error(`${a.rows} rows in ${store.target.display} table ${store.target.table} (${from ? `${from} were there, ` : ''}HNSW vector_ip_ops m ${store.target.m}, ef_construction ${store.target.efConstruction}); recall of the exact top ${CONTRACT_K}: ${describeContract(contract)}`);
  } finally {
    floats.close();
    texts.close();
    ids?.close();
    await store.close();
  }
}
