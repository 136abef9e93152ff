// Source.swift: a source file held as bytes, and locations into it.
// Front-end stage 0: everything downstream (tokens, AST nodes, diagnostics) points back here.
// Bytes, not String, so non-UTF-8 input is read as it is and reported, never a crash.

/// A .st file: its display name and raw bytes, with the start offset of every line.
public struct SourceFile: Sendable {
    public let name: String
    public let bytes: [UInt8]
    private let lineStarts: [Int]

    public init(name: String, bytes: [UInt8]) {
        self.name = name
        // A carriage return not followed by a line feed (classic Mac OS line ends) ends a line as
        // one would: it becomes a line feed, byte for byte, so offsets and columns stay the same.
        // A CR before an LF (Windows) stays, and the lexer skips it as space.
        var bytes = bytes
        for offset in bytes.indices where bytes[offset] == UInt8(ascii: "\r")
            && (offset + 1 == bytes.count || bytes[offset + 1] != UInt8(ascii: "\n")) {
            bytes[offset] = UInt8(ascii: "\n")
        }
        self.bytes = bytes
        var starts = [0]
        for (offset, byte) in bytes.enumerated() where byte == UInt8(ascii: "\n") {
            starts.append(offset + 1)
        }
        self.lineStarts = starts
    }

    public init(name: String, text: String) {
        self.init(name: name, bytes: Array(text.utf8))
    }

    /// The 1-based line and column of a byte offset (columns count bytes, as gcc's do).
    public func lineAndColumn(of offset: Int) -> (line: Int, column: Int) {
        var low = 0, high = lineStarts.count - 1
        while low < high {
            let middle = (low + high + 1) / 2
            if lineStarts[middle] <= offset { low = middle } else { high = middle - 1 }
        }
        return (low + 1, offset - lineStarts[low] + 1)
    }

    /// The raw bytes of a 1-based line, without its newline (or carriage return).
    public func lineBytes(_ line: Int) -> ArraySlice<UInt8> {
        guard line >= 1, line <= lineStarts.count else { return [] }
        let start = lineStarts[line - 1]
        var end = line < lineStarts.count ? lineStarts[line] - 1 : bytes.count
        if end > start, bytes[end - 1] == UInt8(ascii: "\r") { end -= 1 }
        return bytes[start..<max(start, end)]
    }

    /// The text of a 1-based line, invalid UTF-8 shown as U+FFFD.
    public func lineText(_ line: Int) -> String {
        String(decoding: lineBytes(line), as: UTF8.self)
    }
}

/// A position in a source file: byte offset plus the derived line and column.
public struct SourceLocation: Hashable, Sendable, CustomStringConvertible {
    public let offset: Int
    public let line: Int
    public let column: Int

    public init(offset: Int, line: Int, column: Int) {
        self.offset = offset
        self.line = line
        self.column = column
    }

    public static let unknown = SourceLocation(offset: 0, line: 0, column: 0)

    public var description: String { "\(line):\(column)" }
}

/// A half-open byte range with its start location, for carets that underline a whole token.
public struct SourceRange: Hashable, Sendable {
    public let start: SourceLocation
    public let length: Int

    public init(start: SourceLocation, length: Int) {
        self.start = start
        self.length = max(1, length)
    }
}
