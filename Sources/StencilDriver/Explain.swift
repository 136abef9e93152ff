// Explain.swift: `stencilc explain`: what the compiler decided, in plain words: the problem,
// the halo, the stopping rule, the prange-style classification, the OpenMP clauses, and the IR.

import StencilCodegen
import StencilIR

public enum Explain {
    /// "on every sweep", "on every 2nd sweep only", "on every 1000th sweep only", "every (K)th".
    static func everyText(_ every: IRExpr) -> String {
        guard case .constant(let value, _) = every, value == value.rounded(), value >= 1, value < 1e15 else {
            return "on every (\(IRPrinter.expression(every)))th sweep only"
        }
        let n = Int(value)
        if n == 1 { return "on every sweep" }
        let suffix = (11...13).contains(n % 100) ? "th" : [1: "st", 2: "nd", 3: "rd"][n % 10] ?? "th"
        return "on every \(n)\(suffix) sweep only"
    }

    /// The sweeps between checks: what the code can run and how the run-time plan chooses.
    static func planText(_ program: Program) -> String {
        let loops = program.loops
        var out = "Plan of the sweeps between checks (schedule: temporal \(program.schedule.temporal.rawValue))\n"
        out += "  the code can run: " + (["whole sweeps"] + loops.temporalKinds.map(\.rawValue)).joined(separator: ", ") + "\n"
        out += "  \(loops.temporalReason)\n"
        if program.dimensions == 1 || loops.colourHalfSweeps || loops.boundaryEachSweep {
            return out + "  every run: whole sweeps, one after the other (--plan may only say sweeps)\n"
        }
        if loops.temporalKinds.isEmpty {
            // temporal off, or an update that reads no neighbours: the cost model keeps whole sweeps;
            // the runtime still runs tiles given by hand (they need no code of their own).
            return out + "  every run: whole sweeps, unless --plan or STENCILC_PLAN asks for tiles by hand\n"
        }
        // 3-D: the plan cuts the first dimension, planes, as it cuts a 2-D grid's rows.
        let rows = program.dimensions == 3 ? "planes" : "rows"
        out += "  chosen at run time (the summary and --json say which, and why): a plan `stencilc tune` stored for this\n"
        out += "  program, size, thread count, compiler, flags and CPU; else the cost model of runtime/stencil_sweeps.c:\n"
        if program.dimensions == 3 {
            out += "    a 3-D grid: bands of planes where the team can run them (each thread its own planes, a barrier\n"
            out += "    every few sweeps, overlapped planes recomputed in its own scratch grids); tiles of planes outgrow\n"
            out += "    the caches: only --plan asks for them, or `temporal on` where bands cannot run\n"
            out += "    otherwise: whole sweeps\n"
            out += "  every plan gives the same bits: each point is computed from exactly the previous sweep's neighbours\n"
            return out
        }
        if loops.temporalKinds.contains(.bands) {
            out += "    2 or more threads, grids larger than half the last-level cache or that fit in the threads' own caches\n"
            out += "    together: bands (each thread its own \(rows), a barrier every few sweeps, overlapped \(rows) recomputed\n"
            out += "    in its own scratch grids, which hold its band only)\n"
            out += "    one thread, grids larger than half the last-level cache: tiles of \(rows) that advance many sweeps while\n"
            out += "    in cache (also where bands' scratch grids would take more than half the memory the run may use)\n"
        } else {
            out += "    grids larger than half the last-level cache: tiles of \(rows) that advance many sweeps while in cache\n"
        }
        out += "    otherwise: whole sweeps, which run from the last-level cache at the speed of their arithmetic\n"
        out += "  every plan gives the same bits: each point is computed from exactly the previous sweep's neighbours\n"
        return out
    }

    /// The mpi and hybrid targets' sweeps between checks: one halo exchange each, or (mpi, where
    /// the code can) deep halos chosen at run time.
    static func rankPlanText(_ program: Program) -> String {
        let loops = program.loops
        var out = "Plan of the sweeps between checks (schedule: temporal \(program.schedule.temporal.rawValue))\n"
        guard loops.temporalKinds.contains(.tiles) else {
            return out + "  every run: \(loops.temporalReason)\n"
        }
        out += "  the code can run: whole sweeps, tiles (deep halos)\n"
        out += "  \(loops.temporalReason)\n"
        out += "  chosen at run time (the summary and --json say which, and why): --plan or STENCILC_PLAN (sweeps or\n"
        out += "  tiles[:DEPTH[:TILE_ROWS[:TILE_COLS]]]), else the cost model of runtime/stencil_sweeps.c (st_rank_plan):\n"
        out += "    a rank's block larger than half its share of the node's last-level cache (the cache over the ranks\n"
        out += "    on the node): tiles, DEPTH sweeps per exchange of a halo DEPTH * HALO rows deep (DEPTH at most 64,\n"
        out += "    the smallest block's rows / HALO and cols / (8 * HALO)); the local arrays below then grow by\n"
        out += "    2 * (DEPTH - 1) * HALO rows and columns, and each exchange carries DEPTH times the halo bytes, once\n"
        out += "    every DEPTH sweeps\n"
        out += "    otherwise: whole sweeps, one halo exchange each, overlapped with the deep interior's update\n"
        out += "  every plan gives the same bits: each point is computed from exactly the previous sweep's neighbours\n"
        return out
    }

    /// `params`: the --param overrides (NAME=VALUE), for sizes that depend on them.
    public static func text(_ program: Program, params: [String] = []) -> String {
        var out = ""
        let grid = program.updatedGrid
        let h = program.halo
        out += "\(program.name) (\(program.sourceName)), target \(program.schedule.target.rawValue)\n\n"
        out += "The problem\n"
        for g in program.grids {
            out += "  grid \(g.name): \(g.type.rawValue), \(g.shapeText) points"
                + (g.isUpdated && program.redBlack ? ", updated in place in one buffer (red-black order)" : g.isUpdated ? ", updated in two buffers (\(g.name), \(g.name)_next) that swap after each sweep" : ", read-only") + "\n"
        }
        for p in program.params {
            out += "  param \(p.name) = \(IRPrinter.format(p.defaultValue))\(p.isInteger ? " (integer)" : "") by default; override with --param \(p.name)=VALUE\n"
        }
        for update in program.updates { out += "  \(IRPrinter.update(update))\n" }
        if program.isSystem {
            out += "  a system of \(program.updates.count) updates: one iteration applies them all, every read seeing the previous\n"
            out += "  iterate of every grid (one loop nest computes all of them at each point; their iterates swap together)\n"
        }
        if let omega = program.relax {
            let factor = IRPrinter.expression(omega)
            let old = "\(program.update.grid)[\(program.update.indices.joined(separator: ", "))]"
            if program.isRelaxed {
                out += "  relaxed by \(factor) (relax \(factor)): the line above has it folded in: the expression as written,\n"
                out += "  EXPR, becomes \(old) + \(factor) * (EXPR - \(old)), in that order and in \(program.elementType.rawValue), with\n"
                if program.redBlack {
                    out += "  \(old) the point's value before its own update: SOR (successive over-relaxation), each point moving\n"
                    out += "  that multiple of the way to its Gauss-Seidel value (between 1 and 2 over-relaxes: fewer iterations);\n"
                    out += "  the summary and --json give the factor's run-time value as \"relax\"\n"
                } else {
                    out += "  \(old) the previous iterate: weighted (damped) Jacobi, each point moving only that fraction of the way\n"
                    out += "  to its Jacobi value (below 1 damps; Jacobi diverges for factors much above 1); the summary and --json\n"
                    out += "  give the factor's run-time value as \"relax\"\n"
                }
            } else {
                out += "  relax \(factor): the literal 1, so the update writes its expression itself (plain Jacobi)\n"
            }
        }
        if program.redBlack {
            out += "  order redblack: red-black Gauss-Seidel\(program.isRelaxed ? " (with the relax factor above: SOR)" : ""). A point is red when its global\n"
            out += "  row + col is even. One iteration updates every red interior point from the current field, then\n"
            out += "  every black one from the field with the new red values, in place; the old value in relax is the\n"
            out += "  point's own value before its update. Deterministic on every target, thread count and rank count:\n"
            out += "  the update reads its own grid only at the point itself and at odd distances, so a red point reads\n"
            out += "  only black points (and itself) and a black point only red ones: the points of one half-sweep do\n"
            out += "  not read each other, and their order of update cannot change a bit. The colour comes from global\n"
            out += "  indices (mpi/hybrid: each block's offset), and each half-sweep has its own halo exchange (mpi,\n"
            out += "  hybrid) or kernel launch (opencl). Iterations count red-then-black pairs; the norm of `until` is\n"
            out += "  the change over a whole iteration (each point changes once per iteration)\n"
            out += Self.wrapped("The iterations run as \(program.loops.colourPlan.rawValue): \(program.loops.colourPlanReason)")
        }
        let reads = program.updates.flatMap(\.value.reads)
        out += "  \(program.isSystem ? "the updates read" : "the update reads") \(reads.count) grid value\(reads.count == 1 ? "" : "s"); the largest offset is \(h), so the halo is \(h):\n"
        if program.dimensions == 2 {
            out += "  points with \(h) <= row < \(grid.rows)-\(h) and \(h) <= col < \(grid.cols)-\(h) are updated, the outer ring \(h) deep is boundary\n"
        } else {
            let ranges = zip(program.update.indices, grid.extents).map { "\(h) <= \($0) < \($1)-\(h)" }.joined(separator: ", ")
            out += "  \(program.dimensions)-D: points with \(ranges) are updated, the \(program.dimensions == 1 ? "\(h) points at each end are" : "outer shell \(h) deep is") boundary\n"
        }
        out += boundaryText(program)
        switch program.stopping {
        case .steps(let count, _):
            out += "  stops after exactly \(IRPrinter.expression(count)) sweeps\n"
        case .until(let norm, let epsilon, let every, let maximum, _):
            let normed = program.normGrids.isEmpty ? grid.name : program.normGrids.joined(separator: ", ")
            out += "  stops when \(norm.rawValue)(\(normed)) < \(IRPrinter.expression(epsilon)), computed \(everyText(every)), after at most \(IRPrinter.expression(maximum)) sweeps\n"
        }
        out += "\n"
        switch program.schedule.target {
        case .serial:
            out += "Parallelism\n  none: the serial target runs the same loops on one thread (the reference for the others)\n"
        case .openmp, .hybrid, .mpi, .opencl:
            out += "Data sharing of the sweep (what Cython's prange would infer)\n"
            let width = program.variables.map(\.name.count).max() ?? 1
            for v in program.variables {
                out += "  \(v.name.padding(toLength: width, withPad: " ", startingAt: 0))  \(v.sharing.rawValue.padding(toLength: 14, withPad: " ", startingAt: 0))  \(v.why)\n"
            }
            if program.schedule.target == .opencl {
                out += "\nOpenCL\n"
                switch program.dimensions {
                case 1:
                    out += "  NDRange:      1-D over the interior, cols - \(2 * h) work-items, one per updated point;\n"
                    out += "                work-item x updates \(h) + x\n"
                case 2:
                    out += "  NDRange:      2-D over the interior, (rows - \(2 * h)) x (cols - \(2 * h)) work-items, one per updated point;\n"
                    out += "                work-item (x, y) updates (\(h) + y, \(h) + x): no division or modulo per point\n"
                default:
                    out += "  NDRange:      3-D over the interior, (planes - \(2 * h)) x (rows - \(2 * h)) x (cols - \(2 * h)) work-items, one per\n"
                    out += "                updated point; work-item (x, y, z) updates (\(h) + z, \(h) + y, \(h) + x); every dimension rounded up to whole work-groups\n"
                }
                let axes = (0..<program.dimensions).map { BlocksPlan.axisWord($0, dimensions: program.dimensions) + "s" }.joined(separator: " x ")
                if let sizes = program.schedule.workgroup {
                    out += "  work-group:   \(IRPrinter.sizes(sizes)) (\(axes)), checked against the device's limits at run time\n"
                } else {
                    let example = ["64", "R x C", "P x R x C"][program.dimensions - 1]
                    out += "  work-group:   chosen at run time for the device (PoCL/CPUs 4 x 64; GPUs 8 x 32 or a wavefront wide);\n"
                    out += "                set `workgroup \(example)` in the schedule (or --workgroup \(example.replacingOccurrences(of: " ", with: ""))) to fix it\n"
                }
                out += "  global size:  rounded up to whole work-groups; the extra work-items return at once\n"
                out += "  buffers:      \(grid.name) and \(grid.name)_next stay on the device and swap by kernel argument\n"
                if case .until(let norm, _, _, _, _) = program.stopping {
                    out += "  check sweeps: sweep_\(norm.rawValue) reduces the change in local memory to one partial per\n"
                    out += "                work-group, reduce_\(norm.rawValue) folds those on the device: one scalar comes back\n"
                    if norm == .l2diff && program.elementType == .float32 {
                        out += "                (squares summed in double, as on the host targets, where the device has fp64;\n"
                        out += "                in float32 on a device without it)\n"
                    }
                }
                out += "  read back:    the grid, once, at the end\n"
                out += "  device:       --device INDEX | P:D | NAME, or STENCILC_DEVICE; `stencilc devices` lists them\n"
            }
            if program.schedule.target == .openmp || program.schedule.target == .hybrid {
                let loops = program.loops
                out += "\nOpenMP\n"
                out += "  region:       one #pragma omp parallel\(OpenMPClauses.regionClauses(program.schedule)) around all iterations"
                    + (program.schedule.target == .hybrid ? " (per rank)" : "") + "\n"
                // As SweepWriter.boxLoops and the colour plans print it.
                if loops.colourHalfSweeps && loops.colourPlan == .fused {
                    out += "  sweep:        no omp for: each thread takes its own band of \(program.dimensions == 3 ? "planes" : "rows") (omp_get_thread_num), red then black,\n"
                    out += "                with an #pragma omp barrier before the black rows at the bands' edges and one after them\n"
                } else {
                    let simd = program.dimensions == 1 && loops.vectorization == .simd && loops.tile == nil ? "simd " : ""
                    let over = loops.tile == nil ? "" : " over the tiles"
                    let place = loops.colourHalfSweeps ? "in `sweep_red` and `sweep_black`; its barrier ends each half-sweep" : "in `sweep`; its barrier ends the sweep"
                    out += "  sweep:        #pragma omp for \(simd)\(loops.worksharing ?? "")\(over) (orphaned, \(place))\n"
                }
                if let check = loops.check {
                    out += "  check sweep:  #pragma omp for \(loops.worksharing ?? "") reduction(\(check.sharing == .reductionMax ? "max" : "+"): \(check.variable)) reduction(+: nonfinite)\n"
                }
                let defaultThreads = program.schedule.target == .hybrid
                    ? "OMP_NUM_THREADS, or (with stencilc run) the cores shared out between the ranks"
                    : "OMP_NUM_THREADS, or all cores"
                out += "  threads:      " + (program.schedule.numThreads.map { "\($0) (num_threads)\(program.schedule.target == .hybrid ? " per rank" : "")" } ?? defaultThreads) + "\n"
                if let tile = loops.tile {
                    out += "  tiling:       \(IRPrinter.sizes(tile)) tiles, " + (tile.count == 1 ? "the tile loop shared by the team\n"
                        : "the \(tile.count) tile loops collapsed into one parallel loop\n")
                } else {
                    let example = ["N", "R x C", "P x R x C"][program.dimensions - 1]
                    out += "  tiling:       none (set `tile \(example)`, one size per dimension, in the schedule to tile the sweep)\n"
                }
            }
        }
        if program.schedule.target != .opencl {
            out += "\nVector code\n  \(program.loops.vectorization.rawValue): \(program.loops.vectorizationReason)\n"
            if program.loops.alignsFirstUpdatedColumn { out += "  aligned: \(program.loops.alignmentReason)\n" }
            out += "  code:    \(BuildRecipe.loopAlignment) in the build: every loop starts a 64-byte line, so that a row loop is fetched as one window of code wherever the code before it ends\n"
        }
        if program.schedule.target == .serial || program.schedule.target == .openmp {
            out += "\n" + planText(program)
        }
        if program.schedule.target == .mpi || program.schedule.target == .hybrid {
            out += "\n" + rankPlanText(program)
            out += "\n" + decompositionText(program, params: params)
        }
        out += "\nIR\n"
        out += IRPrinter.program(program).split(separator: "\n").map { "  " + $0 }.joined(separator: "\n") + "\n"
        return out
    }

    /// TEXT as lines of at most about 100 characters, each indented by two spaces.
    static func wrapped(_ text: String, width: Int = 100) -> String {
        var lines: [String] = [], line = " "
        for word in text.split(separator: " ") {
            if line.count + 1 + word.count > width { lines.append(line); line = " " }
            line += " " + word
        }
        lines.append(line)
        return lines.joined(separator: "\n") + "\n"
    }
}
