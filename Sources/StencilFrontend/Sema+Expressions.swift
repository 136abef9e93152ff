// Sema+Expressions.swift: name resolution and shape rules inside expressions.

extension Sema {
    enum ExpressionContext {
        /// The update's right-hand side: grids may be read at offsets of the two indices.
        case update(row: String, col: String)
        /// A value fixed before the iterations (boundary, init): params and numbers only.
        case constant(String)
    }

    mutating func checkExpression(_ expr: Expr, context: ExpressionContext) {
        switch expr.kind {
        case .number:
            break
        case .name(let name):
            switch symbols[name.name] {
            case .param?: break
            case .grid?: diagnostics.error(.gridWithoutIndex(name.name), at: name.range)
            case nil:
                if case .update(let row, let col) = context, name.name == row || name.name == col {
                    diagnostics.error(.indexOutsideRead(name.name), at: name.range)
                } else {
                    diagnostics.error(.unknownName(name.name), at: name.range)
                }
            }
        case .read(let grid, let row, let col):
            guard case .update(let rowIndex, let colIndex) = context else {
                if case .constant(let what) = context { diagnostics.error(.gridReadNotAllowed(what), at: expr.range) }
                return
            }
            guard gridNamed(grid) != nil else { return }
            readGrids.insert(grid.name)
            checkIndex(row, expected: rowIndex, other: colIndex, axis: "row")
            checkIndex(col, expected: colIndex, other: rowIndex, axis: "column")
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

    /// An index must be the axis's own index name plus or minus an integer constant.
    private mutating func checkIndex(_ expr: Expr, expected: String, other: String, axis: String) {
        guard Sema.offset(expr) != nil, let name = Sema.indexName(expr) else {
            diagnostics.error(.nonConstantOffset(expected), at: expr.range)
            return
        }
        if name != expected {
            if name == other {
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
