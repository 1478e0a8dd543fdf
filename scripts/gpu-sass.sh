#!/usr/bin/env bash
# On the GPU machine (which has cuobjdump): the machine code of translated guest code, for
# reading where it spends its instructions. Every object in a translation cache directory (an
# entry's payload holds an ELF: a part's object or a linked module) and every .cubin given is
# disassembled to OUT_DIR/NAME.sass (its region functions only), and a line per file says its
# size.
# Usage: scripts/gpu-sass.sh OUT_DIR CACHE_DIR|FILE.cubin...
set -uo pipefail
out=$1
shift
mkdir -p "$out"
for src in "$@"; do
  if [ -d "$src" ]; then
    files=$(find "$src" -type f)
  else
    files=$src
  fi
  for f in $files; do
    name=$(basename "$f")
    # A cache entry's payload follows its header: cut from the ELF magic on.
    python3 - "$f" "$out/$name.elf" <<'PY' || continue
import sys
data = open(sys.argv[1], "rb").read()
at = data.find(b"\x7fELF")
if at < 0:
    sys.exit(1)
open(sys.argv[2], "wb").write(data[at:])
PY
    # Only translated code (the region functions), not the linked-in interpreter.
    if timeout 60 cuobjdump -sass "$out/$name.elf" 2>/dev/null |
      awk '/Function :/ { keep = index($0, "region_") > 0 } keep' >"$out/$name.sass" &&
      [ -s "$out/$name.sass" ]; then
      echo "$name: $(stat -c %s "$out/$name.elf") bytes, $(grep -c '/\*[0-9a-f]*\*/' "$out/$name.sass") instructions"
    fi
    rm -f "$out/$name.elf"
  done
done
