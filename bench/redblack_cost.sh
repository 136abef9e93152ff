#!/usr/bin/env bash
# bench/redblack_cost.sh: what a red-black iteration costs against a Jacobi sweep, by ISA level
# (issue 16's "Speed"). Both programs are stencilc's own, emitted for one target, built at each
# -march level, run in alternating pairs in one run, medians kept:
#   jacobi   stencils/jacobi.st (float32, the paper's plate), the run-time plan's choice
#   sweeps   the same program with --plan sweeps (one plain sweep at a time, as red-black runs)
#   sor      stencils/jacobi_sor.st turned float32 (red-black SOR, relax 2 / (1 + sin(pi/(N-1))))
# Counts: about --seconds a run from one calibration run (at least 128 sweeps and 32 iterations).
# Columns: seconds per Jacobi sweep / per red-black iteration (red then black half-sweep), and
# ratio = red-black iteration / Jacobi sweep (against the run-time plan's sweep and against the
# plain sweep). Fixed counts (--max-iterations): neither program converges within them (SOR in
# float32 stops at its rounding floor, above the tolerance), both check their norm every 100.
# With --solve: time to solution at N=SOLVE_N (256) in float64 to maxdiff < 1e-6 (jacobi.st made
# float64 against jacobi_sor.st as it is), both to convergence, alternating, at the first level.
# Not part of the tests.
#
#   bench/redblack_cost.sh                                  # native and x86-64-v2, N = 1024,4096
#   bench/redblack_cost.sh --levels native --sizes 1024 --repeats 3 --target serial
#   bench/redblack_cost.sh --solve                          # also time to solution at N=256
#
# Options (or the environment variable in brackets):
#   --levels L,...   gcc -march values [LEVELS] (native,x86-64-v2)
#   --sizes N,...    [SIZES] (1024,4096)            --repeats K  [REPEATS] (5)
#   --target T       openmp or serial [TARGET] (openmp)   --threads T [THREADS] (2)
#   --seconds S      [RUN_SECONDS] what each run aims at (0.5): counts from one calibration run
#   --solve          [SOLVE=1] also time to solution; --solve-n N [SOLVE_N] (256)
# stencilc is $STENCILC, else this checkout built now (swift build).
set -euo pipefail
shopt -s inherit_errexit
cd "$(dirname "$0")/.."

levels=${LEVELS:-native,x86-64-v2}; sizes=${SIZES:-1024,4096}; repeats=${REPEATS:-5}
target=${TARGET:-openmp}; threads=${THREADS:-2}; run_seconds=${RUN_SECONDS:-0.5}
solve=${SOLVE:-0}; solve_n=${SOLVE_N:-256}
while [ $# -gt 0 ]; do
    case $1 in
        --levels|--sizes|--repeats|--target|--threads|--seconds|--solve-n)
            [ $# -ge 2 ] || { echo "redblack_cost: $1 needs a value" >&2; exit 2; }
            case $1 in
                --levels) levels=$2 ;; --sizes) sizes=$2 ;; --repeats) repeats=$2 ;;
                --target) target=$2 ;; --threads) threads=$2 ;; --seconds) run_seconds=$2 ;;
                --solve-n) solve_n=$2 ;;
            esac
            shift 2 ;;
        --solve) solve=1; shift ;;
        -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
        *) echo "redblack_cost: unknown argument '$1' (--help)" >&2; exit 2 ;;
    esac
done
case $target in openmp|serial) ;; *) echo "redblack_cost: --target is openmp or serial" >&2; exit 2 ;; esac
IFS=, read -ra level_list <<< "$levels"
IFS=, read -ra size_list <<< "$sizes"
[ "$target" = serial ] && threads=1

if [ -z "${STENCILC:-}" ]; then swift build >&2; fi
stencilc=${STENCILC:-.build/debug/stencilc}
runtime=$("$stencilc" runtime-dir 2>/dev/null || echo "$PWD/runtime")
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT

# The programs: jacobi (float32), sor (jacobi_sor made float32); for --solve, jacobi64 (jacobi
# made float64) and sor64 (jacobi_sor as it is).
sed 's/float64\[/float32[/' stencils/jacobi_sor.st > "$work/sor.st"
sed 's/float32\[/float64[/' stencils/jacobi.st > "$work/jacobi64.st"
cp stencils/jacobi.st "$work/jacobi.st"; cp stencils/jacobi_sor.st "$work/sor64.st"
grep -q 'float32\[' "$work/sor.st" && grep -q 'float64\[' "$work/jacobi64.st" \
    || { echo "redblack_cost: could not change the examples' element types" >&2; exit 1; }
programs=(jacobi sor); [ "$solve" = 1 ] && programs+=(jacobi64 sor64)
for p in "${programs[@]}"; do
    mkdir -p "$work/emit/$p"
    "$stencilc" emit "$work/$p.st" --target "$target" -o "$work/emit/$p/$p.c"
done

# The build commands of an emitted file's head comment, at -march=LEVEL (bench/head_build.py).
build_command() { python3 bench/head_build.py "$1" "$2" "$runtime"; }
build_level() {   # LEVEL: $work/LEVEL/P/program for each program
    local level=$1 p line lines cmd k out
    for p in "${programs[@]}"; do
        local dir=$work/$level/$p
        mkdir -p "$dir"; cp "$work/emit/$p/$p.c" "$dir/"
        mapfile -t lines < <(build_command "$dir/$p.c" "$level")
        [ ${#lines[@]} -gt 0 ] || exit 1
        for line in "${lines[@]}"; do (cd "$dir" && eval "$line"); done
        eval "cmd=(${lines[${#lines[@]} - 1]})"
        out=; for ((k = 0; k < ${#cmd[@]} - 1; ++k)); do [ "${cmd[k]}" = -o ] && out=${cmd[k + 1]}; done
        case $out in /*) ;; *) out=$dir/$out ;; esac
        ln -sf "$out" "$dir/program"
    done
}

# One run: "SECONDS ITERATIONS CONVERGED" from the JSON line.
run_one() {   # LEVEL PROGRAM N K [PLAN]
    local extra=(); [ -n "${5:-}" ] && extra=(--plan "$5")
    OMP_NUM_THREADS=$threads "$work/$1/$2/program" --param N="$3" --max-iterations "$4" "${extra[@]}" --json --quiet |
    python3 -c '
import json, sys
d = json.loads([l for l in sys.stdin.read().splitlines() if l.strip().startswith("{")][-1])
print(d["seconds"], d["iterations"], int(bool(d.get("converged"))))'
}

model=$(lscpu 2>/dev/null | sed -n 's/^Model name: *//p' | sed -n 1p || true)
commit=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
[ -n "$(git status --porcelain --untracked-files=no 2>/dev/null)" ] && commit="$commit (uncommitted changes)"
echo "red-black SOR iteration against Jacobi sweep, stencilc's own programs, float32"
echo "cpu: ${model:-unknown} ($(nproc) cores); $(gcc --version | sed -n 1p)"
echo "date: $(date '+%Y-%m-%d %H:%M %Z'); stencilc: $commit; target $target, OMP_NUM_THREADS=$threads"
echo "runs: median of $repeats alternating triples (jacobi, jacobi --plan sweeps, sor) per row; counts scaled to about $run_seconds s per run"
printf '%-10s %6s %7s %7s %12s %12s %12s %9s %9s\n' level N sweeps iters "jacobi s" "sweeps s" "rb iter s" "rb/jac" "rb/sweep"

declare -A count_of=()
for level in "${level_list[@]}"; do
    echo "redblack_cost: building at -march=$level" >&2
    build_level "$level"
    for n in "${size_list[@]}"; do
        if [ -z "${count_of[$n]:-}" ]; then   # calibrate at the first level
            read -r tj _ <<< "$(run_one "$level" jacobi "$n" 20 sweeps)"
            read -r ts _ <<< "$(run_one "$level" sor "$n" 10)"
            # At least 128 Jacobi sweeps: the run-time plan's temporal blocking advances 64 at a time.
            count_of[$n]=$(python3 -c "print(max(128, round($run_seconds * 20 / max($tj, 1e-9))), max(32, round($run_seconds * 10 / max($ts, 1e-9))))")
        fi
        read -r kj ks <<< "${count_of[$n]}"
        : > "$work/rows"
        for r in $(seq "$repeats"); do
            echo "jacobi $(run_one "$level" jacobi "$n" "$kj")" >> "$work/rows"
            echo "sweeps $(run_one "$level" jacobi "$n" "$kj" sweeps)" >> "$work/rows"
            echo "sor $(run_one "$level" sor "$n" "$ks")" >> "$work/rows"
        done
        python3 - "$work/rows" "$level" "$n" "$kj" "$ks" <<'PY'
import statistics, sys
path, level, n, kj, ks = sys.argv[1:]
per = {"jacobi": [], "sweeps": [], "sor": []}
for line in open(path):
    name, seconds, iterations, converged = line.split()
    if int(iterations) < (int(ks) if name == "sor" else int(kj)):
        sys.exit(f"redblack_cost: {name} at N={n} converged at {iterations}: raise N or lower the counts")
    per[name].append(float(seconds) / int(iterations))
m = {k: statistics.median(v) for k, v in per.items()}
print(f"{level:10} {n:>6} {kj:>7} {ks:>7} {m['jacobi']:>12.3e} {m['sweeps']:>12.3e} {m['sor']:>12.3e} "
      f"{m['sor'] / m['jacobi']:>8.2f}x {m['sor'] / m['sweeps']:>8.2f}x")
PY
    done
done

if [ "$solve" = 1 ]; then
    level=${level_list[0]}
    echo
    echo "time to solution: N=$solve_n, float64, maxdiff < 1e-6 (every 100), $target at $threads threads, -march=$level, median of $repeats alternating pairs"
    : > "$work/solve"
    for r in $(seq "$repeats"); do
        echo "jacobi $(run_one "$level" jacobi64 "$solve_n" 100000000)" >> "$work/solve"
        echo "sor $(run_one "$level" sor64 "$solve_n" 100000000)" >> "$work/solve"
    done
    python3 - "$work/solve" <<'PY'
import statistics, sys
runs = {"jacobi": [], "sor": []}
for line in open(sys.argv[1]):
    name, seconds, iterations, converged = line.split()
    if converged != "1": sys.exit(f"redblack_cost: {name} did not converge")
    runs[name].append((float(seconds), int(iterations)))
tj = statistics.median(s for s, _ in runs["jacobi"]); ts = statistics.median(s for s, _ in runs["sor"])
print(f"jacobi: {runs['jacobi'][0][1]} sweeps, {tj:.3f} s;  sor: {runs['sor'][0][1]} iterations, {ts:.4f} s;  "
      f"SOR {tj / ts:.1f}x faster in wall time; per iteration: {(ts / runs['sor'][0][1]) / (tj / runs['jacobi'][0][1]):.2f}x a Jacobi sweep")
PY
fi
