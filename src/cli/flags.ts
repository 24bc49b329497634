// A small flag parser: --kebab-case and --snake_case spell the same flag,
// values as `--flag value` or `--flag=value`, booleans as `--flag` or `--flag=false`.

export type FlagType = 'string' | 'number' | 'boolean' | 'int';

export interface FlagSpec {
  type: FlagType;
  default?: string | number | boolean;
  help: string;
  required?: boolean;
}

export type FlagSpecs = Record<string, FlagSpec>;
export type FlagValues = Record<string, string | number | boolean | undefined>;

export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

const canonical = (name: string) => name.replace(/_/g, '-').toLowerCase();

export function parseFlags(argv: string[], specs: FlagSpecs): { flags: FlagValues; positional: string[] } {
  const flags: FlagValues = {};
  const positional: string[] = [];
  for (const [name, spec] of Object.entries(specs)) flags[name] = spec.default;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (!arg.startsWith('--') || arg === '--') {
      if (arg === '--') { positional.push(...argv.slice(i + 1)); break; }
      positional.push(arg);
      continue;
    }
    const eq = arg.indexOf('=');
    const name = canonical(eq >= 0 ? arg.slice(2, eq) : arg.slice(2));
    const spec = specs[name];
    if (!spec) throw new UsageError(`unknown flag --${name}`);
    let raw: string | undefined = eq >= 0 ? arg.slice(eq + 1) : undefined;
    if (spec.type === 'boolean') {
      if (raw === undefined && (argv[i + 1] === 'true' || argv[i + 1] === 'false')) raw = argv[++i];
      flags[name] = raw === undefined ? true : raw === 'true' || raw === '1';
      continue;
    }
    if (raw === undefined) {
      raw = argv[++i];
      if (raw === undefined) throw new UsageError(`--${name} needs a value`);
    }
    if (spec.type === 'number' || spec.type === 'int') {
      const v = Number(raw);
      if (raw.trim() === '' || !Number.isFinite(v)) throw new UsageError(`--${name} must be a number, got "${raw}"`);
      if (spec.type === 'int' && !Number.isInteger(v)) throw new UsageError(`--${name} must be an integer, got "${raw}"`);
      flags[name] = v;
    } else flags[name] = raw;
  }
  for (const [name, spec] of Object.entries(specs)) {
    if (spec.required && flags[name] === undefined) throw new UsageError(`--${name} is required`);
  }
  return { flags, positional };
}

export function helpText(command: string, summary: string, specs: FlagSpecs, usage = ''): string {
  const lines = [`inbatch ${command} ${usage}`.trimEnd(), '', summary, '', 'Flags:'];
  for (const [name, spec] of Object.entries(specs)) {
    const def = spec.default !== undefined ? ` (default ${spec.default})` : spec.required ? ' (required)' : '';
    lines.push(`  --${name}${spec.type === 'boolean' ? '' : ` <${spec.type}>`}`.padEnd(34) + spec.help + def);
  }
  return lines.join('\n');
}

export const str = (v: FlagValues[string]) => (v === undefined ? undefined : String(v));
export const num = (v: FlagValues[string]) => (v === undefined ? undefined : Number(v));
