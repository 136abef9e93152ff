#!/usr/bin/env bash
# bench/isa_levels.sh: stencilc against hand-written C across x86-64 ISA levels. For each level
# this CPU runs (x86-64-v2, x86-64-v3, x86-64-v4 where it has AVX-512, native), float32 Jacobi
# (stencils/jacobi.st, the paper's problem) built at that -march on both sides, at each size, in
# three cases:
#   openmp  stencilc's openmp target vs bench/handwritten_jacobi.c, OMP_NUM_THREADS=THREADS (2)
#   serial  stencilc's serial target vs the same hand-written C at OMP_NUM_THREADS=1
#   mpi     stencilc's mpi target vs bench/handwritten_jacobi_mpi.c, both at RANKS (2) ranks
# Per row: REPEATS alternating pairs (stencilc, hand-written, stencilc, ...) in one run, medians,
# ratio = median(stencilc) / median(hand-written). Not part of the tests.
#
#   bench/isa_levels.sh                                   # all levels, N = 256,1024,4096,8192
#   bench/isa_levels.sh --levels x86-64-v3,native --sizes 64,128 --repeats 2 --cases mpi
#   bench/isa_levels.sh --check                           # every program's field, each level
#
# Options (or the environment variable in brackets):
#   --levels L,...   x86-64-v2,x86-64-v3,x86-64-v4,native or any gcc -march value [LEVELS]
#                    (default: the x86-64 levels this CPU has the flags for, and native)
#   --sizes N,...    [SIZES] (256,1024,4096,8192)     --cases C,...  [CASES] (openmp,serial,mpi)
#   --repeats K      [REPEATS] (5)                    --threads T    [THREADS] (2, openmp case)
#   --ranks P        [RANKS] (2, mpi case)            --csv FILE     [CSV] every row, as CSV
#   --sweeps S       [SWEEPS] auto (default), K for every size, or N:K,N:K,...
#   --seconds S      [RUN_SECONDS] what auto aims at per run (0.4)
#   --min-sweeps K   [MIN_SWEEPS] auto's fewest sweeps per run (100): a solver runs thousands, and
#                    a run shorter than a few temporal blocks (up to 63 sweeps each) times their
#                    start and end, not the steady state (at 0.4 s, N=8192 would run 20 sweeps)
#   --work W         [WORK] auto's first guess: W point updates per run and thread (2e9), i.e.
#                    W x threads / N^2 sweeps; a few short calibration runs per size and case (at
#                    the first level) scale it to --seconds, and every level runs those sweeps
#   --check          instead of timing: at N=67, 300 sweeps, every program built at every level
#                    (stencilc openmp/serial/mpi, both hand-written) against stencilc's serial field
# mpirun gets MPIRUN_FLAGS (Open MPI default: --oversubscribe --bind-to none, and
# --allow-run-as-root as root). stencilc is $STENCILC, else this checkout built now (swift build).
# Sweeps start from the zero interior, so the first ones meet subnormal values; both sides do.
# Where stencilc's program converges sooner (small N), both sides run only to that sweep (marked *).
set -euo pipefail
shopt -s inherit_errexit
cd "$(dirname "$0")/.."

levels=${LEVELS:-auto}; sizes=${SIZES:-256,1024,4096,8192}; cases=${CASES:-openmp,serial,mpi}
repeats=${REPEATS:-5}; threads=${THREADS:-2}; ranks=${RANKS:-2}; sweeps_opt=${SWEEPS:-auto}
run_seconds=${RUN_SECONDS:-0.4}; work_per_thread=${WORK:-2e9}; csv=${CSV:-}; check=0; min_sweeps=${MIN_SWEEPS:-100}
while [ $# -gt 0 ]; do
    case $1 in
        --levels|--sizes|--cases|--repeats|--threads|--ranks|--sweeps|--seconds|--work|--csv|--min-sweeps)
            [ $# -ge 2 ] || { echo "isa_levels: $1 needs a value" >&2; exit 2; }
            case $1 in
                --levels) levels=$2 ;; --sizes) sizes=$2 ;; --cases) cases=$2 ;;
                --repeats) repeats=$2 ;; --threads) threads=$2 ;; --ranks) ranks=$2 ;;
                --sweeps) sweeps_opt=$2 ;; --seconds) run_seconds=$2 ;; --work) work_per_thread=$2 ;;
                --csv) csv=$2 ;; --min-sweeps) min_sweeps=$2 ;;
            esac
            shift 2 ;;
        --check) check=1; shift ;;
        -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
        *) echo "isa_levels: unknown argument '$1' (--help)" >&2; exit 2 ;;
    esac
done
IFS=, read -ra size_list <<< "$sizes"
IFS=, read -ra case_list <<< "$cases"
for c in "${case_list[@]}"; do
    case $c in openmp|serial|mpi) ;; *) echo "isa_levels: unknown case '$c' (openmp, serial, mpi)" >&2; exit 2 ;; esac
done
if [ "$check" = 1 ]; then size_list=(67); case_list=(openmp serial mpi); fi

# The CPU and the levels it runs.
cpu_flags=" $(grep -m1 '^flags' /proc/cpuinfo 2>/dev/null | cut -d: -f2 || true) "
has() { [[ "$cpu_flags" == *" $1 "* ]]; }
missing_for() {   # the flags a level needs that this CPU lacks (gcc's definitions of the levels)
    local need=()
    case $1 in
        x86-64-v2) need=(cx16 lahf_lm popcnt sse4_1 sse4_2 ssse3) ;;
        x86-64-v3) need=(cx16 lahf_lm popcnt sse4_1 sse4_2 ssse3 avx avx2 bmi1 bmi2 f16c fma abm movbe xsave) ;;
        x86-64-v4) need=(cx16 lahf_lm popcnt sse4_1 sse4_2 ssse3 avx avx2 bmi1 bmi2 f16c fma abm movbe xsave
                         avx512f avx512bw avx512cd avx512dq avx512vl) ;;
    esac
    local lack=()
    for f in "${need[@]}"; do has "$f" || lack+=("$f"); done
    echo "${lack[*]}"
}
if [ "$levels" = auto ]; then
    if [ "$(uname -m)" = x86_64 ]; then levels=x86-64-v2,x86-64-v3,x86-64-v4,native; else levels=native; fi
    explicit=0
else
    explicit=1
fi
IFS=, read -ra wanted_levels <<< "$levels"
level_list=(); skipped=()
for level in "${wanted_levels[@]}"; do
    lack=$(missing_for "$level")
    if [ -n "$lack" ]; then
        skipped+=("$level (no $lack)")
        [ "$explicit" = 1 ] && echo "isa_levels: skipping $level: this CPU lacks $lack" >&2
    else
        level_list+=("$level")
    fi
done
[ ${#level_list[@]} -gt 0 ] || { echo "isa_levels: no level to run" >&2; exit 2; }

# stencilc: $STENCILC, else this checkout built now (incrementally): an older build would emit older code.
if [ -z "${STENCILC:-}" ]; then swift build >&2; fi
stencilc=${STENCILC:-.build/debug/stencilc}
runtime=$("$stencilc" runtime-dir 2>/dev/null || echo "$PWD/runtime")
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT

# MPI: the tools, and mpirun's flags.
mpirun=()
if [[ " ${case_list[*]} " == *" mpi "* ]]; then
    if ! command -v mpicc >/dev/null || ! command -v mpirun >/dev/null; then
        echo "isa_levels: mpicc/mpirun not found (scripts/setup.sh installs Open MPI); the mpi case is skipped" >&2
        kept=(); for c in "${case_list[@]}"; do [ "$c" = mpi ] || kept+=("$c"); done; case_list=("${kept[@]}")
        [ ${#case_list[@]} -gt 0 ] || exit 2
    else
        if [ -n "${MPIRUN_FLAGS+x}" ]; then
            read -ra mpirun_flags <<< "$MPIRUN_FLAGS"
        elif [[ "$(mpirun --version 2>&1 || true)" == *"Open MPI"* ]]; then
            mpirun_flags=(--oversubscribe --bind-to none)
            [ "$(id -u)" = 0 ] && mpirun_flags+=(--allow-run-as-root)
        else
            mpirun_flags=()
        fi
        mpirun=(mpirun "${mpirun_flags[@]}" -np "$ranks")
    fi
fi

# stencilc's C, emitted once per target (it does not depend on the level).
for c in "${case_list[@]}"; do
    mkdir -p "$work/emit/$c"
    extra=(); [ "$c" = mpi ] && extra=(--ranks "$ranks")
    "$stencilc" emit stencils/jacobi.st --target "$c" "${extra[@]}" -o "$work/emit/$c/jacobi.c"
done

# The build commands in an emitted file's head comment at -march=LEVEL, with runtime/ replaced by
# stencilc's runtime folder: one shell command line per command (bench/head_build.py).
build_command() { python3 bench/head_build.py "$1" "$2" "$runtime"; }

# Build everything at one level: $work/LEVEL/{openmp,serial,mpi}/ (stencilc's) and
# $work/LEVEL/handwritten{,_mpi}.
build_level() {
    local level=$1 dir=$work/$1 c
    mkdir -p "$dir"
    for c in "${case_list[@]}"; do
        mkdir -p "$dir/$c"
        cp "$work/emit/$c/jacobi.c" "$dir/$c/"
        local lines=() line cmd=()
        mapfile -t lines < <(build_command "$dir/$c/jacobi.c" "$level")
        [ ${#lines[@]} -gt 0 ] || exit 1
        for line in "${lines[@]}"; do
            echo "isa_levels: $level $c: $line" >&2
            (cd "$dir/$c" && eval "$line")
        done
        eval "cmd=(${lines[${#lines[@]} - 1]})" # the last command links the program
        local k out=
        for ((k = 0; k < ${#cmd[@]} - 1; ++k)); do [ "${cmd[k]}" = -o ] && out=${cmd[k + 1]}; done
        [ -n "$out" ] || { echo "isa_levels: no -o in the build command: ${cmd[*]}" >&2; exit 1; }
        case $out in /*) ;; *) out=$dir/$c/$out ;; esac
        ln -sf "$out" "$dir/$c/program"
    done
    if [[ " ${case_list[*]} " == *" openmp "* || " ${case_list[*]} " == *" serial "* ]]; then
        gcc -O3 -march="$level" -fopenmp bench/handwritten_jacobi.c -o "$dir/handwritten"
    fi
    if [[ " ${case_list[*]} " == *" mpi "* ]]; then
        mpicc -O3 -march="$level" bench/handwritten_jacobi_mpi.c -o "$dir/handwritten_mpi"
    fi
}

# One run: prints "MLUPS SECONDS ITERATIONS CONVERGED(0|1)" from the program's JSON line.
json_fields() {
    python3 -c '
import json, sys
lines = [l for l in sys.stdin.read().splitlines() if l.strip().startswith("{")]
if not lines: sys.exit("isa_levels: a run printed no JSON line")
d = json.loads(lines[-1])
print(d["mlups"], d["seconds"], d["iterations"], int(bool(d.get("converged"))))'
}
run_one() {   # SIDE(ours|theirs) CASE LEVEL N SWEEPS [OUT.npy]
    local side=$1 c=$2 dir=$work/$3 n=$4 k=$5 npy=${6:-}
    local out_ours=() out_theirs=()
    [ -n "$npy" ] && { out_ours=(--output "$npy"); out_theirs=("$npy"); }
    case $c/$side in
        openmp/ours)   OMP_NUM_THREADS=$threads "$dir/openmp/program" --param N="$n" --max-iterations "$k" --json --quiet "${out_ours[@]}" ;;
        openmp/theirs) OMP_NUM_THREADS=$threads "$dir/handwritten" "$n" "$k" "${out_theirs[@]}" ;;
        serial/ours)   OMP_NUM_THREADS=1 "$dir/serial/program" --param N="$n" --max-iterations "$k" --json --quiet "${out_ours[@]}" ;;
        serial/theirs) OMP_NUM_THREADS=1 "$dir/handwritten" "$n" "$k" "${out_theirs[@]}" ;;
        mpi/ours)      OMP_NUM_THREADS=1 "${mpirun[@]}" "$dir/mpi/program" --param N="$n" --max-iterations "$k" --json --quiet "${out_ours[@]}" ;;
        mpi/theirs)    OMP_NUM_THREADS=1 "${mpirun[@]}" "$dir/handwritten_mpi" "$n" "$k" "${out_theirs[@]}" ;;
    esac
}
measure() { run_one "$@" | json_fields; }

commit=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
[ -n "$(git status --porcelain --untracked-files=no 2>/dev/null)" ] && commit="$commit (uncommitted changes)"
[ -n "${STENCILC:-}" ] && commit="$STENCILC (this checkout: $commit)"

if [ "$check" = 1 ]; then
    n=67; k=300
    "$stencilc" run stencils/jacobi.st --target serial --param N=$n --max-iterations $k --output "$work/reference.npy" --quiet >/dev/null
    status=0
    for level in "${level_list[@]}"; do
        build_level "$level"
        for c in "${case_list[@]}"; do
            for side in ours theirs; do
                run_one "$side" "$c" "$level" $n $k "$work/$level-$c-$side.npy" >/dev/null
            done
        done
        python3 - "$work" "$level" "$n" "$k" "${case_list[@]}" <<'PY' || status=1
import sys, numpy as np
work, level, n, k, *cases = sys.argv[1:]
ref = np.load(f"{work}/reference.npy")
bad = []
for c in cases:
    for side, name in (("ours", f"stencilc {c}"), ("theirs", f"hand-written {'mpi' if c == 'mpi' else 'openmp'} ({c} case)")):
        a = np.load(f"{work}/{level}-{c}-{side}.npy")
        ok = a.shape == ref.shape and a.dtype == ref.dtype and np.array_equal(a, ref)
        print(f"{level:10} {name:40} {'bitwise equal' if ok else 'DIFFERS'}")
        bad += [] if ok else [name]
sys.exit(1 if bad else 0)
PY
    done
    [ $status = 0 ] && echo "every field equals stencilc's serial target's (N=$n, $k sweeps, $ranks ranks, $threads threads)"
    exit $status
fi

# The header.
# (No early exit in these pipes: with pipefail, a writer cut off by SIGPIPE would fail the script.)
native=$(gcc -march=native -Q --help=target 2>/dev/null | awk '$1 == "-march=" && !v { v = $2 } END { print v }' || true)
model=$(lscpu 2>/dev/null | sed -n 's/^Model name: *//p' | sed -n 1p || true)
gcc_version=$(gcc --version 2>/dev/null | sed -n 1p || true)
yn() { has "$1" && echo yes || echo no; }
mpi_version=$( [ ${#mpirun[@]} -gt 0 ] && mpirun --version 2>&1 | sed -n 1p || true)
echo "stencilc vs hand-written C, float32 Jacobi (stencils/jacobi.st), by ISA level"
echo "cpu: ${model:-unknown} ($(nproc) cores); avx2 $(yn avx2), fma $(yn fma), avx512f $(yn avx512f); native = -march=${native:-?}"
echo "date: $(date '+%Y-%m-%d %H:%M %Z'); stencilc: $commit; $gcc_version${mpi_version:+; $mpi_version}"
echo "levels: ${level_list[*]}${skipped:+ (not run: ${skipped[*]})}"
case_notes=()
for c in "${case_list[@]}"; do
    case $c in
        openmp) case_notes+=("openmp = both at OMP_NUM_THREADS=$threads") ;;
        serial) case_notes+=("serial = stencilc serial target, hand-written at OMP_NUM_THREADS=1") ;;
        mpi) case_notes+=("mpi = ${mpirun[*]} (hand-written: bench/handwritten_jacobi_mpi.c)") ;;
    esac
done
echo "cases: $(IFS=';'; echo "${case_notes[*]}" | sed 's/;/; /g')"
if [ "$sweeps_opt" = auto ]; then
    echo "runs: median of $repeats alternating pairs (stencilc, hand-written) per row; sweeps scaled to about $run_seconds s per run at ${level_list[0]} (at least $min_sweeps), the same at every level"
else
    echo "runs: median of $repeats alternating pairs (stencilc, hand-written) per row; sweeps: $sweeps_opt"
fi
echo "columns: MLUP/s medians; ratio = stencilc / hand-written; spread = (max - min) / median; s/run = median seconds per run"

# Sweeps per size and case.
declare -A sweeps_of=()
fixed_sweeps() {   # N -> K from --sweeps K or N:K,...; empty when auto or not listed
    local n=$1 item
    case $sweeps_opt in
        auto) ;;
        *:*) IFS=, read -ra items <<< "$sweeps_opt"
             for item in "${items[@]}"; do [ "${item%%:*}" = "$n" ] && echo "${item#*:}"; done ;;
        *) echo "$sweeps_opt" ;;
    esac
    return 0
}
calibrate() {   # LEVEL N CASE -> sweeps
    # A probe from a 64th of the first guess, 8x longer until stencilc's run takes an eighth of
    # --seconds (or converges), then one hand-written run at that count; the sweeps are scaled so
    # the two runs' geometric mean takes --seconds.
    local level=$1 n=$2 c=$3 p=1 k0 k m cap=
    case $c in openmp) p=$threads ;; mpi) p=$ranks ;; esac
    k0=$(python3 -c "import sys; print(max(20, round(float(sys.argv[1]) * $p / $n ** 2 / 64)))" "$work_per_thread")
    echo "isa_levels: N=$n $c: calibrating the sweeps" >&2
    while :; do
        m=$(measure ours "$c" "$level" "$n" "$k0"); read -r _ t_ours it_ours _ <<< "$m"
        if [ "$it_ours" -lt "$k0" ]; then cap=$it_ours; k0=$it_ours; break; fi   # converged there: never more
        python3 -c "import sys; sys.exit(0 if $t_ours < $run_seconds / 8 else 1)" || break
        k0=$((k0 * 8))
    done
    m=$(measure theirs "$c" "$level" "$n" "$k0"); read -r _ t_theirs _ <<< "$m"
    k=$(python3 -c "import math; print(max($min_sweeps, round($k0 * $run_seconds / math.sqrt(max($t_ours * $t_theirs, 1e-12)))))")
    if [ -n "$cap" ]; then
        [ "$k" -gt "$cap" ] && k=$cap
    elif [ "$k" -gt "$k0" ]; then   # converging before k? (also one more warm-up)
        m=$(measure ours "$c" "$level" "$n" "$k"); read -r _ _ it_ours _ <<< "$m"
        [ "$it_ours" -lt "$k" ] && k=$it_ours
    fi
    echo "$k"
}

results=$work/results.tsv
: > "$results"
report() {
    python3 - "$results" "$@" <<'PY'
import csv, statistics, sys
from collections import defaultdict
path, mode, *rest = sys.argv[1:]
runs = defaultdict(lambda: {"ours": [], "theirs": []})
order = []
for line in open(path):
    level, n, case, label, k, side, mlups, seconds, iters, converged = line.split("\t")
    key = (level, int(n), case, label, int(k))
    if key not in order: order.append(key)
    runs[key][side].append((float(mlups), float(seconds), int(iters), converged.strip() == "1"))

def row(key):
    r = runs[key]
    o = [x[0] for x in r["ours"]]; t = [x[0] for x in r["theirs"]]
    mo, mt = statistics.median(o), statistics.median(t)
    spread = lambda xs, m: (max(xs) - min(xs)) / m if m else 0.0
    return dict(ours=mo, theirs=mt, ratio=mo / mt, so=spread(o, mo), st=spread(t, mt),
                to=statistics.median(x[1] for x in r["ours"]), tt=statistics.median(x[1] for x in r["theirs"]),
                o=o, t=t, converged=any(x[3] for x in r["ours"]),
                short=any(x[2] < key[4] for x in r["ours"]))

if mode == "level":
    level = rest[0]
    keys = [k for k in order if k[0] == level]
    print(f"\n{level}:")
    print(f"{'N':>6}  {'case':10} {'sweeps':>7} {'stencilc MLUP/s':>16} {'hand-written MLUP/s':>20} {'ratio':>7}  {'spread s/h':>10}  {'s/run s/h':>11}")
    notes = []
    for key in keys:
        d = row(key)
        star = "*" if d["converged"] else " "
        print(f"{key[1]:>6}  {key[3]:10} {key[4]:>6}{star} {d['ours']:>16.1f} {d['theirs']:>20.1f} {d['ratio']:>6.2f}x  "
              f"{d['so']:>4.0%} /{d['st']:>4.0%}  {d['to']:>5.2f}/{d['tt']:<5.2f}")
        if d["converged"]: notes.append(f"N={key[1]} {key[3]}" + (" (before it: its MLUP/s is per sweep done)" if d["short"] else ""))
    if notes:
        print(f"* stencilc's program converged there (checked every 1000 sweeps): {', '.join(notes)}")
elif mode == "summary":
    levels = list(dict.fromkeys(k[0] for k in order))
    rows = list(dict.fromkeys((k[1], k[2], k[3]) for k in order))
    print("\nratio stencilc / hand-written by level (medians):")
    print(f"{'N':>6}  {'case':10}" + "".join(f" {l:>10}" for l in levels))
    for n, case, label in rows:
        cells = []
        for l in levels:
            key = next((k for k in order if k[0] == l and k[1] == n and k[2] == case), None)
            cells.append(f"{row(key)['ratio']:>9.2f}x" if key else f"{'-':>10}")
        print(f"{n:>6}  {label:10}" + "".join(" " + c for c in cells))
elif mode == "csv":
    out, cpu, date, commit = rest
    with open(out, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["level", "n", "case", "sweeps", "repeats", "stencilc_mlups", "handwritten_mlups", "ratio",
                    "stencilc_seconds", "handwritten_seconds", "stencilc_runs", "handwritten_runs",
                    "converged", "cpu", "date", "commit"])
        for key in order:
            d = row(key)
            w.writerow([key[0], key[1], key[3], key[4], len(d["o"]), f"{d['ours']:.1f}", f"{d['theirs']:.1f}",
                        f"{d['ratio']:.4f}", f"{d['to']:.4f}", f"{d['tt']:.4f}", ";".join(f"{x:.1f}" for x in d["o"]),
                        ";".join(f"{x:.1f}" for x in d["t"]), "yes" if d["converged"] else "no", cpu, date, commit])
PY
}

for level in "${level_list[@]}"; do
    echo "isa_levels: building at -march=$level" >&2
    build_level "$level"
    for n in "${size_list[@]}"; do
        for c in "${case_list[@]}"; do
            case $c in openmp) label="openmp ${threads}t" ;; mpi) label="mpi ${ranks}r" ;; *) label=$c ;; esac
            if [ -z "${sweeps_of[$n/$c]:-}" ]; then
                k=$(fixed_sweeps "$n")
                [ -n "$k" ] || k=$(calibrate "$level" "$n" "$c")
                sweeps_of[$n/$c]=$k
            fi
            k=${sweeps_of[$n/$c]}
            echo "isa_levels: $level N=$n $label: $repeats pairs of $k sweeps" >&2
            for r in $(seq "$repeats"); do
                for side in ours theirs; do
                    m=$(measure "$side" "$c" "$level" "$n" "$k"); read -r mlups seconds iterations converged <<< "$m"
                    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$level" "$n" "$c" "$label" "$k" "$side" \
                        "$mlups" "$seconds" "$iterations" "$converged" >> "$results"
                done
            done
        done
    done
    report level "$level"
done
[ ${#level_list[@]} -gt 1 ] && report summary
if [ -n "$csv" ]; then
    report csv "$csv" "${model:-unknown}" "$(date -Iseconds)" "$commit"
    echo "isa_levels: wrote $csv" >&2
fi
