export { readPairs, parsePairs, type TextPair, type PairsFile } from './pairs.js';
export { DataFileError } from './errors.js';
export * from './paddle-recall-files.js';
export * from './corpus-file.js';
export { readIdTexts, readQrels, readTrecRun, formatTrecRun, type IdText } from './beir-files.js';
export { splitPairs, isSplitFolder, DEFAULT_SPLIT, type SplitOptions, type SplitManifest } from './split.js';
