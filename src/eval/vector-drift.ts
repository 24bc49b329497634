/** How far two lists of embeddings (same texts, same order) are apart: the largest absolute difference and the smallest cosine. */
export function vectorDrift(a: Float32Array[], b: Float32Array[]): { maxAbs: number; minCos: number } {
  if (a.length !== b.length) throw new Error(`${a.length} vectors against ${b.length}`);
  let maxAbs = 0, minCos = 1;
  a.forEach((v, i) => {
    const w = b[i]!;
    let dot = 0;
    for (let k = 0; k < v.length; k++) {
      maxAbs = Math.max(maxAbs, Math.abs(v[k]! - w[k]!));
      dot += v[k]! * w[k]!;
    }
    minCos = Math.min(minCos, dot);
  });
  return { maxAbs, minCos };
}
