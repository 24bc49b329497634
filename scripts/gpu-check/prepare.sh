#!/bin/bash
# Packs what scripts/gpu-check/run.sh needs on a GPU machine that has PyTorch (CUDA, NCCL) but no
# Node.js: this Node binary (xz), the N-API headers and node-addon-api, into .device/ (git-ignored).
# Then run, from the repository root, on the device machine with carry [".device", "dist",
# "node_modules/commander", "node_modules/@commander-js"]:  bash scripts/gpu-check/run.sh
set -e
mkdir -p .device/node-include
grep -qx '/.device/' .git/info/exclude || echo '/.device/' >> .git/info/exclude
for h in node_api.h node_api_types.h js_native_api.h js_native_api_types.h; do cp "$(dirname "$(dirname "$(readlink -f "$(which node)")")")/include/node/$h" .device/node-include/ 2>/dev/null || cp /usr/include/node/$h .device/node-include/; done
rm -rf .device/node-addon-api && cp -r node_modules/node-addon-api .device/node-addon-api
xz -T0 -6 -c "$(readlink -f "$(which node)")" > .device/node.xz
ls -la .device
