#!/usr/bin/env python3
"""The build commands of an emitted C file's head comment, for a chosen -march level.

    python3 bench/head_build.py FILE.c LEVEL RUNTIME_DIR [--drop FLAG]... [--add FLAG]...

Prints one shell command per line, in order (the runtime's objects, then the program): the head
comment's ` *   flags="..."` expanded into each ` *   gcc $flags ...` line (or mpicc, cc, clang),
`-march=native` replaced by `-march=LEVEL`, `runtime` and `runtime/...` by RUNTIME_DIR, and the
file's own name by its path; --drop leaves a flag out, --add puts one after the others. Run them
in the directory the program should land in. Used by bench/isa_levels.sh, redblack_cost.sh,
compare_gray_scott.sh and compare_flags.sh.
"""
import argparse
import os
import re
import shlex
import sys

parser = argparse.ArgumentParser()
parser.add_argument("path")
parser.add_argument("level")
parser.add_argument("runtime")
parser.add_argument("--drop", action="append", default=[])
parser.add_argument("--add", action="append", default=[])
args = parser.parse_args()
path, level, runtime = args.path, args.level, args.runtime
name = os.path.basename(path)
head = open(path).read().split("*/", 1)[0]
found = re.search(r'^ \*   flags="([^"]*)"$', head, re.M)
flags = [f for f in (shlex.split(found.group(1)) if found else []) if f not in args.drop] + args.add
lines = [m.group(1) for m in re.finditer(r"^ \*   ((?:gcc|mpicc|cc|clang|clang-\d+) .*)$", head, re.M)]
if not lines:
    sys.exit(f"{path}: no build command (a line ' *   gcc ...' or ' *   mpicc ...') in its head comment")
for line in lines:
    words, marched = [], False
    for w in shlex.split(line):
        for v in flags if w == "$flags" else [w]:
            if v == "-march=native":
                v, marched = f"-march={level}", True
            elif v == "runtime":
                v = runtime
            elif v.startswith("runtime/"):
                v = runtime + v[len("runtime"):]
            elif v.startswith("-Iruntime"):
                v = "-I" + runtime + v[len("-Iruntime"):]
            elif v == name:
                v = os.path.abspath(path)
            words.append(v)
    if not marched:
        sys.exit(f"{path}: its build command has no -march=native to replace: {line}")
    print(shlex.join(words))
