// An index's vectors only mean something to the model that made them: recall records that model's
// fingerprint in corpus.json, export records it in inbatch_source.json, and serve compares the two.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export const EXPORT_SOURCE_FILE = 'inbatch_source.json';

/** Why the index does not belong to the exported model, or undefined when it does (or one side is unknown). */
export function indexModelMismatch(indexDir: string, indexEmbedder: object | null, exportDir: string): string | undefined {
  const sourcePath = join(exportDir, EXPORT_SOURCE_FILE);
  if (!indexEmbedder || !existsSync(sourcePath)) return undefined;
  const source = JSON.parse(readFileSync(sourcePath, 'utf8')) as Record<string, unknown>;
  const built = indexEmbedder as Record<string, unknown>;
  if (JSON.stringify(built) === JSON.stringify(source)) return undefined;
  const differs = ['model', 'weights_size', 'weights_mtime', 'inbatch'].filter((k) => JSON.stringify(built[k]) !== JSON.stringify(source[k]));
  return `${indexDir} was built by ${String(built.model)}, but ${exportDir} was exported from ${String(source.model)} (${differs.join(', ')} differ): ` +
    'its vectors would be compared with another model\'s; rebuild the index with inbatch recall, or pass --allow-index-mismatch';
}
