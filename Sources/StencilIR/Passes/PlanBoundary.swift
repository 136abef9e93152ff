// PlanBoundary.swift: Program -> Program with `boundaryEachSweep` set: which boundary statements
// of the updated grid (a system: of each updated grid, into its new iterate) run again after
// every sweep (every half-sweep in red-black order).
//
// LANGUAGE.md: with a neumann or periodic side, all boundary statements are applied again, in the
// order written, after every interior update. The list here starts at the first neumann/periodic
// statement: repeating the fixed ones before it changes no bit. A point such a statement F sets
// keeps F's value unless a later statement S covers it; F's value could then matter only if a
// copying statement R between them read the point. R reads only indices h..extent-h-1 along its
// own axis, so F and S lie on the other axis (the same side), and R's target, which differs from
// the point only along R's axis, is in S's strip too: S overwrites it. And that target, in a strip
// of each axis (a corner), is read by no copying statement. Read-only grids' statements run once:
// their interior never changes, and the ordered statements applied twice give what they gave once.

public struct BoundaryPlan: Hashable, Sendable {
    /// The statements applied after every sweep, in the order written (empty: none).
    public var statements: [Fill]
    /// Why, in words, for `explain` and `--print-ir-after-all`.
    public var reason: String

    public var isEmpty: Bool { statements.isEmpty }
}

extension Program {
    /// The axes (0 rows, 1 columns) where some grid has a periodic side (mpi: periodic in the
    /// Cartesian topology).
    public var periodicAxes: Set<Int> { Set(fills.filter { $0.kind == .periodic }.compactMap { $0.side?.axis(dimensions: dimensions) }) }
    /// The axes where some grid has a neumann or periodic side (mpi: blocks 2h deep along them).
    public var copyingAxes: Set<Int> { Set(fills.filter(\.copies).compactMap { $0.side?.axis(dimensions: dimensions) }) }
}

public func planBoundary(_ program: Program) -> Program {
    var result = program
    // Every updated grid's own list (a system: each grid with a neumann/periodic side, in the
    // order of the updates); the statements of one grid read and write that grid only.
    var again: [Fill] = []
    var skipped = 0
    for update in program.updates {
        let sides = program.fills.filter { $0.grid == update.grid && $0.side != nil }
        guard let first = sides.firstIndex(where: \.copies) else { continue }
        again += sides[first...]
        skipped += first
    }
    guard !again.isEmpty else {
        result.boundaryEachSweep = BoundaryPlan(statements: [], reason: "every side is fixed: boundary points never change")
        return result
    }
    let skippedText = skipped == 0 ? "" : "; the \(skipped) fixed statement\(skipped == 1 ? "" : "s") before \(program.isSystem ? "their grid's" : "the") first neumann/periodic one keep their values and are not repeated"
    let whose = program.isSystem ? " of every updated grid with such a side, to its new iterate," : ""
    result.boundaryEachSweep = BoundaryPlan(
        statements: again,
        reason: "a neumann or periodic side: after every \(program.redBlack ? "half-sweep" : "sweep") the boundary statements\(whose) are applied again in the order written" + skippedText)
    return result
}
