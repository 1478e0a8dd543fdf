#!/usr/bin/env bash
# Runs the ELF loader fuzzer briefly: new inputs go to a scratch corpus, the seeds stay as they
# are; a crashing input is kept as crash-* in the current directory (ctest: build/tests/fuzz).
# Usage: run.sh FUZZER SEED_DIR [LIBFUZZER OPTIONS...]
set -eu
fuzzer=$1 seeds=$2
shift 2
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
"$fuzzer" "$@" -artifact_prefix="$PWD/" "$scratch" "$seeds"
