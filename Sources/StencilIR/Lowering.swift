// Lowering.swift: CheckedStencil (front end) -> Program (IR), for one target.
// Sema has already checked everything, so this only translates: names become params or grid
// reads with integer offsets, parentheses disappear (the tree keeps the evaluation order), and
// the schedule layers are merged: general block, then the target's block, then the flags.

import StencilFrontend

public enum Lowering {
    /// - Parameters:
    ///   - target: the --target flag, if given (else the schedule's `target`, else openmp).
    ///   - overrides: schedule lines given on the command line.
    public static func lower(_ checked: CheckedStencil, target: Target? = nil,
                             overrides: Schedule = Schedule()) -> Program {
        let chosen = target ?? overrides.target ?? checked.schedule.target ?? .openmp
        let merged = checked.schedule
            .overridden(by: checked.targetSchedules[chosen] ?? Schedule())
            .overridden(by: overrides)
        let schedule = ResolvedSchedule(
            target: chosen, kind: merged.kind ?? .static, chunksize: merged.chunksize,
            numThreads: merged.numThreads, tile: merged.tile, workgroup: merged.workgroup,
            ranks: merged.ranks ?? 2, decompose: merged.decompose ?? .rows, temporal: merged.temporal ?? .auto)

        let updated = Set(checked.updates.map(\.grid.name))
        let grids = checked.grids.map { grid in
            Grid(name: grid.name, type: grid.type, extents: grid.extents.map(extent),
                 isUpdated: updated.contains(grid.name), line: grid.line)
        }
        let params = checked.params.map {
            Param(name: $0.name, isInteger: $0.isInteger, defaultValue: $0.value, line: $0.line)
        }

        // init first (it covers the whole grid), then the boundary lines in the order written.
        var fills: [Fill] = []
        for grid in checked.grids {
            let initial = checked.inits[grid.name]
            fills.append(Fill(grid: grid.name, side: nil,
                              value: initial.map { lower($0.value, indices: $0.indices) } ?? .constant(0, text: "0"),
                              line: initial?.line ?? 0, indices: initial?.indices ?? []))
        }
        for boundary in checked.boundaries {
            // neumann and periodic have no value: the word itself is no expression of the IR.
            let value = boundary.kind == .fixed ? lower(boundary.value, indices: boundary.indices) : .constant(0, text: "0")
            fills.append(Fill(grid: boundary.grid, side: boundary.side, value: value, line: boundary.line,
                              indices: boundary.indices, kind: boundary.kind))
        }

        let stopping: Stopping
        switch checked.stopping {
        case .steps(let count, let line):
            stopping = .steps(count: lower(count), line: line)
        case .until(let norm, let epsilon, let every, let maximum, let line):
            stopping = .until(norm: norm, epsilon: lower(epsilon),
                              every: every.map { lower($0) } ?? .constant(1, text: "1"),
                              maxIterations: maximum.map { lower($0) } ?? .constant(1_000_000, text: "1000000"),
                              line: line)
        }

        return Program(
            sourceName: displayName(checked.fileName), name: checked.name, params: params, grids: grids,
            fills: fills,
            updates: checked.updates.map { update in
                Update(grid: update.grid.name, indices: update.indices.map(\.name),
                       value: lower(update.value, indices: update.indices.map(\.name)),
                       line: update.range.start.line)
            },
            stopping: stopping, normGrids: checked.normGrids, schedule: schedule, relax: checked.relax.map { lower($0) },
            redBlack: checked.redBlack)
    }

    static func extent(_ extent: GridExtent) -> Extent {
        switch extent {
        case .literal(let n): return .fixed(n)
        case .param(let name): return .param(name)
        }
    }

    /// AST expression -> IR expression. Index expressions become offsets.
    /// `indices`: the index names in scope (first dimension first); such a name is the point's index.
    static func lower(_ expr: Expr, indices: [String] = []) -> IRExpr {
        func lower(_ expr: Expr) -> IRExpr { Lowering.lower(expr, indices: indices) }
        switch expr.kind {
        case .number(let literal): return .constant(literal.value, text: literal.text)
        case .name(let name):
            if let dimension = indices.firstIndex(of: name.name) { return .index(dimension) }
            return .param(name.name)
        case .read(let grid, let indices):
            return .read(grid: grid.name, offsets: indices.map { Sema.offset($0) ?? 0 })
        case .unary(.negate, let operand): return .negate(lower(operand))
        case .binary(let op, let left, let right): return .binary(op, lower(left), lower(right))
        case .call(let name, let arguments):
            return .call(BuiltinFunction(rawValue: name.name) ?? .abs, arguments.map(lower))
        case .parenthesized(let inner): return lower(inner)
        }
    }

    static func baseName(_ path: String) -> String {
        path.split(separator: "/").last.map(String.init) ?? path
    }

    /// The file's base name as every backend prints it inside C comments (and `explain` on a
    /// terminal): a file name may hold a newline or other control characters.
    public static func displayName(_ path: String) -> String { commentSafe(baseName(path)) }

    /// Text that cannot end or garble a C block comment: `*/` and `/*` are split and control
    /// characters (line breaks included) become '?'.
    public static func commentSafe(_ text: String) -> String {
        var out = ""
        for scalar in text.unicodeScalars {
            if scalar.value < 0x20 || scalar.value == 0x7f {
                out += "?"
            } else if (scalar == "/" && out.hasSuffix("*")) || (scalar == "*" && out.hasSuffix("/")) {
                out += " " + String(scalar)
            } else {
                out.unicodeScalars.append(scalar)
            }
        }
        return out
    }
}
