// Compilation.swift: a .st file through the whole compiler: read -> parse -> check -> lower
// (PassPipeline) -> emit (a backend). Returns values; only the executable prints.

import Foundation
import StencilCodegen
import StencilFrontend
import StencilIR

public struct CompilationResult: Sendable {
    public var program: Program
    public var emitted: EmittedProgram
    /// Rendered warnings (empty when none): the caller shows them.
    public var warnings: String

    public init(program: Program, emitted: EmittedProgram, warnings: String) {
        self.program = program
        self.emitted = emitted
        self.warnings = warnings
    }
}

public enum Compilation {
    /// Reads a file as bytes (any content: the lexer reports what it cannot read).
    public static func load(_ path: String) throws -> SourceFile {
        guard let data = FileManager.default.contents(atPath: path) else {
            var isDirectory: ObjCBool = false
            if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) {
                throw DriverError(isDirectory.boolValue ? "'\(path)' is a directory" : "cannot read '\(path)'")
            }
            throw DriverError("no such file: '\(path)'")
        }
        return SourceFile(name: path, bytes: [UInt8](data))
    }

    /// Parses and checks; throws SourceErrors when the file has errors.
    public static func check(_ file: SourceFile) throws -> (CheckedStencil, warnings: String) {
        let (checked, diagnostics) = Sema.check(file)
        guard let checked else { throw SourceErrors(rendered: diagnostics.rendered()) }
        return (checked, diagnostics.rendered())
    }

    /// Lowers a checked stencil and validates the command-line schedule on top of the file's.
    public static func lower(_ checked: CheckedStencil, target: Target?, overrides: Schedule,
                             observe: ((String, Program) -> Void)? = nil) throws -> Program {
        let program = PassPipeline.run(checked, target: target, overrides: overrides, observe: observe)
        try refuseWhatTheTargetCannotRun(checked, program, overrides: overrides)
        if program.schedule.kind == .auto && program.schedule.chunksize != nil {
            throw DriverError("--chunksize cannot be combined with schedule auto (OpenMP leaves auto's chunks to the runtime)")
        }
        return program
    }

    /// `--tile` and `--workgroup` take one size per dimension, as the schedule block's lines do
    /// (Sema checks those, with a location).
    static func checkSizeFlags(_ checked: CheckedStencil, _ program: Program, overrides: Schedule) throws {
        let d = program.dimensions
        for (flag, sizes) in [("--tile", overrides.tile), ("--workgroup", overrides.workgroup)] {
            guard let sizes else { continue }
            let written = sizes.map(String.init).joined(separator: "x")
            if sizes.count != d {
                let example = ["N", "ROWSxCOLS", "PLANESxROWSxCOLS"][d - 1]
                throw DriverError("\(flag) takes one size per dimension: \(d) for \(checked.name), a \(d)-D grid (\(example)); got \(sizes.count) (\(written))")
            }
        }
    }

    /// A target that does not run the grid's dimensions (none today: `supportedDimensions`) is a
    /// located error, never wrong code; so are size flags of the wrong count.
    static func refuseWhatTheTargetCannotRun(_ checked: CheckedStencil, _ program: Program, overrides: Schedule) throws {
        try checkSizeFlags(checked, program, overrides: overrides)
        let target = program.schedule.target
        if !supportedDimensions(target).contains(program.dimensions),
           let error = checked.targetError(target, supported: supportedDimensions(target)) {
            throw SourceErrors(rendered: error)
        }
    }

    /// The grid dimensions a target runs: every target runs 1-D, 2-D and 3-D grids (mpi and
    /// hybrid: 3-D in slabs of planes or blocks of a 3-D process grid, 1-D in blocks of the one
    /// dimension; PlanDistribution).
    public static func supportedDimensions(_ target: Target) -> Set<Int> {
        [1, 2, 3]
    }

    /// The backend's output for a lowered program.
    public static func emit(_ program: Program, stem: String, cflags: [String] = []) throws -> EmittedProgram {
        guard let backend = Backends.backend(for: program.schedule.target) else {
            throw DriverError("target '\(program.schedule.target.rawValue)' is not available in this build of stencilc")
        }
        // The flags are written into the head comment's build command: `*/` would end the comment.
        if let bad = cflags.first(where: { $0.contains("*/") || $0.unicodeScalars.contains { $0.value < 0x20 || $0.value == 0x7f } }) {
            throw DriverError("--cflags/STENCILC_CFLAGS: '\(bad)' cannot go into the emitted file's head comment (no '*/' or control characters)")
        }
        return backend.emit(program, options: EmitOptions(stem: stem, cflags: cflags))
    }

    /// All of it, from a path.
    public static func compile(path: String, target: Target? = nil, overrides: Schedule = Schedule(),
                               stem: String? = nil, cflags: [String] = [],
                               observe: ((String, Program) -> Void)? = nil) throws -> CompilationResult {
        let file = try load(path)
        let (checked, warnings) = try check(file)
        let program = try lower(checked, target: target, overrides: overrides, observe: observe)
        let emitted = try emit(program, stem: stem ?? defaultStem(path), cflags: cflags)
        return CompilationResult(program: program, emitted: emitted, warnings: warnings)
    }

    /// Extra C compiler flags: `$STENCILC_CFLAGS`, then `--cflags`, each split at white space.
    public static func cflags(option: String?, environment: [String: String] = ProcessInfo.processInfo.environment) -> [String] {
        [environment["STENCILC_CFLAGS"], option].compactMap { $0 }
            .flatMap { $0.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\n" }).map(String.init) }
    }

    /// The stem of an emitted file `-o PATH` (its name without `.c`), as it is: the head comment's
    /// build commands name the file, quoted where the shell needs it. A name with a control
    /// character (a newline would break the comment's lines) is sanitized as defaultStem's.
    public static func emittedStem(_ path: String) -> String {
        var name = URL(fileURLWithPath: path).lastPathComponent
        if name.hasSuffix(".c") { name.removeLast(2) }
        if name.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7f }) { return defaultStem(name) }
        return name.isEmpty ? "stencil" : name
    }

    /// `stencils/jacobi.st` -> `jacobi`, made a safe file name (letters, digits, '_' and '-'):
    /// the stem of the programs `run` builds in the cache.
    public static func defaultStem(_ path: String) -> String {
        var name = URL(fileURLWithPath: path).lastPathComponent
        if name.hasSuffix(".st") { name.removeLast(3) }
        let cleaned = String(name.map { $0.isLetter || $0.isNumber || $0 == "_" || $0 == "-" ? $0 : "_" })
        return cleaned.isEmpty ? "stencil" : cleaned
    }
}
