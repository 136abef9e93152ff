// Parser.swift: tokens -> AST. Front-end stage 2. Recursive descent, one function per grammar
// rule (statements in Parser+Statements.swift, expressions in Parser+Expressions.swift).
// On an error it reports, skips to the next statement boundary and goes on (Crafting
// Interpreters' `synchronize`), so one run shows several errors.

/// Thrown inside a statement to unwind to the statement loop, which resynchronizes.
struct ParseAbort: Error {}

public struct Parser {
    /// Deepest expression nesting accepted; deeper input is an error, never a stack overflow.
    public static let maximumDepth = 256
    /// Tallest expression tree accepted: a flat `a + b + c + ...` is as tall as it is long (left
    /// associativity), and every later pass walks the tree recursively. Wide generated stencils
    /// (a 25 x 25 box is 625 reads) stay inside it. A debug build's Sema takes about 3.4 KB of
    /// stack per level (it overflowed the main thread's 8 MiB at 2364), so not much more.
    public static let tallestExpression = 1024

    var tokens: [Token]
    var index = 0
    var diagnostics: DiagnosticEngine
    /// Some statement failed to parse: "missing update" and the like may be its consequence.
    var hadErrors = false

    public init(file: SourceFile) {
        var engine = DiagnosticEngine(file: file)
        var lexer = Lexer(file: file)
        self.tokens = lexer.tokenize(into: &engine)
        self.diagnostics = engine
    }

    /// Parses a whole file. The diagnostics include the lexer's.
    public static func parse(_ file: SourceFile) -> (SourceProgram, DiagnosticEngine) {
        var parser = Parser(file: file)
        var program = parser.parseProgram()
        program.isIncomplete = parser.hadErrors || parser.diagnostics.hasErrors
        return (program, parser.diagnostics)
    }

    // MARK: Token cursor

    var current: Token { tokens[index] }

    func peek(_ ahead: Int = 1) -> Token {
        tokens[min(index + ahead, tokens.count - 1)]
    }

    @discardableResult
    mutating func advance() -> Token {
        let token = tokens[index]
        if token.kind != .endOfFile { index += 1 }
        return token
    }

    func check(_ kind: TokenKind) -> Bool { current.kind == kind }

    func checkKeyword(_ word: String) -> Bool {
        current.kind == .identifier && current.text == word
    }

    mutating func match(_ kind: TokenKind) -> Bool {
        guard check(kind) else { return false }
        advance()
        return true
    }

    /// Consumes a token of `kind` or reports "expected WHAT, found X" and aborts the statement.
    @discardableResult
    mutating func expect(_ kind: TokenKind, _ what: String) throws -> Token {
        guard check(kind) else { throw fail(.expected(what, found: current.quoted)) }
        return advance()
    }

    mutating func expectIdentifier(_ what: String) throws -> Identifier {
        let token = try expect(.identifier, what)
        return Identifier(name: token.text, range: token.range)
    }

    /// Reports at the current token and returns the abort to throw.
    mutating func fail(_ message: DiagnosticMessage, at range: SourceRange? = nil) -> ParseAbort {
        hadErrors = true
        // The lexer already reported an unreadable character: one error for it is enough.
        if range == nil && current.kind == .invalid { return ParseAbort() }
        diagnostics.error(message, at: range ?? current.range)
        return ParseAbort()
    }

    mutating func skipNewlines() {
        while check(.newline) || check(.semicolon) { advance() }
    }

    /// After a statement: a newline, ';', or the '}' closing the block (left for the caller).
    mutating func expectStatementEnd() throws {
        if check(.newline) || check(.semicolon) { advance(); return }
        if check(.rightBrace) || check(.endOfFile) { return }
        throw fail(.expected("end of line or ';'", found: current.quoted))
    }

    /// Skips to the start of the next statement: past a newline or ';', or up to (not past) the
    /// '}' that closes the current block. Nested blocks are skipped whole.
    mutating func synchronize() {
        var depth = 0
        while !check(.endOfFile) {
            switch current.kind {
            case .leftBrace:
                depth += 1
            case .rightBrace:
                if depth == 0 { return }
                depth -= 1
            case .newline, .semicolon:
                if depth == 0 { advance(); return }
            default:
                break
            }
            advance()
        }
    }

    // MARK: Program

    /// program := { stencil-block | schedule-block }
    mutating func parseProgram() -> SourceProgram {
        var stencils: [StencilDecl] = []
        var schedules: [ScheduleBlock] = []
        while true {
            skipNewlines()
            if check(.endOfFile) || diagnostics.isFull { break }
            do {
                if checkKeyword("stencil") {
                    stencils.append(try parseStencil())
                } else if checkKeyword("schedule") {
                    schedules.append(try parseScheduleBlock())
                } else {
                    throw fail(.expectedStencil)
                }
            } catch {
                synchronize()
                // A stray '}' at top level would stop synchronize forever: step over it.
                if check(.rightBrace) { advance() }
            }
        }
        return SourceProgram(stencils: stencils, schedules: schedules)
    }

    /// Parses `{ item* }` where each item is parsed by `item`; errors inside resynchronize
    /// within the block. Returns the closing brace's range end.
    mutating func parseBlock(_ item: (inout Parser) throws -> Void) throws {
        skipNewlinesOnly()
        try expect(.leftBrace, "'{'")
        while true {
            skipNewlines()
            if check(.rightBrace) { advance(); return }
            if check(.endOfFile) { throw fail(.expected("'}'", found: current.quoted)) }
            if diagnostics.isFull { throw ParseAbort() }
            do {
                try item(&self)
            } catch {
                synchronize()
            }
        }
    }

    mutating func skipNewlinesOnly() {
        while check(.newline) { advance() }
    }

    func range(from start: SourceRange) -> SourceRange {
        let previous = tokens[max(0, index - 1)]
        let end = previous.range.start.offset + previous.range.length
        return SourceRange(start: start.start, length: max(1, end - start.start.offset))
    }
}
