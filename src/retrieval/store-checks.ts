// What `inbatch index verify` checks of a store (a folder from inbatch index, or a pgvector table),
// the things PaddleNLP #3113's "hnswlib recall is right, Milvus recall is very wrong" came from:
//   metric     the index ranks by inner product (pgvector: vector_ip_ops; a folder: scores equal q·v)
//   norms      stored vectors are L2-normalised (inner product = cosine)
//   shape      dimension and count agree everywhere (and with the model)
//   model      the fingerprint stored with the index is the model's, and it re-embeds stored texts
//   recall     the recall of the exact top k on fresh sample queries holds the stored contract
import type { Hit } from '../vectors/topk.js';

export interface Check {
  name: string;
  ok: boolean;
  detail: string;
}

export function normCheck(vectors: Float32Array[], tolerance = 1e-2): Check {
  let worst = 0;
  for (const v of vectors) {
    let s = 0;
    for (let j = 0; j < v.length; j++) s += v[j]! * v[j]!;
    worst = Math.max(worst, Math.abs(Math.sqrt(s) - 1));
  }
  const ok = worst <= tolerance;
  return { name: 'norms', ok, detail: ok ? `${vectors.length} sampled vectors have unit norm (largest deviation ${worst.toExponential(2)})` : `stored vectors are not L2-normalised (a norm is off by ${worst.toFixed(4)}): inner product is not cosine for them` };
}

/** Scores the index returned must be the inner products of query and stored vector. */
export function metricCheck(queries: Float32Array[], hits: Hit[][], vectorOf: (id: number) => Float32Array, tolerance = 2e-3): Check {
  let worst = 0, compared = 0;
  hits.forEach((list, q) => {
    for (const h of list.slice(0, 3)) {
      const v = vectorOf(h.id), query = queries[q]!;
      let s = 0;
      for (let j = 0; j < v.length; j++) s += query[j]! * v[j]!;
      worst = Math.max(worst, Math.abs(s - h.score));
      compared++;
    }
  });
  const ok = worst <= tolerance;
  return { name: 'metric', ok, detail: ok ? `${compared} returned scores equal the inner product q·v` : `returned scores differ from the inner product q·v by up to ${worst.toFixed(4)}: the index measures another distance` };
}

export function recallCheck(measured: { recall: number; low: number; high: number; queries: number }, contract: { recall: number; low: number } | null, minimum?: number): Check {
  const floor = minimum ?? (contract ? Math.min(contract.low, contract.recall - 0.02) : 0.9);
  const ok = measured.recall >= floor;
  const what = `recall of the exact top 10: ${measured.recall.toFixed(4)} [${measured.low.toFixed(4)}, ${measured.high.toFixed(4)}] on ${measured.queries} fresh queries`;
  return { name: 'recall', ok, detail: `${what}; ${minimum !== undefined ? `--min-recall ${minimum}` : contract ? `the stored contract is ${contract.recall.toFixed(4)} (lower bound ${contract.low.toFixed(4)})` : 'no stored contract: 0.9 required'}${ok ? '' : ': NOT held'}` };
}

export function formatChecks(target: string, checks: Check[]): string {
  return [`${target}:`, ...checks.map((c) => `  ${c.ok ? 'ok  ' : 'FAIL'} ${c.name}: ${c.detail}`)].join('\n');
}
