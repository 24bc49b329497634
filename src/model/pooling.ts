// Sentence vectors from BERT's sequence output.
import * as T from '../torch/index.js';
import type { Tensor } from '../torch/index.js';
import { bertPooler, type Params } from './bert.js';
import type { Pooling } from './config.js';

/** cls: h[CLS]; pooler: tanh dense over h[CLS]; mean: average of the non-padding tokens. */
export function pool(kind: Pooling, P: Params, sequence: Tensor, attentionMask: Tensor): Tensor {
  switch (kind) {
    case 'cls':
      return T.select(sequence, 1, 0);
    case 'pooler':
      return bertPooler(P, sequence);
    case 'mean': {
      const mask = T.unsqueeze(T.toDtype(attentionMask, sequence.dtype), 2);
      const total = T.sum(T.mul(sequence, mask), [1]);
      return T.div(total, T.clampMin(T.sum(mask, [1]), 1e-9));
    }
  }
}
