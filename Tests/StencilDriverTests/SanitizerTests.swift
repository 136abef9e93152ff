// SanitizerTests.swift: the emitted code and the runtime under AddressSanitizer (with leak
// detection) and UndefinedBehaviorSanitizer, for every program of stencils/ on every CPU target
// this build has (serial and openmp; mpi and hybrid once they exist), at small sizes, writing
// their .npy output; and for a sample of generated programs with halos up to 3 and odd sizes.
// Any report stops the program (halt_on_error) with a distinctive exit status.

import Foundation
import StencilCodegen
import StencilDriver
import StencilIR
import Testing

enum Sanitizers {
    static let flags = ["-g", "-fsanitize=address,undefined", "-fno-omit-frame-pointer", "-fno-sanitize-recover=all"]
    /// Open MPI allocates in MPI_Init and never frees (its own leaks, not the program's): they
    /// are suppressed by library, which needs whole stacks (fast_unwind_on_malloc=0) to match.
    static let suppressions: String = {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("stencilc-lsan-\(getpid()).supp").path
        let libraries = ["libmpi.so", "libopen-pal.so", "libopen-rte.so", "libpmix.so", "libhwloc.so", "libevent",
                         "libucp.so", "libucs.so", "libfabric.so", "mca_"]
        try? libraries.map { "leak:\($0)\n" }.joined().write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }()

    static let environment = [
        "ASAN_OPTIONS": "detect_leaks=1:halt_on_error=1:exitcode=86:detect_stack_use_after_return=1:fast_unwind_on_malloc=0",
        "UBSAN_OPTIONS": "halt_on_error=1:print_stacktrace=1:exitcode=87",
        "LSAN_OPTIONS": "exitcode=88:suppressions=\(suppressions):print_suppressions=0",
        "OMP_NUM_THREADS": "2",
    ]

    static let cpuTargets: [Target] = [.serial, .openmp, .mpi, .hybrid].filter { target in
        guard Backends.backend(for: target) != nil else { return false }
        if target == .mpi || target == .hybrid { return ProcessRunner.which("mpicc") != nil && ProcessRunner.which("mpirun") != nil }
        return true
    }

    /// Builds `result` with the sanitizers and runs it; nil when clean, else the report.
    static func report(_ result: CompilationResult, stem: String, params: [String]) throws -> String? {
        var sanitized = result
        sanitized.emitted.recipe.flags += flags
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let toolchain = try Toolchain.fromEnvironment(runtimeDirectory: "\(Repository.root)/runtime")
        let launcher = Launcher(builder: Builder(toolchain: toolchain, cache: BuildCache.defaultCache()))
        var options = RunOptions()
        options.params = params
        options.outputPath = directory.appendingPathComponent("out.npy").path
        options.json = true
        options.quiet = true
        options.environment = environment
        do {
            try launcher.run(sanitized, stem: stem, options: options, capture: true)
        } catch let error as DriverError {
            return error.message + "\n" + error.toolOutput
        }
        return FileManager.default.fileExists(atPath: options.outputPath!) ? nil : "no output file was written"
    }
}

struct SanitizerCase: CustomTestStringConvertible, Sendable {
    let program: ReferenceCase
    let target: Target
    var testDescription: String { "\(program.file) on \(target.rawValue)" }
}

@Suite struct SanitizerTests {
    static let cases = ReferencePrograms.all.flatMap { program in Sanitizers.cpuTargets.map { SanitizerCase(program: program, target: $0) } }

    @Test(arguments: cases)
    func examplesRunCleanUnderASanAndUBSan(_ c: SanitizerCase) throws {
        let result = try Compilation.compile(path: Repository.stencil(c.program.file), target: c.target)
        // Small sizes and a cap: the sanitizers make runs several times slower.
        var params = c.program.params
        if c.program.file == "channel.st" { params = ["sweeps=40"] }
        let report = try Sanitizers.report(result, stem: Compilation.defaultStem(c.program.file), params: params)
        #expect(report == nil, "\(c.testDescription):\n\(report ?? "")")
    }

    /// Generated programs: halos 1-3, odd and tiny sizes, read-only grids, every function.
    @Test func generatedProgramsRunCleanUnderASanAndUBSan() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        for index in 0..<8 {
            var generator = ProgramGenerator(seed: 0xA5A_0000 &+ UInt64(index))
            let program = generator.program()
            let path = directory.appendingPathComponent("asan\(index).st").path
            try program.text.write(toFile: path, atomically: true, encoding: .utf8)
            let target = Sanitizers.cpuTargets[index % Sanitizers.cpuTargets.count]
            var schedule = Schedule()
            if target == .openmp, index % 4 == 1 { schedule.tile = Array([2, 3, 4].prefix(program.dimensions)) }
            let result = try Compilation.compile(path: path, target: target, overrides: schedule)
            var report = try Sanitizers.report(result, stem: "asan\(index)", params: program.overrideArguments)
            var ran = target
            // Blocks too small for the halo (deeper still with neumann or periodic sides) are a
            // refusal, not a fault, as in the differential tests: such a program runs serial instead.
            if let text = report, text.contains("cannot split") {
                ran = .serial
                let serial = try Compilation.compile(path: path, target: .serial)
                report = try Sanitizers.report(serial, stem: "asan\(index)", params: program.overrideArguments)
            }
            #expect(report == nil, "generated program \(index) on \(ran):\n\(program.text)\n\(report ?? "")")
        }
    }

    /// The harness itself: a sweep that writes one row past its grid is caught.
    @Test func anOutOfBoundsWriteIsCaught() throws {
        var result = try Compilation.compile(path: Repository.stencil("jacobi.st"), target: .serial)
        let broken = result.emitted.source.replacingOccurrences(of: "for (long i = row_begin; i < row_end; ++i)",
                                                                with: "for (long i = row_begin; i < row_end + 2; ++i)")
        #expect(broken != result.emitted.source)
        result.emitted.source = broken
        let report = try Sanitizers.report(result, stem: "jacobi_broken", params: ["N=9"])
        #expect(report?.contains("AddressSanitizer") == true, "\(report ?? "no report")")
    }
}
