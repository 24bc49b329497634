// The rooms' import rules (README "Layout"): bottom rooms know nothing of the ones above,
// and nothing on the inference side reaches libtorch, even through another room.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { repoRoot } from './helpers.js';

const SRC = join(repoRoot, 'src');

/** room -> rooms it may import (a room may always import itself). */
const ALLOWED: Record<string, string[]> = {
  util: [],
  torch: ['util'],
  text: ['util'],
  eval: ['vectors', 'util'],
  vectors: ['util'],
  lexical: ['vectors', 'util'],
  weights: ['util'],
  data: ['text', 'util'],
  model: ['torch', 'text', 'weights', 'vectors', 'util'],
  train: ['model', 'data', 'weights', 'text', 'torch', 'eval', 'util'],
  export: ['model', 'weights', 'data', 'text', 'vectors', 'util'],
  infer: ['model', 'text', 'util'],
  retrieval: ['vectors', 'lexical', 'data', 'text', 'eval', 'util'],
  demo: ['util'],
  serve: ['infer', 'retrieval', 'vectors', 'text', 'util'],
  cli: ['*'],
};
/** rooms whose whole import closure must stay clear of libtorch */
const NO_LIBTORCH = ['util', 'text', 'eval', 'vectors', 'lexical', 'weights', 'data', 'export', 'infer', 'retrieval', 'serve'];

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? sourceFiles(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : []));
}

/** Relative imports of a file (static, re-exports and dynamic), as .ts paths; type-only imports count too. */
export function importsOf(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const specs = [...text.matchAll(/(?:from|import)\s*\(?\s*'(\.[^']+)'/g)].map((m) => m[1]!);
  return specs.map((s) => resolve(dirname(file), s.replace(/\.js$/, '.ts')));
}

const roomOf = (file: string) => relative(SRC, file).split('/')[0]!.replace(/\.ts$/, '');

test('no import runs against the layering', () => {
  const violations: string[] = [];
  for (const file of sourceFiles(SRC)) {
    const room = roomOf(file);
    const allowed = ALLOWED[room];
    if (room === 'index') continue; // the front door re-exports every room
    assert.ok(allowed, `${relative(repoRoot, file)}: room "${room}" has no rule in this test`);
    for (const target of importsOf(file)) {
      const other = roomOf(target);
      if (other !== room && !allowed.includes('*') && !allowed.includes(other)) violations.push(`${relative(SRC, file)} imports ${relative(SRC, target)}`);
    }
  }
  assert.deepEqual(violations, []);
});

test('the inference side never reaches libtorch, even through another room', () => {
  const closure = (file: string, seen = new Set<string>()): Set<string> => {
    if (seen.has(file)) return seen;
    seen.add(file);
    for (const t of importsOf(file)) closure(t, seen);
    return seen;
  };
  for (const file of sourceFiles(SRC).filter((f) => NO_LIBTORCH.includes(roomOf(f)))) {
    const torch = [...closure(file)].filter((f) => roomOf(f) === 'torch');
    assert.deepEqual(torch.map((f) => relative(SRC, f)), [], `${relative(SRC, file)} reaches libtorch`);
  }
});

test('the import scanner sees static, re-export, type and dynamic imports', () => {
  assert.deepEqual(importsOf(join(SRC, 'util', 'errors.ts')), []);
  assert.deepEqual(importsOf(join(SRC, 'util', 'atomic.ts')).map((f) => relative(SRC, f)), ['util/make-dir.ts']);
  const cli = importsOf(join(SRC, 'cli', 'train.ts')).map((f) => relative(SRC, f));
  assert.ok(cli.includes('train/trainer.ts') && cli.includes('cli/command.ts'), cli.join(', '));
  assert.ok(importsOf(join(SRC, 'index.ts')).map((f) => relative(SRC, f)).includes('serve/index.ts'));
});

test('the rooms stand on at most 6 floors (a room\'s floor is one above the highest room it imports)', () => {
  const floor = new Map<string, number>();
  const floorOf = (room: string, path: string[] = []): number => {
    if (floor.has(room)) return floor.get(room)!;
    assert.ok(!path.includes(room), `rooms import each other in a cycle: ${[...path, room].join(' -> ')}`);
    const below = new Set<string>();
    for (const file of sourceFiles(join(SRC, room))) for (const t of importsOf(file)) if (roomOf(t) !== room) below.add(roomOf(t));
    const f = Math.max(-1, ...[...below].map((r) => floorOf(r, [...path, room]))) + 1;
    floor.set(room, f);
    return f;
  };
  const rooms = Object.keys(ALLOWED);
  const highest = Math.max(...rooms.map((r) => floorOf(r)));
  assert.ok(highest + 1 <= 6, `${highest + 1} floors: ${rooms.map((r) => `${r} ${floor.get(r)}`).join(', ')}`);
  assert.equal(floor.get('util'), 0);
});
