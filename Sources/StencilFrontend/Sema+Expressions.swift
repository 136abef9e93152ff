// Sema+Expressions.swift: name resolution and shape rules inside expressions.

extension Sema {
    enum ExpressionContext {
        /// The update's right-hand side: grids may be read at offsets of its indices (one per
        /// dimension, first dimension first).
        case update(indices: [String])
        /// A value fixed before the iterations (boundary, init): params, numbers, and the index
        /// names of `init u[i, j]` / `boundary u[i, j]` (`indices`, empty without brackets).
        case constant(String, indices: [String] = [])
        /// The `relax` factor: params and numbers; the update's index names are named as such.
        case relax(indices: [String])
    }

    mutating func checkExpression(_ expr: Expr, context: ExpressionContext) {
        switch expr.kind {
        case .number:
            break
        case .name(let name):
            switch symbols[name.name] {
            case .param?: break
            case .grid?:
                if case .relax = context {
                    diagnostics.error(.relaxReadsGrid(name.name), at: name.range)
                } else {
                    diagnostics.error(.gridWithoutIndex(name.name), at: name.range)
                }
            case nil:
                if case .relax(let indices) = context, indices.contains(name.name) {
                    diagnostics.error(.relaxUsesIndex(name.name), at: name.range)
                } else if case .update(let indices) = context, indices.contains(name.name) {
                    break  // the point's index along that dimension, a value of the grid's type
                } else if case .constant(_, let indices) = context, indices.contains(name.name) {
                    break  // init u[i, j] / boundary u[i, j]: the index of the point being set
                } else if case .constant(let what, let indices) = context, indices.isEmpty,
                          updateIndexNames.contains(name.name) {
                    diagnostics.error(.unboundIndex(name.name, in: what), at: name.range)
                } else {
                    diagnostics.error(.unknownName(name.name), at: name.range)
                }
            }
        case .read(let grid, let readIndices):
            guard case .update(let indices) = context else {
                if case .constant(let what, _) = context { diagnostics.error(.gridReadNotAllowed(what), at: expr.range) }
                if case .relax = context { diagnostics.error(.relaxReadsGrid(grid.name), at: expr.range) }
                return
            }
            guard gridNamed(grid) != nil else { return }
            readGrids.insert(grid.name)
            guard readIndices.count == indices.count else {
                diagnostics.error(.wrongReadIndexCount(grid.name, found: readIndices.count, dimensions: indices.count),
                                  at: expr.range)
                return
            }
            for (position, index) in readIndices.enumerated() {
                checkIndex(index, expected: indices[position], others: indices,
                           axis: Sema.axisName(position, dimensions: indices.count))
            }
        case .unary(_, let operand), .parenthesized(let operand):
            checkExpression(operand, context: context)
        case .binary(_, let left, let right):
            checkExpression(left, context: context)
            checkExpression(right, context: context)
        case .call(let name, let arguments):
            if let function = BuiltinFunction(rawValue: name.name) {
                if arguments.count != function.arity {
                    diagnostics.error(.wrongArgumentCount(name.name, expected: function.arity, got: arguments.count),
                                      at: name.range)
                }
            } else {
                diagnostics.error(.unknownFunction(name.name), at: name.range)
            }
            for argument in arguments { checkExpression(argument, context: context) }
        }
    }

    /// The name of a dimension in messages: counted from the last, as the sides are.
    static func axisName(_ position: Int, dimensions: Int) -> String {
        ["column", "row", "plane"][min(2, dimensions - 1 - position)]
    }

    /// An index must be the axis's own index name plus or minus an integer constant.
    private mutating func checkIndex(_ expr: Expr, expected: String, others: [String], axis: String) {
        guard Sema.offset(expr) != nil, let name = Sema.indexName(expr) else {
            diagnostics.error(.nonConstantOffset(expected), at: expr.range)
            return
        }
        if name != expected {
            if others.contains(name) {
                diagnostics.error(.wrongIndex(expected: expected, found: name, axis: axis), at: expr.range)
            } else {
                diagnostics.error(.nonConstantOffset(expected), at: expr.range)
            }
        }
    }

    /// The index name in `i`, `(i)`, `i + N`, `i - N`.
    static func indexName(_ expr: Expr) -> String? {
        switch expr.kind {
        case .name(let name): return name.name
        case .parenthesized(let inner): return indexName(inner)
        case .binary(_, let left, _):
            if case .name(let name) = left.kind { return name.name }
            return nil
        default: return nil
        }
    }
}

// MARK: Numbers the element type cannot hold

extension Sema {
    /// A literal must be a finite double (params, tolerances) and, where it is arithmetic in a
    /// grid's type (the update, init and boundary values), neither overflow that type to Inf nor
    /// underflow a non-zero value to 0: the C compiler would reject or warn about it, and the
    /// run would hold Inf from the start.
    mutating func checkNumberRanges(_ stencil: StencilDecl, grids: [GridDecl], updated: GridDecl?) {
        func type(of grid: String) -> ElementType? {
            grids.first { $0.name.name == grid }.flatMap { ElementType(rawValue: $0.elementType.name) }
        }
        for statement in stencil.statements {
            switch statement {
            case .param(let decl):
                checkLiteral(decl.value, type: .float64)
            case .update(let decl):
                if let t = type(of: decl.grid.name) { checkLiterals(in: decl.value, type: t) }
            case .initial(let decl):
                if let t = type(of: decl.grid.name) { checkLiterals(in: decl.value, type: t) }
            case .boundary(let decl):
                if let t = type(of: decl.grid.name) {
                    for assignment in decl.assignments { checkLiterals(in: assignment.value, type: t) }
                }
            case .until(let decl):
                checkLiterals(in: decl.epsilon, type: .float64)
            case .relax(let decl):
                if let t = updated.flatMap({ ElementType(rawValue: $0.elementType.name) }) {
                    checkLiterals(in: decl.factor, type: t)
                }
            case .grid, .steps, .order:
                break
            }
        }
    }

    private mutating func checkLiterals(in expr: Expr, type: ElementType) {
        switch expr.kind {
        case .number(let literal): checkLiteral(literal, type: type)
        case .name: break
        case .read(_, let indices):
            for index in indices { checkLiterals(in: index, type: .float64) }
        case .unary(_, let operand), .parenthesized(let operand): checkLiterals(in: operand, type: type)
        case .binary(_, let left, let right):
            checkLiterals(in: left, type: type)
            checkLiterals(in: right, type: type)
        case .call(_, let arguments):
            for argument in arguments { checkLiterals(in: argument, type: type) }
        }
    }

    private mutating func checkLiteral(_ literal: NumberLiteral, type: ElementType) {
        let value = literal.value
        // Non-zero as written: a digit 1-9 before the exponent.
        let nonZero = literal.text.prefix { $0 != "e" && $0 != "E" }.contains { "123456789".contains($0) }
        let problem: String?
        switch type {
        case .float64:
            problem = !value.isFinite ? "it is beyond the largest float64 (about 1.8e308)"
                : value == 0 && nonZero ? "it is below the smallest float64 (about 4.9e-324) and would be 0" : nil
        case .float32:
            let single = Float(literal.text) ?? Float(value)
            problem = !single.isFinite ? "it is beyond the largest float32 (about 3.4e38)"
                : single == 0 && nonZero ? "it is below the smallest float32 (about 1.4e-45) and would be 0" : nil
        }
        if let problem {
            diagnostics.error(.numberOutOfRange(literal.text, type.rawValue, problem), at: literal.range)
        }
    }
}
