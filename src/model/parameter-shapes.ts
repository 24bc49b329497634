// The parameters of the dual encoder and their shapes, from the config alone (no libtorch:
// export validates weights with them too), and the one check of a checkpoint's tensors against them.
import type { BertConfig, ModelConfig } from './config.js';

export const PROJECTION_WEIGHT = 'emb_reduce_linear.weight';
export const PROJECTION_BIAS = 'emb_reduce_linear.bias';
export const TASK_TYPE_EMBEDDINGS = 'embeddings.task_type_embeddings.weight';

export function bertParameterShapes(c: BertConfig): Map<string, number[]> {
  const h = c.hidden_size;
  const shapes = new Map<string, number[]>([
    ['embeddings.word_embeddings.weight', [c.vocab_size, h]],
    ['embeddings.position_embeddings.weight', [c.max_position_embeddings, h]],
    ['embeddings.token_type_embeddings.weight', [c.type_vocab_size, h]],
    ['embeddings.LayerNorm.weight', [h]],
    ['embeddings.LayerNorm.bias', [h]],
  ]);
  const ernie = c as { model_type?: string; use_task_id?: boolean; task_type_vocab_size?: number };
  if (ernie.model_type === 'ernie' && ernie.use_task_id) shapes.set(TASK_TYPE_EMBEDDINGS, [ernie.task_type_vocab_size!, h]);
  for (let i = 0; i < c.num_hidden_layers; i++) {
    const p = `encoder.layer.${i}.`;
    for (const m of ['query', 'key', 'value']) {
      shapes.set(`${p}attention.self.${m}.weight`, [h, h]);
      shapes.set(`${p}attention.self.${m}.bias`, [h]);
    }
    shapes.set(`${p}attention.output.dense.weight`, [h, h]);
    shapes.set(`${p}attention.output.dense.bias`, [h]);
    shapes.set(`${p}attention.output.LayerNorm.weight`, [h]);
    shapes.set(`${p}attention.output.LayerNorm.bias`, [h]);
    shapes.set(`${p}intermediate.dense.weight`, [c.intermediate_size, h]);
    shapes.set(`${p}intermediate.dense.bias`, [c.intermediate_size]);
    shapes.set(`${p}output.dense.weight`, [h, c.intermediate_size]);
    shapes.set(`${p}output.dense.bias`, [h]);
    shapes.set(`${p}output.LayerNorm.weight`, [h]);
    shapes.set(`${p}output.LayerNorm.bias`, [h]);
  }
  shapes.set('pooler.dense.weight', [h, h]);
  shapes.set('pooler.dense.bias', [h]);
  return shapes;
}

export function dualEncoderParameterShapes(config: ModelConfig): Map<string, number[]> {
  const shapes = bertParameterShapes(config);
  if (config.inbatch.output_emb_size > 0) {
    shapes.set(PROJECTION_WEIGHT, [config.inbatch.output_emb_size, config.hidden_size]);
    shapes.set(PROJECTION_BIAS, [config.inbatch.output_emb_size]);
  }
  return shapes;
}

/** Parameters a checkpoint may lack: the projection (a plain BERT) and the pooler when it is not used. */
export function isOptionalParameter(name: string, config: ModelConfig): boolean {
  return name.startsWith('emb_reduce_linear.') || (name.startsWith('pooler.') && config.inbatch.pooling !== 'pooler');
}

/** Problems of a set of tensors against the config: shapes that disagree, and required tensors missing. */
export function weightProblems(tensors: Map<string, { shape: number[] }>, config: ModelConfig): { wrongShape: string[]; missing: string[] } {
  const wrongShape: string[] = [], missing: string[] = [];
  for (const [name, shape] of dualEncoderParameterShapes(config)) {
    const t = tensors.get(name);
    if (!t) { if (!isOptionalParameter(name, config)) missing.push(name); continue; }
    if (t.shape.join('x') === shape.join('x')) continue;
    // a projection of another output size is replaced by a new one (--output-emb-size); any other shape is broken
    if (name.startsWith('emb_reduce_linear.') && isOtherProjection(tensors, config)) continue;
    wrongShape.push(`${name} has shape [${t.shape}] but the config needs [${shape}]`);
  }
  return { wrongShape, missing };
}

/** A whole projection from the hidden size to some other output size: weight [out, hidden], bias [out]. */
function isOtherProjection(tensors: Map<string, { shape: number[] }>, config: ModelConfig): boolean {
  const w = tensors.get('emb_reduce_linear.weight')?.shape, b = tensors.get('emb_reduce_linear.bias')?.shape;
  return w !== undefined && b !== undefined && w.length === 2 && w[1] === config.hidden_size && w[0]! > 0 && b.length === 1 && b[0] === w[0];
}
