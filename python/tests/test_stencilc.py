"""pytest tests of the Python package: every example against the command's own .npy output, bit
for bit; the errors; the repeated-call test (a second run compiles nothing and starts no process).
Needs the stencilc command ($STENCILC or PATH): scripts/test.sh sets it."""

import glob
import json
import os
import re
import shutil
import subprocess

import numpy as np
import pytest

import stencilc

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
EXAMPLES = sorted(glob.glob(os.path.join(ROOT, "stencils", "*.st")))
# Small sizes and few sweeps: the params each example has (others keep their defaults).
SMALL = {"N": 40, "sweeps": 30, "steps_count": 30}


def small_params(path):
    text = open(path).read()
    return {k: v for k, v in SMALL.items() if f"param {k} " in text}


# Every target: scripts/setup.sh installs Open MPI and PoCL, so none is skipped. Every example
# (1-D, 2-D and 3-D grids) runs on every target.
TARGETS = ["serial", "openmp", "opencl", "mpi", "hybrid"]
SCHEDULES = {"openmp": {"num_threads": 2}, "mpi": {"ranks": 2}, "hybrid": {"ranks": 2, "num_threads": 1}}


def updated_grids(path):
    """The grids the program's update statements write, in order, read from the source itself."""
    return re.findall(r"^\s*update\s+(\w+)\s*\[", open(path).read(), re.MULTILINE)


def cli_run(path, target, params, tmp_path, grid, max_iterations, extra=()):
    out = tmp_path / f"{grid}.npy"
    command = [stencilc.stencilc_command(), "run", path, "--target", target, "--json", "--quiet",
               "--max-iterations", str(max_iterations), "--output", f"{grid}={out}", *extra]
    for name, value in params.items():
        command += ["--param", f"{name}={value}"]
    done = subprocess.run(command, capture_output=True, text=True, check=True)
    return np.load(out), json.loads(done.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize("target", TARGETS)
@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: os.path.basename(p))
def test_example_matches_command_bit_for_bit(path, target, tmp_path):
    params = small_params(path)
    prog = stencilc.compile(path, target=target, **SCHEDULES.get(target, {}))
    res = prog.run(max_iterations=25, **params)
    # res.fields holds every grid an update writes (several for a system), in the order of the updates.
    assert list(res.fields) == updated_grids(path)
    # In-process targets against the command's own run of the same target; mpi and hybrid,
    # which `run` launches through the command itself, against the command's serial run.
    reference = "serial" if target in ("mpi", "hybrid") else target
    for grid in res.fields:
        expected, summary = cli_run(path, reference, params, tmp_path, grid, 25,
                                    ["--num-threads", "2"] if target == "openmp" else [])
        field = res.fields[grid]
        assert field.dtype == expected.dtype and field.shape == expected.shape
        assert field.tobytes() == expected.tobytes(), grid
    assert res.iterations == summary["iterations"]
    assert res.converged == summary["converged"]
    if reference == target:
        assert set(res.summary) == set(summary)
        assert (np.isnan(res.residual) and summary["residual"] is None) or res.residual == summary["residual"]


def test_inputs_match_command_input(tmp_path):
    path = os.path.join(ROOT, "stencils", "jacobi.st")
    rng = np.random.default_rng(1)
    start = rng.random((32, 32), dtype=np.float32)
    np.save(tmp_path / "start.npy", start)
    prog = stencilc.compile(path, target="serial")
    res = prog.run(N=32, inputs={"u": start}, max_iterations=17)
    expected, _ = cli_run(path, "serial", {"N": 32}, tmp_path, "u", 17, ["--input", f"u={tmp_path / 'start.npy'}"])
    assert res.fields["u"].tobytes() == expected.tobytes()
    assert start.tobytes() == np.load(tmp_path / "start.npy").tobytes()  # the caller's array is not written


def test_poisson_read_only_grid_input(tmp_path):
    path = os.path.join(ROOT, "stencils", "poisson64.st")
    prog = stencilc.compile(path, target="openmp", num_threads=2)
    f = np.full((24, 24), 3.0)
    res = prog.run(N=24, inputs={"f": f}, max_iterations=9)
    np.save(tmp_path / "f.npy", f)
    expected, _ = cli_run(path, "openmp", {"N": 24}, tmp_path, "u", 9, ["--input", f"f={tmp_path / 'f.npy'}"])
    assert res.fields["u"].tobytes() == expected.tobytes()


def test_second_run_compiles_nothing_and_starts_no_process(monkeypatch, tmp_path):
    # No tuned plan stored for it (a user's wisdom could hold one for N=56: then that run asks once).
    monkeypatch.setenv("STENCILC_WISDOM", str(tmp_path / "wisdom.json"))
    prog = stencilc.compile(os.path.join(ROOT, "stencils", "jacobi.st"), target="openmp", num_threads=2)
    first = prog.run(N=48, max_iterations=100)
    builds = prog.builds

    def forbidden(*args, **kwargs):
        raise AssertionError(f"a process was started: {args!r}")

    monkeypatch.setattr(subprocess, "Popen", forbidden)
    monkeypatch.setattr(subprocess, "run", forbidden)
    monkeypatch.setattr(os, "system", forbidden)
    for n in (48, 56, 48):
        res = prog.run(N=n, max_iterations=100)
    assert prog.builds == builds
    assert res.fields["u"].tobytes() == first.fields["u"].tobytes()


def test_program_errors_raise_stencil_error_with_diagnostics():
    text = "stencil bad {\n    grid u: float32[8, 8]\n    update u[i, j] = v[i, j]\n    steps 3\n}\n"
    with pytest.raises(stencilc.StencilError) as info:
        stencilc.compile_string(text, target="serial")
    assert "<string>:3:22: error: unknown grid 'v'" in str(info.value)


def test_run_time_errors_raise_stencil_error_and_the_interpreter_lives():
    prog = stencilc.compile(os.path.join(ROOT, "stencils", "jacobi.st"), target="serial")
    with pytest.raises(stencilc.StencilError, match="unknown param 'M'"):
        prog.run(M=3)
    with pytest.raises(stencilc.StencilError, match="needs at least"):
        prog.run(N=2)
    assert prog.run(N=16, max_iterations=3).iterations == 3  # still usable


def test_diverging_run_raises():
    text = ("stencil grow {\n    param N = 16\n    grid u: float32[N, N]\n    init u = 1\n"
            "    update u[i, j] = u[i-1, j] * 1e30 + u[i+1, j] * 1e30\n    until maxdiff(u) < 1e-3 every 1\n}\n")
    prog = stencilc.compile_string(text, target="serial")
    with pytest.raises(stencilc.StencilError, match="diverged"):
        prog.run()


def test_errors_are_classed_by_where_they_come_from(tmp_path):
    jacobi = os.path.join(ROOT, "stencils", "jacobi.st")
    # A bad schedule value is the caller's: ValueError, with stencilc's message.
    with pytest.raises(ValueError, match="--num-threads expects an integer from 1 to 4096, got 0"):
        stencilc.compile(jacobi, num_threads=0)
    with pytest.raises(ValueError, match="unknown target 'nope'"):
        stencilc.compile(jacobi, target="nope")
    # A wrong type is TypeError (num_threads="two" was a ValueError with the parser's text).
    for keywords in ({"num_threads": "two"}, {"num_threads": 2.5}, {"num_threads": True}, {"chunksize": "x"},
                     {"target": 3}, {"tile": [8, 2.5]}):
        with pytest.raises(TypeError, match="must be"):
            stencilc.compile(jacobi, **keywords)
    # The C compiler's own FILE:LINE:COL errors are a tool's failure, not the program's.
    with pytest.raises(stencilc.ToolError) as failed:
        stencilc.compile(jacobi, target="serial", cflags="-Dconst=)")
    assert "stencilc-" not in str(failed.value).split("\n")[0]  # the user's path, not the private copy
    # A run that diverges is the program's error on every target, mpi too.
    grow = ("stencil grow {\n    param N = 16\n    grid u: float32[N, N]\n    init u = 1\n"
            "    update u[i, j] = u[i-1, j] * 1e30 + u[i+1, j] * 1e30\n    until maxdiff(u) < 1e-3 every 1\n}\n")
    for target in ("serial", "mpi"):
        with pytest.raises(stencilc.StencilError, match="diverged"):
            stencilc.compile_string(grow, target=target).run()
    with pytest.raises(TypeError, match="inputs: expected a mapping"):
        stencilc.compile(jacobi, target="serial").run(N=16, inputs=[np.zeros((16, 16), np.float32)])


def test_params_named_like_run_arguments_and_edits_after_compile(tmp_path):
    text = ("stencil named {\n    param inputs = 2\n    param max_iterations = 3\n    grid u: float64[8, 8]\n"
            "    update u[i, j] = inputs + max_iterations\n    steps 1\n}\n")
    path = tmp_path / "named.st"
    path.write_text(text)
    for target in ("serial", "mpi"):
        prog = stencilc.compile(path, target=target)
        assert prog.run(params={"inputs": 5, "max_iterations": 10}).fields["u"][3, 3] == 15.0
        # The Program keeps the text it compiled: an edit to the file changes nothing.
        path.write_text(text.replace("inputs + max_iterations", "0"))
        assert prog.run().fields["u"][3, 3] == 5.0
        path.write_text(text)


def test_many_grids_with_long_names():
    # 20 updated grids with 70-character names: describe, inputs and fields have every one (the
    # runtime once described at most 16 names of at most 63 characters).
    names = ["g%02d_" % k + "x" * 66 for k in range(20)]
    lines = ["stencil many {", "    grid %s: float64[6, 6]" % names[0]]
    lines += ["    grid %s: float64[6, 6]" % n for n in names[1:]]
    lines += ["    update %s[i, j] = (%s[i-1, j] + %s[i+1, j]) / 2 + 1" % (n, n, n) for n in names]
    lines += ["    steps 2", "}"]
    prog = stencilc.compile_string("\n".join(lines) + "\n", target="serial")
    assert prog.describe()["grids"] == names
    start = np.full((6, 6), 3.0)
    res = prog.run(inputs={names[-1]: start})
    assert list(res.fields) == names
    assert res.fields[names[-1]][2, 2] == 5.0 and res.fields[names[0]][2, 2] == 2.0


def test_bad_inputs_raise_value_error():
    prog = stencilc.compile(os.path.join(ROOT, "stencils", "jacobi.st"), target="serial")
    with pytest.raises(ValueError, match=r"expected shape \(16, 16\) and dtype float32, found shape \(10, 10\) and dtype float32"):
        prog.run(N=16, inputs={"u": np.zeros((10, 10), np.float32)})
    with pytest.raises(ValueError, match=r"expected shape \(16, 16\) and dtype float32, found shape \(16, 16\) and dtype float64"):
        prog.run(N=16, inputs={"u": np.zeros((16, 16))})
    with pytest.raises(ValueError, match="no grid 'v'"):
        prog.run(N=16, inputs={"v": np.zeros((16, 16), np.float32)})


def test_driver_failure_carries_tool_output(monkeypatch):
    monkeypatch.setenv("STENCILC_CC", "/nonexistent/cc")
    monkeypatch.setenv("STENCILC_CACHE_DIR", "/tmp/stencilc-pytest-empty-cache-%d" % os.getpid())
    with pytest.raises(stencilc.ToolError) as info:
        stencilc.compile(os.path.join(ROOT, "stencils", "jacobi.st"), target="serial", cflags="-DNOCACHE")
    assert "stencilc: error" in str(info.value)
    shutil.rmtree("/tmp/stencilc-pytest-empty-cache-%d" % os.getpid(), ignore_errors=True)


def test_missing_command(monkeypatch):
    monkeypatch.setenv("STENCILC", "/nonexistent/stencilc")
    with pytest.raises(stencilc.StencilcNotFound, match="STENCILC"):
        stencilc.compile(os.path.join(ROOT, "stencils", "jacobi.st"))


def test_notebook_repr_shows_summary_and_heat_map():
    prog = stencilc.compile(os.path.join(ROOT, "stencils", "jacobi.st"), target="serial")
    res = prog.run(N=32, max_iterations=50)
    png = res._repr_png_()
    assert png.startswith(b"\x89PNG")
    page = res._repr_html_()
    assert "data:image/png;base64," in page and "iterations" in page


def test_mpi_runs_through_the_command(tmp_path):
    path = os.path.join(ROOT, "stencils", "jacobi.st")
    prog = stencilc.compile(path, target="mpi", ranks=2)
    res = prog.run(N=32, max_iterations=40)
    serial = stencilc.compile(path, target="serial").run(N=32, max_iterations=40)
    assert res.fields["u"].tobytes() == serial.fields["u"].tobytes()
    assert res.summary["ranks"] == 2


def test_ctrl_c_stops_a_long_run_with_keyboard_interrupt():
    import signal
    import threading
    import time
    prog = stencilc.compile(os.path.join(ROOT, "stencils", "jacobi.st"), target="openmp", num_threads=2)
    prog.run(N=16, max_iterations=1)
    timer = threading.Timer(0.5, lambda: os.kill(os.getpid(), signal.SIGINT))
    began = time.monotonic()
    timer.start()
    with pytest.raises(KeyboardInterrupt):
        prog.run(N=512)  # about 300000 sweeps: minutes, unless stopped
    assert time.monotonic() - began < 30
    assert prog.run(N=16, max_iterations=5).iterations == 5  # the library is usable again


def test_ctrl_c_stops_an_mpi_run_and_its_ranks():
    # Interrupting Python (a Jupyter interrupt sends SIGINT to the kernel alone) stops stencilc,
    # mpirun and the ranks: none is left running. The package once killed stencilc outright,
    # leaving mpirun and the ranks at full speed.
    import signal
    import threading
    import time
    name = "interrupted_%d" % os.getpid()
    text = ("stencil %s {\n    param N = 512\n    grid u: float32[N, N]\n    boundary u { top = 1 }\n"
            "    update u[i, j] = (u[i-1, j] + u[i+1, j] + u[i, j-1] + u[i, j+1]) / 4\n    steps 1000000\n}\n" % name)
    prog = stencilc.compile_string(text, target="mpi", ranks=2)

    def running():
        found = []
        for pid in filter(str.isdigit, os.listdir("/proc")):
            try:
                with open("/proc/%s/cmdline" % pid, "rb") as file:
                    line = file.read().replace(b"\0", b" ").decode(errors="replace")
            except OSError:
                continue
            if name in line and int(pid) != os.getpid():
                found.append(line)
        return found

    timer = threading.Timer(4.0, lambda: os.kill(os.getpid(), signal.SIGINT))
    timer.start()
    began = time.monotonic()
    with pytest.raises(KeyboardInterrupt):
        prog.run()  # minutes, unless stopped
    assert time.monotonic() - began < 60
    deadline = time.monotonic() + 10
    while running() and time.monotonic() < deadline:
        time.sleep(0.2)
    assert running() == []


def test_three_dimensional_fields_have_the_grid_shape(tmp_path):
    path = os.path.join(ROOT, "stencils", "heat3d.st")
    prog = stencilc.compile(path, target="openmp", num_threads=2)
    assert prog.describe(N=10)["shape"] == (10, 10, 10)
    res = prog.run(N=10, steps_count=5)
    field = res.fields["u"]
    assert field.shape == (10, 10, 10) and field.dtype == np.float32
    assert res.summary["shape"] == [10, 10, 10]
    expected, _ = cli_run(path, "serial", {"N": 10, "steps_count": 5}, tmp_path, "u", 5)
    assert field.tobytes() == expected.tobytes()
    # An input of the full shape replaces init; another shape is a ValueError naming both.
    start = np.full((10, 10, 10), 20, np.float32)
    again = prog.run(N=10, steps_count=5, inputs={"u": start})
    assert again.fields["u"].tobytes() == field.tobytes()
    with pytest.raises(ValueError, match=r"expected shape \(10, 10, 10\)"):
        prog.run(N=10, steps_count=5, inputs={"u": np.zeros((10, 100), np.float32)})
    assert res._repr_png_().startswith(b"\x89PNG")


def test_one_dimensional_field_has_the_grid_shape():
    prog = stencilc.compile(os.path.join(ROOT, "stencils", "rod.st"), target="serial")
    res = prog.run(N=64, steps_count=10)
    assert res.fields["u"].shape == (64,)
    assert res._repr_png_().startswith(b"\x89PNG")


def test_plans_stored_by_tune_are_used_in_process(tmp_path, monkeypatch):
    """A plan `stencilc tune` stored is used by prog.run as by `stencilc run`: its run-time plan
    and its OpenMP schedule (built as a variant), with the same bits; without one, nothing is
    asked per run."""
    wisdom = tmp_path / "wisdom.json"
    monkeypatch.setenv("STENCILC_WISDOM", str(wisdom))
    path = os.path.join(ROOT, "stencils", "jacobi.st")
    plain = stencilc.compile(path, target="openmp", num_threads=2).run(N=40, max_iterations=200)
    assert plain.summary["plan"]["source"] == "default"

    subprocess.run([stencilc.stencilc_command(), "tune", path, "--param", "N=40", "--num-threads", "2",
                    "--seconds-per-run", "0.01", "--json"], check=True, capture_output=True)
    entries = json.loads(wisdom.read_text())
    assert len(entries) == 1
    # Whatever won, store a schedule and a plan other than the defaults, as if they had.
    entry = next(iter(entries.values()))
    entry["schedule"], entry["plan"] = "dynamic,4", "tiles:4:16"
    wisdom.write_text(json.dumps(entries))

    prog = stencilc.compile(path, target="openmp", num_threads=2)
    tuned = prog.run(N=40, max_iterations=200)
    assert tuned.summary["plan"]["source"] == "tuned"
    assert tuned.summary["plan"]["spec"] == "tiles:4:16"
    assert tuned.summary["schedule"] == "dynamic,4"
    assert tuned.fields["u"].tobytes() == plain.fields["u"].tobytes()
    command = subprocess.run([stencilc.stencilc_command(), "run", path, "--param", "N=40", "--num-threads", "2",
                              "--max-iterations", "200", "--json", "--quiet"], check=True, capture_output=True, text=True)
    assert json.loads(command.stdout.strip().splitlines()[-1])["plan"] == tuned.summary["plan"]
    # Another size has no stored plan: the default, from the library compiled first.
    other = prog.run(N=44, max_iterations=200)
    assert other.summary["plan"]["source"] == "default"
    assert other.summary["schedule"] == "static"
