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
    /// The left/right statements (a subset of `statements`) the sweep itself applies to each
    /// row it computes, right after the row's column loop, in the order written; after the sweep
    /// they run on the ring rows only (st_copy_side_ring). Empty: none fused.
    public var inSweep: [Fill] = []
    /// Why they are (or are not) fused, in words.
    public var inSweepReason: String = ""

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
    (result.boundaryEachSweep.inSweep, result.boundaryEachSweep.inSweepReason) = sidesInSweep(program, again)
    return result
}

// Left/right statements in the sweep. For the rows the sweep computes (2-D: rows [h, rows-h);
// 3-D: planes [h, planes-h) x rows [h, rows-h)) only left/right statements touch them, and a
// copying one reads only interior points of the same row (neumann: column h or cols-h-1;
// periodic: cols-2h in or back), which the sweep has just written and no other statement
// changes. So right after a row's column loop they give the bits they give after the sweep, and
// the row's side lines are written while they are still in L1 (after a sweep of a big grid they
// are not: 4-12% of a sweep). Top/bottom/front/back statements read rows the sweep computes,
// corners included, only after the sweep, when the fused statements have run on them as before;
// the fused ones then run on the ring rows alone, in their place in the order, so every point
// sees the statements in the order written. Refused where it is not that simple: a fixed
// left/right statement in the list (it would have to move into the row too, in its place),
// red-black (half-sweeps every other column), a `tile` (the column loop is split), 1-D (no
// rows), a system, and the targets whose sweeps are not SweepWriter's whole-row loops.
func sidesInSweep(_ program: Program, _ statements: [Fill]) -> ([Fill], String) {
    let across = statements.filter { $0.side == .left || $0.side == .right }
    guard !across.isEmpty else { return ([], "no left/right statement to apply in the sweep") }
    let target = program.schedule.target
    let refusal: String? =
        target != .serial && target != .openmp ? "left/right statements run after the sweep: only serial and openmp sweeps apply them row by row"
        : program.dimensions == 1 ? "a 1-D grid's left/right sides are single points: nothing to apply row by row"
        : program.isSystem ? "a system: left/right statements run after the sweep (not fused into systems' sweeps)"
        : program.redBlack ? "order redblack: a half-sweep writes every other column of a row, so left/right statements run after it"
        : program.schedule.tile != nil ? "a tile splits the column loop, so left/right statements run after the sweep"
        : across.contains { !$0.copies } ? "a fixed left/right statement among them: they all run after the sweep, in the order written"
        : nil
    if let refusal { return ([], refusal) }
    return (across, "each row's left/right statements run right after the sweep computes it, while its lines are in cache (the same bits: they read only that row's interior); after the sweep, only on the rows it does not compute")
}
