#!/usr/bin/env bash
# Builds kvrm and runs every test: unit, decoder, differential (against Unicorn), format check,
# and the GPU tests (which report "skipped" where no NVIDIA GPU is present).
# Installs the Debian packages it needs first (scripts/install-deps.sh; idempotent).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
jobs=$(nproc)
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release
cmake --build build -j"$jobs"
ctest --test-dir build --output-on-failure -j"$jobs" --timeout 1200
