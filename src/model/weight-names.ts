// Checkpoint tensor names -> inbatch's (Hugging Face BertModel names without a prefix).

/** Drops "bert." and converts TF-era LayerNorm gamma/beta to weight/bias. */
export function canonicalName(name: string): string {
  let n = name.startsWith('bert.') ? name.slice(5) : name;
  n = n.replace(/LayerNorm\.gamma$/, 'LayerNorm.weight').replace(/LayerNorm\.beta$/, 'LayerNorm.bias');
  return n;
}
