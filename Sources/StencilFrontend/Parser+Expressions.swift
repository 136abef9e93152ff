// Parser+Expressions.swift: expression rules. Usual precedence, left associativity, and a
// depth limit so deeply nested (or absurdly long) input is an error rather than a stack overflow.

extension Parser {
    /// expression := term { ('+' | '-') term }
    mutating func parseExpression(depth: Int = 0) throws -> Expr {
        var left = try parseTerm(depth: depth)
        while check(.plus) || check(.minus) {
            let op: BinaryOperator = advance().kind == .plus ? .add : .subtract
            let right = try parseTerm(depth: depth)
            left = try binary(op, left, right)
        }
        return left
    }

    /// term := unary { ('*' | '/') unary }
    mutating func parseTerm(depth: Int) throws -> Expr {
        var left = try parseUnary(depth: depth)
        while check(.star) || check(.slash) {
            let op: BinaryOperator = advance().kind == .star ? .multiply : .divide
            let right = try parseUnary(depth: depth)
            left = try binary(op, left, right)
        }
        return left
    }

    /// unary := '-' unary | primary
    mutating func parseUnary(depth: Int) throws -> Expr {
        try checkDepth(depth)
        if check(.minus) {
            let minus = advance()
            let operand = try parseUnary(depth: depth + 1)
            return Expr(.unary(.negate, operand), range: range(from: minus.range))
        }
        return try parsePrimary(depth: depth)
    }

    /// primary := NUMBER | NAME | NAME '[' expression ',' expression ']'
    ///          | NAME '(' [ expression { ',' expression } ] ')' | '(' expression ')'
    mutating func parsePrimary(depth: Int) throws -> Expr {
        let token = current
        switch token.kind {
        case .number:
            advance()
            return Expr(.number(numberLiteral(token)), range: token.range)
        case .identifier:
            advance()
            let name = Identifier(name: token.text, range: token.range)
            if match(.leftBracket) {
                var indices = [try parseExpression(depth: depth + 1)]
                while match(.comma) { indices.append(try parseExpression(depth: depth + 1)) }
                try expect(.rightBracket, "']'")
                return Expr(.read(grid: name, indices: indices), range: range(from: token.range))
            }
            if match(.leftParen) {
                var arguments: [Expr] = []
                if !check(.rightParen) {
                    repeat {
                        arguments.append(try parseExpression(depth: depth + 1))
                    } while match(.comma)
                }
                try expect(.rightParen, "')'")
                return Expr(.call(name, arguments), range: range(from: token.range))
            }
            return Expr(.name(name), range: token.range)
        case .leftParen:
            advance()
            let inner = try parseExpression(depth: depth + 1)
            try expect(.rightParen, "')'")
            return Expr(.parenthesized(inner), range: range(from: token.range))
        default:
            throw fail(.expected("an expression", found: token.quoted))
        }
    }

    func numberLiteral(_ token: Token) -> NumberLiteral {
        NumberLiteral(text: token.text, value: Double(token.text) ?? 0, range: token.range)
    }

    /// `depth` counts nested rules, so pathological nesting stops before the stack does.
    private mutating func checkDepth(_ depth: Int) throws {
        if depth > Parser.maximumDepth { throw fail(.nestingTooDeep) }
    }

    /// Builds `left op right`, refusing trees deeper than the limit (a long `a+b+c+...` chain is
    /// as deep as it is long, and every later pass walks it recursively).
    private mutating func binary(_ op: BinaryOperator, _ left: Expr, _ right: Expr) throws -> Expr {
        let node = Expr(.binary(op, left, right),
                        range: SourceRange(start: left.range.start,
                                           length: right.range.start.offset + right.range.length - left.range.start.offset))
        if node.height > Parser.tallestExpression { throw fail(.expressionTooLong, at: right.range) }
        return node
    }
}
