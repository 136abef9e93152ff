// MPIBackend.swift: the `mpi` and `hybrid` targets: one C file that every rank runs. Each rank
// holds only its block of the grid plus a halo of the stencil's width (runtime/stencil_mpi.*
// decomposes, exchanges and gathers); per iteration it starts the halo exchange, updates the
// deep interior that reads no halo cell while the messages travel, waits, then updates the
// frame around it. Norms are combined with MPI_Allreduce on check iterations only. `hybrid`
// runs the same program with an OpenMP team per rank: the sweeps carry the openmp target's
// clauses, and MPI is called only outside parallel regions (MPI_THREAD_FUNNELED).

import StencilIR

public struct MPIBackend: Backend {
    /// OpenMP threads inside each rank (the hybrid target).
    public let hybrid: Bool

    public init(hybrid: Bool) { self.hybrid = hybrid }

    public var recipe: BuildRecipe {
        BuildRecipe(compilerRole: .mpicc,
                    flags: BuildRecipe.optimization + (hybrid ? ["-fopenmp"] : []),
                    runtimeSources: ["stencil_runtime.c", "stencil_mpi.c"], libraries: ["-lm"])
    }

    var target: String { hybrid ? "hybrid" : "mpi" }

    public func emit(_ program: Program, options: EmitOptions) -> EmittedProgram {
        let writer = CodeWriter()
        let names = CNames(program)
        let host = HostCode(program: program, names: names, writer: writer)
        let sweeps = SweepWriter(program: program, names: names, writer: writer,
                                 pragma: hybrid ? { OpenMPClauses.clauses(program.schedule, reduction: $0, variable: $1) } : nil,
                                 partialNorms: true)
        let decomposition = program.schedule.decompose
        var notes = [
            "",
            "Every rank holds its block of \(program.update.grid) (decompose \(decomposition.rawValue): \(decomposition == .rows ? "block rows, P x 1" : "2-D blocks from MPI_Dims_create")) plus a",
            "halo HALO deep, refreshed from its 8 neighbours before each sweep; the deep interior is",
            "updated while the halos travel. `stencilc explain FILE --target \(target) --ranks P` prints the plan.",
        ]
        if hybrid {
            notes.append("")
            notes.append("Parallel row loop of each rank (what Cython's prange would infer):")
            for variable in program.variables {
                notes.append("  \(variable.name): \(variable.sharing.rawValue)")
            }
        }
        host.header(target: target, options: options, recipe: recipe, notes: notes,
                    launch: "mpirun -np \(program.schedule.ranks) ")
        writer.line("#include <math.h>")
        if hybrid { writer.line("#include <omp.h>") }
        writer.line("#include \"stencil_mpi.h\"")
        writer.blank()
        writer.line("enum { HALO = \(program.halo) }; /* largest offset read by the update */")
        writer.blank()
        sweeps.sweepFunctions()
        writer.blank()
        mainFunction(program, host: host, sweeps: sweeps)
        return EmittedProgram(source: writer.text, recipe: recipe)
    }

    private func mainFunction(_ program: Program, host: HostCode, sweeps: SweepWriter) {
        let writer = host.writer
        let names = host.names
        let scalar = host.scalar
        let grid = names[program.update.grid]
        let next = names.next(program.update.grid)
        let mpiType = program.elementType == .float32 ? "MPI_FLOAT" : "MPI_DOUBLE"
        let kind = program.schedule.decompose == .rows ? "STMPI_ROWS" : "STMPI_GRID"
        writer.block("int main(int argc, char **argv)") {
            writer.comment("Until stmpi_decompose every rank checks the same arguments and sizes; only rank 0 prints.")
            if hybrid {
                writer.comment("OpenMP teams call MPI only from the master thread, outside parallel regions.")
            }
            writer.line("stmpi_init(&argc, &argv, \(hybrid ? "STMPI_FUNNELED" : "STMPI_SINGLE"));")
            host.params()
            host.gridSize()
            host.stoppingConstants()
            writer.blank()
            writer.comment("This rank's block of the rows x cols grid, with a halo HALO deep on every side.")
            writer.line("stmpi_decomp decomp;")
            writer.line("stmpi_decompose(&decomp, rows, cols, HALO, \(kind));")
            writer.line("const long local_cols = decomp.local_cols;")
            writer.line("\(scalar) *\(grid) = stmpi_alloc_local(&decomp, sizeof(\(scalar)));")
            writer.line("\(scalar) *\(next) = stmpi_alloc_local(&decomp, sizeof(\(scalar)));")
            for other in program.readOnlyGrids {
                writer.line("\(scalar) *\(names[other.name]) = stmpi_alloc_local(&decomp, sizeof(\(scalar)));")
            }
            writer.comment("Initial and boundary values in the order written, set from global coordinates on the part of the grid this rank holds (halo included), in both buffers.")
            writer.line("\(scalar) *buffers[] = { \(grid), \(next) };")
            writer.block("for (int k = 0; k < 2; ++k)") {
                host.fills(of: program.update.grid, into: "buffers[k]", decomposition: "&decomp")
            }
            for other in program.readOnlyGrids {
                writer.comment("\(other.name) never changes: its halo is filled here once, not exchanged.")
                host.fills(of: other.name, into: names[other.name], decomposition: "&decomp")
            }
            writer.comment("One exchange plan per buffer (persistent requests); they swap with the buffers.")
            writer.line("stmpi_halo *exchange = stmpi_halo_create(&decomp, \(grid), \(mpiType));")
            writer.line("stmpi_halo *exchange_next = stmpi_halo_create(&decomp, \(next), \(mpiType));")
            writer.comment("The updated points of the block: the deep interior reads no halo cell, the 4 frame strips do.")
            writer.line("const stmpi_rect interior = stmpi_interior(&decomp);")
            writer.line("stmpi_rect frame[4];")
            writer.line("stmpi_frame(&decomp, frame);")
            writer.blank()
            iterationLoop(program, host: host, sweeps: sweeps)
            writer.blank()
            let threads = hybrid ? (program.schedule.numThreads.map(String.init) ?? "omp_get_max_threads()") : "1"
            let schedule = hybrid ? "\"\(OpenMPClauses.summaryText(program.schedule))\"" : "\"\""
            host.summary(target: target, threads: threads, ranks: "decomp.size", schedule: schedule,
                         decomposition: "decomp.description")
            writer.comment("Gathered to rank 0 only now, after the iterations.")
            writer.line("stmpi_write_npy(&decomp, options.output_path, \(grid), \(mpiType));")
            writer.line("stmpi_print_summary(&decomp, &summary, &options);")
            writer.line("stmpi_halo_free(exchange); stmpi_halo_free(exchange_next);")
            let all = [grid, next] + program.readOnlyGrids.map { names[$0.name] }
            writer.line(all.map { "st_free_grid(\($0));" }.joined(separator: " "))
            writer.line("stmpi_decomp_free(&decomp);")
            writer.line("return stmpi_finalize();")
        }
    }

    /// One sweep of the block: exchange started, deep interior, exchange finished, frame.
    /// `function` is the sweep to call; `combine` (nil for plain sweeps) folds a part's result
    /// into `variable`, declared by the first call.
    private func blockSweep(_ sweeps: SweepWriter, _ writer: CodeWriter, function: String,
                            result: (type: String, variable: String, combine: String)?) {
        func call(_ rect: String) -> String {
            "\(function)(\(sweeps.callArguments(rowBegin: "\(rect).i0", rowEnd: "\(rect).i1", colBegin: "\(rect).j0", colEnd: "\(rect).j1", stride: "local_cols")))"
        }
        writer.line("stmpi_halo_begin(exchange); /* halo cells travel while the deep interior is updated */")
        if let result {
            writer.line("\(result.type) \(result.variable) = \(call("interior"));")
        } else {
            writer.line("\(call("interior"));")
        }
        writer.line("stmpi_halo_end(exchange);")
        writer.block("for (int k = 0; k < 4; ++k)") {
            if let result {
                writer.line("const \(result.type) part = \(call("frame[k]"));")
                writer.line(result.combine)
            } else {
                writer.line("\(call("frame[k]"));")
            }
        }
    }

    private func iterationLoop(_ program: Program, host: HostCode, sweeps: SweepWriter) {
        let writer = host.writer
        let names = host.names
        let grid = names[program.update.grid]
        let next = names.next(program.update.grid)
        let swap = "\(host.scalar) *swap = \(grid); \(grid) = \(next); \(next) = swap; /* the new iterate becomes current */"
        let swapExchange = "stmpi_halo *swap_exchange = exchange; exchange = exchange_next; exchange_next = swap_exchange;"
        writer.line("long iterations = 0;")
        switch program.stopping {
        case .steps:
            writer.line("stmpi_barrier();")
            writer.line("const double start = st_seconds();")
            writer.block("for (; iterations < steps; ++iterations)") {
                blockSweep(sweeps, writer, function: "sweep", result: nil)
                writer.line(swap)
                writer.line(swapExchange)
            }
        case .until(let norm, _, _, _, _):
            writer.line("int converged = 0;")
            writer.line("double residual = NAN;")
            writer.line("stmpi_barrier();")
            writer.line("const double start = st_seconds();")
            writer.block("while (iterations < max_iterations)") {
                writer.comment("Only every `every`-th sweep computes the norm and combines it over the ranks.")
                writer.line("const int check = (iterations + 1) % every == 0;")
                writer.block("if (check)") {
                    switch norm {
                    case .maxdiff:
                        blockSweep(sweeps, writer, function: "sweep_maxdiff",
                                   result: (host.scalar, "maxdiff", "maxdiff = part > maxdiff ? part : maxdiff;"))
                        writer.line("residual = stmpi_allreduce_max(maxdiff);")
                    case .l2diff:
                        blockSweep(sweeps, writer, function: "sweep_sum_sq",
                                   result: ("double", "sum_sq", "sum_sq += part;"))
                        writer.line("residual = sqrt(stmpi_allreduce_sum(sum_sq));")
                    }
                }
                writer.block("else") {
                    blockSweep(sweeps, writer, function: "sweep", result: nil)
                }
                writer.line("iterations += 1;")
                writer.line(swap)
                writer.line(swapExchange)
                writer.block("if (check && residual < tolerance)") {
                    writer.line("converged = 1;")
                    writer.line("break;")
                }
            }
        }
        writer.comment("The slowest rank's time.")
        writer.line("const double seconds = stmpi_allreduce_max(st_seconds() - start);")
    }
}
