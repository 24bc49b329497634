export * from './config.js';
export { readModelConfig } from './config-file.js';
export { DualEncoder } from './dual-encoder.js';
export { loadModel, loadPaddleModel, saveModel, loadWeights, type LoadReport } from './folder.js';
export { isPaddleFolder, readPaddleFolder, paddleToHuggingFace } from './paddle-format.js';
export { modelFingerprint, type ModelFingerprint } from './fingerprint.js';
export { readModelSource, readWeightTensors, type ModelSource } from './model-source.js';
