export { Embedder, type EmbedderOptions, type Similarity } from './embedder.js';
