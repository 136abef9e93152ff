// Backend.swift: what a backend is, what it produces, and how its output is built.
// Backends only print: every decision (halo, sharing, schedule) is already in the IR.

import StencilIR

/// One emitted file besides the main C file (an OpenCL kernel `.cl`, say), by suffix.
public struct EmittedFile: Sendable, Equatable {
    public var suffix: String
    public var contents: String

    public init(suffix: String, contents: String) {
        self.suffix = suffix
        self.contents = contents
    }
}

public struct EmittedProgram: Sendable {
    /// The C file that holds `main`.
    public var source: String
    /// Files written beside it in emit mode (for reading; the build needs only `source`).
    public var extras: [EmittedFile]
    /// How to compile it.
    public var recipe: BuildRecipe

    public init(source: String, extras: [EmittedFile] = [], recipe: BuildRecipe) {
        self.source = source
        self.extras = extras
        self.recipe = recipe
    }
}

public struct EmitOptions: Sendable {
    /// The emitted file's name without `.c`: the head comment's build command uses it.
    public var stem: String
    /// C compiler flags added after the recipe's (`--cflags`, `$STENCILC_CFLAGS`): a later
    /// `-march=` overrides the recipe's `-march=native`.
    public var cflags: [String]

    public init(stem: String, cflags: [String] = []) {
        self.stem = stem
        self.cflags = cflags
    }
}

public protocol Backend {
    func emit(_ program: Program, options: EmitOptions) -> EmittedProgram
}

/// How an emitted program is compiled: by hand (the head comment) and by the launcher.
public struct BuildRecipe: Sendable, Equatable {
    /// "cc" for plain C, "mpicc" for the MPI targets: the driver maps it to a real tool.
    public var compilerRole: CompilerRole
    /// Flags for the C compiler (both the program and the runtime files).
    public var flags: [String]
    /// Runtime files (in runtime/) compiled and linked with the program.
    public var runtimeSources: [String]
    /// Libraries, last on the link line.
    public var libraries: [String]

    public enum CompilerRole: String, Sendable {
        case cc, mpicc
    }

    public init(compilerRole: CompilerRole, flags: [String], runtimeSources: [String], libraries: [String]) {
        self.compilerRole = compilerRole
        self.flags = flags
        self.runtimeSources = runtimeSources
        self.libraries = libraries
    }

    /// -ffp-contract=off keeps a*b+c from becoming an FMA in some loops and not others, so every
    /// target and compiler rounds the same way (results bitwise identical across targets).
    public static let optimization = ["-std=c11", "-O3", "-march=native", "-ffp-contract=off", noMathErrno, loopAlignment]

    /// C's math functions may set errno, and a loop that calls `sqrtf` must then keep the call (and
    /// a branch around it) for every point: gcc and clang leave it scalar, and an update with
    /// `sqrt` ran at an eighth of the vectorised loop's speed. Without errno the compilers use the
    /// machine's square root instruction, which IEEE 754 rounds exactly as the library does, so no
    /// bit changes; exp, sin and cos keep their library calls either way (README: Vector code).
    public static let noMathErrno = "-fno-math-errno"

    /// Every loop starts a 64-byte line. A row loop is 40-60 bytes of machine code, and where it
    /// starts is an accident of everything emitted before it: where it straddled a 64-byte line,
    /// the core fetched two windows of code per iteration, and the same Jacobi ran 10-20% slower
    /// at x86-64-v2 than a build whose loop happened to fit in one (docs/performance.md). gcc and
    /// clang both take the flag; a loop entered once per row pays its few padding bytes per row.
    public static let loopAlignment = "-falign-loops=64"

    /// The recipe with `cflags` after its own flags (so they win where they conflict).
    public func adding(cflags: [String]) -> BuildRecipe {
        var recipe = self
        recipe.flags += cflags
        return recipe
    }

    /// The commands a person types to build `stem.c` from a checkout (runtime/ relative): the
    /// flags in a shell variable, then the runtime's objects, then the program linked with them.
    /// Short lines rather than one long one, each of which can be pasted into a shell as it stands.
    /// The file it emits is `stem.c`, whatever its name (`-o "my prog.c"`): quoted as a shell needs.
    public func handCommands(stem: String, compiler: String? = nil) -> [String] {
        let tool = compiler ?? (compilerRole == .cc ? "gcc" : "mpicc")
        let objects = runtimeSources.map { ($0.hasSuffix(".c") ? String($0.dropLast(2)) : $0) + ".o" }
        // Inside double quotes a flag's own ", $, ` and \ are escaped; `$flags` unquoted then gives
        // back each flag as stencilc passed it (--cflags splits on white space, so none has any).
        let quoted = (flags + ["-I", "runtime"]).map { flag in
            flag.reduce(into: "") { text, character in
                if "\"$`\\".contains(character) { text.append("\\") }
                text.append(character)
            }
        }
        return ["flags=\"" + quoted.joined(separator: " ") + "\"",
                ([tool, "$flags", "-c"] + runtimeSources.map { "runtime/\($0)" }).joined(separator: " "),
                ([tool, "$flags", shellPath("\(stem).c")] + objects + libraries + ["-o", shellPath(stem)]).joined(separator: " ")]
    }
}

/// Why a program runs whole sweeps only, as st_whole_sweeps_plan's reason: the loop plan's, less
/// its leading "whole sweeps: " (the summary prints "whole sweeps (default: REASON)").
func wholeSweepsReason(_ program: Program) -> String {
    let reason = program.loops.temporalReason
    return reason.hasPrefix("whole sweeps: ") ? String(reason.dropFirst("whole sweeps: ".count)) : reason
}

/// Quotes a word for a POSIX shell only when it needs it.
public func shellQuote(_ word: String) -> String {
    let safe = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./=:,+@%")
    if !word.isEmpty && word.allSatisfy({ safe.contains($0) }) { return word }
    return "'" + word.split(separator: "'", omittingEmptySubsequences: false).joined(separator: "'\\''") + "'"
}

/// A file in the current directory as a command's argument: quoted, and `./` before a name that
/// starts with '-' so that no tool reads it as an option.
public func shellPath(_ name: String) -> String { shellQuote(name.hasPrefix("-") ? "./" + name : name) }

public enum Backends {
    /// The backend for a target, or nil when this build of stencilc has none for it.
    public static func backend(for target: Target) -> Backend? {
        switch target {
        case .serial: return CPUBackend(openMP: false)
        case .openmp: return CPUBackend(openMP: true)
        case .opencl: return OpenCLBackend()
        case .mpi: return MPIBackend(hybrid: false)
        case .hybrid: return MPIBackend(hybrid: true)
        }
    }
}
