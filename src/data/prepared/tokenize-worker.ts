// A worker thread of prepare: tokenises chunks of rows sent by the main thread.
import { parentPort, workerData } from 'node:worker_threads';
import { BertTokenizer, type BertTokenizerOptions } from '../../text/bert-tokenizer.js';
import { encodeRows } from './encode-rows.js';

const { vocab, options, maxSeqLength } = workerData as { vocab: string[]; options: BertTokenizerOptions; maxSeqLength: number };
const tokenizer = new BertTokenizer(new Map(vocab.map((t, i) => [t, i])), options);

parentPort!.on('message', ({ id, rows }: { id: number; rows: string[][] }) => {
  const out = encodeRows(rows, tokenizer, maxSeqLength);
  parentPort!.postMessage({ id, out }, [out.tokens.buffer as ArrayBuffer, out.colLengths.buffer as ArrayBuffer, out.hashes.buffer as ArrayBuffer]);
});
