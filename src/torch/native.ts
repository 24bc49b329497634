// Loads the optional libtorch addon (native/). Threads and OpenMP policy must be
// set before the shared library is loaded, so this is the only place that loads it.
import { createRequire } from 'node:module';
import { availableParallelism } from 'node:os';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export type NativeTensor = { readonly __nativeTensor: unique symbol };
// The addon's functions are generic; their typed faces live in ops.ts.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type NativeAddon = Record<string, (...args: any[]) => any>;

const INSTALL_HINT =
  'inbatch training needs libtorch. Install it with:\n' +
  '  apt-get install -y --no-install-recommends libtorch-dev libopenblas0-pthread\n' +
  'then rebuild the addon: npm run build:native\n' +
  '(or point INBATCH_LIBTORCH at another libtorch, e.g. a CUDA build, and rebuild).';

export class LibtorchMissingError extends Error {
  constructor(detail: string) {
    super(`${INSTALL_HINT}\n(${detail})`);
    this.name = 'LibtorchMissingError';
  }
}

let addon: NativeAddon | undefined;

function addonPath(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 5; i++) {
    const candidate = join(dir, 'native', 'build', 'Release', 'inbatch_torch.node');
    if (existsSync(candidate)) return candidate;
    dir = dirname(dir);
  }
  throw new LibtorchMissingError('native/build/Release/inbatch_torch.node was not built');
}

export function libtorchAvailable(): boolean {
  try {
    loadNative();
    return true;
  } catch {
    return false;
  }
}

export function loadNative(): NativeAddon {
  if (addon) return addon;
  process.env.OMP_WAIT_POLICY ??= 'passive';
  const path = addonPath();
  const require = createRequire(import.meta.url);
  try {
    addon = require(path) as NativeAddon;
  } catch (e) {
    throw new LibtorchMissingError(`loading ${path} failed: ${(e as Error).message}`);
  }
  const threads = Number(process.env.INBATCH_THREADS) || availableParallelism();
  addon.setNumThreads(threads);
  return addon;
}
