// The training rows of `train --train-set`: a prepared folder as it is, or pair files prepared
// into a cache folder in the save dir, reused while the files, the tokenizer and max_seq_length
// are unchanged (one cache at a time: an older one is removed).
import { createHash } from 'node:crypto';
import { readdirSync, rmSync, statSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join, resolve } from 'node:path';
import type { BertTokenizer } from '../../text/bert-tokenizer.js';
import { makeDir } from '../../util/make-dir.js';
import { expandInputs } from '../input-files.js';
import { prepareShards } from './prepare.js';
import { PreparedData } from './reader.js';

export async function preparedTrainingData(inputs: string[], saveDir: string, tokenizer: BertTokenizer, maxSeqLength: number, skipBadLines: boolean): Promise<PreparedData> {
  if (inputs.length === 1 && PreparedData.isPrepared(inputs[0]!)) return PreparedData.open(inputs[0]!);
  const files = expandInputs(inputs);
  const key = createHash('sha256').update(JSON.stringify({
    files: files.map((file) => { const s = statSync(file); return [resolve(file), s.size, s.mtimeMs]; }), tokenizer: tokenizer.fingerprint, maxSeqLength, skipBadLines,
  })).digest('hex').slice(0, 16);
  const cache = join(saveDir, `prepared-${key}`);
  if (PreparedData.isPrepared(cache)) {
    console.error(`using the prepared cache ${cache}`);
    return PreparedData.open(cache);
  }
  makeDir(saveDir);
  for (const old of readdirSync(saveDir).filter((n) => n.startsWith('prepared-'))) rmSync(join(saveDir, old), { recursive: true, force: true });
  console.error(`preparing ${files.length} file(s) into ${cache}`);
  const bytes = files.reduce((n, f) => n + statSync(f).size, 0);
  await prepareShards(files, tokenizer, cache, { maxSeqLength, skipBadLines, workers: bytes > 8 << 20 ? Math.min(2, availableParallelism()) : 0 });
  return PreparedData.open(cache);
}
