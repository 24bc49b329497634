// Heavy dependencies (onnxruntime, hnswlib, protobufjs, fastify, prom-client) are loaded on
// first use, so that importing the library loads none of them (tested in a fresh process).
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

/** A getter that requires `name` the first time it is called; a missing package is named with what to run. */
export function lazyModule<M>(name: string): () => M {
  let loaded: M | undefined;
  return () => {
    if (loaded === undefined) {
      try {
        loaded = require(name) as M;
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'MODULE_NOT_FOUND' && String((e as Error).message).includes(`'${name}'`)) {
          throw new Error(`the package ${name} is not installed (npm install ${name})`);
        }
        throw e;
      }
    }
    return loaded;
  };
}

/** Where a package's file is installed (for data packages read as files). */
export function resolvePackageFile(spec: string): string {
  return require.resolve(spec);
}
