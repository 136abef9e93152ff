"""stencilc from Python: compile a stencil program (.st) once, run it many times on NumPy arrays.

    import stencilc
    prog = stencilc.compile("stencils/jacobi.st", target="openmp", num_threads=2)
    res = prog.run(N=512)              # params as keywords
    res.fields["u"]                    # the final field of each updated grid, a NumPy array
    res.iterations, res.converged, res.residual, res.seconds, res.mlups, res.summary

The `stencilc` command does the compiling: `$STENCILC`, else `stencilc` on PATH. For the serial,
openmp and opencl targets `compile` builds the program as a shared library (`stencilc build
--shared`, through the same build cache as `stencilc run`) and `run` calls it in this process
with ctypes: no process and no compile per run. For mpi and hybrid, `run` launches
`stencilc run` (mpirun) and reads the fields back from .npy files.
"""

from __future__ import annotations

import base64
import ctypes
import html
import json
import os
import re
import shutil
import signal
import subprocess
import tempfile
import threading
from typing import Dict, Mapping, Optional

import numpy as np

__all__ = ["compile", "compile_string", "Program", "Result", "StencilError", "ToolError",
           "StencilcNotFound", "stencilc_command"]


class StencilError(Exception):
    """A program with errors (the FILE:LINE:COL diagnostics, as the command prints them), or an
    error the program reports when it runs (an unknown param, a diverging solution)."""


class ToolError(RuntimeError):
    """The compiler, the C compiler or mpirun failed; `output` is the tool's own output."""

    def __init__(self, message: str, output: str = ""):
        super().__init__(message if not output else message + "\n" + output)
        self.output = output


class StencilcNotFound(ToolError):
    """No `stencilc` command: set $STENCILC or put it on PATH."""


def stencilc_command() -> str:
    """The `stencilc` command: $STENCILC, else `stencilc` on PATH."""
    explicit = os.environ.get("STENCILC")
    if explicit:
        if os.path.isfile(explicit) and os.access(explicit, os.X_OK):
            return explicit
        found = shutil.which(explicit)
        if found:
            return found
        raise StencilcNotFound(f"$STENCILC is '{explicit}', which is not an executable file")
    found = shutil.which("stencilc")
    if found:
        return found
    raise StencilcNotFound(
        "the stencilc command was not found: set $STENCILC to its path (after `swift build` in a "
        "stencilc checkout: $STENCILC=.build/debug/stencilc) or put it on PATH (scripts/install.sh); "
        "see the README of the stencilc repository")


_DIAGNOSTIC = re.compile(r"^.+:\d+:\d+: error: ", re.MULTILINE)
_SCHEDULE_KEYS = ("target", "schedule", "chunksize", "num_threads", "tile", "workgroup", "ranks",
                  "decompose", "temporal")
_IN_PROCESS = ("serial", "openmp", "opencl")


def _schedule_flags(schedule: Mapping[str, object]) -> list:
    flags = []
    for key, value in schedule.items():
        if key not in _SCHEDULE_KEYS and key != "cflags":
            raise TypeError(f"unknown schedule keyword '{key}' (expected one of {', '.join(_SCHEDULE_KEYS)}, cflags)")
        if value is None:
            continue
        # Counts are integers (a bool is not one, though Python says it is); a bad value of the
        # right type is stencilc's to refuse, as ValueError.
        if key in ("chunksize", "num_threads", "ranks") and (isinstance(value, bool) or not isinstance(value, int)):
            raise TypeError(f"{key} must be an int, got {type(value).__name__} {value!r}")
        if key in ("target", "schedule", "decompose", "temporal", "cflags") and not isinstance(value, str):
            raise TypeError(f"{key} must be a str, got {type(value).__name__} {value!r}")
        if key in ("tile", "workgroup") and not isinstance(value, str):
            try:
                sizes = list(value)
            except TypeError:
                sizes = [value]
            if any(isinstance(v, bool) or not isinstance(v, int) for v in sizes):
                raise TypeError(f"{key} must be a str such as '8x64' or a sequence of ints, got {value!r}")
            value = "x".join(str(v) for v in sizes)
        flags += ["--" + key.replace("_", "-"), str(value)]
    return flags


def _tool(arguments: list, what: str, source_name: Optional[str] = None, shown_name: Optional[str] = None,
          program: Optional[str] = None) -> str:
    """Runs stencilc. The program's diagnostics (FILE:LINE:COL naming its .st file) and errors the
    program reports as it runs (`PROGRAM: error: ...`) raise StencilError; a bad schedule value
    (stencilc's usage error) raises ValueError; any other failure (the C compiler's own
    diagnostics among them) raises ToolError."""
    command = [stencilc_command()] + arguments
    try:
        # Its own session: a Ctrl-C at the terminal reaches Python alone, which passes it on once
        # (two would make stencilc kill its child, and mpirun killed leaves its ranks running).
        process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                   start_new_session=True)
    except OSError as error:
        raise ToolError(f"cannot run {command[0]}: {error}") from None
    try:
        stdout, stderr = process.communicate()
    except KeyboardInterrupt:
        # Ctrl-C (or Jupyter's interrupt) reached Python alone: pass it on, so that stencilc stops
        # its compiler or mpirun and the ranks and removes its files, as it does on a terminal.
        process.send_signal(signal.SIGINT)
        try:
            process.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.communicate()
        raise
    if process.returncode != 0:
        output = stderr + stdout
        if source_name and shown_name:
            output = output.replace(source_name, shown_name)
        names = [re.escape(n) for n in (shown_name or source_name,) if n]
        diagnostic = re.compile(r"^(?:%s):\d+:\d+: error: " % "|".join(names), re.MULTILINE) if names else _DIAGNOSTIC
        if diagnostic.search(output) or (program and re.search(r"^%s: error: " % re.escape(program), output, re.MULTILINE)):
            raise StencilError(output.rstrip("\n"))
        if "\nUsage: stencilc " in output:
            raise ValueError(output.split("\n", 1)[0].replace("stencilc: error: ", ""))
        shown = ' '.join(command).replace(source_name, shown_name) if source_name and shown_name else ' '.join(command)
        raise ToolError(f"{what} failed (exit status {process.returncode}): {shown}", output.rstrip("\n"))
    return stdout


# ---- the library entry's in-memory I/O (runtime/stencil_runtime.h: st_memory_io) ----------------

class _MemoryGrid(ctypes.Structure):
    _fields_ = [("grid", ctypes.c_char_p), ("data", ctypes.c_void_p)]


class _MemoryIO(ctypes.Structure):
    _fields_ = [("describe", ctypes.c_int),
                ("inputs", ctypes.POINTER(_MemoryGrid)), ("input_count", ctypes.c_int),
                ("outputs", ctypes.POINTER(_MemoryGrid)), ("output_count", ctypes.c_int),
                ("summary", ctypes.c_char_p), ("summary_size", ctypes.c_size_t),
                ("error", ctypes.c_char_p), ("error_size", ctypes.c_size_t),
                ("rows", ctypes.c_long), ("cols", ctypes.c_long), ("elem_size", ctypes.c_long),
                ("grid_count", ctypes.c_int), ("grids", ctypes.POINTER(ctypes.c_char_p)), ("updated_count", ctypes.c_int),
                ("dimensions", ctypes.c_int), ("shape", ctypes.c_long * 3)]


# The runtime's library hook is one per process: one call at a time.
_CALL_LOCK = threading.Lock()


def _argv(strings: list):
    encoded = [s.encode() for s in strings]
    array = (ctypes.c_char_p * (len(encoded) + 1))(*encoded, None)
    return len(encoded), array


class _Library:
    """A program built as a shared library: describe (sizes) and run, in-process."""

    def __init__(self, path: str, name: str):
        self.path = path
        self.name = name
        self.handle = ctypes.CDLL(path, mode=getattr(os, "RTLD_LOCAL", 0) | os.RTLD_NOW)
        self.entry = self.handle.stencil_entry
        self.entry.restype = ctypes.c_int
        self.entry.argtypes = [ctypes.c_int, ctypes.POINTER(ctypes.c_char_p), ctypes.POINTER(_MemoryIO)]
        self.heatmap = self.handle.st_library_heatmap
        self.heatmap.restype = ctypes.c_int
        self.heatmap.argtypes = [ctypes.c_char_p, ctypes.c_void_p, ctypes.c_long, ctypes.c_long, ctypes.c_size_t,
                                 ctypes.c_char_p, ctypes.c_size_t]

    def call(self, arguments: list, describe: bool = False, inputs=(), outputs=()):
        io = _MemoryIO()
        io.describe = 1 if describe else 0
        keep = []
        for field, grids in (("inputs", inputs), ("outputs", outputs)):
            array = (_MemoryGrid * max(len(grids), 1))()
            for k, (grid, data) in enumerate(grids):
                name = grid.encode()
                keep.append(name)
                array[k].grid = name
                array[k].data = data.ctypes.data
            setattr(io, field, array)
            setattr(io, field[:-1] + "_count", len(grids))
            keep.append(array)
        summary = ctypes.create_string_buffer(8192)
        error = ctypes.create_string_buffer(4096)
        io.summary, io.summary_size = ctypes.cast(summary, ctypes.c_char_p), len(summary)
        io.error, io.error_size = ctypes.cast(error, ctypes.c_char_p), len(error)
        argc, argv = _argv([self.name] + arguments)
        with _CALL_LOCK:
            status = self.entry(argc, argv, ctypes.byref(io))
        if status == 2:
            raise KeyboardInterrupt(f"{self.name}: interrupted")
        if status != 0:
            raise StencilError(f"{self.name}: error: {error.value.decode(errors='replace')}")
        return io, summary.value.decode()

    def png(self, field: np.ndarray) -> bytes:
        # A 3-D field is drawn by its middle plane (as `--image` does), a 1-D one as one row.
        if field.ndim == 3:
            field = field[field.shape[0] // 2]
        field = np.ascontiguousarray(field.reshape(1, -1) if field.ndim == 1 else field)
        error = ctypes.create_string_buffer(1024)
        with tempfile.TemporaryDirectory(prefix="stencilc-") as directory:
            path = os.path.join(directory, "field.png")
            with _CALL_LOCK:
                status = self.heatmap(path.encode(), field.ctypes.data, field.shape[0], field.shape[1],
                                      field.dtype.itemsize, error, len(error))
            if status != 0:
                raise StencilError(f"{self.name}: error: {error.value.decode(errors='replace')}")
            with open(path, "rb") as file:
                return file.read()


class Result:
    """What a run gives: the final fields, the numbers of the summary, and the summary itself."""

    def __init__(self, fields: Dict[str, np.ndarray], summary: dict, library: Optional[_Library] = None,
                 png: Optional[bytes] = None):
        self.fields = fields
        self.summary = summary
        self._library = library
        self._png = png

    iterations = property(lambda self: self.summary["iterations"])
    converged = property(lambda self: bool(self.summary["converged"]))
    seconds = property(lambda self: self.summary["seconds"])
    mlups = property(lambda self: self.summary["mlups"])

    @property
    def residual(self) -> float:
        value = self.summary.get("residual")
        return float("nan") if value is None else value

    @property
    def field(self) -> np.ndarray:
        """The first updated grid's final values."""
        return next(iter(self.fields.values()))

    def __repr__(self) -> str:
        s = self.summary
        state = "converged" if s.get("norm") and s["converged"] else ("fixed steps" if not s.get("norm") else "not converged")
        shape = " x ".join(str(n) for n in s.get("shape", [s["rows"], s["cols"]]))
        return (f"<stencilc.Result {s['stencil']}: {shape} {s['dtype']}, target {s['target']}, "
                f"{s['iterations']} iterations ({state}), residual {self.residual:.6g}, {s['seconds']:.4f} s, "
                f"{s['mlups']:.1f} MLUP/s>")

    def _repr_png_(self) -> Optional[bytes]:
        if self._png is None and self._library is not None:
            self._png = self._library.png(self.field)
        return self._png

    def _repr_html_(self) -> str:
        s = self.summary
        shape = " x ".join(str(n) for n in s.get("shape", [s["rows"], s["cols"]]))
        rows = [("stencil", s["stencil"]), ("grid", f"{shape} {s['dtype']}"),
                ("target", s["target"]), ("iterations", s["iterations"]),
                ("converged", s["converged"]), ("residual", f"{self.residual:.6g}"),
                ("seconds", f"{s['seconds']:.4f}"), ("MLUP/s", f"{s['mlups']:.1f}"),
                ("plan", s.get("plan", {}).get("spec", ""))]
        table = "".join(f"<tr><th style='text-align:left'>{html.escape(str(k))}</th><td>{html.escape(str(v))}</td></tr>"
                        for k, v in rows)
        png = self._repr_png_()
        image = (f"<img src='data:image/png;base64,{base64.b64encode(png).decode()}' style='max-width:480px'/>"
                 if png else "")
        return f"<div style='display:flex;gap:1em;align-items:flex-start'><table>{table}</table>{image}</div>"


class Program:
    """A compiled stencil program. `run(**params)` runs it; see the module's documentation."""

    def __init__(self, path: str, schedule: Mapping[str, object], shown_name: Optional[str] = None,
                 _keep: Optional[tempfile.TemporaryDirectory] = None):
        self.path = os.path.abspath(path)
        self._keep = _keep
        self._shown = shown_name
        self.name = os.path.splitext(os.path.basename(path))[0]
        self.flags = _schedule_flags(schedule)
        self.target = self._resolve_target(schedule)
        self.builds = 0
        # Per params: the library and arguments of the plan `stencilc run` would use (see _plan).
        self._plans: Dict[tuple, tuple] = {}
        self._variants: Dict[tuple, _Library] = {}
        self._tuned = False
        if self.target in _IN_PROCESS:
            library = self._build(self.flags + ["--shared"])
            self._library = _Library(library, self.name)
            self._describer = self._library
            if self.target in ("serial", "openmp"):
                # Whether `stencilc tune` stored any plan for this program and settings: when
                # none (the usual case) runs ask nothing more and start no process.
                self._tuned = bool(self._ask_plan([]).get("stored_params"))
        else:
            self._build(self.flags)  # the executable `stencilc run` will use: compile errors now
            # A serial library of the same program: sizes (input checks) and heat maps.
            serial = _replace_target(self.flags, "serial")
            self._library = None
            self._describer = _Library(self._build(serial + ["--shared"]), self.name)

    def _build(self, flags: list) -> str:
        output = _tool(["build", self.path] + flags, "stencilc build", self.path, self._shown)
        self.builds += 1
        return output.strip().splitlines()[-1]

    def _resolve_target(self, schedule) -> str:
        if schedule.get("target"):
            return str(schedule["target"])
        text = _tool(["emit", self.path] + self.flags, "stencilc emit", self.path, self._shown)
        match = re.search(r"\(stencil \S+, target (\w+)\)", text)
        return match.group(1) if match else "openmp"

    def describe(self, params: Optional[Mapping[str, object]] = None, **keywords) -> dict:
        """The grids' names (the updated ones first; `updated` lists those), shape and dtype for
        these params (keywords, or the mapping `params`)."""
        io, _ = self._describer.call(_param_args(dict(params or {}, **keywords)), describe=True)
        dtype = np.dtype(np.float32 if io.elem_size == 4 else np.float64)
        grids = [io.grids[k].decode() for k in range(io.grid_count)]
        # The grid's full shape (1-D, 2-D or 3-D); a runtime without it reports rows x cols.
        shape = tuple(io.shape[k] for k in range(io.dimensions)) if io.dimensions else (io.rows, io.cols)
        return {"grids": grids, "updated": grids[:max(io.updated_count, 1)], "shape": shape, "dtype": dtype}

    def _check_inputs(self, inputs: Mapping[str, object], layout: dict) -> list:
        if inputs is not None and not isinstance(inputs, Mapping):
            raise TypeError(f"inputs: expected a mapping of grid name to array ({{'u': array}}), got {type(inputs).__name__}")
        checked = []
        for grid, array in (inputs or {}).items():
            if grid not in layout["grids"]:
                raise ValueError(f"inputs['{grid}']: no grid '{grid}' in this program (grids: {', '.join(layout['grids'])})")
            found = np.asarray(array)
            if found.shape != layout["shape"] or found.dtype != layout["dtype"]:
                raise ValueError(f"inputs['{grid}']: expected shape {layout['shape']} and dtype {layout['dtype']}, "
                                 f"found shape {found.shape} and dtype {found.dtype}")
            checked.append((grid, np.ascontiguousarray(found)))
        return checked

    def run(self, inputs: Optional[Mapping[str, np.ndarray]] = None, max_iterations: Optional[int] = None,
            params: Optional[Mapping[str, object]] = None, **keywords) -> Result:
        """Runs with params as keywords (or as the mapping `params`, for a param named like an
        argument of run: `params={"inputs": 3}`), `inputs` (grid name -> array, as --input) and
        `max_iterations` (as --max-iterations)."""
        params = dict(params or {}, **keywords)
        arguments = _param_args(params)
        if max_iterations is not None:
            arguments += ["--max-iterations", str(int(max_iterations))]
        layout = self.describe(params)
        checked = self._check_inputs(inputs, layout)
        updated = layout["updated"]
        if self._library is None:
            return self._run_process(arguments, checked, updated)
        library, plan_arguments = self._plan(params)
        fields = {grid: np.empty(layout["shape"], layout["dtype"]) for grid in updated}
        _, summary = library.call(arguments + plan_arguments + ["--quiet"], inputs=checked,
                                  outputs=list(fields.items()))
        return Result(fields, json.loads(summary), library)

    def _plan(self, params: Mapping[str, object]) -> tuple:
        """The library and the program arguments for the plan that `stencilc run` would use with
        these params: the one `stencilc tune` stored (its schedule built as a variant of the
        library), else the compiled library and the program's own cost model. Asked of
        `stencilc plan` once per params for this Program, and only when some plan is stored."""
        if not self._tuned:
            return self._library, []
        key = tuple(_param_args(params))
        if key not in self._plans:
            library, arguments = self._library, []
            if self.target in ("serial", "openmp"):
                plan = self._ask_plan(list(key))
                if plan.get("source") == "tuned":
                    arguments = list(plan.get("arguments", []))
                    build_flags = tuple(plan.get("build_flags", []))
                    if build_flags:
                        if build_flags not in self._variants:
                            built = self._build(self.flags + list(build_flags) + ["--shared"])
                            self._variants[build_flags] = _Library(built, self.name)
                        library = self._variants[build_flags]
            self._plans[key] = (library, arguments)
        return self._plans[key]

    def _ask_plan(self, param_arguments: list) -> dict:
        text = _tool(["plan", self.path] + self.flags + param_arguments, "stencilc plan", self.path, self._shown)
        return json.loads(text.strip().splitlines()[-1])

    def _run_process(self, arguments: list, checked: list, updated: list) -> Result:
        with tempfile.TemporaryDirectory(prefix="stencilc-") as directory:
            extra = []
            for grid, array in checked:
                path = os.path.join(directory, f"in-{grid}.npy")
                np.save(path, array)
                extra += ["--input", f"{grid}={path}"]
            out = {grid: os.path.join(directory, f"out-{grid}.npy") for grid in updated}
            image = os.path.join(directory, "field.png")
            for grid in updated:
                extra += ["--output", f"{grid}={out[grid]}"]
            extra += ["--image", image, "--json", "--quiet"]
            stdout = _tool(["run", self.path] + self.flags + arguments + extra, "stencilc run", self.path, self._shown,
                           program=self.name)
            line = [l for l in stdout.splitlines() if l.startswith("{")][-1]
            fields = {grid: np.load(out[grid]) for grid in updated}
            with open(image, "rb") as file:
                png = file.read()
        return Result(fields, json.loads(line), self._describer, png)

    def __repr__(self) -> str:
        return f"<stencilc.Program {self.name} ({self._shown or self.path}), target {self.target}>"


def _param_args(params: Mapping[str, object]) -> list:
    arguments = []
    for name, value in params.items():
        if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
            raise TypeError(f"param {name}: expected a number, got {value!r}")
        text = repr(float(value)) if isinstance(value, (float, np.floating)) else str(int(value))
        arguments += ["--param", f"{name}={text}"]
    return arguments


def _replace_target(flags: list, target: str) -> list:
    out, skip = [], False
    for k, flag in enumerate(flags):
        if skip:
            skip = False
            continue
        if flag in ("--target", "--ranks", "--decompose"):
            skip = True
            continue
        out.append(flag)
    return out + ["--target", target]


def compile(path, target: Optional[str] = None, **schedule) -> Program:
    """Checks and builds the program in the .st file `path`. Schedule lines as keywords: target,
    schedule, chunksize, num_threads, tile, workgroup, ranks, decompose, temporal (and cflags).
    The Program keeps the text as it was: editing the file later changes nothing until the next
    `compile`."""
    path = os.fspath(path)
    if not os.path.isfile(path):
        raise FileNotFoundError(f"no such stencil program: '{path}'")
    # A private copy under the same name: mpi and hybrid runs, and plan lookups, read the file
    # again at every run.
    keep = tempfile.TemporaryDirectory(prefix="stencilc-")
    try:
        copy = os.path.join(keep.name, os.path.basename(path))
        shutil.copyfile(path, copy)
        return Program(copy, dict(schedule, target=target), shown_name=path, _keep=keep)
    except BaseException:
        keep.cleanup()
        raise


def compile_string(text: str, target: Optional[str] = None, name: Optional[str] = None, **schedule) -> Program:
    """Like `compile`, for a program given as a string (diagnostics name it `<string>`)."""
    match = re.search(r"^\s*stencil\s+([A-Za-z_]\w*)", text, re.MULTILINE)
    if name is not None and not re.fullmatch(r"[A-Za-z0-9_][A-Za-z0-9_.-]*", name):
        raise ValueError(f"name: letters, digits, '_', '.' and '-' (a file name without a folder), got {name!r}")
    stem = name or (match.group(1) if match else "program")
    keep = tempfile.TemporaryDirectory(prefix="stencilc-")
    path = os.path.join(keep.name, stem + ".st")
    with open(path, "w") as file:
        file.write(text)
    try:
        return Program(path, dict(schedule, target=target), shown_name="<string>", _keep=keep)
    except BaseException:
        keep.cleanup()
        raise
