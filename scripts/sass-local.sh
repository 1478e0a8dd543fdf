#!/usr/bin/env bash
# On the development machine (no GPU, no CUDA disassembler): the machine code of cubins, for
# reading translated code without device time. Takes nvdisasm from Debian's nvidia-cuda-toolkit
# (bookworm non-free, CUDA 11.8, which knows sm_90; downloaded once into $KVRM_SASS_TOOLS,
# default ~/.cache/kvrm-sass-tools, without installing anything), and rewrites each cubin's ELF
# header to the older layout that nvdisasm reads (CUDA 12.8+ changed e_flags). The instruction
# encodings are Hopper's either way. Prints each file's disassembly to stdout.
# Usage: scripts/sass-local.sh FILE.cubin...   (e.g. the parts KVRM_JIT_DUMP=DIR keeps)
set -euo pipefail
[ $# -ge 1 ] || { echo "usage: $0 FILE.cubin..." >&2; exit 2; }
tools=${KVRM_SASS_TOOLS:-$HOME/.cache/kvrm-sass-tools}
nvdisasm=$tools/x/usr/bin/nvdisasm
if [ ! -x "$nvdisasm" ]; then
  mkdir -p "$tools/lists/partial" "$tools/sources"
  cat >"$tools/sources/non-free.sources" <<'SRC'
Types: deb
URIs: http://deb.debian.org/debian
Suites: bookworm
Components: non-free
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SRC
  apt=(-o Dir::Etc::sourcelist=/dev/null -o "Dir::Etc::sourceparts=$tools/sources"
    -o "Dir::State::Lists=$tools/lists" -o Debug::NoLocking=1)
  apt-get "${apt[@]}" update >/dev/null
  (cd "$tools" && apt-get "${apt[@]}" download nvidia-cuda-toolkit >/dev/null 2>&1)
  dpkg -x "$tools"/nvidia-cuda-toolkit_*.deb "$tools/x"
  rm -f "$tools"/nvidia-cuda-toolkit_*.deb
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
for f in "$@"; do
  python3 - "$f" "$tmp/old.cubin" <<'PY'
import struct, sys
d = bytearray(open(sys.argv[1], "rb").read())
if d[:4] != b"\x7fELF":
    sys.exit(f"{sys.argv[1]}: not an ELF file")
if d[7] == 0x41:  # CUDA 12.8+ layout: ABI version 8, e_flags = arch << 8 | ...
    arch = (struct.unpack_from("<I", d, 48)[0] >> 8) & 0xff
    d[7], d[8] = 0x33, 7  # the older ABI and version
    struct.pack_into("<I", d, 48, arch << 16 | 0x500 | arch)  # EF_CUDA_SM<arch>, virtual <arch>
open(sys.argv[2], "wb").write(d)
PY
  echo "== $f"
  "$nvdisasm" -c "$tmp/old.cubin"
done
