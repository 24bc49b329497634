// inbatch index verify: re-checks a corpus folder or a pgvector table (retrieval/store-checks.ts):
// exit 0 when every check holds, 1 when one does not (each is printed with what it found).
import { Option } from '@commander-js/extra-typings';
import { openCorpusFolder, CONTRACT_K, type OpenedCorpus } from '../retrieval/corpus-store.js';
import { PgVectorStore } from '../retrieval/pgvector-store.js';
import { formatChecks, metricCheck, normCheck, recallCheck, type Check } from '../retrieval/store-checks.js';
import { exactTopK, measureRecall, sampleIds, type SampleQueries } from '../vectors/recall-contract.js';
import type { Command } from './command.js';
import { anyModelOption, apiKeyOption, documentPrefixOption, embedBatchOption, endpointModelOption, intIn, maxSeqLengthOption, numberWhere, pathValue, poolingOption, queryPrefixOption, dimensionsOption, allowUntrainedDimensionsOption, UsageError } from './flags.js';
import { loadAnyEmbedder, type AnyModelFlags } from './model-flags.js';

const VERIFY_SEED = 29; // not the build's seed: fresh queries

export function addIndexVerifyCommand(index: Command): void {
  index.command('verify')
    .description('Check an index folder or pgvector table: metric, normalisation, shape, model, and its recall of the exact top 10 (exit 1 if one fails).')
    .addOption(new Option('--index <dir>', 'a folder written by inbatch index').argParser(pathValue))
    .addOption(new Option('--store <url>', 'or a pgvector table: postgres://user@host:port/db?table=NAME'))
    .addOption(anyModelOption())
    .addOption(poolingOption()).addOption(queryPrefixOption()).addOption(dimensionsOption()).addOption(allowUntrainedDimensionsOption()).addOption(documentPrefixOption()).addOption(apiKeyOption()).addOption(endpointModelOption())
    .addOption(embedBatchOption()).addOption(maxSeqLengthOption())
    .addOption(new Option('--queries <n>', 'sample queries for the recall check').argParser(intIn(10, 100_000)).default(100))
    .addOption(new Option('--min-recall <r>', 'required recall of the exact top 10 (default: the stored contract\'s lower bound)').argParser(numberWhere((v) => v > 0 && v <= 1, 'in (0, 1]')))
    .action(async (f) => {
      if (!f.index === !f.store) throw new UsageError('give exactly one of --index DIR and --store URL');
      const checks = f.index ? await verifyFolder(f.index, f) : await verifyStore(f.store!, f);
      console.log(formatChecks(f.index ?? f.store!.replace(/:[^:@/]*@/, ':***@'), checks));
      if (checks.some((c) => !c.ok)) process.exitCode = 1;
    });
}

interface VerifyFlags extends AnyModelFlags { model?: string; queries: number; minRecall?: number }

async function modelChecks(f: VerifyFlags, dim: number, storedFingerprint: object | null, stored: Array<{ text: string; vector: Float32Array }>): Promise<Check[]> {
  if (!f.model) return [];
  const { embedder, fingerprint, release } = await loadAnyEmbedder(f.model, f);
  try {
    const checks: Check[] = [{ name: 'dimension', ok: embedder.dim === dim, detail: `the model gives ${embedder.dim}-d vectors, the index holds ${dim}-d` }];
    const same = JSON.stringify(fingerprint) === JSON.stringify(storedFingerprint);
    checks.push({ name: 'fingerprint', ok: same, detail: same ? 'the index was built by this model' : `the index was built by ${JSON.stringify(storedFingerprint)}, not ${JSON.stringify(fingerprint)}` });
    if (embedder.dim === dim && stored.length) {
      const again = await embedder.embed(stored.map((s) => s.text));
      const worst = Math.min(...again.map((v, i) => v.reduce((a, x, j) => a + x * stored[i]!.vector[j]!, 0)));
      checks.push({ name: 're-embed', ok: worst >= 0.99, detail: `${stored.length} stored texts embedded again: lowest cosine with their stored vectors ${worst.toFixed(4)}` });
    }
    return checks;
  } finally {
    await release();
  }
}

async function verifyFolder(dir: string, f: VerifyFlags): Promise<Check[]> {
  let opened: OpenedCorpus;
  try {
    opened = openCorpusFolder(dir);
  } catch (e) {
    return [{ name: 'shape', ok: false, detail: (e as Error).message }];
  }
  try {
    const { manifest, index, floats, texts } = opened;
    const checks: Check[] = [{ name: 'shape', ok: true, detail: `${manifest.size} texts, vectors and ${manifest.kind} index entries of ${manifest.dim} dimensions agree` }];
    const ids = sampleIds(manifest.size, f.queries, VERIFY_SEED);
    const vectors = ids.map((id) => floats.row(id));
    checks.push(normCheck(vectors));
    const queries: SampleQueries = { vectors, exclude: ids, source: 'verify' };
    const found = await index.search(vectors, CONTRACT_K + 1);
    checks.push(metricCheck(vectors, found, (id) => floats.row(id)));
    checks.push(recallCheck(measureRecall(exactTopK(floats, queries, CONTRACT_K), found, queries, CONTRACT_K), manifest.contract, f.minRecall));
    checks.push(...await modelChecks(f, manifest.dim, manifest.embedder, ids.slice(0, 16).map((id, i) => ({ text: texts.textOf(id), vector: vectors[i]! }))));
    return checks;
  } finally {
    opened.close();
  }
}

async function verifyStore(url: string, f: VerifyFlags): Promise<Check[]> {
  const store = await PgVectorStore.connect(url);
  try {
    const d = await store.open();
    const checks: Check[] = [];
    const meta = d.meta;
    const shapeOk = !!meta && meta.dim === d.dim && meta.size === d.rows;
    checks.push({ name: 'shape', ok: shapeOk, detail: !meta ? 'the table has no inbatch metadata (not written by inbatch index, or its load did not finish)' : `${d.rows} rows of vector(${d.dim}); the metadata says ${meta.size} of ${meta.dim}` });
    const hnsw = d.indexes.filter((i) => i.method === 'hnsw' || i.method === 'ivfflat');
    const ip = hnsw.find((i) => i.opclass === 'vector_ip_ops');
    checks.push({
      name: 'index', ok: !!ip,
      detail: ip ? `${ip.name}: ${ip.method} with vector_ip_ops (inner product, as the model is trained)`
        : hnsw.length ? `the index ${hnsw.map((i) => `${i.name} uses ${i.opclass}`).join(', ')}, but the model's vectors are compared by inner product (vector_ip_ops, <#>): that index is not used by inner-product queries, or ranks by another distance; recreate it with vector_ip_ops`
          : 'no HNSW/IVFFlat index on the embedding column: every query scans the whole table',
    });
    const ids = sampleIds(d.rows, f.queries, VERIFY_SEED);
    const rows = await store.rowsOf(ids);
    const vectors = rows.map((r) => r.vector);
    checks.push(normCheck(vectors));
    const queries: SampleQueries = { vectors, exclude: rows.map((r) => r.id), source: 'verify' };
    const [found, truth] = [await store.search(vectors, CONTRACT_K + 1), await store.exactSearch(vectors, CONTRACT_K + 1)];
    const byId = new Map(rows.map((r) => [r.id, r.vector]));
    const extra = await store.rowsOf([...new Set(found.flatMap((l) => l.slice(0, 3).map((h) => h.id)))].filter((id) => !byId.has(id)));
    for (const r of extra) byId.set(r.id, r.vector);
    checks.push(metricCheck(vectors, found, (id) => byId.get(id)!));
    checks.push(recallCheck(measureRecall(truth, found, queries, CONTRACT_K), (meta?.contract as { recall: number; low: number } | undefined) ?? null, f.minRecall));
    checks.push(...await modelChecks(f, d.dim!, meta?.embedder ?? null, rows.slice(0, 16)));
    return checks;
  } finally {
    await store.close();
  }
}
