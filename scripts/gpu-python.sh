#!/usr/bin/env bash
# On the GPU machine (which has no CLI11 and another Python than the development machine):
# builds the extension module kvrm._kvrm for its python3 from the static libraries built on
# the development machine (libkvrm_core.a with the CUDA device code linked in, libkvrm_os.a,
# libkvrm_batch.a;
# both position-independent) and runs the Python tests marked `gpu`.
# Usage: scripts/gpu-python.sh DIR   (DIR holds libkvrm_core.a, libkvrm_os.a and guest_echo, an
# aarch64 build of tests/python/guest_echo.c)
set -euo pipefail
cd "$(dirname "$0")/.."
dir=$(cd "$1" && pwd)
py=${PYTHON:-python3}
pyinc=$($py -c "import sysconfig; print(sysconfig.get_paths()['include'])")
pbinc=$($py -c "import pybind11; print(pybind11.get_include())" 2>/dev/null ||
  $py -c "import os, torch; print(os.path.join(os.path.dirname(torch.__file__), 'include'))" \
    2>/dev/null || echo /usr/include)
ext=$($py -c "import sysconfig; print(sysconfig.get_config_var('EXT_SUFFIX'))")
version=$(sed -n 's/^project(kvrm VERSION \([0-9.]*\).*/\1/p' CMakeLists.txt)
cuda=${CUDA_HOME:-/usr/local/cuda}
pkg=$dir/python/kvrm
mkdir -p "$pkg"
cp python/kvrm/*.py python/kvrm/*.pyi python/kvrm/py.typed "$pkg/"
g++ -std=c++20 -O2 -shared -fPIC -fvisibility=hidden -DKVRM_HAVE_CUDA=1 \
  -DKVRM_VERSION="\"$version\"" -Isrc -I"$pyinc" -I"$pbinc" src/python/*.cpp \
  "$dir/libkvrm_batch.a" "$dir/libkvrm_os.a" "$dir/libkvrm_core.a" "$dir/libkvrm_jit.a" \
  -L"$cuda/lib64" -lcudart_static -lrt -ldl -lpthread \
  -o "$pkg/_kvrm$ext"
cd tests/python
PYTHONPATH=$dir/python PYTHONDONTWRITEBYTECODE=1 KVRM_GUEST_ECHO=$dir/guest_echo \
  $py -m pytest -p no:cacheprovider -q -rs -m gpu --ignore=test_metadata.py .
