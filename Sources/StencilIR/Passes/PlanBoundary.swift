// PlanBoundary.swift: Program -> Program with `boundaryEachSweep` set: which boundary statements
// of the updated grid run again after every sweep (every half-sweep in red-black order).
//
// LANGUAGE.md: with a neumann or periodic side, all boundary statements are applied again, in the
// order written, after every interior update. Statements before the first neumann/periodic one
// are fixed values, and re-applying them changes no bit: their points are either left alone by
// every later statement (so they still hold the value), or overwritten by a later statement on the
// same axis (a corner or a side set twice), and no statement ever reads such a point: a neumann or
// periodic statement reads only points at indices h .. extent-h-1 along its own axis, which lie in
// no strip of that axis, and its targets sit in the strip of any later statement on the other axis
// that covers what it read. So the re-applied list starts at the first copying statement.

public struct BoundaryPlan: Hashable, Sendable {
    /// The statements applied after every sweep, in the order written (empty: none).
    public var statements: [Fill]
    /// Why, in words, for `explain` and `--print-ir-after-all`.
    public var reason: String

    public var isEmpty: Bool { statements.isEmpty }
    /// The axes (0 rows, 1 columns) with periodic sides.
    public var periodicAxes: Set<Int> { Set(statements.filter { $0.kind == .periodic }.compactMap { $0.side?.axis }) }
    /// The axes with a neumann or periodic side.
    public var copyingAxes: Set<Int> { Set(statements.filter(\.copies).compactMap { $0.side?.axis }) }
}

public func planBoundary(_ program: Program) -> Program {
    var result = program
    let sides = program.fills.filter { $0.grid == program.update.grid && $0.side != nil }
    guard let first = sides.firstIndex(where: \.copies) else {
        result.boundaryEachSweep = BoundaryPlan(statements: [], reason: "every side is fixed: boundary points never change")
        return result
    }
    let again = Array(sides[first...])
    let skipped = first == 0 ? "" : "; the \(first) fixed statement\(first == 1 ? "" : "s") before the first neumann/periodic one keep their values and are not repeated"
    result.boundaryEachSweep = BoundaryPlan(
        statements: again,
        reason: "a neumann or periodic side: after every \(program.redBlack ? "half-sweep" : "sweep") the boundary statements are applied again in the order written" + skipped)
    return result
}
