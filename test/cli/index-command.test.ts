// inbatch index: resumable chunks (kill -9 and rerun = byte-identical), shards, bad lines,
// refusals, and pgvector through a real Postgres wire server (PGlite + pgvector on 127.0.0.1).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import pg from 'pg';
import { cli, inbatch, inbatchChild } from './cli-fixture.js';
import { NpyRows } from '../../src/vectors/npy.js';
import { doneChunkCount } from '../../src/retrieval/corpus-chunks.js';
import { mixedTexts, needsTorch, repoRoot, tempDir, writeVocab } from '../helpers.js';
import { SYNTHETIC_CHARS } from '../train/synthetic.js';

const skip = needsTorch;

function world(dir: string, count = 4000): { model: string; corpus: string; texts: string[] } {
  const vocab = writeVocab(dir, SYNTHETIC_CHARS);
  const model = join(dir, 'model');
  const init = inbatch('init', '--config', 'tiny', '--vocab', vocab, '--output-emb-size', '32', '--max-seq-length', '24', '--save-dir', model);
  assert.equal(init.code, 0, init.err);
  const texts = [...new Set(mixedTexts(SYNTHETIC_CHARS, count * 2).map((t) => t.replace(/\s+/g, ' ')))].slice(0, count);
  const corpus = join(dir, 'corpus.txt');
  writeFileSync(corpus, texts.join('\n') + '\n');
  return { model, corpus, texts };
}

const files = ['vectors.npy', 'texts.bin', 'texts.idx'];

/** Runs index and SIGKILLs it once `doneChunks` chunk markers exist. */
async function killAfter(args: string[], out: string, doneChunks: number): Promise<number> {
  const child = spawn(process.execPath, [cli, ...args], { stdio: 'ignore' });
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  for (;;) {
    const dir = join(out, 'chunks');
    const n = doneChunkCount(dir);
    if (n >= doneChunks) { child.kill('SIGKILL'); break; }
    if (child.exitCode !== null) break;
    await new Promise((r) => setTimeout(r, 5));
  }
  await exited;
  return existsSync(join(out, 'chunks')) ? doneChunkCount(join(out, 'chunks')) : -1;
}

test('index: killed (SIGKILL) at several moments and rerun, the result is byte-identical to an uninterrupted run', { skip }, async () => {
  const { dir, cleanup } = tempDir();
  try {
    const w = world(dir);
    const base = ['index', '--model', w.model, '--corpus-file', w.corpus, '--chunk-size', '200', '--batch-size', '8', '--quiet', '--contract-queries', '20'];
    const whole = inbatch(...base, '--output', join(dir, 'whole'));
    assert.equal(whole.code, 0, whole.err);
    const out = join(dir, 'resumed');
    const args = [...base, '--output', out];
    const seen = [await killAfter(args, out, 1), await killAfter(args, out, 6), await killAfter(args, out, 13)];
    assert.ok(seen[0]! >= 1 && seen[2]! < 20, `chunks done when killed: ${seen}`);
    assert.ok(!existsSync(join(out, 'corpus.json')), 'a killed build is not a finished index');
    // what a writer killed mid-rename leaves (pid above Linux's pid_max: never alive) is not a done chunk
    writeFileSync(join(out, 'chunks', `.tmp-${2 ** 22 + 7}-000019.json`), '{"rows": 200');
    const finish = inbatch(...args);
    assert.equal(finish.code, 0, finish.err);
    assert.match(finish.err, new RegExp(`4000 texts in 20 chunks: ${20 - seen[2]!} embedded now, ${seen[2]} done before`));
    for (const f of files) assert.ok(readFileSync(join(out, f)).equals(readFileSync(join(dir, 'whole', f))), `${f} differs from the uninterrupted run's`);
    assert.ok(!existsSync(join(out, 'chunks')), 'the chunks are removed once assembled');
    // the folder answers recall, and verify holds
    const verify = inbatch('index', 'verify', '--index', out, '--model', w.model, '--queries', '30');
    assert.equal(verify.code, 0, verify.out + verify.err);
    assert.match(verify.out, /ok {3}recall: recall of the exact top 10/);
  } finally {
    cleanup();
  }
});

test('index: a resumed run on a changed corpus or another model is refused; shards assemble without embedding again', { skip }, async () => {
  const { dir, cleanup } = tempDir();
  try {
    const w = world(dir, 1000);
    const out = join(dir, 'out');
    const args = ['index', '--model', w.model, '--corpus-file', w.corpus, '--chunk-size', '100', '--quiet', '--output', out, '--contract-queries', '20'];
    const s0 = inbatch(...args, '--shard', '0/2');
    assert.equal(s0.code, 0, s0.err);
    assert.match(s0.err, /1000 texts in 10 chunks: 5 embedded now, 0 done before/);
    assert.match(s0.err, /shard 0\/2 done: run again without --shard/);
    assert.ok(!existsSync(join(out, 'corpus.json')));
    // the corpus changes between two runs of the same build
    writeFileSync(w.corpus, w.texts.map((t, i) => (i === 150 ? `${t}!` : t)).join('\n') + '\n');
    const changed = inbatch(...args, '--shard', '1/2');
    assert.equal(changed.code, 1);
    assert.match(changed.err, /another files .*the corpus files or the model changed/);
    writeFileSync(w.corpus, w.texts.join('\n') + '\n');
    const sameText = inbatch(...args, '--shard', '1/2');
    assert.equal(sameText.code, 1, 'the same texts with a new mtime are still another file');
    const over = inbatch(...args, '--overwrite', '--shard', '1/2');
    assert.equal(over.code, 0, over.err);
    assert.match(over.err, /5 embedded now, 0 done before/);
    const s0again = inbatch(...args, '--shard', '0/2');
    assert.equal(s0again.code, 0, s0again.err);
    assert.match(s0again.err, /5 embedded now, 5 done before/);
    assert.ok(existsSync(join(out, 'corpus.json')), 'the shard that completes the set assembles it');
    const again = inbatch(...args);
    assert.equal(again.code, 0, again.err);
    assert.match(again.err, /already embedded \(1000 texts, same corpus and model\)/);
    // another model on a finished index is refused, then rebuilt with --overwrite
    const other = join(dir, 'other');
    assert.equal(inbatch('init', '--config', 'tiny', '--vocab', join(dir, 'vocab.txt'), '--output-emb-size', '32', '--seed', '7', '--save-dir', other).code, 0);
    const refused = inbatch('index', '--model', other, '--corpus-file', w.corpus, '--quiet', '--output', out);
    assert.equal(refused.code, 1);
    assert.match(refused.err, /holds an index of another corpus or model/);
    const verifyOther = inbatch('index', 'verify', '--index', out, '--model', other, '--queries', '20');
    assert.equal(verifyOther.code, 1);
    assert.match(verifyOther.out, /FAIL fingerprint: the index was built by/);
    assert.match(verifyOther.out, /FAIL re-embed/);
    // another search structure over the same embeddings: nothing is embedded again
    const int8 = inbatch(...args, '--vectors', 'int8', '--recall-target', '0.99');
    assert.equal(int8.code, 0, int8.err);
    assert.match(int8.err, /already embedded \(1000 texts, same corpus and model\): rebuilding its search index only/);
    const manifest = JSON.parse(readFileSync(join(out, 'corpus.json'), 'utf8'));
    assert.equal(manifest.kind, 'int8');
    assert.ok(manifest.contract.recall >= 0.99);
  } finally {
    cleanup();
  }
});

test('index: bad lines are named by file:line, or skipped and counted; TSV ids are kept', { skip }, () => {
  const { dir, cleanup } = tempDir();
  try {
    const w = world(dir, 300);
    const bad = join(dir, 'bad.txt');
    writeFileSync(bad, Buffer.concat([Buffer.from(w.texts.slice(0, 10).join('\n') + '\n\n'), Buffer.from([0xff, 0xfe, 0x0a]), Buffer.from(w.texts.slice(10, 20).join('\n') + '\n')]));
    const refused = inbatch('index', '--model', w.model, '--corpus-file', bad, '--quiet', '--output', join(dir, 'o1'));
    assert.equal(refused.code, 1);
    assert.match(refused.err, /bad\.txt:11: empty text \(pass --skip-bad-lines/);
    const skipped = inbatch('index', '--model', w.model, '--corpus-file', bad, '--quiet', '--output', join(dir, 'o1'), '--skip-bad-lines', '--exact');
    assert.equal(skipped.code, 0, skipped.err);
    assert.match(skipped.err, /20 texts in 1 chunks: .*2 bad lines skipped \(.*bad\.txt:11: empty text; .*bad\.txt:12: invalid UTF-8\)/);
    const tsv = join(dir, 'corpus.tsv');
    writeFileSync(tsv, 'id\ttext\n' + w.texts.slice(0, 50).map((t, i) => `doc-${i}\t${t}`).join('\n') + '\n');
    const withIds = inbatch('index', '--model', w.model, '--corpus-file', tsv, '--quiet', '--output', join(dir, 'o2'));
    assert.equal(withIds.code, 0, withIds.err);
    const ids = readFileSync(join(dir, 'o2', 'ids.bin'), 'utf8');
    assert.ok(ids.startsWith('doc-0doc-1doc-2'));
    assert.equal(readFileSync(join(dir, 'o2', 'texts.bin'), 'utf8'), w.texts.slice(0, 50).join(''));
    // Milvus and Qdrant bulk files, checked against their documented shapes and the stored vectors
    const stored = new NpyRows(join(dir, 'o2', 'vectors.npy'));
    const vectors = stored.read(0, stored.rows);
    stored.close();
    for (const format of ['milvus', 'qdrant'] as const) {
      const out = join(dir, format);
      const r = inbatch('index', 'export', '--index', join(dir, 'o2'), '--format', format, '--output', out, '--rows-per-file', '20');
      assert.equal(r.code, 0, r.err);
      const parts = readdirSync(out).filter((f) => f.startsWith('part-')).sort();
      assert.deepEqual(parts, ['part-00000.json', 'part-00001.json', 'part-00002.json']);
      const rows = parts.flatMap((p) => { const body = JSON.parse(readFileSync(join(out, p), 'utf8')); assert.deepEqual(Object.keys(body), [format === 'milvus' ? 'rows' : 'points']); return body[format === 'milvus' ? 'rows' : 'points']; });
      assert.equal(rows.length, 50);
      const collection = JSON.parse(readFileSync(join(out, 'collection.json'), 'utf8'));
      rows.forEach((row: Record<string, any>, i: number) => {
        assert.equal(row.id, i);
        const vector: number[] = format === 'milvus' ? row.embedding : row.vector;
        assert.deepEqual(vector.map((v) => Math.fround(v)), Array.from(vectors.subarray(i * 32, (i + 1) * 32)));
        const fields = format === 'milvus' ? row : row.payload;
        assert.deepEqual([fields.text, fields.doc_id], [w.texts[i], `doc-${i}`]);
        // Milvus: every row has exactly the schema's fields; Qdrant: id, vector, payload
        assert.deepEqual(Object.keys(row).sort(), format === 'milvus' ? collection.fields.map((f: { name: string }) => f.name).sort() : ['id', 'payload', 'vector']);
      });
      if (format === 'milvus') {
        assert.deepEqual(collection.fields.find((f: { name: string }) => f.name === 'embedding'), { name: 'embedding', data_type: 'FloatVector', dim: 32 });
        assert.equal(collection.index.metric_type, 'IP');
        assert.equal(collection.fields.find((f: { name: string }) => f.name === 'id').auto_id, false);
      } else assert.deepEqual(collection, { vectors: { size: 32, distance: 'Dot' } });
    }
  } finally {
    cleanup();
  }
});

test('index --workers 2 embeds the same vectors as one process; serve --index answers /search and shows the contract in /info', { skip, timeout: 120_000 }, async () => {
  const { dir, cleanup } = tempDir();
  try {
    const w = world(dir, 600);
    for (const [out, workers] of [['one', '1'], ['two', '2']] as const) {
      const r = inbatch('index', '--model', w.model, '--corpus-file', w.corpus, '--quiet', '--output', join(dir, out), '--workers', workers, '--chunk-size', '64', '--contract-queries', '20');
      assert.equal(r.code, 0, r.err);
    }
    assert.ok(readFileSync(join(dir, 'one', 'texts.bin')).equals(readFileSync(join(dir, 'two', 'texts.bin'))));
    const a = new NpyRows(join(dir, 'one', 'vectors.npy')), b = new NpyRows(join(dir, 'two', 'vectors.npy'));
    const va = a.read(0, a.rows), vb = b.read(0, b.rows);
    a.close(); b.close();
    assert.equal(va.length, 600 * 32);
    let worst = 0;
    for (let i = 0; i < va.length; i++) worst = Math.max(worst, Math.abs(va[i]! - vb[i]!));
    assert.ok(worst < 1e-5, `largest difference ${worst}`);
    assert.equal(inbatch('export', '--model', w.model, '--output', join(dir, 'onnx')).code, 0);
    const child = inbatchChild('serve', '--model', join(dir, 'onnx'), '--index', join(dir, 'two'), '--port', '0');
    try {
      let err = '';
      const url = await new Promise<string>((resolve, reject) => {
        child.stderr!.on('data', (d) => { err += String(d); const m = /listening on (http:\/\/[^\s]+)/.exec(err); if (m) resolve(m[1]!); });
        child.on('exit', () => reject(new Error(err)));
      });
      const info = await (await fetch(`${url}/info`)).json() as { index: { kind: string; size: number; recall_contract: { recall: number; k: number } } };
      assert.equal(info.index.kind, 'hnsw');
      assert.equal(info.index.size, 600);
      assert.equal(info.index.recall_contract.k, 10);
      const found = await (await fetch(`${url}/search`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: w.texts[42], k: 3 }) })).json() as { results: Array<{ id: number; text: string }> };
      assert.equal(found.results[0]!.text, w.texts[42]);
      assert.equal(found.results[0]!.id, 42);
    } finally {
      child.kill('SIGTERM');
    }
  } finally {
    cleanup();
  }
});

function startPglite(): Promise<{ child: ChildProcess; port: number }> {
  const child = spawn(process.execPath, [join(repoRoot, 'scripts', 'pglite-server.mjs')], { stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    const lines = createInterface({ input: child.stdout! });
    lines.on('line', (l) => { const m = /^listening .*:(\d+)$/.exec(l); if (m) resolve({ child, port: Number(m[1]) }); });
    child.once('exit', (code) => reject(new Error(`pglite-server exited (${code})`)));
  });
}

test('pgvector through the wire protocol: index --store, the exact top 10, recall, verify, and a wrong operator class caught', { skip, timeout: 240_000 }, async () => {
  const { dir, cleanup } = tempDir();
  const server = await startPglite();
  try {
    const w = world(dir, 2000);
    const url = `postgres://postgres:secret@127.0.0.1:${server.port}/postgres?table=corpus`;
    const built = inbatch('index', '--model', w.model, '--corpus-file', w.corpus, '--store', url, '--work-dir', join(dir, 'work'), '--quiet', '--contract-queries', '50');
    assert.equal(built.code, 0, built.err);
    assert.match(built.err, /2000 rows in postgres:\/\/postgres:\*\*\*@127\.0\.0\.1:\d+\/postgres\?table=corpus table corpus \(HNSW vector_ip_ops/);
    // the same corpus as an exact folder: the store returns its top 10
    const exact = inbatch('index', '--model', w.model, '--corpus-file', w.corpus, '--output', join(dir, 'exact'), '--exact', '--quiet', '--contract-queries', '20');
    assert.equal(exact.code, 0, exact.err);
    const dev = join(dir, 'dev.tsv');
    writeFileSync(dev, w.texts.slice(0, 200).map((t, i) => `${t.slice(0, Math.max(2, t.length - 2))}\t${w.texts[i]}`).join('\n') + '\n');
    const viaStore = inbatch('recall', '--model', w.model, '--store', url, '--similar-text-pair-file', dev, '--recall-result-dir', join(dir, 'rs'), '--recall-num', '10');
    assert.equal(viaStore.code, 0, viaStore.err);
    const viaExact = inbatch('recall', '--model', w.model, '--index', join(dir, 'exact'), '--similar-text-pair-file', dev, '--recall-result-dir', join(dir, 're'), '--recall-num', '10');
    assert.equal(viaExact.code, 0, viaExact.err);
    const lists = (p: string) => {
      const m = new Map<string, string[]>();
      for (const line of readFileSync(p, 'utf8').trim().split('\n')) { const [q, t] = line.split('\t'); m.set(q!, [...(m.get(q!) ?? []), t!]); }
      return m;
    };
    const a = lists(join(dir, 'rs', 'recall_result.txt')), b = lists(join(dir, 're', 'recall_result.txt'));
    let shared = 0, total = 0;
    for (const [q, list] of b) { total += list.length; shared += list.filter((t) => a.get(q)?.includes(t)).length; }
    assert.ok(shared / total >= 0.98, `the store returned ${shared}/${total} of the exact top 10`);
    const filtered = inbatch('recall', '--model', w.model, '--store', `${url}&filter=${encodeURIComponent('id >= 1000')}`, '--similar-text-pair-file', dev, '--recall-result-dir', join(dir, 'rf'), '--recall-num', '5');
    assert.equal(filtered.code, 0, filtered.err);
    const filteredTexts = readFileSync(join(dir, 'rf', 'recall_result.txt'), 'utf8').trim().split('\n').map((l) => l.split('\t')[1]!);
    assert.equal(filteredTexts.length, 1000);
    assert.ok(filteredTexts.every((t) => w.texts.indexOf(t) >= 1000), 'the filter holds for every hit');
    const verify = inbatch('index', 'verify', '--store', url, '--model', w.model, '--queries', '40');
    assert.equal(verify.code, 0, verify.out + verify.err);
    assert.doesNotMatch(verify.out, /secret/);
    // mine and serve rank with the table too
    const mined = inbatch('mine', '--model', w.model, '--train-set', dev, '--store', url, '--output', join(dir, 'mined.tsv'), '--negatives', '2', '--range-min', '1', '--range-max', '20', '--margin', '-2');
    assert.equal(mined.code, 0, mined.err);
    const minedRows = readFileSync(join(dir, 'mined.tsv'), 'utf8').trim().split('\n').map((l) => l.split('\t'));
    assert.equal(minedRows.length, 200);
    assert.ok(minedRows.every((r) => r.slice(2).every((t) => w.texts.includes(t))), 'mined negatives are corpus texts read back from the table');
    assert.ok(minedRows.every((r) => r.length === 4), 'every row got its 2 negatives (no margin guard here): ' + mined.err);
    assert.equal(inbatch('export', '--model', w.model, '--output', join(dir, 'onnx')).code, 0);
    const child = inbatchChild('serve', '--model', join(dir, 'onnx'), '--store', url, '--port', '0');
    try {
      let err = '';
      const base = await new Promise<string>((resolve, reject) => {
        child.stderr!.on('data', (d) => { err += String(d); const m = /listening on (http:\/\/[^\s]+)/.exec(err); if (m) resolve(m[1]!); });
        child.on('exit', () => reject(new Error(err)));
      });
      const found = await (await fetch(`${base}/search`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: w.texts[7], k: 2 }) })).json() as { results: Array<{ id: number; text: string }> };
      assert.deepEqual([found.results[0]!.id, found.results[0]!.text], [7, w.texts[7]]);
    } finally {
      child.kill('SIGTERM');
    }
    // another model's index into the same table is refused, nothing dropped
    const other = join(dir, 'other');
    assert.equal(inbatch('init', '--config', 'tiny', '--vocab', join(dir, 'vocab.txt'), '--output-emb-size', '32', '--seed', '9', '--save-dir', other).code, 0);
    const refused = inbatch('index', '--model', other, '--corpus-file', w.corpus, '--store', url, '--work-dir', join(dir, 'work2'), '--quiet');
    assert.equal(refused.code, 1);
    assert.match(refused.err, /table corpus: was built by another model/);
    // the table re-indexed with the wrong operator class (L2) fails verify, saying so
    const client = new pg.Client({ host: '127.0.0.1', port: server.port, user: 'postgres', database: 'postgres' });
    await client.connect();
    assert.equal(Number((await client.query('SELECT count(*) AS n FROM corpus')).rows[0].n), 2000);
    await client.query('DROP INDEX corpus_embedding_hnsw');
    await client.query('CREATE INDEX corpus_l2 ON corpus USING hnsw (embedding vector_l2_ops)');
    await client.end();
    const wrong = inbatch('index', 'verify', '--store', url, '--queries', '20');
    assert.equal(wrong.code, 1, wrong.out);
    assert.match(wrong.out, /FAIL index: the index corpus_l2 uses vector_l2_ops, but the model's vectors are compared by inner product/);
  } finally {
    server.child.kill('SIGTERM');
    cleanup();
  }
});

test('pgvector: an unreachable database is named without its password', { skip }, () => {
  const r = inbatch('index', 'verify', '--store', 'postgres://me:hunter2@127.0.0.1:1/db?table=t');
  assert.equal(r.code, 1);
  assert.match(r.err, /postgres:\/\/me:\*\*\*@127\.0\.0\.1:1\/db.*cannot use the database/);
  assert.doesNotMatch(r.err, /hunter2/);
});
