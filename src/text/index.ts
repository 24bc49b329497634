export * from './bert-tokenizer.js';
export * from './load-tokenizer.js';
export * from './collate.js';
export * from './tokenizer-files.js';
