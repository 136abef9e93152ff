#!/usr/bin/env bash
# bench/compare_flags.sh: does a C compiler flag make stencilc's programs faster? Each program is
# emitted once and built twice at each -march level: A as its head comment says, B with --drop
# and --add applied to the flags (bench/head_build.py). Runs alternate A and B, REPEATS pairs,
# same sweeps for both; ratio = median over the pairs of B's MLUP/s / A's. The machine may be
# shared and noisy: read the ratio of the pairs, not the MLUP/s. Not part of the tests.
#
#   bench/compare_flags.sh --drop -falign-loops=64                # what the loop alignment buys
#   bench/compare_flags.sh --add -funroll-loops --levels native --programs jacobi:4096
#
#   --drop FLAG, --add FLAG   what B leaves out of the head comment's flags, or adds (repeatable)
#   --levels L,...            gcc -march values (x86-64-v2,native)
#   --programs P:N,...        stencils/P.st at --param N=N (jacobi:256,jacobi:1024,gray_scott:512,heat3d:96);
#                             P may also be a path to a .st file of your own (with a param N)
#   --target T                serial or openmp (openmp)      --threads T   OMP_NUM_THREADS (2)
#   --repeats K               pairs per program and level (7)
#   --seconds S               about how long one run takes (0.3): sweeps from one calibration run
set -euo pipefail
caller=$PWD
cd "$(dirname "$0")/.."

drop=() add=() levels=x86-64-v2,native programs=jacobi:256,jacobi:1024,gray_scott:512,heat3d:96
target=openmp threads=2 repeats=7 seconds=0.3
while [ $# -gt 0 ]; do
    case $1 in
        --drop) drop+=("--drop=$2"); shift 2 ;;
        --add) add+=("--add=$2"); shift 2 ;;
        --levels) levels=$2; shift 2 ;;
        --programs) programs=$2; shift 2 ;;
        --target) target=$2; shift 2 ;;
        --threads) threads=$2; shift 2 ;;
        --repeats) repeats=$2; shift 2 ;;
        --seconds) seconds=$2; shift 2 ;;
        -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
        *) echo "compare_flags: unknown option $1 (--help)" >&2; exit 2 ;;
    esac
done
[ ${#drop[@]} -gt 0 ] || [ ${#add[@]} -gt 0 ] || { echo "compare_flags: give --drop or --add (--help)" >&2; exit 2; }
# stencilc: $STENCILC, else this checkout built now (swift build), as the other bench scripts.
if [ -z "${STENCILC:-}" ]; then swift build >&2; fi
stencilc=${STENCILC:-.build/debug/stencilc}
runtime=$PWD/runtime
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
export OMP_NUM_THREADS=$threads

mlups() { python3 -c 'import json,sys; print(json.loads(sys.stdin.read().strip().splitlines()[-1])["mlups"])'; }

echo "B: ${drop[*]:-} ${add[*]:-}; A: the head comment's flags; target $target, $threads threads"
echo "cpu: $(lscpu | sed -n 's/^Model name: *//p' | sed -n 1p); $(gcc --version | sed -n 1p); $(date -u '+%Y-%m-%d %H:%M UTC')"
printf '%-12s %-18s %7s %12s %12s %8s %8s\n' level program sweeps "A MLUP/s" "B MLUP/s" "B/A" spread
IFS=, read -ra level_list <<<"$levels"
IFS=, read -ra program_list <<<"$programs"
for level in "${level_list[@]}"; do
    for entry in "${program_list[@]}"; do
        p=${entry%%:*} n=${entry#*:}
        case $p in
            *.st) file=$p; [[ $file = /* ]] || file=$caller/$file; p=$(basename "$p" .st) ;;
            *) file=stencils/$p.st ;;
        esac
        dir=$work/$level/$p; mkdir -p "$dir/a" "$dir/b"
        "$stencilc" emit "$file" --target "$target" -o "$dir/a/$p.c"
        cp "$dir/a/$p.c" "$dir/b/"
        python3 bench/head_build.py "$dir/a/$p.c" "$level" "$runtime" | (cd "$dir/a" && bash -e)
        python3 bench/head_build.py "$dir/b/$p.c" "$level" "$runtime" "${drop[@]}" "${add[@]}" | (cd "$dir/b" && bash -e)
        # Sweeps for about --seconds a run: from a run of 20 sweeps of A, then from a run of that many.
        sweeps=20
        for _ in 1 2; do
            sweeps=$("$dir/a/$p" --param "N=$n" --max-iterations "$sweeps" --json | python3 -c '
import json, math, sys
run = json.loads(sys.stdin.read().strip().splitlines()[-1])
print(max(20, int(run["mlups"] * 1e6 * float(sys.argv[1]) / math.prod(run["shape"]))))' "$seconds")
        done
        a=() b=()
        for ((k = 0; k < repeats; ++k)); do
            a+=("$("$dir/a/$p" --param "N=$n" --max-iterations "$sweeps" --json | mlups)")
            b+=("$("$dir/b/$p" --param "N=$n" --max-iterations "$sweeps" --json | mlups)")
        done
        python3 - "$level" "$p:$n" "$sweeps" "${a[*]}" "${b[*]}" <<'PY'
import statistics, sys
level, name, sweeps, a, b = sys.argv[1:]
a = [float(x) for x in a.split()]; b = [float(x) for x in b.split()]
ratios = [y / x for x, y in zip(a, b)]
spread = (max(ratios) - min(ratios)) / statistics.median(ratios) * 100
print(f"{level:<12} {name:<18} {sweeps:>7} {statistics.median(a):>12.1f} {statistics.median(b):>12.1f} {statistics.median(ratios):>7.2f}x {spread:>7.0f}%")
PY
    done
done
