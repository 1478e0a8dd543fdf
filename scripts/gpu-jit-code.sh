#!/usr/bin/env bash
# On the GPU machine: what the translated code of the batch benchmark's workload looks like.
# Runs the workload over COUNT generated inputs with KVRM_JIT_DUMP set, disassembles the last
# (largest) module it compiled with cuobjdump, prints the machine instructions per guest
# instruction of its region functions, and leaves the module's sources and SASS in
# $OUT/jit-code.tar.xz for reading on the development machine. Padding NOPs are not counted.
# Usage: scripts/gpu-jit-code.sh [DIR] [COUNT] [kvrm batch options...]
#   DIR    what scripts/gpu-prepare.sh gathered (default .gpu; DIR.tar.xz is unpacked)
#   COUNT  inputs (default 2000)
set -uo pipefail
cd "$(dirname "$0")/.."
dir=${1:-.gpu}
count=${2:-2000}
shift 2 2>/dev/null || shift $#
out=${OUT:-/tmp}
[ -d "$dir" ] || [ ! -f "$dir.tar.xz" ] || tar xJf "$dir.tar.xz"
in=/tmp/kvrm-profile-in-$count
[ -d "$in" ] || python3 bench/gen_inputs.py "$in" "$count" >/dev/null
dump=/tmp/kvrm-jit-code
rm -rf "$dump" /tmp/kvrm-jit-code-out
mkdir -p "$dump"
KVRM_JIT_DUMP=$dump timeout 300 "$dir/kvrm" batch --backend cuda --no-progress --stats \
  --out /tmp/kvrm-jit-code-out --stdin-dir "$in" "$@" "$dir/workload" 2>&1 | tail -4
last=$(ls "$dump"/module-*.cubin 2>/dev/null | sed 's/.*module-\([0-9]*\).cubin/\1/' | sort -n |
  tail -1)
[ -n "$last" ] || { echo "no module was compiled"; exit 1; }
cuobjdump -sass "$dump/module-$last.cubin" >"$dump/module-$last.sass" || exit 1
python3 - "$dump" "$last" <<'EOF'
import re, sys, glob
dump, last = sys.argv[1], sys.argv[2]
guest = {}  # region number -> guest instructions
for path in glob.glob(f"{dump}/module-{last}-part-*.cu"):
    region = None
    for line in open(path):
        m = re.match(r"KVRM_JIT_REGION_ATTR KVRM_JIT_REGION\((\d+)\) \{", line)
        if m: region = int(m.group(1)); guest[region] = 0
        elif region is not None and line.startswith("  KVRM_JIT_OP("): guest[region] += 1
sass = {}  # function -> machine instructions
fn = None
for line in open(f"{dump}/module-{last}.sass"):
    m = re.match(r"\s+Function : (\S+)", line)
    if m: fn = m.group(1); sass[fn] = 0
    elif fn and re.match(r"\s+/\*[0-9a-f]{4,}\*/", line) and " NOP" not in line:
        sass[fn] += 1  # the padding NOPs after each function are left out
regions = {int(re.search(r"region_(\d+)", f).group(1)): n for f, n in sass.items()
           if re.search(r"region_\d+", f)}
g = sum(guest.get(r, 0) for r in regions); s = sum(regions.values())
print(f"module {last}: {len(sass)} functions, {sum(sass.values())} machine instructions")
print(f"regions: {len(regions)}, {g} guest instructions, {s} machine instructions "
      f"({s / max(g, 1):.1f} per guest instruction, {16 * s / max(g, 1):.0f} bytes)")
for f, n in sorted(sass.items(), key=lambda x: -x[1])[:8]:
    print(f"  {n:8d}  {f[:90]}")
EOF
tar cJf "$out/jit-code.tar.xz" -C "$dump" $(cd "$dump" && ls module-"$last"*)
ls -la "$out/jit-code.tar.xz"
