export { buildServer, DEFAULT_SERVER, type ServerOptions, type ServingEmbedder } from './server.js';
