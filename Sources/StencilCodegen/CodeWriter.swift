// CodeWriter.swift: builds C text line by line with indentation, as Halide's CodeGen_C
// open_scope/close_scope does. No templates: the logic stays in plain Swift loops and ifs.

public final class CodeWriter {
    private var lines: [String] = []
    private var depth = 0
    public let indentUnit: String

    public init(indentUnit: String = "    ") {
        self.indentUnit = indentUnit
    }

    public var text: String { lines.joined(separator: "\n") + "\n" }

    public func line(_ text: String) {
        lines.append(text.isEmpty ? "" : String(repeating: indentUnit, count: depth) + text)
    }

    /// A line at column 0, for preprocessor directives such as `#pragma omp`... kept indented
    /// like code instead, which compilers accept and people read more easily.
    public func raw(_ text: String) { lines.append(text) }

    public func blank() {
        if let last = lines.last, !last.isEmpty { lines.append("") }
    }

    public func comment(_ text: String) { line("/* \(text) */") }

    /// `header {`, the body indented, `}` + trailer.
    public func block(_ header: String, trailer: String = "", _ body: () -> Void) {
        line(header.isEmpty ? "{" : header + " {")
        depth += 1
        body()
        depth -= 1
        line("}" + trailer)
    }

    public func indented(_ body: () -> Void) {
        depth += 1
        body()
        depth -= 1
    }
}
