// PaddleNLP's scripts (train_batch_neg.sh, recall.py, evaluate.py) run unchanged: their flag names
// are aliases here, flags inbatch has no use for are accepted with a note, and a flag may be shortened
// to any unique prefix, as Python's argparse allows (--similar_text_pair for --similar-text-pair-file).
// Runs after kebabFlags, so names arrive in kebab case.
import { dirname } from 'node:path';

const ALIASES: Record<string, string> = {
  '--train-set-file': '--train-set',
  '--model-name-or-path': '--model',
  '--log-steps': '--logging-steps',
};

/** flags accepted and dropped, and whether they take a value */
const IGNORED: Record<string, { value: boolean; why: string }> = {
  '--use-amp': { value: false, why: 'inbatch trains in float32' },
  '--hnsw-max-elements': { value: true, why: 'the index grows as the corpus needs' },
};

export interface TranslatedFlags {
  argv: string[];
  notes: string[];
}

/**
 * @param longFlags the long flags the command knows (from commander), for prefix matching
 */
export function translatePaddleFlags(argv: string[], longFlags: string[]): TranslatedFlags {
  const out: string[] = [], notes: string[] = [];
  const known = new Set(longFlags);
  let paramsPath: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--') { out.push(...argv.slice(i)); break; }
    if (!arg.startsWith('--')) { out.push(arg); continue; }
    const eq = arg.indexOf('=');
    let name = eq < 0 ? arg : arg.slice(0, eq);
    const inline = eq < 0 ? undefined : arg.slice(eq + 1);
    const ignored = IGNORED[name];
    if (ignored) {
      notes.push(`note: ${name.replace(/-/g, '_').replace(/^__/, '--')} is accepted and ignored (${ignored.why})`);
      if (ignored.value && inline === undefined) i++;
      continue;
    }
    if (name === '--device' && !known.has('--device')) {
      notes.push('note: --device is accepted and ignored here (this command runs where libtorch and onnxruntime run)');
      if (inline === undefined) i++;
      continue;
    }
    if (name === '--params-path') {
      // PaddleNLP: the trained checkpoint's model_state.pdparams; --model-name-or-path is its base
      const value = inline ?? argv[++i];
      if (value === undefined) { out.push(arg); continue; }
      paramsPath = value;
      continue;
    }
    name = ALIASES[name] ?? name;
    if (!known.has(name) && !['--help', '--version'].includes(name)) {
      const matches = longFlags.filter((f) => f.startsWith(name));
      if (matches.length === 1) name = matches[0]!;
    }
    out.push(inline === undefined ? name : `${name}=${inline}`);
  }
  if (paramsPath !== undefined) {
    // the checkpoint folder is the model; the base named by --model (--model-name-or-path) gives config and vocabulary
    const folder = paramsPath.endsWith('.pdparams') ? dirname(paramsPath) : paramsPath;
    const at = out.indexOf('--model');
    if (at >= 0 && at + 1 < out.length) {
      out.splice(at, 2, '--model', folder, '--paddle-base', out[at + 1]!);
    } else {
      out.push('--model', folder);
    }
  }
  return { argv: out, notes };
}

/** --device gpu / gpu:N (PaddleNLP) is cuda / cuda:N. */
export function deviceName(raw: string): string {
  return raw === 'gpu' ? 'cuda' : raw.startsWith('gpu:') ? `cuda:${raw.slice(4)}` : raw;
}
