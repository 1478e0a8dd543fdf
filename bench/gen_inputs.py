#!/usr/bin/env python3
"""Writes COUNT different inputs for bench/workload.c into DIR (input-00000.csv, ...): CSV records
"name,quantity,price" whose number, names and values vary from file to file. Deterministic for a
given seed, so that every machine times the same inputs.

Usage: gen_inputs.py DIR COUNT [--seed N] [--min-lines N] [--max-lines N]
"""
import argparse
import os
import random
import sys

SYLLABLES = ["ka", "lo", "mi", "ren", "sto", "va", "qui", "ber", "tan", "zo", "pex", "dri",
             "um", "sal", "fen", "or", "gli", "ha", "nut", "yel"]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("dir")
    ap.add_argument("count", type=int)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--min-lines", type=int, default=200)
    ap.add_argument("--max-lines", type=int, default=2000)
    a = ap.parse_args()
    if a.count < 1 or a.min_lines < 1 or a.max_lines < a.min_lines:
        print("gen_inputs.py: need COUNT >= 1 and 1 <= --min-lines <= --max-lines",
              file=sys.stderr)
        return 1
    os.makedirs(a.dir, exist_ok=True)
    rng = random.Random(a.seed)
    width = max(5, len(str(a.count - 1)))
    for i in range(a.count):
        names = ["".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 4)))
                 for _ in range(rng.randint(5, 60))]
        lines = rng.randint(a.min_lines, a.max_lines)
        rows = [f"{rng.choice(names)},{rng.randint(1, 500)},{rng.randint(1, 99999)}\n"
                for _ in range(lines)]
        with open(os.path.join(a.dir, f"input-{i:0{width}d}.csv"), "w") as f:
            f.writelines(rows)
    return 0


if __name__ == "__main__":
    sys.exit(main())
