// A corpus folder as the bulk-import files of vector databases that cannot be tested here, in their
// documented formats (streamed, FILE rows per part):
//   milvus  part-NNNNN.json = {"rows": [{"id", "text", ["doc_id",] "embedding": [...]}, ...]}, Milvus's
//           row-based JSON for bulk insert (one file per import call); collection.json names the
//           schema those rows fit (id Int64 primary key without auto id, text VarChar, embedding
//           FloatVector(dim), metric IP)
//   qdrant  part-NNNNN.json = {"points": [{"id", "vector": [...], "payload": {"text", ["doc_id"]}}]}, the
//           body of PUT /collections/NAME/points; collection.json the body of PUT /collections/NAME
//           ({"vectors": {"size": dim, "distance": "Dot"}}: inner product, as the model is trained)
import { join } from 'node:path';
import { writeSync } from 'node:fs';
import { writeFileAtomic, writeFileAtomicStreamed } from '../util/atomic.js';
import { makeDir } from '../util/make-dir.js';
import type { OpenedCorpus } from './corpus-store.js';

export type BulkFormat = 'milvus' | 'qdrant';

export function exportBulk(corpus: OpenedCorpus, format: BulkFormat, outDir: string, rowsPerFile: number): string[] {
  const { size, dim } = corpus.manifest;
  makeDir(outDir);
  const maxTextBytes = corpus.texts.maxBytes(), maxIdBytes = corpus.ids?.maxBytes() ?? 0;
  if (format === 'milvus' && maxTextBytes > 65535) throw new Error(`a text of ${maxTextBytes} bytes: Milvus VarChar holds at most 65,535`);
  const schema = format === 'milvus'
    ? { fields: [{ name: 'id', data_type: 'Int64', is_primary: true, auto_id: false }, { name: 'text', data_type: 'VarChar', max_length: Math.min(65535, Math.max(256, maxTextBytes)) },
      ...(corpus.ids ? [{ name: 'doc_id', data_type: 'VarChar', max_length: Math.max(64, maxIdBytes) }] : []), { name: 'embedding', data_type: 'FloatVector', dim }], index: { field: 'embedding', metric_type: 'IP' } }
    : { vectors: { size: dim, distance: 'Dot' } };
  writeFileAtomic(join(outDir, 'collection.json'), JSON.stringify(schema, null, 1) + '\n');
  const files: string[] = [];
  for (let first = 0; first < size; first += rowsPerFile) {
    const path = join(outDir, `part-${String(files.length).padStart(5, '0')}.json`);
    const count = Math.min(rowsPerFile, size - first);
    writeFileAtomicStreamed(path, (fd) => {
      writeSync(fd, format === 'milvus' ? '{"rows": [\n' : '{"points": [\n');
      for (let r = first; r < first + count; r += 1024) {
        const n = Math.min(1024, first + count - r);
        const vectors = corpus.floats.read(r, n);
        let out = '';
        for (let i = 0; i < n; i++) {
          const id = r + i, vector = `[${Array.from(vectors.subarray(i * dim, (i + 1) * dim)).join(',')}]`;
          const text = JSON.stringify(corpus.texts.textOf(id)), docId = corpus.ids ? JSON.stringify(corpus.ids.textOf(id)) : undefined;
          const row = format === 'milvus'
            ? `{"id": ${id}, "text": ${text}${docId ? `, "doc_id": ${docId}` : ''}, "embedding": ${vector}}`
            : `{"id": ${id}, "vector": ${vector}, "payload": {"text": ${text}${docId ? `, "doc_id": ${docId}` : ''}}}`;
          out += (id > first ? ',\n' : '') + row;
        }
        writeSync(fd, out);
      }
      writeSync(fd, '\n]}\n');
    });
    files.push(path);
  }
  return files;
}
