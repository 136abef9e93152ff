// Token.swift: what the lexer produces. Keywords are contextual (plain identifiers), so a grid
// may be called `init` or `max` without the lexer caring; the parser decides by position.

public enum TokenKind: Equatable, Sendable {
    case identifier
    case number
    case newline        // ends a statement, as ';' does
    case semicolon
    case leftBrace, rightBrace, leftBracket, rightBracket, leftParen, rightParen
    case comma, colon, equals, less
    case plus, minus, star, slash
    /// Bytes the lexer could not read (already reported): the parser skips the statement silently.
    case invalid
    case endOfFile
}

public struct Token: Sendable, Equatable {
    public let kind: TokenKind
    public let text: String
    public let range: SourceRange

    public var location: SourceLocation { range.start }

    /// How the token reads in a message: 'text' in quotes, or a description for layout tokens.
    public var quoted: String {
        switch kind {
        case .newline: return "end of line"
        case .endOfFile: return "end of file"
        default: return "'\(text)'"
        }
    }
}
