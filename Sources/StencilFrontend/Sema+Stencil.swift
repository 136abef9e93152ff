// Sema+Stencil.swift: declarations, the update, sizes, halo and the stopping rule.

extension Sema {
    mutating func checkStencil(_ stencil: StencilDecl, schedule: Schedule,
                               targetSchedules: [Target: Schedule]) -> CheckedStencil? {
        var params: [CheckedParam] = []
        var grids: [CheckedGrid] = []
        var gridDecls: [GridDecl] = []
        var updates: [UpdateDecl] = []
        var stoppings: [(Statement, SourceRange)] = []
        var relaxes: [RelaxDecl] = []
        var orders: [OrderDecl] = []
        var lines: [Int: String] = [:]

        // Pass 1: declarations, so statements may use a name declared further down.
        for statement in stencil.statements {
            switch statement {
            case .param(let decl):
                guard declare(decl.name, as: .param(decl)) else { continue }
                if decl.value.isTooLargeForInteger {
                    diagnostics.error(.integerOverflow(decl.value.text), at: decl.value.range)
                }
                let value = decl.negative ? -decl.value.value : decl.value.value
                params.append(CheckedParam(name: decl.name.name, value: value, isInteger: decl.value.isInteger,
                                           line: decl.range.start.line))
                lines[decl.range.start.line] = file.lineText(decl.range.start.line)
            case .grid(let decl):
                guard declare(decl.name, as: .grid(decl)) else { continue }
                gridDecls.append(decl)
            case .update(let decl): updates.append(decl)
            case .until(let decl): stoppings.append((statement, decl.range))
            case .steps(let decl): stoppings.append((statement, decl.range))
            case .relax(let decl): relaxes.append(decl)
            case .order(let decl): orders.append(decl)
            case .boundary, .initial: break
            }
        }
        for decl in gridDecls {
            guard decl.extents.count <= 3 else {
                diagnostics.error(.tooManyDimensions(decl.extents.count), at: decl.extentsRange)
                continue
            }
            if let first = gridDecls.first, first.extents.count <= 3, decl.extents.count != first.extents.count {
                diagnostics.error(.dimensionMismatch(decl.name.name, decl.extents.count, other: first.name.name, first.extents.count),
                                  at: decl.extentsRange, notes: [note("grid '\(first.name.name)' declared here", at: first.range)])
                continue
            }
            let what = decl.extents.count == 1 ? ["points"] : decl.extents.count == 2 ? ["rows", "columns"] : ["planes", "rows", "columns"]
            let extents = zip(decl.extents, what).map { checkExtent($0, what: $1) }
            if extents.allSatisfy({ $0 != nil }), let type = ElementType(rawValue: decl.elementType.name) {
                grids.append(CheckedGrid(name: decl.name.name, type: type, extents: extents.map { $0! }, line: decl.range.start.line))
            }
        }
        if gridDecls.isEmpty && !incomplete {
            diagnostics.error(.missingGrid, at: stencil.name.range)
        }

        // The updates: one or several (a system, LANGUAGE.md section 5), each writing its own grid.
        guard let update = updates.first else {
            if !incomplete { diagnostics.error(.missingUpdate, at: stencil.name.range) }
            return nil
        }
        var updatedDecls: [GridDecl] = []  // in the order of the updates
        var firstUpdateOf: [String: UpdateDecl] = [:]
        for decl in updates {
            if let first = firstUpdateOf[decl.grid.name] {
                diagnostics.error(.gridUpdatedTwice(decl.grid.name), at: decl.grid.range,
                                  notes: [note("first update of '\(decl.grid.name)' is here", at: first.range)])
                continue
            }
            firstUpdateOf[decl.grid.name] = decl
            let grid = checkUpdateHeader(decl)
            if let grid { updatedDecls.append(grid) }
            if let grid, grid.extents.count <= 3, decl.indices.count != grid.extents.count {
                diagnostics.error(.wrongIndexCount(statement: "update", grid: decl.grid.name, found: decl.indices.count,
                                                   dimensions: grid.extents.count),
                                  at: indexListRange(decl.indices))
            }
            updateIndexNames.append(contentsOf: decl.indices.map(\.name))
            checkExpression(decl.value, context: .update(indices: decl.indices.map(\.name)))
            lines[decl.range.start.line] = file.lineText(decl.range.start.line)
        }
        let updatedGrid = updatedDecls.first
        let updatedNames = Set(updates.map(\.grid.name))

        // Boundaries and initial values.
        var boundaries: [CheckedBoundary] = []
        var inits: [String: (value: Expr, line: Int, indices: [String])] = [:]
        var initDecls: [String: InitDecl] = [:]
        for statement in stencil.statements {
            switch statement {
            case .boundary(let decl):
                guard let gridDecl = gridNamed(decl.grid) else { continue }
                let indices = checkIndexNames(decl.indices, grid: decl.grid, statement: "boundary")
                var seen: [BoundarySide: Identifier] = [:]
                let dimensions = gridDecl.extents.count
                for assignment in decl.assignments {
                    guard let side = BoundarySide(rawValue: assignment.side.name) else { continue }
                    guard dimensions > 3 || side.axis(dimensions: dimensions) != nil else {
                        diagnostics.error(.sideNotInGrid(side.rawValue, grid: decl.grid.name, dimensions: dimensions,
                                                         sides: BoundarySide.sides(dimensions: dimensions).map(\.rawValue)),
                                          at: assignment.side.range)
                        continue
                    }
                    if let first = seen[side] {
                        diagnostics.report(Diagnostic(.warning, id: DiagnosticMessage.boundarySideTwice(side.rawValue).id,
                                                      message: DiagnosticMessage.boundarySideTwice(side.rawValue).text,
                                                      range: assignment.side.range,
                                                      notes: [note("first set here", at: first.range)]))
                    }
                    seen[side] = assignment.side
                    if assignment.kind == .fixed {
                        checkExpression(assignment.value, context: .constant("a boundary value", indices: indices))
                    }
                    boundaries.append(CheckedBoundary(grid: decl.grid.name, side: side, value: assignment.value,
                                                      line: assignment.side.range.start.line, kind: assignment.kind,
                                                      indices: indices))
                }
                lines[decl.range.start.line] = file.lineText(decl.range.start.line)
            case .initial(let decl):
                guard gridNamed(decl.grid) != nil else { continue }
                if let first = initDecls[decl.grid.name] {
                    diagnostics.error(.duplicateStatement("init for grid '\(decl.grid.name)'"), at: decl.range,
                                      notes: [note("first init is here", at: first.range)])
                    continue
                }
                initDecls[decl.grid.name] = decl
                let indices = checkIndexNames(decl.indices, grid: decl.grid, statement: "init")
                checkExpression(decl.value, context: .constant("an init value", indices: indices))
                inits[decl.grid.name] = (decl.value, decl.range.start.line, indices)
                lines[decl.range.start.line] = file.lineText(decl.range.start.line)
            default:
                break
            }
        }

        let boundaryDecls = stencil.statements.compactMap { if case .boundary(let decl) = $0 { return decl } else { return nil } }
        checkPeriodicPairs(boundaryDecls)

        let relax = checkRelax(relaxes, update: update)
        if let relax { lines[relax.range.start.line] = file.lineText(relax.range.start.line) }

        let redBlack = checkOrder(orders, updates: updates)
        if let order = orders.first { lines[order.range.start.line] = file.lineText(order.range.start.line) }

        let stopping = checkStopping(stoppings, stencil: stencil, updated: updatedNames)
        if let stopping {
            let line: Int
            switch stopping {
            case .steps(_, let l): line = l
            case .until(_, _, _, _, let l): line = l
            }
            lines[line] = file.lineText(line)
        }

        if let updatedGrid {
            checkGridsAgree(updated: updatedGrid, grids: gridDecls, alsoUpdated: updatedNames)
            for decl in updates { checkHalo(update: decl, updated: updatedGrid, params: params) }
            checkPeriodicExtents(boundaryDecls, updates: updates, updated: updatedGrid)
        }
        checkNumberRanges(stencil, grids: gridDecls, updated: updatedGrid)
        for decl in gridDecls where !updatedNames.contains(decl.name.name) && !readGrids.contains(decl.name.name) {
            diagnostics.warning(.unusedGrid(decl.name.name), at: decl.name.range)
        }

        checkScheduleSizes(dimensions: updatedGrid?.extents.count ?? 2)
        guard !diagnostics.hasErrors, let stopping else { return nil }
        var checked = CheckedStencil(fileName: file.name, name: stencil.name.name, params: params, grids: grids,
                                     boundaries: boundaries, inits: inits, updates: updates, relax: relax?.factor, redBlack: redBlack, stopping: stopping, normGrids: normGrids(stoppings),
                                     schedule: schedule, targetSchedules: targetSchedules, sourceLines: lines)
        checked.source = file
        checked.extentsRange = updatedGrid?.extentsRange
        return checked
    }

    /// The source range from the first index name to the last.
    func indexListRange(_ indices: [Identifier]) -> SourceRange {
        let first = indices.first!.range, last = indices.last!.range
        return SourceRange(start: first.start, length: last.start.offset + last.length - first.start.offset)
    }

    /// The index names of `init u[i, j]` / `boundary u[i, j]`: one per dimension of the grid,
    /// distinct, and not a param's or grid's name. [] without brackets.
    mutating func checkIndexNames(_ indices: [Identifier]?, grid: Identifier, statement: String) -> [String] {
        guard let indices else { return [] }
        guard case .grid(let decl)? = symbols[grid.name], decl.extents.count <= 3 else { return [] }
        let dimensions = decl.extents.count
        if indices.count != dimensions {
            diagnostics.error(.wrongIndexCount(statement: statement, grid: grid.name, found: indices.count,
                                               dimensions: dimensions),
                              at: indexListRange(indices))
            return []
        }
        for (k, index) in indices.enumerated() where indices[..<k].contains(where: { $0.name == index.name }) {
            diagnostics.error(.sameIndexNames, at: index.range)
        }
        for index in indices where symbols[index.name] != nil {
            diagnostics.error(.indexShadows(index.name), at: index.range)
        }
        return indices.map(\.name)
    }

    /// Adds a declaration, reporting a duplicate with a note at the first one.
    mutating func declare(_ name: Identifier, as symbol: Symbol) -> Bool {
        if let existing = symbols[name.name] {
            let first: SourceRange
            switch existing {
            case .param(let decl): first = decl.name.range
            case .grid(let decl): first = decl.name.range
            }
            diagnostics.error(.duplicateDeclaration(name.name), at: name.range, notes: [note("first declared here", at: first)])
            return false
        }
        symbols[name.name] = symbol
        return true
    }

    /// The grid an identifier names, or nil after reporting why not.
    mutating func gridNamed(_ name: Identifier) -> GridDecl? {
        switch symbols[name.name] {
        case .grid(let decl)?: return decl
        case .param?:
            diagnostics.error(.notAGrid(name.name), at: name.range)
        case nil:
            diagnostics.error(.unknownGrid(name.name), at: name.range)
        }
        return nil
    }

    /// The integer param an identifier names, or nil after reporting why not.
    mutating func integerParam(_ name: Identifier, use: String) -> ParamDecl? {
        switch symbols[name.name] {
        case .param(let decl)?:
            if !decl.value.isInteger {
                diagnostics.error(.paramNotInteger(name.name, decl.value.text, use: use), at: name.range,
                                  notes: [note("declared here", at: decl.range)])
                return nil
            }
            return decl
        case .grid?:
            diagnostics.error(.gridSize("'\(name.name)' is a grid"), at: name.range)
        case nil:
            diagnostics.error(.unknownName(name.name), at: name.range)
        }
        return nil
    }

    mutating func checkExtent(_ expr: Expr, what: String) -> GridExtent? {
        switch expr.kind {
        case .number(let literal):
            guard literal.isInteger, let n = Int(exactly: literal.value), n > 0, n < 1 << 31 else {
                diagnostics.error(.gridSize("the \(what) are '\(literal.text)'"), at: expr.range)
                return nil
            }
            return .literal(n)
        case .name(let name):
            guard let decl = integerParam(name, use: "size a grid") else { return nil }
            if decl.negative || decl.value.value < 1 {
                diagnostics.error(.gridSize("param '\(name.name)' is not positive"), at: name.range)
                return nil
            }
            return .param(name.name)
        default:
            diagnostics.error(.gridSize("write a number or a param name"), at: expr.range)
            return nil
        }
    }

    mutating func checkUpdateHeader(_ update: UpdateDecl) -> GridDecl? {
        for (k, index) in update.indices.enumerated() where update.indices[..<k].contains(where: { $0.name == index.name }) {
            diagnostics.error(.sameIndexNames, at: index.range)
        }
        for index in update.indices where symbols[index.name] != nil {
            diagnostics.error(.indexShadows(index.name), at: index.range)
        }
        switch symbols[update.grid.name] {
        case .grid(let decl)?: return decl
        case .param?:
            diagnostics.error(.readOnlyGridUpdated(update.grid.name), at: update.grid.range)
        case nil:
            diagnostics.error(.unknownGrid(update.grid.name), at: update.grid.range)
        }
        return nil
    }

    /// Every grid read or updated together with the (first) updated one has its shape and type:
    /// one iteration sweeps them all with one loop nest, in one element type.
    mutating func checkGridsAgree(updated: GridDecl, grids: [GridDecl], alsoUpdated: Set<String>) {
        func shape(_ g: GridDecl) -> String { "[" + g.extents.map(text).joined(separator: ", ") + "]" }
        for grid in grids where grid.name.name != updated.name.name
            && (readGrids.contains(grid.name.name) || alsoUpdated.contains(grid.name.name)) {
            if shape(grid) != shape(updated) {
                diagnostics.error(.shapeMismatch(grid.name.name, shape: shape(grid), updated: updated.name.name,
                                                 updatedShape: shape(updated)), at: grid.extentsRange)
            }
            if grid.elementType.name != updated.elementType.name {
                diagnostics.error(.typeMismatch(grid.name.name, grid.elementType.name, updated: updated.name.name,
                                                updated.elementType.name), at: grid.elementType.range)
            }
        }
    }

    private func text(_ expr: Expr) -> String {
        switch expr.kind {
        case .number(let n): return n.text
        case .name(let n): return n.name
        default: return "?"
        }
    }

    /// The halo (largest offset) must leave at least one updated point in the grid at its
    /// declared (or default) size; larger run-time sizes are checked again by the runtime.
    mutating func checkHalo(update: UpdateDecl, updated: GridDecl, params: [CheckedParam]) {
        let halo = Sema.halo(of: update.value)
        guard halo > 0, let extents = declaredExtents(updated, params: params) else { return }
        if extents.contains(where: { $0 < 2 * halo + 1 }) {
            diagnostics.error(.haloTooLarge(halo: halo, grid: updated.name.name, extents: extents),
                              at: update.value.range, notes: [note("grid declared here", at: updated.range)])
        }
    }

    /// A grid's extents at their declared (or default) sizes; nil where one is not a number.
    func declaredExtents(_ grid: GridDecl, params: [CheckedParam]) -> [Int]? {
        func value(_ expr: Expr) -> Int? {
            switch expr.kind {
            case .number(let n): return Int(exactly: n.value)
            case .name(let n): return params.first { $0.name == n.name }.flatMap { Int(exactly: $0.value) }
            default: return nil
            }
        }
        let extents = grid.extents.compactMap(value)
        return extents.count == grid.extents.count ? extents : nil
    }

    /// A periodic axis copies h points from each end of its interior into the other side's halo:
    /// the interior must hold at least h points. Checked here where the extent is a literal; a
    /// param's (a run may make it larger) the runtime checks (st_check_periodic, in the same words).
    mutating func checkPeriodicExtents(_ decls: [BoundaryDecl], updates: [UpdateDecl], updated: GridDecl) {
        let halo = updates.map { Sema.halo(of: $0.value) }.max() ?? 0
        guard halo > 0 else { return }
        let literals = updated.extents.map { extent -> Int? in
            if case .number(let n) = extent.kind { return Int(exactly: n.value) } else { return nil }
        }
        let dimensions = literals.count
        var reported: Set<Int> = []
        for decl in decls {
            for assignment in decl.assignments where assignment.kind == .periodic {
                guard let side = BoundarySide(rawValue: assignment.side.name), let axis = side.axis(dimensions: dimensions),
                      let extent = literals[axis], extent - 2 * halo < halo, reported.insert(axis).inserted else { continue }
                let word = dimensions == 1 ? "points" : Array(["planes", "rows", "columns"].suffix(dimensions))[axis]
                diagnostics.error(.periodicTooSmall(grid: decl.grid.name, extent: extent, axis: word, halo: halo),
                                  at: assignment.side.range, notes: [note("grid declared here", at: updated.range)])
            }
        }
    }

    /// Largest absolute constant offset in any grid read of `expr` (0 when none).
    public static func halo(of expr: Expr) -> Int {
        switch expr.kind {
        case .number, .name: return 0
        case .read(_, let indices): return indices.map { abs(offset($0) ?? 0) }.max() ?? 0
        case .unary(_, let operand), .parenthesized(let operand): return halo(of: operand)
        case .binary(_, let left, let right): return max(halo(of: left), halo(of: right))
        case .call(_, let arguments): return arguments.map(halo(of:)).max() ?? 0
        }
    }

    /// The constant offset of an index expression `i`, `i + N`, `i - N` (nil if not of that form).
    public static func offset(_ expr: Expr) -> Int? {
        switch expr.kind {
        case .name: return 0
        case .parenthesized(let inner): return offset(inner)
        case .binary(let op, let left, let right):
            guard case .name = left.kind, case .number(let n) = right.kind, n.isInteger,
                  let k = Int(exactly: n.value), k < 1 << 20 else { return nil }
            switch op {
            case .add: return k
            case .subtract: return -k
            case .multiply, .divide: return nil
            }
        default: return nil
        }
    }

    /// At most one `relax`; its factor is a value of numbers and params (no grid reads, no
    /// index names): the same at every point and every iteration.
    mutating func checkRelax(_ relaxes: [RelaxDecl], update: UpdateDecl) -> RelaxDecl? {
        guard let first = relaxes.first else { return nil }
        for extra in relaxes.dropFirst() {
            diagnostics.error(.duplicateStatement("relax: a stencil has one relaxation factor"), at: extra.range,
                              notes: [note("first relax is here", at: first.range)])
        }
        checkExpression(first.factor, context: .relax(indices: update.indices.map(\.name)))
        return first
    }

    /// At most one `order`: jacobi or redblack. Red-black needs every read of the updated grid at
    /// the point itself or an odd number of steps away (LANGUAGE.md section 5), so that each
    /// half-sweep's points read only the other colour (and their own old value).
    /// A system (several updates) runs in Jacobi order only: red-black updates one grid in place.
    mutating func checkOrder(_ orders: [OrderDecl], updates: [UpdateDecl]) -> Bool {
        let update = updates[0]
        guard let first = orders.first else { return false }
        for extra in orders.dropFirst() {
            diagnostics.error(.duplicateStatement("order: a stencil has one order"), at: extra.range,
                              notes: [note("first order is here", at: first.range)])
        }
        switch first.order.name {
        case "jacobi": return false
        case "redblack":
            if updates.count > 1 {
                diagnostics.error(.redblackSystem(updates.count), at: first.order.range,
                                  notes: [note("second update is here", at: updates[1].range)])
                return false
            }
        default:
            diagnostics.error(.unknownOrder(first.order.name), at: first.order.range)
            return false
        }
        func walk(_ expr: Expr) {
            switch expr.kind {
            case .read(let grid, let indices):
                let offsets = indices.compactMap(Sema.offset)
                guard grid.name == update.grid.name, offsets.count == indices.count else { return }
                let sum = offsets.map(abs).reduce(0, +)
                if sum != 0 && sum % 2 == 0 {
                    let text = String(decoding: file.bytes[expr.range.start.offset..<min(file.bytes.count, expr.range.start.offset + expr.range.length)], as: UTF8.self)
                    diagnostics.error(.redblackEvenRead(text, sum), at: expr.range,
                                      notes: [note("red-black order is asked for here", at: first.range)])
                }
            case .unary(_, let operand), .parenthesized(let operand): walk(operand)
            case .binary(_, let left, let right): walk(left); walk(right)
            case .call(_, let arguments): arguments.forEach(walk)
            default: break
            }
        }
        walk(update.value)
        return true
    }

    mutating func checkStopping(_ rules: [(Statement, SourceRange)], stencil: StencilDecl,
                                updated: Set<String>) -> CheckedStopping? {
        guard let (first, firstRange) = rules.first else {
            if !incomplete { diagnostics.error(.missingStopping, at: stencil.name.range) }
            return nil
        }
        for (_, range) in rules.dropFirst() {
            diagnostics.error(.bothStoppingRules, at: range, notes: [note("first stopping rule is here", at: firstRange)])
        }
        switch first {
        case .steps(let decl):
            checkCount(decl.count, what: "the number of steps")
            return .steps(count: decl.count, line: decl.range.start.line)
        case .until(let decl):
            var listed: [String: Identifier] = [:]
            for grid in decl.grids {
                if let first = listed[grid.name] {
                    diagnostics.error(.normGridTwice(grid.name), at: grid.range, notes: [note("first listed here", at: first.range)])
                }
                listed[grid.name] = grid
                guard !updated.isEmpty, !updated.contains(grid.name) else { continue }
                if case .grid? = symbols[grid.name] {
                    diagnostics.error(.normOfOtherGrid(grid.name, updated: updated.sorted()), at: grid.range)
                } else {
                    _ = gridNamed(grid)
                }
            }
            checkTolerance(decl.epsilon)
            if let every = decl.every { checkCount(every, what: "'every'") }
            if let maximum = decl.max { checkCount(maximum, what: "'max'") }
            guard let norm = Norm(rawValue: decl.norm.name) else { return nil }
            return .until(norm: norm, epsilon: decl.epsilon, every: decl.every, max: decl.max, line: decl.range.start.line)
        default:
            return nil
        }
    }

    /// The grids `until NORM(A, B, ...)` lists, in order ([] for `steps`).
    func normGrids(_ rules: [(Statement, SourceRange)]) -> [String] {
        guard case .until(let decl)? = rules.first?.0 else { return [] }
        return decl.grids.map(\.name)
    }

    /// An iteration count: a positive integer literal or an integer param.
    mutating func checkCount(_ expr: Expr, what: String) {
        switch expr.kind {
        case .number(let n):
            guard n.isInteger, n.value >= 1 else {
                diagnostics.error(.positiveInteger(what), at: expr.range)
                return
            }
            if n.isTooLargeForInteger { diagnostics.error(.integerOverflow(n.text), at: expr.range) }
        case .name(let name):
            if let decl = integerParam(name, use: "count iterations"), decl.negative || decl.value.value < 1 {
                diagnostics.error(.positiveInteger(what), at: expr.range)
            }
        default:
            diagnostics.error(.positiveInteger(what), at: expr.range)
        }
    }

    mutating func checkTolerance(_ expr: Expr) {
        switch expr.kind {
        case .number(let n):
            if n.value <= 0 { diagnostics.error(.positiveNumber("the tolerance"), at: expr.range) }
        case .name(let name):
            switch symbols[name.name] {
            case .param(let decl)?:
                if decl.negative || decl.value.value <= 0 {
                    diagnostics.error(.positiveNumber("the tolerance"), at: expr.range)
                }
            case .grid?: diagnostics.error(.positiveNumber("the tolerance"), at: expr.range)
            case nil: diagnostics.error(.unknownName(name.name), at: name.range)
            }
        default:
            diagnostics.error(.positiveNumber("the tolerance"), at: expr.range)
        }
    }

    /// `SIDE = periodic` wraps an axis: the opposite side of the same axis must be periodic too,
    /// for the same grid (in any of its boundary blocks).
    mutating func checkPeriodicPairs(_ decls: [BoundaryDecl]) {
        var periodic: Set<String> = [] // "grid side"
        for decl in decls {
            for assignment in decl.assignments where assignment.kind == .periodic {
                periodic.insert("\(decl.grid.name) \(assignment.side.name)")
            }
        }
        for decl in decls {
            for assignment in decl.assignments where assignment.kind == .periodic {
                guard let side = BoundarySide(rawValue: assignment.side.name),
                      !periodic.contains("\(decl.grid.name) \(side.opposite.rawValue)") else { continue }
                diagnostics.error(.periodicOneSide(side.rawValue, opposite: side.opposite.rawValue), at: assignment.side.range)
            }
        }
    }
}
