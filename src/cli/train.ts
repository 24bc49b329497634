import { existsSync } from 'node:fs';
import { readPairs } from '../data/pairs.js';
import { readCorpusLines, readDevPairs } from '../data/paddle-recall-files.js';
import { loadWeights } from '../model/folder.js';
import { join } from 'node:path';
import * as T from '../torch/index.js';
import { RecallEvaluator } from '../train/recall-evaluator.js';
import { prepareTrainingData } from '../train/training-data.js';
import { DEFAULT_TRAIN_OPTIONS as D, Trainer } from '../train/trainer.js';
import type { Command } from './command.js';
import { UsageError } from './flags.js';
import { loadModelFromFlags } from './model-flags.js';

export const trainCommand: Command = {
  name: 'train',
  summary: 'Train a dual encoder on query<TAB>positive pairs with in-batch negatives (PaddleNLP flag names; snake_case also accepted).',
  flags: {
    model: { type: 'string', required: true, help: 'model folder (inbatch init, or a Hugging Face BERT with model.safetensors)' },
    'train-set': { type: 'string', required: true, help: 'query<TAB>positive[<TAB>hard negative] per line' },
    'save-dir': { type: 'string', required: true, help: 'checkpoints, model_best, model_final, train_log.jsonl, loss.svg' },
    'batch-size': { type: 'int', default: D.batchSize, help: 'pairs per batch' },
    'learning-rate': { type: 'number', default: D.learningRate, help: 'peak learning rate' },
    epochs: { type: 'int', default: D.epochs, help: 'passes over the training set' },
    'max-steps': { type: 'int', help: 'stop after this many steps (overrides epochs)' },
    'output-emb-size': { type: 'int', help: 'projection size (0 = hidden size); default: the model folder\'s' },
    'max-seq-length': { type: 'int', help: 'tokens per text; default: the model folder\'s (128)' },
    pooling: { type: 'string', help: 'cls | pooler | mean; default: the model folder\'s (cls)' },
    margin: { type: 'number', default: D.margin, help: 'subtracted from the positive\'s cosine' },
    scale: { type: 'number', default: D.scale, help: 'logit scale' },
    'save-steps': { type: 'int', default: D.saveSteps, help: 'checkpoint every N steps' },
    'warmup-proportion': { type: 'number', default: D.warmupProportion, help: 'share of steps with linear warmup' },
    'weight-decay': { type: 'number', default: D.weightDecay, help: 'AdamW weight decay (not on bias/LayerNorm)' },
    'max-grad-norm': { type: 'number', default: D.maxGradNorm, help: 'clip gradients to this global norm' },
    seed: { type: 'int', default: D.seed, help: 'data order and dropout seed' },
    'init-from-ckpt': { type: 'string', help: 'start from the weights of this model/checkpoint folder' },
    resume: { type: 'boolean', default: false, help: 'continue from the latest checkpoint in --save-dir' },
    'resume-from': { type: 'string', help: 'continue from this checkpoint folder' },
    'group-by-length': { type: 'boolean', default: true, help: 'length-grouped batches (less padding)' },
    'pad-to-max-length': { type: 'boolean', default: false, help: 'pad every batch to max_seq_length (slower; for comparison)' },
    'skip-bad-lines': { type: 'boolean', default: false, help: 'count malformed lines and go on instead of failing' },
    'logging-steps': { type: 'int', default: D.loggingSteps, help: 'log every N steps' },
    'keep-checkpoints': { type: 'int', default: D.keepCheckpoints, help: 'step checkpoints kept on disk' },
    evaluate: { type: 'boolean', default: false, help: 'evaluate Recall@N on a dev set; keep model_best by Recall@5' },
    'eval-steps': { type: 'int', help: 'evaluate every N steps (default: every epoch)' },
    'similar-text-pair-file': { type: 'string', help: 'dev set: query<TAB>gold text' },
    'corpus-file': { type: 'string', help: 'dev corpus: one text per line' },
    'recall-num': { type: 'int', default: 50, help: 'texts recalled per query' },
    'hnsw-m': { type: 'int', default: 100, help: 'HNSW M' },
    'hnsw-ef': { type: 'int', default: 100, help: 'HNSW ef_construction and ef' },
    'eval-exact': { type: 'boolean', default: false, help: 'evaluate with exact search instead of HNSW' },
    device: { type: 'string', default: 'cpu', help: 'cpu, or cuda / cuda:N with a CUDA build of libtorch (INBATCH_LIBTORCH)' },
  },
  async run(f) {
    const modelDir = String(f.model);
    if (!existsSync(modelDir)) throw new UsageError(`--model ${modelDir} does not exist (create one with inbatch init)`);
    T.loadNative();
    const device = String(f.device);
    if (device.startsWith('cuda') && !T.cudaIsAvailable()) throw new UsageError(`--device ${device}: this libtorch build has no CUDA (build the addon against a CUDA libtorch: INBATCH_LIBTORCH=... npm run build:native)`);
    T.setDefaultDevice(device);
    const model = loadModelFromFlags(modelDir, f);
    if (f['init-from-ckpt']) {
      const ckpt = String(f['init-from-ckpt']);
      const { params } = loadWeights(join(ckpt, 'model.safetensors'), model.config);
      T.noGrad(() => { for (const [name, p] of model.params) T.copy_(p, params.get(name)!); });
      for (const p of params.values()) p.dispose();
      console.error(`initialised weights from ${ckpt}`);
    }
    const { pairs, badLines } = readPairs(String(f['train-set']), { skipBadLines: Boolean(f['skip-bad-lines']) });
    if (badLines.length) console.error(`skipped ${badLines.length} bad line(s), first: ${badLines[0]!.message}`);
    if (pairs.length < 2) throw new UsageError(`${f['train-set']}: need at least 2 pairs, found ${pairs.length}`);
    const maxLen = model.config.inbatch.max_seq_length;
    const data = prepareTrainingData(pairs, model.tokenizer, maxLen);
    let evaluator: RecallEvaluator | undefined;
    if (f.evaluate) {
      if (!f['similar-text-pair-file'] || !f['corpus-file']) throw new UsageError('--evaluate needs --similar-text-pair-file and --corpus-file');
      const m = Number(f['hnsw-m']), ef = Number(f['hnsw-ef']);
      evaluator = new RecallEvaluator(readDevPairs(String(f['similar-text-pair-file'])), readCorpusLines(String(f['corpus-file'])), {
        recallNum: Number(f['recall-num']), index: f['eval-exact'] ? 'exact' : 'hnsw', hnsw: { m, efConstruction: ef, ef },
      });
    }
    // Ctrl-C writes a checkpoint at the current step; a second Ctrl-C exits at once
    const interrupt = new AbortController();
    process.once('SIGINT', () => {
      console.error('\nSIGINT: finishing this step and writing a checkpoint (Ctrl-C again to exit now)');
      interrupt.abort();
      process.once('SIGINT', () => process.exit(130));
    });
    const trainer = new Trainer(model, data, {
      signal: interrupt.signal,
      saveDir: String(f['save-dir']),
      batchSize: Number(f['batch-size']), learningRate: Number(f['learning-rate']), epochs: Number(f.epochs),
      maxSteps: f['max-steps'] === undefined ? undefined : Number(f['max-steps']),
      margin: Number(f.margin), scale: Number(f.scale), saveSteps: Number(f['save-steps']),
      warmupProportion: Number(f['warmup-proportion']), weightDecay: Number(f['weight-decay']), maxGradNorm: Number(f['max-grad-norm']),
      seed: Number(f.seed), groupByLength: Boolean(f['group-by-length']) && !f['pad-to-max-length'],
      padToMaxLength: f['pad-to-max-length'] ? maxLen : undefined,
      loggingSteps: Number(f['logging-steps']), keepCheckpoints: Number(f['keep-checkpoints']),
      evalSteps: f['eval-steps'] === undefined ? undefined : Number(f['eval-steps']),
      resume: f['resume-from'] ? String(f['resume-from']) : Boolean(f.resume),
    }, evaluator);
    const s = trainer.samplerReport;
    console.error(`${pairs.length} pairs, ${data.texts.length} distinct texts, ${trainer.totalSteps} steps; sampler: ${s.deferred} row(s) deferred and ${s.dropped} dropped to keep texts unique within a batch`);
    const result = await trainer.train();
    console.log(JSON.stringify({
      steps: result.state.globalStep, final_loss: result.finalLoss, model_final: result.finalDir,
      best_step: result.state.bestStep, best_recall_at_5: result.state.bestRecallAt5, evaluations: result.evaluations,
    }, null, 2));
  },
};
