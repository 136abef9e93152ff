// Parser+Statements.swift: the stencil block's statements and the schedule blocks.
// Keywords are contextual: a statement is recognised by its first word.

extension Parser {
    /// stencil := 'stencil' NAME '{' { statement } '}'
    mutating func parseStencil() throws -> StencilDecl {
        let keyword = advance()
        let name = try expectIdentifier("a stencil name")
        var statements: [Statement] = []
        try parseBlock { parser in
            if let statement = try parser.parseStatement() { statements.append(statement) }
        }
        return StencilDecl(name: name, statements: statements, range: range(from: keyword.range))
    }

    /// statement := param | grid | boundary | init | update | until | steps | relax | order
    mutating func parseStatement() throws -> Statement? {
        guard check(.identifier) else {
            throw fail(.expectedStatement(current.quoted, in: "a stencil (param, grid, boundary, init, update, until, steps, relax, order)"))
        }
        let statement: Statement
        switch current.text {
        case "param": statement = .param(try parseParam())
        case "grid": statement = .grid(try parseGrid())
        case "boundary": statement = .boundary(try parseBoundary())
            return statement  // ends with its own '}'
        case "init": statement = .initial(try parseInit())
        case "update": statement = .update(try parseUpdate())
        case "until": statement = .until(try parseUntil())
        case "steps": statement = .steps(try parseSteps())
        case "relax": statement = .relax(try parseRelax())
        case "order": statement = .order(try parseOrder())
        default:
            throw fail(.expectedStatement(current.quoted, in: "a stencil (param, grid, boundary, init, update, until, steps, relax, order)"))
        }
        try expectStatementEnd()
        return statement
    }

    /// param := 'param' NAME '=' ['-'] NUMBER
    mutating func parseParam() throws -> ParamDecl {
        let keyword = advance()
        let name = try expectIdentifier("a param name")
        try expect(.equals, "'='")
        let negative = match(.minus)
        let number = try expect(.number, "a number")
        return ParamDecl(name: name, value: numberLiteral(number), negative: negative, range: range(from: keyword.range))
    }

    /// grid := 'grid' NAME ':' TYPE '[' expression {',' expression} ']'   (Sema: 1 to 3 extents)
    mutating func parseGrid() throws -> GridDecl {
        let keyword = advance()
        let name = try expectIdentifier("a grid name")
        try expect(.colon, "':' and an element type")
        let type = try expectIdentifier("an element type (float32 or float64)")
        if type.name != "float32" && type.name != "float64" {
            throw fail(.unknownType(type.name), at: type.range)
        }
        let open = try expect(.leftBracket, "'[' and the grid's size")
        var extents = [try parseExpression()]
        while match(.comma) { extents.append(try parseExpression()) }
        try expect(.rightBracket, "']'")
        return GridDecl(name: name, elementType: type, extents: extents, extentsRange: range(from: open.range),
                        range: range(from: keyword.range))
    }

    /// boundary := 'boundary' NAME ['[' INDEX {',' INDEX} ']'] '{' { SIDE '=' (expression | 'neumann' | 'periodic') } '}'
    mutating func parseBoundary() throws -> BoundaryDecl {
        let keyword = advance()
        let grid = try expectIdentifier("a grid name")
        let indices = try parseIndexNames()
        var assignments: [BoundaryAssignment] = []
        try parseBlock { parser in
            let side = try parser.expectIdentifier("a boundary side (top, bottom, left, right, front, back)")
            guard BoundarySide(rawValue: side.name) != nil else {
                throw parser.fail(.unknownSide(side.name), at: side.range)
            }
            try parser.expect(.equals, "'='")
            let value = try parser.parseExpression()
            try parser.expectStatementEnd()
            // `neumann` and `periodic` alone are boundary kinds, not names (a param cannot take them).
            var kind = BoundaryKind.fixed
            if case .name(let word) = value.kind, let named = BoundaryKind(rawValue: word.name), named != .fixed {
                kind = named
            }
            assignments.append(BoundaryAssignment(side: side, value: value, kind: kind))
        }
        var decl = BoundaryDecl(grid: grid, assignments: assignments, range: range(from: keyword.range))
        decl.indices = indices
        return decl
    }

    /// init := 'init' NAME ['[' INDEX {',' INDEX} ']'] '=' expression
    mutating func parseInit() throws -> InitDecl {
        let keyword = advance()
        let grid = try expectIdentifier("a grid name")
        let indices = try parseIndexNames()
        try expect(.equals, "'='")
        let value = try parseExpression()
        var decl = InitDecl(grid: grid, value: value, range: range(from: keyword.range))
        decl.indices = indices
        return decl
    }

    /// `[i, j]` after an init's or boundary's grid name: the index names (any number; Sema
    /// checks the count against the grid's dimensions). nil when there is no '['.
    mutating func parseIndexNames() throws -> [Identifier]? {
        guard match(.leftBracket) else { return nil }
        var names = [try expectIdentifier("an index name")]
        while match(.comma) { names.append(try expectIdentifier("an index name")) }
        try expect(.rightBracket, "']'")
        return names
    }

    /// update := 'update' NAME '[' INDEX {',' INDEX} ']' '=' expression   (Sema: one per dimension)
    mutating func parseUpdate() throws -> UpdateDecl {
        let keyword = advance()
        let grid = try expectIdentifier("the grid to update")
        try expect(.leftBracket, "'[' and the index names, as in u[i, j]")
        var indices = [try expectIdentifier("an index name")]
        while match(.comma) { indices.append(try expectIdentifier("an index name")) }
        try expect(.rightBracket, "']'")
        try expect(.equals, "'='")
        let value = try parseExpression()
        return UpdateDecl(grid: grid, indices: indices, value: value, range: range(from: keyword.range))
    }

    /// until := 'until' NORM '(' NAME {',' NAME} ')' '<' expression ['every' expression] ['max' expression]
    mutating func parseUntil() throws -> UntilDecl {
        let keyword = advance()
        let norm = try expectIdentifier("a norm (maxdiff or l2diff)")
        guard norm.name == "maxdiff" || norm.name == "l2diff" else {
            throw fail(.unknownNorm(norm.name), at: norm.range)
        }
        try expect(.leftParen, "'('")
        var grids = [try expectIdentifier("a grid name")]
        while check(.comma) {
            advance()
            grids.append(try expectIdentifier("a grid name"))
        }
        try expect(.rightParen, "')'")
        try expect(.less, "'<'")
        let epsilon = try parseExpression()
        var every: Expr?
        var maximum: Expr?
        while check(.identifier) {
            if current.text == "every", every == nil {
                advance()
                every = try parseExpression()
            } else if current.text == "max", maximum == nil {
                advance()
                maximum = try parseExpression()
            } else {
                throw fail(.expected("'every', 'max' or end of line", found: current.quoted))
            }
        }
        return UntilDecl(norm: norm, grids: grids, epsilon: epsilon, every: every, max: maximum, range: range(from: keyword.range))
    }

    /// steps := 'steps' expression
    mutating func parseSteps() throws -> StepsDecl {
        let keyword = advance()
        let count = try parseExpression()
        return StepsDecl(count: count, range: range(from: keyword.range))
    }

    /// relax := 'relax' expression
    mutating func parseRelax() throws -> RelaxDecl {
        let keyword = advance()
        let factor = try parseExpression()
        return RelaxDecl(factor: factor, range: range(from: keyword.range))
    }

    /// order := 'order' ('jacobi' | 'redblack')
    mutating func parseOrder() throws -> OrderDecl {
        let keyword = advance()
        let order = try expectIdentifier("an order (jacobi or redblack)")
        return OrderDecl(order: order, range: range(from: keyword.range))
    }

    // MARK: Schedule

    /// schedule-block := 'schedule' [TARGET] '{' { KEY VALUE } '}'
    mutating func parseScheduleBlock() throws -> ScheduleBlock {
        let keyword = advance()
        var target: Identifier?
        if check(.identifier) { target = try expectIdentifier("a target") }
        var lines: [ScheduleLine] = []
        try parseBlock { parser in
            lines.append(try parser.parseScheduleLine())
        }
        return ScheduleBlock(target: target, lines: lines, range: range(from: keyword.range))
    }

    /// schedule-line := KEY ( WORD | NUMBER ( 'x' NUMBER )* )
    mutating func parseScheduleLine() throws -> ScheduleLine {
        let key = try expectIdentifier("a schedule line (target, schedule, chunksize, num_threads, tile, workgroup, ranks, decompose)")
        let value: ScheduleValue
        switch current.kind {
        case .identifier:
            value = .word(try expectIdentifier("a value"))
        case .number:
            var sizes = [numberLiteral(advance())]
            while true {
                if checkKeyword("x") {
                    advance()
                    sizes.append(numberLiteral(try expect(.number, "a number after 'x'")))
                } else if check(.identifier), let glued = Self.gluedSizes(current) {
                    // "16x16" lexes as 16 and x16, "8x16x64" as 8 and x16x64.
                    advance()
                    sizes += glued
                } else {
                    break
                }
            }
            value = sizes.count == 1 ? .number(sizes[0]) : .sizes(sizes)
        default:
            throw fail(.expected("a value", found: current.quoted))
        }
        try expectStatementEnd()
        return ScheduleLine(key: key, value: value, range: range(from: key.range))
    }

    /// The sizes in an identifier such as `x16` or `x16x64` (what follows the first number of
    /// `8x16x64`), each with its own range; nil when it is not one.
    static func gluedSizes(_ token: Token) -> [NumberLiteral]? {
        let text = token.text
        guard text.hasPrefix("x"), text.count > 1 else { return nil }
        var sizes: [NumberLiteral] = []
        var offset = 1
        for part in text.dropFirst().split(separator: "x", omittingEmptySubsequences: false) {
            guard !part.isEmpty, part.allSatisfy(\.isNumber) else { return nil }
            let start = SourceLocation(offset: token.range.start.offset + offset, line: token.range.start.line,
                                       column: token.range.start.column + offset)
            sizes.append(NumberLiteral(text: String(part), value: Double(part) ?? 0,
                                       range: SourceRange(start: start, length: part.count)))
            offset += part.count + 1
        }
        return sizes
    }
}
