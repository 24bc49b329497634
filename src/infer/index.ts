export { Embedder, type EmbedderOptions, type Similarity } from './embedder.js';
export { OnnxFolderEmbedder, type OnnxFolderOptions, type FolderPooling } from './onnx-folder.js';
export { EndpointEmbedder, isEndpoint, displayUrl, DEFAULT_ENDPOINT, type EndpointOptions } from './endpoint.js';
