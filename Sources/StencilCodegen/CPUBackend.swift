// CPUBackend.swift: the `serial` and `openmp` targets: one C file, plain loops over a row-major
// grid. The sweep is a function over a rectangle of points with `restrict` pointers and a
// contiguous inner loop (no per-point division or modulo) that the C compiler vectorizes; a
// second variant also returns the norm and runs on check iterations only. Buffers are swapped,
// never copied. With OpenMP the row loop carries the schedule's clauses.

import StencilIR

public struct CPUBackend: Backend {
    public let openMP: Bool

    public init(openMP: Bool) { self.openMP = openMP }

    public var recipe: BuildRecipe {
        BuildRecipe(compilerRole: .cc,
                    flags: BuildRecipe.optimization + (openMP ? ["-fopenmp"] : []),
                    runtimeSources: ["stencil_runtime.c"], libraries: ["-lm"])
    }

    public func emit(_ program: Program, options: EmitOptions) -> EmittedProgram {
        let writer = CodeWriter()
        let names = CNames(program)
        let host = HostCode(program: program, names: names, writer: writer)
        let sweeps = SweepWriter(program: program, names: names, writer: writer,
                                 pragma: openMP ? { OpenMPClauses.clauses(program.schedule, reduction: $0, variable: $1) } : nil)
        let target = openMP ? "openmp" : "serial"

        var notes: [String] = []
        if openMP {
            notes.append("")
            notes.append("Parallel row loop (what Cython's prange would infer):")
            for variable in program.variables {
                notes.append("  \(variable.name): \(variable.sharing.rawValue)")
            }
        }
        host.header(target: target, options: options, recipe: recipe, notes: notes)
        writer.line("#include <math.h>")
        if openMP { writer.line("#include <omp.h>") }
        writer.line("#include \"stencil_runtime.h\"")
        writer.blank()
        writer.line("enum { HALO = \(program.halo) }; /* largest offset read by the update */")
        writer.blank()
        sweeps.sweepFunctions()
        writer.blank()
        mainFunction(program, host: host, sweeps: sweeps, target: target)
        return EmittedProgram(source: writer.text, recipe: recipe)
    }

    private func mainFunction(_ program: Program, host: HostCode, sweeps: SweepWriter, target: String) {
        let writer = host.writer
        let names = host.names
        let scalar = host.scalar
        let grid = names[program.update.grid]
        let next = names.next(program.update.grid)
        writer.block("int main(int argc, char **argv)") {
            host.params()
            host.gridSize()
            host.stoppingConstants()
            writer.blank()
            writer.line("\(scalar) *\(grid) = st_alloc_grid(rows, cols, sizeof(\(scalar)));")
            writer.line("\(scalar) *\(next) = st_alloc_grid(rows, cols, sizeof(\(scalar)));")
            for other in program.readOnlyGrids {
                writer.line("\(scalar) *\(names[other.name]) = st_alloc_grid(rows, cols, sizeof(\(scalar)));")
            }
            writer.comment("Initial and boundary values in the order written, in both buffers: boundary points never change.")
            writer.line("\(scalar) *buffers[] = { \(grid), \(next) };")
            writer.block("for (int k = 0; k < 2; ++k)") {
                host.fills(of: program.update.grid, into: "buffers[k]")
            }
            for other in program.readOnlyGrids {
                host.fills(of: other.name, into: names[other.name])
            }
            writer.blank()
            iterationLoop(program, host: host, sweeps: sweeps)
            writer.blank()
            let threads = openMP ? (program.schedule.numThreads.map(String.init) ?? "omp_get_max_threads()") : "1"
            let schedule = openMP ? "\"\(OpenMPClauses.summaryText(program.schedule))\"" : "\"\""
            host.summary(target: target, threads: threads, schedule: schedule)
            writer.line("if (options.output_path) st_write_npy(options.output_path, \(grid), rows, cols, cols, sizeof(\(scalar)));")
            writer.line("st_print_summary(&summary, &options);")
            let all = [grid, next] + program.readOnlyGrids.map { names[$0.name] }
            writer.line(all.map { "st_free_grid(\($0));" }.joined(separator: " "))
            writer.line("return 0;")
        }
    }

    private func iterationLoop(_ program: Program, host: HostCode, sweeps: SweepWriter) {
        let writer = host.writer
        let names = host.names
        let grid = names[program.update.grid]
        let next = names.next(program.update.grid)
        let swap = "\(host.scalar) *swap = \(grid); \(grid) = \(next); \(next) = swap; /* the new iterate becomes current */"
        let arguments = sweeps.callArguments(rowBegin: "HALO", rowEnd: "rows - HALO", colBegin: "HALO", colEnd: "cols - HALO")
        switch program.stopping {
        case .steps:
            writer.line("long iterations = 0;")
            writer.line("const double start = st_seconds();")
            writer.block("for (; iterations < steps; ++iterations)") {
                writer.line("sweep(\(arguments));")
                writer.line(swap)
            }
            writer.line("const double seconds = st_seconds() - start;")
        case .until(let norm, _, _, _, _):
            writer.line("long iterations = 0;")
            writer.line("int converged = 0;")
            writer.line("double residual = NAN;")
            writer.line("const double start = st_seconds();")
            writer.block("while (iterations < max_iterations)") {
                writer.comment("Only every `every`-th sweep computes the norm: the others skip that work.")
                writer.line("const int check = (iterations + 1) % every == 0;")
                writer.block("if (check)") {
                    writer.line("residual = sweep_\(norm.rawValue)(\(arguments));")
                }
                writer.block("else") {
                    writer.line("sweep(\(arguments));")
                }
                writer.line("iterations += 1;")
                writer.line(swap)
                writer.block("if (check && residual < tolerance)") {
                    writer.line("converged = 1;")
                    writer.line("break;")
                }
            }
            writer.line("const double seconds = st_seconds() - start;")
        }
    }
}
