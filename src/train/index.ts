export { inBatchNegativesLoss } from './inbatch-negatives.js';
export { planEpoch, EpochSampler, type SamplerOptions, type SamplerReport } from './sampler.js';
export { prepareTrainingData, InMemoryTrainingData } from './training-data.js';
export { Trainer, type TrainResult } from './trainer.js';
export { DEFAULT_TRAIN_OPTIONS, validateTrainOptions, type TrainOptions, type TrainHooks, type TrainerState, type Evaluator, type EvalResult, type StepLog } from './options.js';
export { listCheckpoints, type Checkpoint } from './checkpoint.js';
export { collapseLoss } from './collapse-watch.js';
export { AdamW, type AdamWOptions } from './adamw.js';
