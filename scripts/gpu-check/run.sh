#!/bin/bash
# Needs .device/ from scripts/gpu-check/prepare.sh (see there for how to start it on a GPU machine).
# one device run: build the addon against the machine's CUDA libtorch (PyTorch's), then check NCCL and CUDA training
set -o pipefail
xz -dc .device/node.xz > /tmp/node && chmod +x /tmp/node && export PATH=/tmp:$PATH
node --version
T=$(python3 -c "import torch,os;print(os.path.dirname(torch.__file__))")
python3 -c "import torch;print('torch', torch.__version__, 'abi', torch._C._GLIBCXX_USE_CXX11_ABI, 'cuda', torch.cuda.is_available(), 'nccl', torch.cuda.nccl.version())"
ABI=$(python3 -c "import torch;print(int(torch._C._GLIBCXX_USE_CXX11_ABI))")
NCCL_H=$(find / -name nccl.h -not -path '/proc/*' 2>/dev/null | head -1)
CUDA_H=$(find / -name cuda_runtime_api.h -not -path '/proc/*' 2>/dev/null | head -1)
ls $T/include/gloo >/dev/null && echo gloo headers ok
# the same detection as binding.gyp (native/libtorch-flags.cjs), pointed at PyTorch's libtorch
export INBATCH_LIBTORCH=$T INBATCH_NCCL_INCLUDE=$(dirname "$NCCL_H") INBATCH_CUDA_INCLUDE=$(dirname "$CUDA_H")
node native/libtorch-flags.cjs report | tee $OUT/flags.txt
DEFS=$(node native/libtorch-flags.cjs defines | tr ' ' '\n' | sed 's/^/-D/' | tr '\n' ' ')
INCS=$(node native/libtorch-flags.cjs include_dirs | tr ' ' '\n' | sed 's/^/-I/' | tr '\n' ' ')
echo "$DEFS $INCS" >> $OUT/flags.txt
mkdir -p native/build/Release
time g++ -shared -fPIC -std=c++17 -O1 -w -D_GLIBCXX_USE_CXX11_ABI=$ABI $DEFS -I.device/node-include -I.device/node-addon-api $INCS \
  native/inbatch_torch.cc -o native/build/Release/inbatch_torch.node $(node native/libtorch-flags.cjs libraries) 2>&1 | tee $OUT/build.log | grep -m30 -E 'error|Error'
ls -la native/build/Release/ || exit 1
export INBATCH_REQUIRE_NATIVE=1
node scripts/gpu-check/nccl-check.mjs 2>&1 | tee $OUT/check.log
# training on CUDA through the CLI: one process, then 2 workers sharing the GPU over gloo (NCCL refuses two ranks on one GPU)
node --input-type=module -e "
import { writeFileSync, mkdirSync } from 'node:fs';
mkdirSync('/tmp/w', { recursive: true });
const chars = Array.from({ length: 300 }, (_, i) => String.fromCodePoint(0x4e00 + i));
let s = 7; const r = () => ((s = (Math.imul(s, 1103515245) + 12345) >>> 0) / 2 ** 32);
const text = () => Array.from({ length: 4 + Math.floor(r() * 8) }, () => chars[Math.floor(r() * 300)]).join('');
writeFileSync('/tmp/w/vocab.txt', ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]', ...chars].join('\n') + '\n');
writeFileSync('/tmp/w/train.tsv', Array.from({ length: 2000 }, () => { const q = text(); return q + '\t' + q.slice(1) + text().slice(0, 2); }).join('\n') + '\n');
"
I="node dist/src/cli/main.js"
$I init --config small --vocab /tmp/w/vocab.txt --max-seq-length 32 --save-dir /tmp/w/init 2>&1 | tail -2
time $I train --model /tmp/w/init --train-set /tmp/w/train.tsv --save-dir /tmp/w/cuda1 --device cuda --batch-size 64 --max-steps 30 --learning-rate 5e-4 2>&1 | tail -4
# GradCache on CUDA with dropout: every step checks its replay (stops if the CUDA generator was not replayed)
time $I train --model /tmp/w/init --train-set /tmp/w/train.tsv --save-dir /tmp/w/cuda-gc --device cuda --batch-size 64 --grad-cache-chunk-size 16 --max-steps 10 2>&1 | tail -3
time $I train --model /tmp/w/init --train-set /tmp/w/train.tsv --save-dir /tmp/w/cuda2 --device cuda:0 --nproc-per-node 2 --backend gloo --batch-size 32 --max-steps 30 --learning-rate 5e-4 --master-port 29620 2>&1 | tail -4
time $I train --model /tmp/w/init --train-set /tmp/w/train.tsv --save-dir /tmp/w/nccl2 --device cuda --nproc-per-node 2 --batch-size 32 --max-steps 5 --master-port 29630 --dist-timeout 60 2>&1 | tail -6
echo DONE
