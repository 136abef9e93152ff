"""bench/peers/peers.py: float32 Jacobi (the paper's problem, stencils/jacobi.st) timed side by side
in one run: stencilc's openmp target, the hand-written C baseline, and the peers of issue 5 --
Cython prange, pystencils, Devito, Halide, NumPy -- each written the way its own documentation
writes a Jacobi/Laplace sweep. Run through bench/peers/run.sh, which makes the virtual environment.

Every kernel does exactly SWEEPS sweeps of an N x N float32 grid (fixed boundary ring, interior
updated from the four neighbours, two buffers swapped) on THREADS threads, every timed run from
the paper's initial field, in a fresh process of its own; MLUP/s counts the (N-2)^2 interior
points per sweep. Both matter. From a zero interior the values ahead of the spreading boundary
heat pass through float32's subnormal range for the first few thousand sweeps, where a multiply
that underflows is slow on x86 CPUs (stencilc's vector code multiplies with fused multiply-adds,
which are not): a run that went on from the previous run's field would skip that. And a library
that flushes subnormals to zero (Devito's operators do, by design; anything built with
-ffast-math does when it loads) changes the floating-point mode of its whole process, so in a
shared process every peer timed after it would skip that work too. stencilc and the hand-written
C report their own MLUP/s (the iterations alone); the Python peers are timed around their sweep
loop, in the child process, after a warm-up call that compiles or JITs them. Repetitions are interleaved over peers and sizes; medians are kept.
Not part of the test suite.
"""
import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import traceback

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def grid(n, np):
    """The paper's initial field: boundary strips in jacobi.st's order, interior 0."""
    u = np.zeros((n, n), dtype=np.float32)
    u[0, :] = 100   # top
    u[:, 0] = 75    # left
    u[:, -1] = 50   # right
    u[-1, :] = 0    # bottom
    return u, u.copy()


def mlups(n, sweeps, seconds):
    return sweeps * (n - 2) ** 2 / seconds / 1e6


class Peer:
    """One implementation: prepare(n) once per size (allocation, compilation), then time(sweeps).
    In-process peers also reset() to the initial field in place and give the last iterate as
    field(), for --check."""
    name = "?"

    def prepare(self, n):
        raise NotImplementedError

    def time(self, sweeps):
        raise NotImplementedError

    def reset(self):
        import numpy as np
        start, _ = grid(self.n, np)
        self.u[...] = start
        self.v[...] = start

    def field(self):
        return self.u


class Command(Peer):
    """A program that reports its own MLUP/s as JSON on its last line."""

    def __init__(self, name, command, env=None):
        self.name, self.command, self.env = name, command, env

    def prepare(self, n):
        self.n = n

    def reset(self):
        pass  # every run is a new process that starts from the initial field

    def time(self, sweeps):
        argv = [a.format(n=self.n, sweeps=sweeps) for a in self.command]
        env = dict(os.environ, **(self.env or {}))
        done = subprocess.run(argv, capture_output=True, text=True, env=env)
        if done.returncode != 0:
            # Show the program's own error (a compiler's, stencilc's) rather than a traceback.
            raise SystemExit(f"peers: {self.name} failed (exit {done.returncode}): {' '.join(argv)}\n{done.stderr.strip()}")
        out = done.stdout
        # Read "mlups" alone: the hand-written baseline prints `inf` for its unused residual.
        match = re.search(r'"mlups":\s*([0-9.eE+-]+)', out.strip().splitlines()[-1])
        if not match:
            raise RuntimeError(f"{self.name}: no mlups in {out!r}")
        return float(match.group(1))


class Isolated(Peer):
    """An in-process peer run in a child process per timed run (`peers.py --one KEY ...`), so no
    peer's floating-point mode or thread pool reaches another. prepare() runs the child once
    without sweeps: it compiles or JITs (disk caches make the later children quick) and shows
    whether the peer works at all."""

    def __init__(self, key, name, child_args):
        self.key, self.name, self.child_args = key, name, child_args
        self.flushes = False

    def run_child(self, sweeps):
        argv = [sys.executable, os.path.abspath(__file__), "--one", self.key, "--one-n", str(self.n),
                "--one-sweeps", str(sweeps)] + self.child_args
        done = subprocess.run(argv, capture_output=True, text=True)
        lines = done.stdout.strip().splitlines()
        if done.returncode != 0 or not lines:
            error = (done.stderr.strip().splitlines() or ["no output"])[-1]
            raise RuntimeError(f"{self.name} failed (exit {done.returncode}): {error}")
        return json.loads(lines[-1])

    def prepare(self, n):
        self.n = n
        self.run_child(0)

    def time(self, sweeps):
        result = self.run_child(sweeps)  # a new process: it starts from the initial field
        self.flushes = self.flushes or bool(result["flushed"])
        return result["mlups"]


class NumPy(Peer):
    """NumPy slicing: one vectorized expression per sweep (single-threaded, as NumPy is)."""
    name = "NumPy"

    def prepare(self, n):
        import numpy as np
        self.n = n
        self.u, self.v = grid(n, np)

    def time(self, sweeps):
        u, v = self.u, self.v
        start = time.perf_counter()
        for _ in range(sweeps):
            v[1:-1, 1:-1] = (u[:-2, 1:-1] + u[2:, 1:-1] + u[1:-1, :-2] + u[1:-1, 2:]) / 4
            u, v = v, u
        seconds = time.perf_counter() - start
        self.u, self.v = u, v
        return mlups(self.n, sweeps, seconds)


class Cython(Peer):
    """jacobi_cython.pyx: prange(schedule='static') over rows, compiled -O3 -march=native -fopenmp."""
    name = "Cython prange"
    module = None

    def __init__(self, threads, build_dir):
        self.threads, self.build_dir = threads, build_dir

    def build(self):
        if Cython.module is not None:
            return
        source = os.path.join(os.path.dirname(os.path.abspath(__file__)), "jacobi_cython.pyx")
        os.makedirs(self.build_dir, exist_ok=True)
        shutil.copy(source, self.build_dir)
        setup = (
            "from setuptools import setup, Extension\n"
            "from Cython.Build import cythonize\n"
            "flags = ['-O3', '-march=native', '-fopenmp']\n"
            "setup(ext_modules=cythonize([Extension('jacobi_cython', ['jacobi_cython.pyx'],"
            " extra_compile_args=flags, extra_link_args=['-fopenmp'])], quiet=True))\n")
        with open(os.path.join(self.build_dir, "setup.py"), "w") as f:
            f.write(setup)
        subprocess.run([sys.executable, "setup.py", "build_ext", "--inplace"], cwd=self.build_dir, check=True,
                       capture_output=True)
        sys.path.insert(0, self.build_dir)
        import jacobi_cython
        Cython.module = jacobi_cython

    def prepare(self, n):
        import numpy as np
        self.build()
        self.n = n
        self.u, self.v = grid(n, np)
        Cython.module.sweeps(self.u, self.v, 2, self.threads)

    def time(self, sweeps):
        start = time.perf_counter()
        self.last = Cython.module.sweeps(self.u, self.v, sweeps, self.threads)
        return mlups(self.n, sweeps, time.perf_counter() - start)

    def field(self):
        return self.last


class Pystencils(Peer):
    """pystencils' own idiom: fields, an Assignment of the 4-point average, create_kernel with
    OpenMP (static) and its vectorizer, then the compiled kernel called once per sweep."""
    name = "pystencils"

    def __init__(self, threads):
        self.threads = threads

    def prepare(self, n):
        import numpy as np
        import pystencils as ps
        self.n = n
        self.u, self.v = grid(n, np)
        src, dst = ps.fields("src, dst: float32[2D]", src=self.u, dst=self.v)
        update = ps.Assignment(dst.center, (src[1, 0] + src[-1, 0] + src[0, 1] + src[0, -1]) / 4)
        config = ps.CreateKernelConfig(target=ps.Target.CurrentCPU, default_dtype="float32")
        config.cpu.openmp.enable = True
        config.cpu.openmp.num_threads = self.threads
        config.cpu.openmp.schedule = "static"
        config.cpu.vectorize.enable = True
        config.cpu.vectorize.assume_inner_stride_one = True
        # -O3, as the C peers: pystencils' default -Ofast implies -ffast-math, whose library flushes
        # subnormals to zero once loaded, and reassociates; this measures the same IEEE arithmetic.
        from pystencils.jit import CpuJit
        from pystencils.jit.cpu import CompilerInfo
        config.jit = CpuJit(compiler_info=CompilerInfo.get_default(optlevel="3"))
        self.kernel = ps.create_kernel(update, config).compile()
        self.kernel(src=self.u, dst=self.v)

    def time(self, sweeps):
        u, v, kernel = self.u, self.v, self.kernel
        start = time.perf_counter()
        for _ in range(sweeps):
            kernel(src=u, dst=v)
            u, v = v, u
        seconds = time.perf_counter() - start
        self.u, self.v = u, v
        return mlups(self.n, sweeps, seconds)


class Devito(Peer):
    """Devito's own idiom: a TimeFunction, the update solved from Eq(u.laplace, 0) over the
    interior subdomain, one Operator applied for all sweeps (time_M), language openmp."""
    name = "Devito"

    def prepare(self, n):
        import numpy as np
        from devito import Eq, Grid, Operator, TimeFunction, configuration, solve
        configuration["language"] = "openmp"
        configuration["log-level"] = "ERROR"
        self.n = n
        mesh = Grid(shape=(n, n), extent=(1.0, 1.0), dtype=np.float32)
        self.u = TimeFunction(name="u", grid=mesh, space_order=2)
        start, _ = grid(n, np)
        self.u.data[0, :, :] = start
        self.u.data[1, :, :] = start
        update = Eq(self.u.forward, solve(Eq(self.u.laplace, 0), self.u), subdomain=mesh.interior)
        self.op = Operator([update])
        self.op.apply(time_M=1)

    def time(self, sweeps):
        start = time.perf_counter()
        self.op.apply(time_m=0, time_M=sweeps - 1)
        self.last = sweeps % 2  # the time buffer written last
        return mlups(self.n, sweeps, time.perf_counter() - start)

    def reset(self):
        import numpy as np
        start, _ = grid(self.n, np)
        self.u.data[0, :, :] = start
        self.u.data[1, :, :] = start

    def field(self):
        return self.u.data[self.last]


class Halide(Peer):
    """Halide's Python JIT: the 4-point average as a Func over the interior, scheduled with
    parallel rows and an 8-wide vectorized inner loop; realized into the other buffer each sweep."""
    name = "Halide"

    def prepare(self, n):
        import halide as hl
        import numpy as np
        self.n = n
        self.u, self.v = grid(n, np)
        x, y = hl.Var("x"), hl.Var("y")
        self.input = hl.ImageParam(hl.Float(32), 2, "input")
        f = hl.Func("jacobi")
        i = self.input
        f[x, y] = (i[x, y - 1] + i[x, y + 1] + i[x - 1, y] + i[x + 1, y]) / hl.f32(4)
        f.parallel(y).vectorize(x, 8)
        f.compile_jit()
        self.f = f
        # Halide's x is NumPy's last axis; each buffer's interior is the realization target.
        self.buffers = []
        for array in (self.u, self.v):
            whole = hl.Buffer(array)
            interior = whole.cropped(0, 1, n - 2).cropped(1, 1, n - 2)
            self.buffers.append((whole, interior))
        self.run(1)

    def run(self, sweeps):
        a, b = 0, 1
        for _ in range(sweeps):
            self.input.set(self.buffers[a][0])
            self.f.realize(self.buffers[b][1])
            a, b = b, a
        self.last = (self.u, self.v)[a]

    def field(self):
        return self.last

    def time(self, sweeps):
        start = time.perf_counter()
        self.run(sweeps)
        return mlups(self.n, sweeps, time.perf_counter() - start)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--stencilc", required=True)
    parser.add_argument("--handwritten", required=True)
    parser.add_argument("--sizes", default="256,1024,4096,8192")
    parser.add_argument("--sweeps", default="auto",
                        help="sweeps per run, or auto: about 2e9/N^2 point updates (at least 20)")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--peers", default="stencilc,handwritten,cython,pystencils,devito,halide,numpy")
    parser.add_argument("--build-dir", default=os.path.join(ROOT, ".venv-bench", "peers-build"))
    parser.add_argument("--json", help="write every run's numbers here")
    parser.add_argument("--check", action="store_true",
                        help="only check that every in-process peer computes the same field as NumPy (N=64, 10 sweeps)")
    # A child's job (Isolated): prepare one peer at one size, run SWEEPS sweeps from the initial
    # field, print {"mlups", "flushed"}. Not for direct use.
    parser.add_argument("--one", help=argparse.SUPPRESS)
    parser.add_argument("--one-n", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--one-sweeps", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    threads = args.threads
    # Thread counts for the runtimes that read them at start-up (OpenMP, Halide's thread pool).
    os.environ["OMP_NUM_THREADS"] = str(threads)
    os.environ["HL_NUM_THREADS"] = str(threads)

    def sweeps_for(n):
        if args.sweeps != "auto":
            return int(args.sweeps)
        return max(20, int(2e9 / (n * n)))

    known = {
        "stencilc": lambda: Command("stencilc openmp", [args.stencilc, "run", os.path.join(ROOT, "stencils/jacobi.st"),
                                                         "--param", "N={n}", "--num-threads", str(threads),
                                                         "--max-iterations", "{sweeps}", "--json", "--quiet"]),
        "handwritten": lambda: Command("hand-written C", [args.handwritten, "{n}", "{sweeps}"],
                                       env={"OMP_NUM_THREADS": str(threads)}),
        "cython": lambda: Cython(threads, args.build_dir),
        "pystencils": lambda: Pystencils(threads),
        "devito": lambda: Devito(),
        "halide": lambda: Halide(),
        "numpy": lambda: NumPy(),
    }
    if args.one:
        peer = known[args.one]()
        peer.prepare(args.one_n)
        mlups_value = 0.0
        if args.one_sweeps > 0:
            peer.reset()
            mlups_value = peer.time(args.one_sweeps)
        print(json.dumps({"mlups": mlups_value, "flushed": subnormals_flushed(threads)}))
        return

    child_args = ["--threads", str(threads), "--build-dir", args.build_dir,
                  "--stencilc", args.stencilc, "--handwritten", args.handwritten]
    factories, skipped = [], []
    for key in args.peers.split(","):
        if key not in known:
            sys.exit(f"peers: unknown peer '{key}' (known: {', '.join(known)})")
        factories.append(known[key])

    if args.check:
        sys.exit(check(factories))

    def isolated(key, factory):
        peer = factory()
        return peer if isinstance(peer, Command) else Isolated(key, peer.name, child_args)
    factories = [(lambda key=key, factory=factory: isolated(key, factory))
                 for key, factory in zip(args.peers.split(","), factories)]

    # Prepare every (peer, size) first: compilation and JIT stay out of the timed runs. A peer
    # that cannot be imported or built is reported and skipped, not fatal.
    names, prepared = [], {}
    for factory in factories:
        for n in sizes:
            peer = factory()
            if peer.name not in names:
                names.append(peer.name)
            print(f"peers: preparing {peer.name} N={n}", file=sys.stderr, flush=True)
            try:
                peer.prepare(n)
                prepared[(peer.name, n)] = peer
            except Exception as error:
                message = str(error).strip().splitlines()[0] if str(error).strip() else ""
                skipped.append(f"{peer.name} N={n}: {type(error).__name__}: {message}")
                if os.environ.get("PEERS_DEBUG"):
                    traceback.print_exc()
    runs = {key: [] for key in prepared}
    for r in range(args.repeats):
        for n in sizes:
            for name in names:
                if (name, n) not in prepared:
                    continue
                value = prepared[(name, n)].time(sweeps_for(n))
                runs[(name, n)].append(value)
                print(f"peers: [{r + 1}/{args.repeats}] {name} N={n}: {value:.0f} MLUP/s", file=sys.stderr, flush=True)

    medians = {key: statistics.median(values) for key, values in runs.items()}
    width = max(len(name) for name in names) + 2
    print(f"float32 Jacobi, {threads} threads, MLUP/s (median of {args.repeats} interleaved runs); "
          f"ratio = peer / stencilc openmp")
    print("N".rjust(6) + "  " + "sweeps".rjust(7) + "".join(name.rjust(width) for name in names))
    for n in sizes:
        row = str(n).rjust(6) + "  " + str(sweeps_for(n)).rjust(7)
        for name in names:
            row += (f"{medians[(name, n)]:.0f}" if (name, n) in medians else "-").rjust(width)
        print(row)
    if "stencilc openmp" in names:
        print("ratios to stencilc openmp:")
        for n in sizes:
            base = medians.get(("stencilc openmp", n))
            row = str(n).rjust(6) + "  " + "".rjust(7)
            for name in names:
                value = medians.get((name, n))
                row += (f"{value / base:.2f}x" if value and base else "-").rjust(width)
            print(row)
    flushing = sorted({peer.name for peer in prepared.values() if getattr(peer, "flushes", False)})
    for name in flushing:
        print(f"note: {name} flushed float32 subnormals to zero (its own floating-point mode; the others keep IEEE "
              "arithmetic), which skips slow work in the first sweeps from a zero interior")
    for line in skipped:
        print(f"skipped: {line}")
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"threads": threads, "repeats": args.repeats,
                       "results": [{"peer": name, "n": n, "sweeps": sweeps_for(n), "mlups": medians[(name, n)],
                                    "runs": runs[(name, n)]} for (name, n) in runs],
                       "skipped": skipped}, f, indent=2)


def subnormals_flushed(threads):
    """Which threads of this process flush float32 subnormals to zero: the main thread, and the
    OpenMP pool's threads when the Cython peer is built (its probe runs in a prange). Empty
    when IEEE arithmetic holds, as in stencilc's and the hand-written C's processes."""
    import numpy as np
    found = []
    if (np.array([1e-39], dtype=np.float32) * np.float32(1))[0] == 0:
        found.append("the main thread")
    if Cython.module is not None:
        count = Cython.module.subnormals_flushed(np.array([1e-39, 1], dtype=np.float32), threads)
        if count:
            found.append(f"{count} of {threads} OpenMP threads")
    return " and ".join(found)


def check(factories, n=64, sweeps=10):
    """Each in-process peer against NumPy after the same sweeps from the same start."""
    import numpy as np
    reference = NumPy()
    reference.prepare(n)
    reference.time(sweeps)
    failures = 0
    for factory in factories:
        peer = factory()
        if isinstance(peer, Command):
            continue
        try:
            peer.prepare(n)
            peer.reset()
            peer.time(sweeps)
            difference = float(np.max(np.abs(np.asarray(peer.field(), dtype=np.float64) - reference.field())))
        except Exception as error:
            print(f"check: {peer.name}: cannot run ({type(error).__name__}: {error})")
            continue
        ok = difference < 1e-3
        failures += not ok
        print(f"check: {peer.name}: largest difference from NumPy after {sweeps} sweeps = {difference:.2e} "
              f"({'ok' if ok else 'WRONG'})")
    return 1 if failures else 0


if __name__ == "__main__":
    main()
