// Errors.swift: what the driver reports to the command line. User-facing errors carry their
// whole message; the executable prints `stencilc: error: ...` and exits non-zero.

public struct DriverError: Error, Sendable, CustomStringConvertible {
    public var message: String
    /// Output of the failing tool (compiler errors, mpirun's message), shown after the message.
    public var toolOutput: String
    /// Exit status the executable should use.
    public var exitCode: Int32

    public init(_ message: String, toolOutput: String = "", exitCode: Int32 = 1) {
        self.message = message
        self.toolOutput = toolOutput
        self.exitCode = exitCode
    }

    public var description: String { message }
}

/// The .st file had errors; the rendered diagnostics are already in `rendered`.
public struct SourceErrors: Error, Sendable {
    public var rendered: String
}
