// Turns encodings into a padded batch: dynamic padding to the longest sequence.

/** An encoding to pad (the tokenizer's Encoding, or typed arrays). */
export interface PaddableEncoding {
  inputIds: ArrayLike<number>;
  tokenTypeIds: ArrayLike<number>;
  attentionMask: ArrayLike<number>;
}

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
export function padBatch(encodings: PaddableEncoding[], padId: number, padTo?: number): PaddedBatch {
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

/** Pads token id lists ([CLS] ... [SEP], one segment: type 0, every token attended) to the longest, or to padTo. */
export function padTokenLists(lists: ArrayLike<number>[], padId: number, padTo?: number): PaddedBatch {
  return padBatch(lists.map((inputIds) => ({ inputIds, tokenTypeIds: new Uint8Array(inputIds.length), attentionMask: new Uint8Array(inputIds.length).fill(1) })), padId, padTo);
}
