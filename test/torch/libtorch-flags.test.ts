// How the addon is built follows the libtorch it is built against (native/libtorch-flags.cjs, asked by
// binding.gyp and by the GPU check): Debian's CPU libtorch gets gloo collectives; a CUDA libtorch is
// linked with libtorch_cuda, and gets ProcessGroupNCCL only when the CUDA runtime's and NCCL's headers
// are found. The folders here are laid out as those libtorch builds are.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { repoRoot, tempDir } from '../helpers.js';

type Flags = { defines: string[]; includeDirs: string[]; libraries: string[]; notes: string[] };
const { flags } = createRequire(import.meta.url)(join(repoRoot, 'native/libtorch-flags.cjs')) as { flags: (env: Record<string, string | undefined>) => Flags };

function touch(path: string): void {
  mkdirSync(join(path, '..'), { recursive: true });
  writeFileSync(path, '');
}

test('a CUDA libtorch with the CUDA and NCCL headers: NCCL collectives, libtorch_cuda linked', () => {
  const { dir, cleanup } = tempDir();
  try {
    const lt = join(dir, 'torch');
    touch(join(lt, 'lib/libtorch_cuda.so'));
    touch(join(lt, 'include/gloo/context.h'));
    touch(join(dir, 'cuda/include/cuda_runtime_api.h'));
    touch(join(dir, 'nccl/include/nccl.h'));
    const f = flags({ INBATCH_LIBTORCH: lt, INBATCH_CUDA_INCLUDE: join(dir, 'cuda/include'), INBATCH_NCCL_INCLUDE: join(dir, 'nccl/include') });
    assert.ok(f.defines.includes('USE_C10D_NCCL') && f.defines.includes('INBATCH_DISTRIBUTED'), f.defines.join(' '));
    assert.ok(f.includeDirs.includes(join(dir, 'cuda/include')) && f.includeDirs.includes(join(dir, 'nccl/include')));
    assert.ok(f.libraries.join(' ').includes('-Wl,--no-as-needed -ltorch_cuda -lc10_cuda'), f.libraries.join(' '));
    assert.match(f.notes.join('\n'), /NCCL collectives/);
    // without nccl.h: CUDA still linked, no NCCL, and the note says what is missing
    const noNccl = flags({ INBATCH_LIBTORCH: lt, INBATCH_CUDA_INCLUDE: join(dir, 'cuda/include'), INBATCH_NCCL_INCLUDE: join(dir, 'none'), CUDA_HOME: join(dir, 'none') });
    if (!noNccl.defines.includes('USE_C10D_NCCL')) {
      assert.ok(noNccl.libraries.includes('-ltorch_cuda'));
      assert.match(noNccl.notes.join('\n'), /nccl\.h not found \(INBATCH_NCCL_INCLUDE\)/);
    } // (a machine with nccl.h in /usr/local/cuda/include or /usr/include finds it there)
  } finally {
    cleanup();
  }
});

test('a CPU libtorch: no CUDA libraries, no NCCL; collectives whenever gloo headers exist', () => {
  const { dir, cleanup } = tempDir();
  try {
    const lt = join(dir, 'torch');
    touch(join(lt, 'lib/libtorch_cpu.so'));
    touch(join(lt, 'include/gloo/context.h'));
    const f = flags({ INBATCH_LIBTORCH: lt });
    assert.ok(!f.defines.includes('USE_C10D_NCCL'));
    assert.ok(f.defines.includes('USE_C10D_GLOO'));
    assert.ok(!f.libraries.some((l) => l.includes('cuda')), f.libraries.join(' '));
    assert.deepEqual(f.includeDirs.slice(0, 2), [join(lt, 'include'), join(lt, 'include/torch/csrc/api/include')]);
  } finally {
    cleanup();
  }
});
