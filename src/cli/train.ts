// inbatch train: in-batch negatives training with PaddleNLP's flag names (snake_case accepted).
import { basename, resolve } from 'node:path';
import { existsSync } from 'node:fs';
import { Option } from '@commander-js/extra-typings';
import { trainingCalibrationFile } from '../data/calibration-pairs.js';
import { readCorpusTexts } from '../data/corpus-file.js';
import { expandInputs } from '../data/input-files.js';
import { readDevPairs } from '../data/paddle-recall-files.js';
import { preparedTrainingData } from '../data/prepared/cache.js';
import { PreparedData } from '../data/prepared/reader.js';
import type { DualEncoder } from '../model/dual-encoder.js';
import { loadWeights } from '../model/folder.js';
import { RecallEvaluator } from '../retrieval/recall-evaluator.js';
import * as T from '../torch/index.js';
import { launchWorkers } from '../train/launcher.js';
import { DEFAULT_TRAIN_OPTIONS as D, type TrainOptions } from '../train/options.js';
import { Trainer } from '../train/trainer.js';
import { joinWorkers, stopOnInterrupt, workerIdentity } from '../train/workers.js';
import type { Command } from './command.js';
import {
  hnswEfOption, hnswMOption, intIn, listOf, maxSeqLengthOption, modelDirOption, nonNegative, numberWhere, oneOf, outputEmbSizeOption, pathValue, poolingOption, positive, proportion, UsageError, paddleBaseOption,
} from './flags.js';
import { adoptPreparedLength, loadModelFromFlags } from './model-flags.js';
import { deviceName } from './paddle-flags.js';

function trainCommand(program: Command) {
  return program.command('train')
    .description('Train a dual encoder on query<TAB>positive[<TAB>hard negative] pairs with in-batch negatives.')
    .addOption(modelDirOption())
    .addOption(paddleBaseOption())
    .addOption(new Option('--train-set <files...>', 'a prepared folder (inbatch prepare), or query<TAB>positive[<TAB>hard negative...] files, folders or globs (prepared into a cache in --save-dir first)').makeOptionMandatory())
    .addOption(new Option('--save-dir <dir>', 'checkpoints, model_best, model_final, train_log.jsonl, loss.svg').argParser(pathValue).makeOptionMandatory())
    .addOption(new Option('--batch-size <n>', 'pairs per batch').argParser(intIn(2, 1 << 20)).default(D.batchSize))
    .addOption(new Option('--learning-rate <lr>', 'peak learning rate').argParser(positive).default(D.learningRate))
    .addOption(new Option('--epochs <n>', 'passes over the training set').argParser(intIn(1)).default(D.epochs))
    .addOption(new Option('--max-steps <n>', 'stop after this many steps (the schedule ends there)').argParser(intIn(1)))
    .addOption(outputEmbSizeOption())
    .addOption(maxSeqLengthOption())
    .addOption(poolingOption())
    .addOption(new Option('--margin <m>', 'subtracted from the positive\'s cosine').argParser(nonNegative).default(D.margin))
    .addOption(new Option('--false-negative-margin <d>', 'mask a negative scoring above its positive + d, or with the positive\'s text (likely a text that also matches); off by default').argParser(numberWhere((v) => v >= -1 && v <= 2, 'in [-1, 2]')))
    .addOption(new Option('--false-negative-warmup <steps>', 'with --false-negative-margin: steps before the score rule applies (equal texts are masked from the start); default: 30 % of the run').argParser(intIn(0)))
    .addOption(new Option('--false-negative-log <file>', 'with --false-negative-margin: JSON Lines of each step\'s 5 strongest masked suspects').argParser(pathValue))
    .addOption(new Option('--logq-correction', 'subtract log q(title) from every logit, q counted over the training titles: frequent titles stop dominating the negatives (skewed data)').default(false))
    .addOption(new Option('--memory-bank-size <n>', 'keep the last N titles of earlier steps as extra negatives (no gradient through them)').argParser(intIn(1, 1 << 24)))
    .addOption(new Option('--memory-bank-queries', 'dual bank (ContAccum): keep each entry\'s query too, so this step\'s titles are negatives of earlier queries (2x the bank\'s memory); the one to use when fine-tuning a trained encoder (README)').default(false))
    .addOption(new Option('--memory-bank-warmup <steps>', 'steps before the bank is used (it fills meanwhile); default: 5 % of the run').argParser(intIn(0)))
    .addOption(new Option('--matryoshka-dims <list>', 'train these prefix dimensions too, largest (the output size) first, e.g. 256,128,64,32').argParser(listOf(intIn(1, 65536))))
    .addOption(new Option('--matryoshka-weights <list>', 'their weights in the loss (default 1 each)').argParser(listOf(nonNegative)))
    .addOption(new Option('--matryoshka-distill <w>', 'self-distillation: each shorter prefix also learns the full embedding\'s softmax over the batch, KL weighted by w (default 1; 0: the prefixes\' in-batch losses only)').argParser(nonNegative))
    .addOption(new Option('--scale <s>', 'logit scale').argParser(positive).default(D.scale))
    .addOption(new Option('--save-steps <n>', 'checkpoint every N steps (0: only on interruption)').argParser(intIn(0)).default(D.saveSteps))
    .addOption(new Option('--warmup-proportion <p>', 'share of steps with linear warmup').argParser(proportion).default(D.warmupProportion))
    .addOption(new Option('--weight-decay <w>', 'AdamW weight decay (not on bias/LayerNorm)').argParser(nonNegative).default(D.weightDecay))
    .addOption(new Option('--max-grad-norm <n>', 'clip gradients to this global norm (0: no clipping)').argParser(nonNegative).default(D.maxGradNorm))
    .addOption(new Option('--seed <n>', 'data order and dropout seed').argParser(intIn(0)).default(D.seed))
    .addOption(new Option('--init-from-ckpt <path>', 'start from the weights of this model or checkpoint folder, or of a .safetensors file').argParser(pathValue))
    .addOption(new Option('--resume', 'continue from the latest checkpoint in --save-dir').default(false))
    .addOption(new Option('--resume-from <dir>', 'continue from this checkpoint folder').argParser(pathValue))
    .addOption(new Option('--overwrite', 'start over in a --save-dir that holds another run\'s checkpoints (they are deleted)').default(false))
    .addOption(new Option('--grad-cache-chunk-size <n>', 'GradCache: embed each batch in chunks of N rows, so batches larger than memory allows train exactly').argParser(intIn(1)))
    .addOption(new Option('--use-gradient-cache', 'PaddleNLP\'s spelling of GradCache, with --chunk-numbers').default(false))
    .addOption(new Option('--chunk-numbers <k>', 'with --use-gradient-cache: split each batch into K chunks').argParser(intIn(1)).default(1))
    .addOption(new Option('--no-group-by-length', 'batches in random order of length (more padding)'))
    .addOption(new Option('--pad-to-max-length', 'pad every batch to max_seq_length (slower; for comparison)').default(false))
    .addOption(new Option('--skip-bad-lines', 'count malformed lines and go on instead of failing').default(false))
    .addOption(new Option('--logging-steps <n>', 'log every N steps').argParser(intIn(1)).default(D.loggingSteps))
    .addOption(new Option('--keep-checkpoints <n>', 'step checkpoints kept on disk').argParser(intIn(1)).default(D.keepCheckpoints))
    .addOption(new Option('--evaluate', 'evaluate Recall@N on a dev set; keep model_best by Recall@5').default(false))
    .addOption(new Option('--eval-steps <n>', 'evaluate every N steps (default: every epoch)').argParser(intIn(1)))
    .addOption(new Option('--similar-text-pair-file <file>', 'dev set: query<TAB>gold text').argParser(pathValue))
    .addOption(new Option('--corpus-file <file>', 'dev corpus: one text per line').argParser(pathValue))
    .addOption(new Option('--recall-num <n>', 'texts recalled per dev query').argParser(intIn(1, 10000)).default(50))
    .addOption(hnswMOption())
    .addOption(hnswEfOption())
    .addOption(new Option('--eval-exact', 'evaluate with exact search instead of HNSW').default(false))
    .addOption(new Option('--time-budget <seconds>', 'fit the number of steps to this wall-clock budget').argParser(numberWhere((v) => v > 0, '> 0')))
    .addOption(new Option('--nproc-per-node <n>', 'workers on this machine (data parallel over torch.distributed/gloo); --batch-size is per worker').argParser(intIn(1, 256)).default(1))
    .addOption(new Option('--nnodes <n>', 'machines in the run').argParser(intIn(1, 4096)).default(1))
    .addOption(new Option('--node-rank <n>', 'this machine\'s index among --nnodes').argParser(intIn(0, 4095)).default(0))
    .addOption(new Option('--master-addr <host>', 'rank 0\'s machine (the rendezvous)').default('127.0.0.1'))
    .addOption(new Option('--master-port <port>', 'rendezvous port on --master-addr').argParser(intIn(1, 65535)).default(29500))
    .addOption(new Option('--backend <name>', 'collectives: gloo (CPU tensors) or nccl (CUDA, an addon built against a CUDA libtorch); default: nccl with --device cuda').argParser(oneOf('gloo', 'nccl')))
    .addOption(new Option('--dist-timeout <seconds>', 'how long a worker waits for the others in one collective').argParser(intIn(1)).default(1800))
    .addOption(new Option('--device <device>', 'cpu, or cuda / cuda:N with a CUDA build of libtorch (INBATCH_LIBTORCH); PaddleNLP\'s gpu / gpu:N mean the same').argParser(deviceName).default('cpu'));
}

type TrainFlags = ReturnType<ReturnType<typeof trainCommand>['opts']>;

export function addTrainCommand(program: Command): void {
  trainCommand(program).action(async (f) => {
    if (f.falseNegativeLog && f.falseNegativeMargin === undefined) throw new UsageError('--false-negative-log needs --false-negative-margin');
    if (f.nodeRank >= f.nnodes) throw new UsageError(`--node-rank ${f.nodeRank} must be below --nnodes ${f.nnodes}`);
    if (f.backend === 'nccl' && !f.device.startsWith('cuda')) throw new UsageError('--backend nccl reduces CUDA tensors: use it with --device cuda (gloo is the CPU backend)');
    const worker = workerIdentity(process.env, f);
    // a launcher starts this node's workers; a worker (started by one, or by torchrun) has WORLD_SIZE set
    if ((f.nprocPerNode > 1 || f.nnodes > 1) && !worker) return launchWorkers(f);
    for (const input of f.trainSet) if (!/[*?[]/.test(input) && !existsSync(input)) throw new UsageError(`--train-set ${input} does not exist`);
    if (f.evaluate && (!f.similarTextPairFile || !f.corpusFile)) throw new UsageError('--evaluate needs --similar-text-pair-file and --corpus-file');
    T.loadNative();
    if (f.device.startsWith('cuda') && !T.cudaIsAvailable()) throw new UsageError(`--device ${f.device}: this libtorch build has no CUDA (build the addon against a CUDA libtorch: INBATCH_LIBTORCH=... npm run build:native)`);
    // a worker of a multi-GPU machine takes the GPU of its local rank, as torchrun's users do
    const device = f.device === 'cuda' && worker?.localRank !== undefined ? `cuda:${worker.localRank}` : f.device;
    T.setDefaultDevice(device);
    const model = loadModelFromFlags(f.model, f);
    if (f.initFromCkpt) initialiseFrom(model, f.initFromCkpt);
    // every input is read and checked before the long work starts
    const evaluator = f.evaluate ? new RecallEvaluator(readDevPairs(f.similarTextPairFile!), await readCorpusTexts(f.corpusFile!), {
      recallNum: f.recallNum, dimensions: f.matryoshkaDims, index: { kind: f.evalExact ? 'exact' : 'hnsw', hnsw: { m: f.hnswM, efConstruction: f.hnswEf, ef: f.hnswEf } },
    }) : undefined;
    const data = process.env.INBATCH_PREPARED ? PreparedData.open(process.env.INBATCH_PREPARED) : await preparedTrainingData(f.trainSet, f.saveDir, model.tokenizer, model.config.inbatch.max_seq_length, f.skipBadLines);
    adoptPreparedLength(model, data.manifest.max_seq_length, f.maxSeqLength);
    const maxLen = model.config.inbatch.max_seq_length;
    const processGroup = worker ? joinWorkers(worker, { timeoutMs: f.distTimeout * 1000, backend: f.backend ?? (device.startsWith('cuda') ? 'nccl' : 'gloo'), device }) : undefined;
    data.checkCompatible(model.tokenizer.fingerprint, maxLen, model.tokenizer.vocabSize);
    const lead = !processGroup || processGroup.rank === 0;
    // a sample of the training pairs goes into every saved model: hybrid retrieval calibrates on it
    const modelFiles = lead ? await trainingCalibrationFile(PreparedData.isPrepared(f.trainSet[0]!) ? data.manifest.sources.map((s) => s.path) : expandInputs(f.trainSet), f.seed) : {};
    const sources = PreparedData.isPrepared(f.trainSet[0]!) ? data.manifest.sources.map((s) => s.path) : expandInputs(f.trainSet);
    const provenance = { command: commandLine(), baseModel: basename(resolve(f.model)), datasets: sources.map((p) => basename(p).replace(/\.(tsv|txt|csv|jsonl)(\.gz)?$/, '')) };
    const trainer = new Trainer(model, data, trainOptions(f, maxLen), { evaluator: lead ? evaluator : undefined, signal: stopOnInterrupt(Boolean(processGroup)), processGroup, modelFiles, provenance });
    if (lead) console.error(`${data.rows} pairs (${data.manifest.bad_lines.count} bad line(s) skipped), about ${trainer.totalSteps} steps`);
    const result = await trainer.train();
    if (result.interrupted) process.exitCode = 130; // every rank: each node's launcher reports its own workers
    if (!lead) return; // rank 0 reports
    const s = trainer.samplerReport;
    console.error(`sampler, last epoch: ${s.deferred} row(s) deferred and ${s.dropped} dropped to keep texts unique within a batch`);
    console.log(JSON.stringify({
      steps: result.state.globalStep, final_loss: result.finalLoss, interrupted: result.interrupted ?? false, model_final: result.finalDir,
      best_step: result.state.bestStep, best_metric: trainer.options.bestMetric, best_score: result.state.bestScore, evaluations: result.evaluations,
    }, null, 2));
  });
}

/** The flags as the Trainer's options (PaddleNLP's --use-gradient-cache --chunk-numbers K is GradCache with chunks of batch/K). */
function trainOptions(f: TrainFlags, maxLen: number): Partial<TrainOptions> & { saveDir: string } {
  return {
    saveDir: f.saveDir, batchSize: f.batchSize, learningRate: f.learningRate, epochs: f.epochs, maxSteps: f.maxSteps,
    margin: f.margin, scale: f.scale, falseNegativeMargin: f.falseNegativeMargin, falseNegativeLog: f.falseNegativeLog,
    logqCorrection: f.logqCorrection || undefined, memoryBankSize: f.memoryBankSize, memoryBankWarmup: f.memoryBankWarmup, falseNegativeWarmup: f.falseNegativeWarmup, memoryBankQueries: f.memoryBankQueries || undefined, matryoshkaDims: f.matryoshkaDims, matryoshkaWeights: f.matryoshkaWeights, matryoshkaDistill: f.matryoshkaDistill, saveSteps: f.saveSteps, warmupProportion: f.warmupProportion, weightDecay: f.weightDecay,
    maxGradNorm: f.maxGradNorm, seed: f.seed, groupByLength: f.groupByLength && !f.padToMaxLength, padToMaxLength: f.padToMaxLength ? maxLen : undefined,
    loggingSteps: f.loggingSteps, keepCheckpoints: f.keepCheckpoints, evalSteps: f.evalSteps, timeBudgetSeconds: f.timeBudget,
    resume: f.resumeFrom ?? f.resume, overwrite: f.overwrite,
    gradCacheChunkSize: f.gradCacheChunkSize ?? (f.useGradientCache ? Math.ceil(f.batchSize / f.chunkNumbers) : undefined),
  };
}

/** --init-from-ckpt: the weights of a model folder (any layout) or a weights file. */
function initialiseFrom(model: DualEncoder, path: string): void {
  const { params } = loadWeights(path, model.config);
  T.noGrad(() => { for (const [name, p] of model.params) T.copy_(p, params.get(name)!); });
  for (const p of params.values()) p.dispose();
  console.error(`initialised weights from ${path}`);
}

/** The command as typed (shell-quoted where needed), for the model card. */
function commandLine(): string {
  const quote = (a: string) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, "'\\''")}'`);
  return ['inbatch', ...process.argv.slice(2)].map(quote).join(' ');
}
