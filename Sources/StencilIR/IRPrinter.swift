// IRPrinter.swift: the IR as text, for `stencilc explain`, `--print-ir-after-all` and tests.
// Expressions print in the DSL's own syntax with the fewest parentheses that keep the tree
// (no reassociation: `a + (b + c)` keeps its parentheses).

public enum IRPrinter {
    /// Binding strength: sums 1, products 2, negation 3, atoms 4.
    public static func precedence(_ expr: IRExpr) -> Int {
        switch expr {
        case .binary(let op, _, _): return op == .add || op == .subtract ? 1 : 2
        case .negate: return 3
        case .constant, .param, .read, .call, .index: return 4
        }
    }

    /// Whether an operand needs parentheses under its parent, for any C-like syntax.
    public static func needsParentheses(_ child: IRExpr, under parent: IRExpr, isRight: Bool) -> Bool {
        let parentPrecedence = precedence(parent)
        let childPrecedence = precedence(child)
        if case .negate = parent {
            // `-(-x)`, never `--x` (a decrement in C).
            if case .negate = child { return true }
            return childPrecedence < 3
        }
        return isRight ? childPrecedence <= parentPrecedence : childPrecedence < parentPrecedence
    }

    /// The index names a DSL expression uses when none are given: `[j]`, `[i, j]`, `[k, i, j]`.
    public static func defaultIndices(_ dimensions: Int) -> [String] {
        Array(["k", "i", "j"].suffix(dimensions))
    }

    /// DSL spelling of an expression, with `indices` as the index names (first dimension first;
    /// [] : i, j).
    public static func expression(_ expr: IRExpr, indices given: [String] = []) -> String {
        let indices = given.isEmpty ? ["i", "j"] : given
        func name(_ dimension: Int) -> String {
            dimension < indices.count ? indices[dimension] : "d\(dimension)"
        }
        func sub(_ child: IRExpr, _ parent: IRExpr, right: Bool) -> String {
            let text = expression(child, indices: indices)
            return needsParentheses(child, under: parent, isRight: right) ? "(\(text))" : text
        }
        switch expr {
        case .constant(_, let text): return text
        case .param(let name): return name
        case .index(let dimension): return name(dimension)
        case .read(let grid, let offsets):
            return "\(grid)[" + offsets.enumerated().map { offset(name($0.offset), $0.element) }.joined(separator: ", ") + "]"
        case .negate(let operand): return "-" + sub(operand, expr, right: true)
        case .binary(let op, let left, let right):
            return "\(sub(left, expr, right: false)) \(op.rawValue) \(sub(right, expr, right: true))"
        case .call(let function, let arguments):
            return "\(function.rawValue)(\(arguments.map { expression($0, indices: indices) }.joined(separator: ", ")))"
        }
    }

    static func offset(_ index: String, _ delta: Int) -> String {
        delta == 0 ? index : delta > 0 ? "\(index)+\(delta)" : "\(index)-\(-delta)"
    }

    /// The update statement as DSL text: `update u[i, j] = ...`.
    public static func update(_ update: Update) -> String {
        "update \(update.grid)[\(update.indices.joined(separator: ", "))] = "
            + expression(update.value, indices: update.indices)
    }

    public static func fill(_ fill: Fill) -> String {
        if let side = fill.side { return "boundary \(fill.grid)\(fill.indexList) \(side.rawValue) = \(fill.expression)" }
        return "init \(fill.grid)\(fill.indexList) = \(fill.expression)"
    }

    public static func stopping(_ stopping: Stopping, grid: String) -> String {
        switch stopping {
        case .steps(let count, _): return "steps \(expression(count))"
        case .until(let norm, let epsilon, let every, let maximum, _):
            return "until \(norm.rawValue)(\(grid)) < \(expression(epsilon)) every \(expression(every)) max \(expression(maximum))"
        }
    }

    /// The whole program, one fact per line.
    public static func program(_ p: Program) -> String {
        var out = "program \(p.name) (from \(p.sourceName))\n"
        for param in p.params {
            out += "  param \(param.name): \(param.isInteger ? "integer" : "real") = \(format(param.defaultValue))\n"
        }
        for grid in p.grids {
            out += "  grid \(grid.name): \(grid.type.rawValue)[\(grid.extents.map(\.description).joined(separator: ", "))]"
                + (grid.isUpdated ? " updated (buffers \(grid.name), \(grid.name)_next, swapped)" : " read-only") + "\n"
        }
        for each in p.fills { out += "  \(fill(each))\n" }
        for each in p.updates { out += "  \(update(each))\n" }
        if p.isSystem { out += "  system of \(p.updates.count) updates  -- one iteration applies them all, each reading the previous iterate of every grid\n" }
        if let relax = p.relax {
            out += "  relax \(expression(relax))" + (p.isRelaxed ? "" : "  -- the literal 1: the update is unchanged") + "\n"
        }
        if p.redBlack { out += "  order redblack  -- red points (row + col even), then black ones, in place\n" }
        out += "  halo \(p.halo)\n"
        if !p.boundaryEachSweep.isEmpty {
            let sides = p.boundaryEachSweep.statements.map { (p.isSystem ? "\($0.grid) " : "") + "\($0.side!.rawValue) = \($0.expression)" }.joined(separator: "; ")
            out += "  boundary each sweep: \(sides)  -- \(p.boundaryEachSweep.reason)\n"
            let fused = p.boundaryEachSweep.inSweep.map { "\($0.side!.rawValue) = \($0.expression)" }.joined(separator: "; ")
            out += "  sides in the sweep: \(fused.isEmpty ? "none" : fused)  -- \(p.boundaryEachSweep.inSweepReason)\n"
        }
        out += "  stop \(stopping(p.stopping, grid: p.normGrids.isEmpty ? p.update.grid : p.normGrids.joined(separator: ", ")))\n"
        let s = p.schedule
        var schedule = "  schedule target \(s.target.rawValue), \(s.kind.rawValue)"
        if let chunk = s.chunksize { schedule += ", chunksize \(chunk)" }
        if let threads = s.numThreads { schedule += ", num_threads \(threads)" }
        if let tile = s.tile { schedule += ", tile \(sizes(tile))" }
        if let workgroup = s.workgroup { schedule += ", workgroup \(sizes(workgroup))" }
        if s.target == .mpi || s.target == .hybrid { schedule += ", ranks \(s.ranks), decompose \(s.decompose.rawValue)" }
        out += schedule + "\n"
        if let d = p.distribution {
            out += "  distribute \(d.layout.rawValue), halo exchange \(d.exchangesDiagonals ? "faces, edges and corners" : "faces")  -- \(d.reason)\n"
        }
        for variable in p.variables {
            out += "  var \(variable.name): \(variable.sharing.rawValue)  -- \(variable.why)\n"
        }
        out += loopPlan(p.loops)
        return out
    }

    /// One size per dimension as the schedule writes them: `8 x 16 x 64`.
    public static func sizes(_ sizes: [Int]) -> String { sizes.map(String.init).joined(separator: " x ") }

    /// The loop plan, one decision per line.
    public static func loopPlan(_ l: LoopPlan) -> String {
        var out = "  loops vector \(l.vectorization.rawValue)  -- \(l.vectorizationReason)\n"
        out += "  loops rows " + (l.worksharing.map { "omp for \($0)" } ?? "one thread") + "\n"
        if l.colourHalfSweeps {
            out += "  loops colours red, black  -- in place, columns of one colour: stride 2\n"
            out += "  loops colour-plan \(l.colourPlan.rawValue)  -- \(l.colourPlanReason)\n"
        }
        if let tile = l.tile { out += "  loops tile \(sizes(tile))\n" }
        out += "  loops temporal " + (l.temporalKinds.isEmpty ? "none" : l.temporalKinds.map(\.rawValue).joined(separator: ", "))
            + "  -- \(l.temporalReason)\n"
        if l.alignsFirstUpdatedColumn { out += "  loops align HALO  -- \(l.alignmentReason)\n" }
        if let check = l.check {
            out += "  loops check \(check.function): \(check.variable) \(check.sharing.rawValue)\(check.inDouble ? " in double" : "")\n"
        }
        return out
    }

    public static func format(_ value: Double) -> String {
        if value == value.rounded(), abs(value) < 1e15 { return String(Int(value)) }
        return String(value)
    }
}
