// Device check for the NCCL path: collectives on CUDA tensors through ProcessGroupNCCL (world 1:
// one GPU here, and NCCL refuses two ranks on one GPU), then training steps on CUDA with that group.
import * as T from '../../dist/src/torch/index.js';
import { ProcessGroup, distributedAvailable } from '../../dist/src/torch/distributed.js';
const log = (...a) => console.log('[check]', ...a);
T.loadNative();
log('cuda', T.cudaIsAvailable(), 'distributed', distributedAvailable());
T.setDefaultDevice('cuda');
const g = ProcessGroup.init({ masterAddr: '127.0.0.1', masterPort: 29511, rank: 0, worldSize: 1, timeoutMs: 60000, backend: 'nccl', device: 'cuda' });
const x = T.fromData(Float32Array.from([1, 2, 3]), [3]);
g.allReduce_(x);
log('allreduce', Array.from(T.toFloat32(x)));
const gathered = g.allGather(T.fromData(Float32Array.from([4, 5]), [1, 2]));
log('allgather', gathered.shape, Array.from(T.toFloat32(gathered)));
g.broadcast_(x, 0);
g.barrier();
log('barrier ok, backend', g.backend);
g.destroy();
log('gloo with CUDA tensors refused or works:');
try {
  const gg = ProcessGroup.init({ masterAddr: '127.0.0.1', masterPort: 29512, rank: 0, worldSize: 1, timeoutMs: 60000, backend: 'gloo', device: 'cpu' });
  const c = T.fromData(Float32Array.from([1, 2]), [2], 'cpu'); gg.allReduce_(c); log('gloo cpu allreduce', Array.from(T.toFloat32(c))); gg.destroy();
} catch (e) { log('gloo', e.message); }

// GradCache on CUDA with dropout: the masks come from the CUDA generator, so its state must be the
// one saved and replayed (a replay of the CPU generator's state leaves replayMaxDiff > 0).
const { DualEncoder } = await import('../../dist/src/model/dual-encoder.js');
const { InMemoryTrainingData } = await import('../../dist/src/train/training-data.js');
const { AdamW } = await import('../../dist/src/train/adamw.js');
const { gradCacheStep } = await import('../../dist/src/train/grad-cache.js');
const { batchTexts } = await import('../../dist/src/train/train-step.js');
const { planEpoch } = await import('../../dist/src/train/sampler.js');
const { microConfig, tokenizerOf } = await import('../../dist/test/helpers.js');
const { SYNTHETIC_CHARS, syntheticPairs } = await import('../../dist/test/train/synthetic.js');
const tok = tokenizerOf(SYNTHETIC_CHARS);
const data = InMemoryTrainingData.fromPairs(syntheticPairs(40, 12, 21).train, tok, 32);
const config = { ...microConfig(tok.vocabSize, { pooling: 'mean', dropout: 0.1 }), hidden_dropout_prob: 0.1, attention_probs_dropout_prob: 0.1 };
const model = DualEncoder.random(config, tok, 3);
model.setTrainable(true);
log('model device', model.params.values().next().value.device);
const optimizer = new AdamW(model.trainableParameters());
const rows = planEpoch(data, { batchSize: 32, seed: 1, groupByLength: true }, 0).batches[0];
const r = gradCacheStep(model, optimizer, batchTexts(data, rows), { margin: 0.2, scale: 30, maxGradNorm: 5, lr: 1e-3, stepSeed: 11, chunkSize: 8, padId: tok.padId });
log('cuda grad-cache replayMaxDiff', r.replayMaxDiff, r.replayMaxDiff === 0 ? 'OK' : 'FAIL', 'loss', r.loss);
