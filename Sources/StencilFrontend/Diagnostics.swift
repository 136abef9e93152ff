// Diagnostics.swift: user-facing errors and notes, and how they are rendered.
// Every stage reports into a DiagnosticEngine; only the executable prints. The format is
// gcc's and chibicc's: `FILE:LINE:COL: error: MESSAGE [id]`, the source line, a caret.

public enum Severity: String, Sendable {
    case error, warning, note
}

/// One message at one place, with optional notes pointing elsewhere ("declared here").
public struct Diagnostic: Sendable, Equatable {
    public let severity: Severity
    public let id: String
    public let message: String
    public let range: SourceRange
    public var notes: [Diagnostic]

    public init(_ severity: Severity, id: String, message: String, range: SourceRange, notes: [Diagnostic] = []) {
        self.severity = severity
        self.id = id
        self.message = message
        self.range = range
        self.notes = notes
    }

    public var location: SourceLocation { range.start }
}

/// Collects diagnostics for one file. A cap keeps binary garbage from flooding the terminal.
public struct DiagnosticEngine: Sendable {
    public let file: SourceFile
    public private(set) var diagnostics: [Diagnostic] = []
    public static let maximumErrors = 20

    public init(file: SourceFile) { self.file = file }

    public var errorCount: Int { diagnostics.filter { $0.severity == .error }.count }
    public var hasErrors: Bool { errorCount > 0 }
    public var isFull: Bool { errorCount >= Self.maximumErrors }

    public mutating func report(_ diagnostic: Diagnostic) {
        if diagnostic.severity == .error && isFull { return }
        // Recovery can report the same message at the same place twice: keep one.
        if diagnostics.contains(where: { $0.location == diagnostic.location && $0.id == diagnostic.id }) {
            return
        }
        diagnostics.append(diagnostic)
    }

    public mutating func error(_ message: DiagnosticMessage, at range: SourceRange, notes: [Diagnostic] = []) {
        report(Diagnostic(.error, id: message.id, message: message.text, range: range, notes: notes))
    }

    public mutating func warning(_ message: DiagnosticMessage, at range: SourceRange) {
        report(Diagnostic(.warning, id: message.id, message: message.text, range: range))
    }

    public func note(_ text: String, at range: SourceRange) -> Diagnostic {
        Diagnostic(.note, id: "", message: text, range: range)
    }

    /// All diagnostics rendered as text, sorted by position, with the "too many errors" line.
    public func rendered() -> String {
        var out = ""
        let sorted = diagnostics.enumerated().sorted {
            ($0.element.location.offset, $0.offset) < ($1.element.location.offset, $1.offset)
        }
        for (_, diagnostic) in sorted {
            out += DiagnosticRenderer.render(diagnostic, in: file)
        }
        if isFull {
            out += "\(file.name): note: stopped after \(Self.maximumErrors) errors\n"
        }
        return out
    }
}

/// Renders one diagnostic: header line, source line, caret (and tildes under the token).
public enum DiagnosticRenderer {
    public static func render(_ d: Diagnostic, in file: SourceFile) -> String {
        let loc = d.location
        let suffix = d.id.isEmpty ? "" : " [\(d.id)]"
        var out = "\(file.name):\(loc.line):\(loc.column): \(d.severity.rawValue): \(d.message)\(suffix)\n"
        if loc.line >= 1 {
            // The column counts bytes (as clang's and `gcc -fdiagnostics-column-unit=byte`'s do);
            // the caret and tildes count characters, so they stand under the token in a terminal.
            let raw = file.lineBytes(loc.line)
            let before = max(0, min(loc.column - 1, raw.count))
            let prefix = Array(sanitized(String(decoding: raw.prefix(before), as: UTF8.self)))
            let tokenBytes = max(1, min(d.range.length, raw.count - before))
            let token = String(decoding: raw.dropFirst(before).prefix(tokenBytes), as: UTF8.self).count
            let rest = Array(sanitized(String(decoding: raw.dropFirst(before), as: UTF8.self)))
            // A long line (minified, or a binary file read as text) shows a window around the spot.
            let first = max(0, prefix.count - Self.shownBefore)
            let last = min(rest.count, Self.shownLine - (prefix.count - first))
            let shownPrefix = (first > 0 ? "..." : "") + String(prefix[first...])
            out += shownPrefix + String(rest[..<last]) + (last < rest.count ? "..." : "") + "\n"
            let indent = String(shownPrefix.map { $0 == "\t" ? Character("\t") : Character(" ") })
            out += indent + "^" + String(repeating: "~", count: max(0, min(token, last) - 1)) + "\n"
        }
        for note in d.notes { out += render(note, in: file) }
        return out
    }

    /// Characters of a long source line shown before the spot, and in all.
    static let shownBefore = 100
    static let shownLine = 240

    /// Control characters would garble the terminal; show them as '?'.
    private static func sanitized(_ text: String) -> String {
        // A byte order mark takes no room on the terminal: left out, so carets stay in place.
        String(text.unicodeScalars.compactMap { scalar -> Character? in
            if scalar == "\t" { return "\t" }
            if scalar.value == 0xFEFF { return nil }
            return scalar.value < 0x20 || scalar.value == 0x7f ? "?" : Character(scalar)
        })
    }
}
