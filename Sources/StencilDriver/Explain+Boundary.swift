// Explain+Boundary.swift: what `stencilc explain` says about neumann and periodic sides: what
// each boundary statement does, and that they run again after every sweep (PlanBoundary).

import StencilIR

extension Explain {
    /// Nothing for a stencil whose sides are all fixed (its text stays as it was).
    static func boundaryText(_ program: Program) -> String {
        let plan = program.boundaryEachSweep
        guard !plan.isEmpty else { return "" }
        let h = program.halo
        let when = program.redBlack ? "half-sweep (red, then black)" : "sweep"
        let whose = program.isSystem ? " (each on its grid's new iterate)" : ""
        var out = "  boundary: after every \(when) these statements\(whose) run again, in the order written, each reading what\n"
        out += "  the ones before it left (so at corners the later one wins):\n"
        for fill in plan.statements {
            let side = fill.side!
            // The axis as BlocksPlan names it (a 1-D grid's are points); the extent as the emitted C
            // names it, or for a 1-D grid (whose C calls it cols) as the grid's shape does.
            let axis = BlocksPlan.axisWord(side.axis(dimensions: program.dimensions)!, dimensions: program.dimensions)
            let extent = program.dimensions == 1 ? "\(program.updatedGrid.extents[0])" : ["cols", "rows", "planes"][side.axisFromLast]
            let strip = side.isFirst ? "\(axis)s 0..\(h - 1)" : "\(axis)s \(extent)-\(h)..\(extent)-1"
            let what: String
            switch fill.kind {
            case .fixed: what = "set to \(fill.expression)"
            case .neumann: what = "copy \(axis) \(side.isFirst ? "\(h)" : "\(extent)-\(h + 1)") (zero gradient)"
            case .periodic: what = "copy the \(axis) \(side.isFirst ? "+" : "-")(\(extent)-\(2 * h)) away (the interior wraps around)"
            }
            let grid = program.isSystem ? "\(fill.grid)'s " : ""
            out += "    \(program.sourceName):\(fill.line) \(grid)\(side.rawValue) = \(fill.expression): \(strip) \(what)\n"
        }
        switch program.schedule.target {
        case .serial, .openmp:
            let who = program.schedule.target == .openmp
                ? "the team runs them between sweeps, each neumann/periodic one split by rows, the fixed ones by one thread"
                : "they run between sweeps"
            out += "  (\(who); temporal blocking is off: \(program.loops.temporalReason))\n"
            if !plan.inSweep.isEmpty {
                let fused = plan.inSweep.map { "\($0.side!.rawValue) = \($0.expression)" }.joined(separator: ", ")
                out += "  (\(fused): in the sweep, after each row it computes, while the row is in cache; after the sweep\n"
                out += "   only on the rows it does not compute: the same bits, as they read only that row's interior)\n"
            } else if plan.statements.contains(where: { $0.side == .left || $0.side == .right }) {
                out += "  (left/right statements after the sweep: \(plan.inSweepReason))\n"
            }
        case .opencl:
            out += "  (one small kernel launch per statement, in order, after each sweep's kernel)\n"
        case .mpi, .hybrid:
            let periodic = program.periodicAxes.sorted().map { BlocksPlan.axisWord($0, dimensions: program.dimensions) + "s" }
            if program.distribution?.layout == .slabs {
                out += "  (3-D slabs: the sides within the planes, each rank applies to every plane it holds, no message;\n   front/back lie across the slabs)\n"
            }
            out += "  (each rank sets the points it owns; neumann copies within the rank that owns the side"
            out += periodic.isEmpty ? ")\n"
                : ";\n   periodic along the \(periodic.joined(separator: " and ")): a periodic Cartesian topology, each statement one message from the ranks\n   owning the far side's interior to those owning its strip, in its place in the order)\n"
        }
        return out
    }
}
