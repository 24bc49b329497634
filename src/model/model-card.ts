// README.md in the Hugging Face model-card layout, so a folder pushed to a hub or handed to a colleague
// explains itself: YAML front matter (library, pipeline tag, language, license placeholder, base model,
// datasets, metrics, tags), then what the model is, how to use it, how it was trained (the command, its
// hyper-parameters, data counts) and what training measured (Recall@N at each evaluation, the loss curve).
// What training knew is kept machine-readable beside it (TRAINING_RECORD_FILE) and travels with exports.
import { existsSync, statSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { embeddingSize, type ModelConfig } from './config.js';
import { readJsonObject } from '../util/json-file.js';
import { writeFileAtomic } from '../util/atomic.js';

export const TRAINING_RECORD_FILE = 'training_record.json';
export const LOSS_CURVE_FILE = 'loss_curve.svg';
const MAX_RECORD_BYTES = 16 << 20;

export interface TrainingRecord {
  command: string;
  base_model: string | null;
  datasets: string[];
  hyper_parameters: Record<string, string | number | boolean | number[] | null>;
  data: { pairs: number; steps: number; total_steps: number; epochs: number; workers: number };
  evaluations: { step: number; scores: Record<string, number> }[];
  best: { metric: string; step: number | null; score: number | null };
}

export type CardKind = 'model' | 'export';

/** The languages a vocabulary is for, by its share of CJK and Latin tokens (the card's `language`). */
export function vocabularyLanguages(tokens: readonly string[]): string[] {
  let cjk = 0, latin = 0;
  for (const t of tokens) {
    if (/^(##)?[\u4e00-\u9fff]/.test(t)) cjk++;
    else if (/^(##)?[a-z]{2,}$/i.test(t)) latin++;
  }
  const out: string[] = [];
  if (cjk >= 0.1 * tokens.length) out.push('zh');
  if (latin >= 0.1 * tokens.length) out.push('en');
  return out.length ? out : ['multilingual'];
}

const yamlString = (s: string) => JSON.stringify(s); // a JSON string is a YAML scalar
const yamlList = (key: string, items: string[]) => (items.length ? `${key}:\n${items.map((i) => `- ${yamlString(i)}`).join('\n')}\n` : '');
const scoreLabel = (key: string) => key.replace(/^success_at_(\d+)$/, 'Recall@$1');

export function readTrainingRecord(dir: string): TrainingRecord | undefined {
  const path = join(dir, TRAINING_RECORD_FILE);
  if (!existsSync(path) || statSync(path).size > MAX_RECORD_BYTES) return undefined;
  try {
    const raw = readJsonObject(path) as Partial<TrainingRecord>;
    return typeof raw.command === 'string' && Array.isArray(raw.evaluations) && raw.data ? raw as TrainingRecord : undefined;
  } catch {
    return undefined; // an unreadable record leaves the card without its training section
  }
}

export function modelCard(o: { name: string; config: ModelConfig; kind: CardKind; languages: string[]; record?: TrainingRecord; lossCurve: boolean }): string {
  const c = o.config, r = o.record;
  const dim = c.inbatch.dimensions ?? embeddingSize(c);
  const front = '---\n' +
    `library_name: ${o.kind === 'export' ? 'transformers.js' : 'sentence-transformers'}\n` +
    `pipeline_tag: ${o.kind === 'export' ? 'feature-extraction' : 'sentence-similarity'}\n` +
    yamlList('language', o.languages) +
    'license: other # a placeholder: set the license of your weights and data\n' +
    (r?.base_model ? `base_model: ${yamlString(r.base_model)}\n` : '') +
    yamlList('datasets', r?.datasets ?? []) +
    (r?.evaluations.length ? yamlList('metrics', ['recall']) : '') +
    yamlList('tags', ['inbatch', 'sentence-transformers', 'feature-extraction', 'sentence-similarity', 'dual-encoder', 'in-batch-negatives', ...(o.kind === 'export' ? ['onnx'] : [])]) +
    '---\n';
  const family = c.model_type === 'ernie' ? 'ERNIE' : 'BERT';
  const lines: string[] = [
    `# ${o.name}`, '',
    `A dual encoder for semantic recall, trained with in-batch negatives by inbatch: one ${family} encoder ` +
    `(${c.num_hidden_layers} layers, hidden ${c.hidden_size}, ${c.num_attention_heads} heads) shared by queries and texts, ${c.inbatch.pooling} pooling, ` +
    `${c.inbatch.output_emb_size > 0 ? `a linear projection to ${c.inbatch.output_emb_size}` : 'no projection'}, L2-normalised: ` +
    `**${dim}-dimensional** embeddings compared by cosine (inner product), texts up to **${c.inbatch.max_seq_length} tokens**.`, '',
    '## Usage', '',
  ];
  if (o.kind === 'export') {
    lines.push('The ONNX graph pools, projects and normalises; every pooling mode of transformers.js returns the embedding.', '',
      '```js', "import { pipeline } from '@huggingface/transformers';",
      `const extractor = await pipeline('feature-extraction', ${yamlString(o.name)});`,
      "const embeddings = await extractor(['今天天气怎么样'], { pooling: 'mean', normalize: true });", '```', '',
      '```sh', `inbatch embed --model ${o.name} '今天天气怎么样'`, `inbatch serve --model ${o.name} --port 8080   # OpenAI, TEI and inbatch routes`, '```', '');
  } else {
    lines.push('```sh', `inbatch export --model ${o.name} --output ${o.name}-onnx --fp16   # ONNX for onnxruntime and transformers.js`,
      `inbatch recall --model ${o.name} --corpus-file corpus.txt --similar-text-pair-file dev.tsv --recall-result-dir recall`, '```', '',
      ...(c.inbatch.pooling === 'pooler' ? [] : ['The folder is also a sentence-transformers model (`modules.json`: Transformer, Pooling, Dense, Normalize).', '']));
  }
  if (r) {
    lines.push('## Training', '', '```sh', r.command, '```', '',
      `${r.data.pairs.toLocaleString('en-US')} training pairs, ${r.data.steps.toLocaleString('en-US')} of ${r.data.total_steps.toLocaleString('en-US')} steps ` +
      `(${r.data.epochs} epoch(s) begun)${r.data.workers > 1 ? ` on ${r.data.workers} data-parallel workers` : ''}. ` +
      `The loss: cosine similarities of each query to every text of the batch, the positive's lowered by the margin, scaled, cross-entropy with the positive as the label.`, '',
      '| hyper-parameter | value |', '|---|---|',
      ...Object.entries(r.hyper_parameters).filter(([, v]) => v !== null).map(([k, v]) => `| ${k} | ${Array.isArray(v) ? v.join(', ') : String(v)} |`), '');
    if (r.evaluations.length) {
      const keys = Object.keys(r.evaluations[0]!.scores);
      lines.push('## Evaluation', '',
        `Measured during training on the evaluation pairs (PaddleNLP's Recall@N: % of queries whose gold text is in the top N of the corpus); best by ${scoreLabel(r.best.metric)}${r.best.step !== null ? ` at step ${r.best.step}` : ''}.`, '',
        `| step | ${keys.map(scoreLabel).join(' | ')} |`, `|---|${keys.map(() => '---').join('|')}|`,
        ...r.evaluations.map((e) => `| ${e.step}${e.step === r.best.step ? ' (best)' : ''} | ${keys.map((k) => (e.scores[k] ?? NaN).toFixed(2)).join(' | ')} |`), '');
    }
  }
  const m = c.inbatch.matryoshka;
  if (m) {
    lines.push('## Matryoshka dimensions', '', 'Trained for these prefixes (take the first D values and renormalise):', '',
      '| dimensions | Recall@10 |', '|---|---|', ...m.dims.map((d) => `| ${d} | ${m.recall_at_10?.[String(d)]?.toFixed(2) ?? 'not measured'} |`), '');
  }
  if (o.lossCurve) lines.push('## Loss curve', '', `![training loss](${LOSS_CURVE_FILE})`, '');
  lines.push('## License', '', 'Not set: replace `license: other` above with the license of the weights and the training data.', '');
  return front + '\n' + lines.join('\n');
}

/** Writes dir/README.md from the folder's config and, when present, its training record and loss curve. */
export function writeModelCard(dir: string, config: ModelConfig, kind: CardKind, vocabulary: readonly string[], name = basename(resolve(dir)).replace(/^\.tmp-\d+-/, '')): void {
  // (written inside an atomic write's temporary folder, the name is the target's)
  const card = modelCard({ name, config, kind, languages: vocabularyLanguages(vocabulary), record: readTrainingRecord(dir), lossCurve: existsSync(join(dir, LOSS_CURVE_FILE)) });
  writeFileAtomic(join(dir, 'README.md'), card);
}
