#!/usr/bin/env bash
# Debian packages inbatch needs: libtorch + OpenBLAS for training (the addon is built against them),
# gloo's headers for torch.distributed collectives (the library itself is inside libtorch), and
# Chromium, in which the tests drive serve's search playground (headless, through playwright-core).
# With --bench also python3-torch, used only by bench/train as the PyTorch reference.
set -euo pipefail
packages=(libtorch-dev libopenblas0-pthread libgloo-dev chromium)
[[ "${1:-}" == "--bench" ]] && packages+=(python3-torch)
missing=()
for p in "${packages[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
if ((${#missing[@]})); then
  SUDO=""; [[ $(id -u) -ne 0 ]] && SUDO="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update
  $SUDO apt-get install -y --no-install-recommends "${missing[@]}"
fi
