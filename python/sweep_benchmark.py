"""20 runs of jacobi.st at N=128 through prog.run against 20 `stencilc run` processes (same
max_iterations). Usage: STENCILC=.build/debug/stencilc python python/sweep_benchmark.py [TARGET] [MAXIT]"""
import os, subprocess, sys, time
import stencilc

target = sys.argv[1] if len(sys.argv) > 1 else "openmp"
maxit = int(sys.argv[2]) if len(sys.argv) > 2 else 2000
path = os.path.join(os.path.dirname(__file__), "..", "stencils", "jacobi.st")
prog = stencilc.compile(path, target=target)
prog.run(N=128, max_iterations=maxit)  # warm: the library is built and loaded
subprocess.run([stencilc.stencilc_command(), "run", path, "--target", target, "--param", "N=128",
                "--max-iterations", str(maxit), "--quiet", "--json"], check=True, capture_output=True)
began = time.perf_counter()
for _ in range(20):
    prog.run(N=128, max_iterations=maxit)
inproc = time.perf_counter() - began
began = time.perf_counter()
for _ in range(20):
    subprocess.run([stencilc.stencilc_command(), "run", path, "--target", target, "--param", "N=128",
                    "--max-iterations", str(maxit), "--quiet", "--json"], check=True, capture_output=True)
processes = time.perf_counter() - began
print(f"target {target}, N=128, max_iterations {maxit}: 20 x prog.run {inproc:.3f} s, "
      f"20 x stencilc run {processes:.3f} s, {processes / inproc:.1f}x")
