// Reading JSON files that come from outside: every failure names the file (missing, too large,
// invalid UTF-8, not JSON, not the expected kind of value), never a bare TypeError later on.
import { statSync } from 'node:fs';
import { readUtf8File } from './utf8-file.js';

/** Larger JSON files than this are refused before they are read (configs, manifests, indexes). */
export const MAX_JSON_BYTES = 64 << 20;

export function readJsonFile(path: string, maxBytes = MAX_JSON_BYTES): unknown {
  let size: number;
  try {
    size = statSync(path).size;
  } catch (e) {
    throw new Error(`${path}: cannot read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  if (size > maxBytes) throw new Error(`${path}: ${size} bytes, more than the ${maxBytes} a JSON file here may have`);
  const text = readUtf8File(path);
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new Error(`${path}: not valid JSON (${(e as Error).message})`);
  }
}

/** A JSON file whose top level must be an object (not null, an array or a scalar). */
export function readJsonObject(path: string, maxBytes = MAX_JSON_BYTES): Record<string, unknown> {
  const value = readJsonFile(path, maxBytes);
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new Error(`${path}: expected a JSON object, found ${value === null ? 'null' : Array.isArray(value) ? 'an array' : typeof value}`);
  }
  return value as Record<string, unknown>;
}
