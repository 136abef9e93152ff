// Job.swift: an external command planned as a value (swift-driver's Job): tests inspect plans
// without running anything, `--print-commands` prints them shell-quoted, and every tool runs with
// an argument array, never through a shell string.

import StencilCodegen

public struct Job: Sendable, Equatable, CustomStringConvertible {
    public enum Kind: String, Sendable {
        case compileRuntime = "compile runtime"
        case compileProgram = "compile"
        case run = "run"
    }

    public var kind: Kind
    public var executable: String
    public var arguments: [String]
    /// Variables added to the environment.
    public var environment: [String: String]
    /// A directory the tool creates for itself while it runs (Open MPI's session files), removed
    /// with what is in it once the job ends.
    public var scratchDirectory: String?

    public init(kind: Kind, executable: String, arguments: [String], environment: [String: String] = [:],
                scratchDirectory: String? = nil) {
        self.kind = kind
        self.executable = executable
        self.arguments = arguments
        self.environment = environment
        self.scratchDirectory = scratchDirectory
    }

    /// The command as a POSIX shell would need it typed.
    public var description: String {
        let env = environment.keys.sorted().map { "\($0)=\(shellQuote(environment[$0]!))" }
        return (env + ([executable] + arguments).map(shellQuote)).joined(separator: " ")
    }
}
