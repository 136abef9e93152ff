// PassPipeline.swift: the whole lowering in one readable list.
//   CheckedStencil -> Lowering.lower -> Program
//   Program -> relaxUpdate -> computeHalo -> planBoundary -> classifyVariables -> planLoops -> planDistribution -> Program (what every backend prints)
// The order matters: relaxation rewrites the update before anything reads it, the sharing classification names the norm and grids the halo pass left,
// and the loop plan needs the halo (an update that reads no neighbours is never blocked) and the boundary plan (a boundary
// that changes every sweep rules out temporal blocking).

import StencilFrontend

public struct PassPipeline {
    public typealias Pass = (name: String, run: @Sendable (Program) -> Program)

    /// The passes, in order. Each is a pure function Program -> Program.
    public static let passes: [Pass] = [
        ("relax-update", relaxUpdate),          // relax OMEGA -> OLD + OMEGA * (EXPR - OLD)
        ("compute-halo", computeHalo),          // offsets -> halo width
        ("plan-boundary", planBoundary),        // neumann/periodic sides -> the statements re-applied every sweep
        ("classify-variables", classifyVariables), // prange-style private/shared/reduction
        ("plan-loops", planLoops),              // vector strategy, worksharing, tiles, temporal kinds
        ("plan-distribution", planDistribution), // mpi/hybrid: slabs or blocks, which halo parts travel
    ]

    /// Lowers a checked stencil for one target. `observe` sees the IR after each pass
    /// (`--print-ir-after-all`).
    public static func run(_ checked: CheckedStencil, target: Target? = nil, overrides: Schedule = Schedule(),
                           observe: ((String, Program) -> Void)? = nil) -> Program {
        var program = Lowering.lower(checked, target: target, overrides: overrides)
        observe?("lowering", program)
        for pass in passes {
            program = pass.run(program)
            observe?(pass.name, program)
        }
        return program
    }
}
