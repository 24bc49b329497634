// Builds the optional libtorch addon during `npm install`/`npm ci`.
// Without libtorch the install still succeeds; training commands then explain what to install.
import { existsSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';

const here = dirname(fileURLToPath(import.meta.url));
const root = process.env.INBATCH_LIBTORCH || '/usr';
const header = join(root, 'include/torch/csrc/api/include/torch/torch.h');
const built = join(here, 'build/Release/inbatch_torch.node');
const force = process.argv.includes('--force');

if (process.env.INBATCH_SKIP_NATIVE === '1') {
  console.log('inbatch: INBATCH_SKIP_NATIVE=1, not building the libtorch addon');
  process.exit(0);
}
if (!existsSync(header)) {
  console.log(`inbatch: libtorch headers not found at ${header}; training is disabled.\n` +
    '  Install with: apt-get install -y --no-install-recommends libtorch-dev libopenblas0-pthread\n' +
    '  or point INBATCH_LIBTORCH at a libtorch folder, then run: npm run build:native');
  process.exit(0);
}
if (existsSync(built) && !force && process.env.npm_command !== 'ci' && process.env.npm_command !== 'rebuild') {
  console.log('inbatch: libtorch addon already built (npm run build:native to rebuild)');
  process.exit(0);
}
const nodeGyp = process.env.npm_config_node_gyp;
const cmd = nodeGyp ? process.execPath : 'node-gyp';
const args = nodeGyp ? [nodeGyp, 'rebuild'] : ['rebuild'];
if (process.env.npm_config_nodedir) args.push(`--nodedir=${process.env.npm_config_nodedir}`);
const { flags } = createRequire(import.meta.url)('./libtorch-flags.cjs');
const notes = flags({ ...process.env, INBATCH_LIBTORCH: root }).notes;
console.log(`inbatch: building the libtorch addon against ${root} (about a minute): ${notes.length ? notes.join('; ') : 'CPU libtorch with gloo collectives'}`);
const r = spawnSync(cmd, args, { cwd: here, stdio: 'inherit', env: { ...process.env, INBATCH_LIBTORCH: root } });
if (r.status !== 0) {
  console.error('inbatch: building the libtorch addon failed; training is disabled until `npm run build:native` succeeds');
  process.exit(process.env.INBATCH_REQUIRE_NATIVE === '1' ? 1 : 0);
}
