// Turns encodings into a padded batch: dynamic padding to the longest sequence.
import type { Encoding } from './bert-tokenizer.js';

export interface PaddedBatch {
  batchSize: number;
  seqLength: number;
  inputIds: BigInt64Array;
  tokenTypeIds: BigInt64Array;
  attentionMask: BigInt64Array;
  /** real (non-padding) tokens in the batch */
  tokens: number;
}

/** Pads to the longest encoding, or to padTo when given (the fixed-length baseline). */
export function padBatch(encodings: Encoding[], padId: number, padTo?: number): PaddedBatch {
  const longest = Math.max(1, ...encodings.map((e) => e.inputIds.length));
  const seqLength = padTo ?? longest;
  const size = encodings.length * seqLength;
  const inputIds = new BigInt64Array(size).fill(BigInt(padId));
  const tokenTypeIds = new BigInt64Array(size);
  const attentionMask = new BigInt64Array(size);
  let tokens = 0;
  encodings.forEach((e, row) => {
    const base = row * seqLength;
    const len = Math.min(e.inputIds.length, seqLength);
    for (let i = 0; i < len; i++) {
      inputIds[base + i] = BigInt(e.inputIds[i]!);
      tokenTypeIds[base + i] = BigInt(e.tokenTypeIds[i]!);
      attentionMask[base + i] = BigInt(e.attentionMask[i]!);
    }
    tokens += len;
  });
  return { batchSize: encodings.length, seqLength, inputIds, tokenTypeIds, attentionMask, tokens };
}

/** Pads token id lists ([CLS] ... [SEP], one segment) to the longest, or to padTo. */
export function padTokenLists(lists: ArrayLike<number>[], padId: number, padTo?: number): PaddedBatch {
  const longest = Math.max(1, ...lists.map((l) => l.length));
  const seqLength = padTo ?? longest;
  const size = lists.length * seqLength;
  const inputIds = new BigInt64Array(size).fill(BigInt(padId));
  const tokenTypeIds = new BigInt64Array(size);
  const attentionMask = new BigInt64Array(size);
  let tokens = 0;
  lists.forEach((ids, row) => {
    const len = Math.min(ids.length, seqLength);
    for (let i = 0; i < len; i++) {
      inputIds[row * seqLength + i] = BigInt(ids[i]!);
      attentionMask[row * seqLength + i] = 1n;
    }
    tokens += len;
  });
  return { batchSize: lists.length, seqLength, inputIds, tokenTypeIds, attentionMask, tokens };
}
