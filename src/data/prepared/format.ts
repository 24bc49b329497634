// The prepared layout: a folder of shards and a manifest.
//   manifest.json                 counts, tokenizer fingerprint, max_seq_length, sources, bad lines, shards
//   shard-NNNNN.rows              one fixed-size record per row (little endian):
//                                   columns x float64 text hash, columns x uint16 token count, padding to 8,
//                                   float64 index of the row's first token in the tokens file
//   shard-NNNNN.tokens            the rows' token ids, row after row, column after column (uint16 or uint32)
// A row's texts are stored with it (no global text table), so writing needs memory for one shard only.

export const FORMAT = 'inbatch-prepared';
export const FORMAT_VERSION = 1;
export const MANIFEST = 'manifest.json';

export interface SourceFile { path: string; size: number; mtime: number; lines: number }

export interface Manifest {
  format: typeof FORMAT;
  version: number;
  rows: number;
  columns: number;
  /** uint16 when every id fits, else uint32 */
  token_type: 'uint16' | 'uint32';
  tokens: number;
  max_seq_length: number;
  tokenizer: string;
  /** sha256 over every row's hashes and lengths, in order */
  fingerprint: string;
  sources: SourceFile[];
  bad_lines: { count: number; first: string[] };
  shards: { name: string; rows: number; columns: number; tokens: number }[];
}

export function recordSize(columns: number): number {
  return Math.ceil((10 * columns) / 8) * 8 + 8;
}

export const shardName = (i: number) => `shard-${String(i).padStart(5, '0')}`;
