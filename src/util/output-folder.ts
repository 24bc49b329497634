// A folder a command is about to replace as a whole: refused when it holds something else
// (a typo like `--output runs` must not wipe a training run).
import { existsSync, readdirSync, realpathSync, statSync } from 'node:fs';
import { relative, resolve, sep } from 'node:path';
import { UsageError } from './errors.js';

export interface ReplaceCheck {
  /** the flag that named the folder, for the message */
  flag: string;
  /** what the command writes there, e.g. "model folder" */
  what: string;
  /** true when the folder is an earlier output of the same kind (safe to replace) */
  isSameKind: (dir: string) => boolean;
  overwrite: boolean;
  /** folders the output must not contain or be (the command's inputs) */
  inputs?: string[];
}

export function checkReplaceable(dir: string, c: ReplaceCheck): void {
  const target = resolve(dir);
  if (target === resolve('.') || target === resolve('/')) throw new UsageError(`${c.flag} ${dir}: the current or root folder cannot be replaced; name a new folder`);
  for (const input of c.inputs ?? []) {
    const rel = relative(target, resolve(input));
    if (rel === '' || (!rel.startsWith('..') && !rel.startsWith(sep))) throw new UsageError(`${c.flag} ${dir} would replace the input ${input}`);
  }
  if (!existsSync(target)) return;
  if (!statSync(target).isDirectory()) throw new UsageError(`${c.flag} ${dir} exists and is not a folder`);
  if (readdirSync(target).length === 0 || c.isSameKind(target) || c.overwrite) return;
  throw new UsageError(`${c.flag} ${dir} is not empty and is not an inbatch ${c.what}; name another folder, or pass --overwrite to replace everything in it`);
}

/** Refuses an output file that is one of the command's inputs (it would be overwritten while read, or lost). */
export function checkNotInput(output: string, inputs: string[], flag: string): void {
  const real = (p: string) => { try { return realpathSync(p); } catch { return resolve(p); } };
  const target = real(output);
  const hit = inputs.find((input) => real(input) === target);
  if (hit !== undefined) throw new UsageError(`${flag} ${output} is the input ${hit}: it would be overwritten; name another file`);
}
