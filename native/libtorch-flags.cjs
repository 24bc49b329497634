// What the addon is built with, decided from the libtorch it is built against (INBATCH_LIBTORCH, default
// /usr: Debian's CPU libtorch). binding.gyp and scripts/gpu-check/run.sh both ask this script.
//   node libtorch-flags.cjs defines | include_dirs | libraries | report
// Collectives: gloo's headers present -> USE_C10D_GLOO INBATCH_DISTRIBUTED.
// CUDA: lib/libtorch_cuda.so present -> linked (so CUDA registers itself), and with the CUDA runtime's
// and NCCL's headers found -> USE_C10D_NCCL (ProcessGroupNCCL). Headers are looked for in
// INBATCH_CUDA_INCLUDE / INBATCH_NCCL_INCLUDE, then $CUDA_HOME/include, /usr/local/cuda/include,
// libtorch's include/ and /usr/include.
'use strict';
const { existsSync } = require('node:fs');
const { join } = require('node:path');

function flags(env = process.env) {
  const root = env.INBATCH_LIBTORCH || '/usr';
  const libDirs = [join(root, 'lib'), join(root, 'lib/x86_64-linux-gnu')];
  const findLib = (name) => libDirs.find((d) => existsSync(join(d, name)));
  const headerDirs = (own) => [own, env.CUDA_HOME && join(env.CUDA_HOME, 'include'), '/usr/local/cuda/include', join(root, 'include'), '/usr/include'].filter(Boolean);
  const findHeader = (name, own) => headerDirs(own).find((d) => existsSync(join(d, name)));
  const defines = ['NAPI_CPP_EXCEPTIONS', 'NAPI_VERSION=8'];
  const includeDirs = [join(root, 'include'), join(root, 'include/torch/csrc/api/include')];
  const libraries = [...libDirs.map((d) => `-L${d}`), `-Wl,-rpath,${join(root, 'lib')}`, '-ltorch', '-ltorch_cpu', '-lc10'];
  const notes = [];
  const gloo = existsSync('/usr/include/gloo/context.h') || existsSync(join(root, 'include/gloo/context.h'));
  if (gloo) defines.push('USE_C10D_GLOO', 'INBATCH_DISTRIBUTED');
  else notes.push('no gloo headers (libgloo-dev): built without collectives');
  if (findLib('libtorch_cuda.so')) {
    // linked even though no symbol of it is named: loading it is what registers CUDA with libtorch
    libraries.push('-Wl,--no-as-needed', '-ltorch_cuda', '-lc10_cuda', '-Wl,--as-needed');
    const cuda = findHeader('cuda_runtime_api.h', env.INBATCH_CUDA_INCLUDE);
    const nccl = findHeader('nccl.h', env.INBATCH_NCCL_INCLUDE);
    if (gloo && cuda && nccl) {
      defines.push('USE_C10D_NCCL');
      for (const d of [cuda, nccl]) if (!includeDirs.includes(d)) includeDirs.push(d);
      notes.push(`CUDA libtorch: NCCL collectives (cuda_runtime_api.h in ${cuda}, nccl.h in ${nccl})`);
    } else {
      notes.push(`CUDA libtorch without NCCL collectives: ${!gloo ? 'no gloo headers' : !cuda ? 'cuda_runtime_api.h not found (INBATCH_CUDA_INCLUDE)' : 'nccl.h not found (INBATCH_NCCL_INCLUDE)'}`);
    }
  }
  if (env.INBATCH_LIBTORCH_LIBS) libraries.push(...env.INBATCH_LIBTORCH_LIBS.split(/\s+/).filter(Boolean));
  return { defines, includeDirs, libraries, notes };
}

module.exports = { flags };

if (require.main === module) {
  const f = flags();
  const what = process.argv[2];
  if (what === 'defines') console.log(f.defines.join(' '));
  else if (what === 'include_dirs') console.log(f.includeDirs.join(' '));
  else if (what === 'libraries') console.log(f.libraries.join(' '));
  else if (what === 'report') console.log(f.notes.length ? f.notes.join('\n') : 'CPU libtorch with gloo collectives');
  else { console.error('usage: node libtorch-flags.cjs defines|include_dirs|libraries|report'); process.exit(2); }
}
