// Explain.swift: `stencilc explain`: what the compiler decided, in plain words: the problem,
// the halo, the stopping rule, the prange-style classification, the OpenMP clauses, and the IR.

import StencilCodegen
import StencilIR

public enum Explain {
    /// `params`: the --param overrides (NAME=VALUE), for sizes that depend on them.
    public static func text(_ program: Program, params: [String] = []) -> String {
        var out = ""
        let grid = program.updatedGrid
        let h = program.halo
        out += "\(program.name) (\(program.sourceName)), target \(program.schedule.target.rawValue)\n\n"
        out += "The problem\n"
        for g in program.grids {
            out += "  grid \(g.name): \(g.type.rawValue), \(g.rows) x \(g.cols) points"
                + (g.isUpdated ? ", updated in two buffers (\(g.name), \(g.name)_next) that swap after each sweep" : ", read-only") + "\n"
        }
        for p in program.params {
            out += "  param \(p.name) = \(IRPrinter.format(p.defaultValue))\(p.isInteger ? " (integer)" : "") by default; override with --param \(p.name)=VALUE\n"
        }
        out += "  \(IRPrinter.update(program.update))\n"
        let reads = program.update.value.reads
        out += "  the update reads \(reads.count) grid value\(reads.count == 1 ? "" : "s"); the largest offset is \(h), so the halo is \(h):\n"
        out += "  points with \(h) <= row < \(grid.rows)-\(h) and \(h) <= col < \(grid.cols)-\(h) are updated, the outer ring \(h) deep is boundary\n"
        switch program.stopping {
        case .steps(let count, _):
            out += "  stops after exactly \(IRPrinter.expression(count)) sweeps\n"
        case .until(let norm, let epsilon, let every, let maximum, _):
            out += "  stops when \(norm.rawValue)(\(grid.name)) < \(IRPrinter.expression(epsilon)), computed on every \(IRPrinter.expression(every))th sweep only, after at most \(IRPrinter.expression(maximum)) sweeps\n"
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
                out += "  NDRange:      2-D over the interior, (rows - \(2 * h)) x (cols - \(2 * h)) work-items, one per updated point;\n"
                out += "                work-item (x, y) updates (\(h) + y, \(h) + x): no division or modulo per point\n"
                if let r = program.schedule.workgroupRows, let c = program.schedule.workgroupCols {
                    out += "  work-group:   \(r) x \(c) (rows x columns), checked against the device's limits at run time\n"
                } else {
                    out += "  work-group:   chosen at run time for the device (PoCL/CPUs 4 x 64; GPUs 8 x 32 or a wavefront wide);\n"
                    out += "                set `workgroup R x C` in the schedule (or --workgroup RxC) to fix it\n"
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
                out += "\nOpenMP\n"
                out += "  sweep:        #pragma omp parallel for \(OpenMPClauses.clauses(program.schedule))\n"
                if case .until(let norm, _, _, _, _) = program.stopping {
                    let (sharing, variable) = norm == .maxdiff ? (Sharing.reductionMax, "maxdiff") : (.reductionSum, "sum_sq")
                    out += "  check sweep:  #pragma omp parallel for \(OpenMPClauses.clauses(program.schedule, reduction: sharing, variable: variable))\n"
                }
                let defaultThreads = program.schedule.target == .hybrid
                    ? "OMP_NUM_THREADS, or (with stencilc run) the cores shared out between the ranks"
                    : "OMP_NUM_THREADS, or all cores"
                out += "  threads:      " + (program.schedule.numThreads.map { "\($0) (num_threads)\(program.schedule.target == .hybrid ? " per rank" : "")" } ?? defaultThreads) + "\n"
                out += "  inner loop:   " + (VectorRowWriter.applies(to: program)
                    ? "sweep_row: strips of \(program.elementType == .float32 ? 16 : 8) lanes, each row read loaded once per strip and shifted in registers\n"
                    : "the compiler's own vectorization (the update calls a math function, so no hand-written vector rows)\n")
                if VectorRowWriter.applies(to: program), VectorRowWriter.fusesProducts(program) {
                    out += "  products:     fused multiply-adds of -0 (ST_MUL): the multiply's bits, at full speed when they underflow\n"
                }
                if let r = program.schedule.tileRows, let c = program.schedule.tileCols {
                    out += "  tiling:       \(r) x \(c) tiles, the tile loops collapsed into one parallel loop\n"
                } else {
                    out += "  tiling:       none (set `tile R x C` in the schedule to tile the sweep)\n"
                }
            }
        }
        if program.schedule.target == .serial || program.schedule.target == .openmp {
            out += "\nTemporal blocking (schedule: temporal \(program.schedule.temporal.rawValue))\n"
            switch program.schedule.temporal {
            case .off:
                out += "  off: every sweep covers the whole grid\n"
            case .on, .auto:
                if program.halo == 0 {
                    out += "  not applied: the update reads no neighbours, so there is nothing to reuse between sweeps\n"
                    break
                }
                let grids = 2 + program.readOnlyGrids.count
                if program.schedule.temporal == .auto {
                    out += "  decided at run time (the summary says which): tiles when the \(grids) grids of \(grid.rows) x \(grid.cols) \(grid.type.rawValue)\n"
                    out += "  take more than 2/3 of the last-level cache; bands (openmp) when they and two scratch grids fit in half\n"
                } else {
                    out += "  forced on\n"
                }
                let between: String
                switch program.stopping {
                case .steps: between = "all the steps"
                case .until(_, _, let every, _, _): between = "the \(IRPrinter.expression(every)) - 1 sweeps between two checks"
                }
                out += "  what it does: \(between) run as row tiles that each advance up to 64 sweeps, shifted\n"
                out += "  up by the halo (\(program.halo)) per sweep, tiles sized to half the cache; results are bitwise unchanged\n"
                if program.schedule.target == .openmp {
                    if program.schedule.kind == .static && program.schedule.chunksize == nil {
                        out += "  bands:        for grids that fit in the cache, 2 or more threads: each thread advances its own\n"
                        out += "                band of rows up to 15 sweeps between two barriers, recomputing (sweeps left) x \(program.halo)\n"
                        out += "                rows beyond it on each side into two scratch grids of its own, in row tiles sized to one\n"
                        out += "                core's cache that each advance all those sweeps; results are bitwise unchanged\n"
                    } else {
                        out += "  bands:        not with schedule \(OpenMPClauses.summaryText(program.schedule)) (bands need plain static rows)\n"
                    }
                }
            }
        }
        if program.schedule.target == .mpi || program.schedule.target == .hybrid {
            out += "\n" + decompositionText(program, params: params)
        }
        out += "\nIR\n"
        out += IRPrinter.program(program).split(separator: "\n").map { "  " + $0 }.joined(separator: "\n") + "\n"
        return out
    }
}
