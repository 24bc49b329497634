// Checkpoint tensor names -> inbatch's (Hugging Face BertModel names without a prefix).

/** Drops a "bert." or "ernie." prefix (BertFor*, ErnieFor* heads) and converts TF-era LayerNorm gamma/beta to weight/bias. */
export function canonicalName(name: string): string {
  let n = name.startsWith('bert.') ? name.slice(5) : name.startsWith('ernie.') ? name.slice(6) : name;
  n = n.replace(/LayerNorm\.gamma$/, 'LayerNorm.weight').replace(/LayerNorm\.beta$/, 'LayerNorm.bias');
  return n;
}

/** Tensors of pretraining heads (MLM, NSP): never part of an encoder, so not worth a warning when unused. */
export function isPretrainingHead(name: string): boolean {
  return /^(cls|lm_head|nsp|mlm)\./.test(name) || name.endsWith('position_ids');
}
