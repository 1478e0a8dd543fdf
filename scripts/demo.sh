#!/usr/bin/env bash
# kvrm's main job: builds kvrm and runs the seed's benchmark loops (ADD + B and ADD + STR + B,
# 100 M instructions each) on the GPU engine when an NVIDIA GPU is present and on the reference
# engine on the host. Installs the Debian packages it needs first (idempotent).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build -j"$(nproc)" --target kvrm
backends=cpu
if ./build/kvrm bench --list-backends 2>/dev/null | grep -qx cuda; then backends=cuda,cpu; fi
exec ./build/kvrm bench --backend "$backends" --repeat 1 "$@"
