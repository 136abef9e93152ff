// Lexer.swift: bytes -> tokens. Front-end stage 1.
// Hand-written over raw bytes: `#` comments, identifiers, numbers (`100`, `0.25`, `1e-4`,
// `2.5E+3`), punctuation, and newlines as statement ends. A long expression may wrap: a newline
// after an operator, '(' '[' ',' or '=' continues the statement, and so does one inside ( ) or
// [ ] when the next line starts with an operator or a closing bracket. An unclosed '(' therefore
// cannot swallow the following statements. Bad bytes become diagnostics, never traps.

public struct Lexer {
    private let file: SourceFile
    private var bytes: [UInt8] { file.bytes }
    private var position = 0
    private var line = 1
    private var lineStart = 0
    private var bracketDepth = 0
    private var lastKind: TokenKind = .newline

    public init(file: SourceFile) {
        self.file = file
    }

    /// Tokenizes the whole file; the last token is always `.endOfFile`.
    public mutating func tokenize(into diagnostics: inout DiagnosticEngine) -> [Token] {
        var tokens: [Token] = []
        // A binary file (an executable, a .npy given by mistake) would give an error per byte:
        // one error at its first NUL byte says what it is. Text never holds one.
        if let nul = bytes.firstIndex(of: 0) {
            let (line, column) = file.lineAndColumn(of: nul)
            diagnostics.error(.binaryFile, at: SourceRange(start: SourceLocation(offset: nul, line: line, column: column), length: 1))
            position = bytes.count
            return [make(.endOfFile, from: here, text: "")]
        }
        // A UTF-8 byte order mark, which some Windows editors write first, is not part of the text.
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { position = 3 }
        while true {
            let token = next(&diagnostics)
            lastKind = token.kind
            tokens.append(token)
            if token.kind == .endOfFile { return tokens }
        }
    }

    private var here: SourceLocation {
        SourceLocation(offset: position, line: line, column: position - lineStart + 1)
    }

    private func peek(_ ahead: Int = 0) -> UInt8? {
        position + ahead < bytes.count ? bytes[position + ahead] : nil
    }

    private mutating func next(_ diagnostics: inout DiagnosticEngine) -> Token {
        while let byte = peek() {
            let start = here
            switch byte {
            case UInt8(ascii: " "), UInt8(ascii: "\t"), UInt8(ascii: "\r"), 0x0c:
                position += 1
            case UInt8(ascii: "#"):
                while let c = peek(), c != UInt8(ascii: "\n") { position += 1 }
            case UInt8(ascii: "\n"):
                position += 1
                line += 1
                lineStart = position
                if !continuesStatement() { return make(.newline, from: start, text: "\n") }
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "_"):
                while let c = peek(), isIdentifierByte(c) { position += 1 }
                return make(.identifier, from: start)
            case UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "."):
                if byte == UInt8(ascii: "."), !(peek(1).map(isDigit) ?? false) {
                    position += 1
                    diagnostics.error(.unexpectedCharacter("'.'"), at: SourceRange(start: start, length: 1))
                    return make(.invalid, from: start)
                }
                return number(from: start, &diagnostics)
            default:
                if let kind = punctuation(byte) {
                    position += 1
                    switch kind {
                    case .leftParen, .leftBracket: bracketDepth += 1
                    case .rightParen, .rightBracket: bracketDepth = max(0, bracketDepth - 1)
                    // A brace always starts or ends a block: an unclosed '(' must not swallow it.
                    case .leftBrace, .rightBrace: bracketDepth = 0
                    default: break
                    }
                    return make(kind, from: start)
                }
                skipInvalid(from: start, &diagnostics)
                return make(.invalid, from: start)
            }
        }
        return Token(kind: .endOfFile, text: "", range: SourceRange(start: here, length: 1))
    }

    /// Whether the newline just passed continues the current statement (see the file comment).
    private func continuesStatement() -> Bool {
        switch lastKind {
        case .plus, .minus, .star, .slash, .leftParen, .leftBracket, .comma, .equals, .less: return true
        default: break
        }
        guard bracketDepth > 0 else { return false }
        var ahead = position
        while ahead < bytes.count {
            switch bytes[ahead] {
            case UInt8(ascii: " "), UInt8(ascii: "\t"), UInt8(ascii: "\r"), UInt8(ascii: "\n"):
                ahead += 1
            case UInt8(ascii: "#"):
                while ahead < bytes.count, bytes[ahead] != UInt8(ascii: "\n") { ahead += 1 }
            case UInt8(ascii: "+"), UInt8(ascii: "-"), UInt8(ascii: "*"), UInt8(ascii: "/"),
                 UInt8(ascii: ")"), UInt8(ascii: "]"), UInt8(ascii: ","):
                return true
            default:
                return false
            }
        }
        return false
    }

    private func make(_ kind: TokenKind, from start: SourceLocation, text: String? = nil) -> Token {
        let length = position - start.offset
        let text = text ?? String(decoding: bytes[start.offset..<position], as: UTF8.self)
        return Token(kind: kind, text: text, range: SourceRange(start: start, length: length))
    }

    /// number := digits ['.' digits*] [('e'|'E') ['+'|'-'] digits]  |  '.' digits ...
    private mutating func number(from start: SourceLocation, _ diagnostics: inout DiagnosticEngine) -> Token {
        while let c = peek(), isDigit(c) { position += 1 }
        if peek() == UInt8(ascii: ".") {
            position += 1
            while let c = peek(), isDigit(c) { position += 1 }
        }
        if let e = peek(), e == UInt8(ascii: "e") || e == UInt8(ascii: "E") {
            var ahead = 1
            if let sign = peek(1), sign == UInt8(ascii: "+") || sign == UInt8(ascii: "-") { ahead = 2 }
            if let digit = peek(ahead), isDigit(digit) {
                position += ahead
                while let c = peek(), isDigit(c) { position += 1 }
            } else {
                // "1e" or "1e+" : swallow the exponent letters so the error shows the whole thing.
                position += ahead
                let token = make(.number, from: start)
                diagnostics.error(.malformedNumber(token.text), at: token.range)
                return Token(kind: .number, text: "0", range: token.range)
            }
        }
        return make(.number, from: start)
    }

    /// Reports one unexpected character (a whole UTF-8 sequence if valid) and skips it.
    private mutating func skipInvalid(from start: SourceLocation, _ diagnostics: inout DiagnosticEngine) {
        let byte = bytes[position]
        let length = utf8SequenceLength(at: position)
        if length == 0 {
            position += 1
            diagnostics.error(.invalidByte(byte), at: SourceRange(start: start, length: 1))
            return
        }
        let text = String(decoding: bytes[position..<position + length], as: UTF8.self)
        position += length
        let shown = byte < 0x20 || byte == 0x7f ? "0x\(String(byte, radix: 16, uppercase: true))" : "'\(text)'"
        diagnostics.error(.unexpectedCharacter(shown), at: SourceRange(start: start, length: length))
    }

    /// Length of a valid UTF-8 sequence starting at `offset`, or 0 when the bytes are invalid.
    private func utf8SequenceLength(at offset: Int) -> Int {
        let lead = bytes[offset]
        let length: Int
        switch lead {
        case 0x00...0x7f: return 1
        case 0xc2...0xdf: length = 2
        case 0xe0...0xef: length = 3
        case 0xf0...0xf4: length = 4
        default: return 0
        }
        guard offset + length <= bytes.count else { return 0 }
        for k in 1..<length where bytes[offset + k] & 0xc0 != 0x80 { return 0 }
        return length
    }

    private func punctuation(_ byte: UInt8) -> TokenKind? {
        switch byte {
        case UInt8(ascii: "{"): return .leftBrace
        case UInt8(ascii: "}"): return .rightBrace
        case UInt8(ascii: "["): return .leftBracket
        case UInt8(ascii: "]"): return .rightBracket
        case UInt8(ascii: "("): return .leftParen
        case UInt8(ascii: ")"): return .rightParen
        case UInt8(ascii: ","): return .comma
        case UInt8(ascii: ":"): return .colon
        case UInt8(ascii: ";"): return .semicolon
        case UInt8(ascii: "="): return .equals
        case UInt8(ascii: "<"): return .less
        case UInt8(ascii: "+"): return .plus
        case UInt8(ascii: "-"): return .minus
        case UInt8(ascii: "*"): return .star
        case UInt8(ascii: "/"): return .slash
        default: return nil
        }
    }
}

private func isDigit(_ c: UInt8) -> Bool { c >= UInt8(ascii: "0") && c <= UInt8(ascii: "9") }

private func isIdentifierByte(_ c: UInt8) -> Bool {
    isDigit(c) || (c >= UInt8(ascii: "a") && c <= UInt8(ascii: "z"))
        || (c >= UInt8(ascii: "A") && c <= UInt8(ascii: "Z")) || c == UInt8(ascii: "_")
}
