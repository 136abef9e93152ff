// GoldenTests.swift: the emitted code of every program in stencils/ for every target, pinned
// by full-file golden copies in Golden/ (<program>.<target>.c, plus extras such as .cl).
// Regenerate after an intended change with:  STENCILC_UPDATE_GOLDEN=1 swift test --filter Golden
// then review `git diff Tests/StencilCodegenTests/Golden`. A mismatch prints a unified diff.

import Foundation
import StencilCodegen
import StencilDriver
import StencilIR
import Testing

enum Repository {
    /// The package root, from this file's path.
    static let root: String = {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { url.deleteLastPathComponent() }
        return url.path
    }()

    static var stencils: [String] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: "\(root)/stencils")) ?? []
        return names.filter { $0.hasSuffix(".st") }.sorted()
    }

    static let goldenDirectory = "\(root)/Tests/StencilCodegenTests/Golden"

    /// Every target this build of stencilc can emit.
    static var targets: [Target] { Target.allCases.filter { Backends.backend(for: $0) != nil } }

    /// Every example on every target that runs its number of dimensions (the others refuse it
    /// with a located error: DimensionsTests).
    static var cases: [GoldenCase] {
        stencils.flatMap { file in
            targets.filter { Compilation.supportedDimensions($0).contains(dimensions(of: file)) }
                .map { GoldenCase(file: file, target: $0) }
        }
    }

    static func dimensions(of file: String) -> Int {
        (try? Compilation.check(Compilation.load("\(root)/stencils/\(file)")))?.0.dimensions ?? 2
    }
}

struct GoldenCase: CustomTestStringConvertible, Sendable {
    let file: String
    let target: Target
    var stem: String { String(file.dropLast(3)) }
    var testDescription: String { "\(stem) on \(target.rawValue)" }

    func emit() throws -> EmittedProgram {
        try Compilation.compile(path: "\(Repository.root)/stencils/\(file)", target: target, stem: stem).emitted
    }

    /// (golden file name, emitted text) for the main file and every extra.
    func files() throws -> [(String, String)] {
        let emitted = try emit()
        return [("\(stem).\(target.rawValue).c", emitted.source)]
            + emitted.extras.map { ("\(stem).\(target.rawValue)\($0.suffix)", $0.contents) }
    }
}

@Suite struct GoldenTests {
    static let updating = ProcessInfo.processInfo.environment["STENCILC_UPDATE_GOLDEN"] == "1"

    @Test(arguments: Repository.cases)
    func emittedCodeMatchesGolden(_ golden: GoldenCase) throws {
        for (name, text) in try golden.files() {
            let path = "\(Repository.goldenDirectory)/\(name)"
            guard let expected = try? String(contentsOfFile: path, encoding: .utf8), !GoldenTests.updating else {
                try text.write(toFile: path, atomically: true, encoding: .utf8)
                if !GoldenTests.updating {
                    Issue.record("no golden file \(name): wrote it; review it and run the tests again")
                }
                continue
            }
            if expected != text {
                Issue.record("\(name) differs from its golden file (STENCILC_UPDATE_GOLDEN=1 to accept):\n\(unifiedDiff(expected, text, name: name))")
            }
        }
    }

    /// The emitted openmp Jacobi stays as short and as narrow as an HPC engineer reads before
    /// trusting it (issue 12): at most 180 lines of code, comments and blank lines aside, and no
    /// line, comment or code, longer than 140 characters.
    @Test func jacobiOpenMPStaysReadable() throws {
        let text = try GoldenCase(file: "jacobi.st", target: .openmp).emit().source
        let long = text.split(separator: "\n").filter { $0.count > 140 }
        #expect(long.count == 0, "lines over 140 characters:\n\(long.joined(separator: "\n"))")
        let code = text.replacingOccurrences(of: #"/\*[\s\S]*?\*/"#, with: "", options: .regularExpression)
            .split(separator: "\n", omittingEmptySubsequences: false)
            .filter { line in
                let trimmed = line.trimmingCharacters(in: .whitespaces)
                return !trimmed.isEmpty && !trimmed.hasPrefix("//")
            }
        #expect(code.count <= 180, "\(code.count) lines of code")
        #expect(code.count >= 50, "\(code.count) lines of code: the count itself is wrong")
    }

    /// Every golden builds warning-free with the compiler its recipe names.
    @Test(arguments: Repository.cases)
    func goldenCompilesWithWarningsAsErrors(_ golden: GoldenCase) throws {
        let emitted = try golden.emit()
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("stencilc-golden-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let source = directory.appendingPathComponent("\(golden.stem).c").path
        try emitted.source.write(toFile: source, atomically: true, encoding: .utf8)
        let compiler = emitted.recipe.compilerRole == .cc ? "gcc" : "mpicc"
        let job = Job(kind: .compileProgram, executable: compiler,
                      arguments: emitted.recipe.flags + ["-Wall", "-Wextra", "-Werror", "-I", "\(Repository.root)/runtime",
                                                        "-c", source, "-o", directory.appendingPathComponent("out.o").path])
        let result = try ProcessRunner.run(job, capture: true)
        #expect(result.status == 0, "\(job)\n\(result.errorOutput)")
    }
}

/// `diff -u` of two texts (diffutils is on every Debian system).
func unifiedDiff(_ old: String, _ new: String, name: String) -> String {
    let directory = FileManager.default.temporaryDirectory
    let a = directory.appendingPathComponent("golden-\(UUID().uuidString)").path
    let b = directory.appendingPathComponent("emitted-\(UUID().uuidString)").path
    defer {
        try? FileManager.default.removeItem(atPath: a)
        try? FileManager.default.removeItem(atPath: b)
    }
    try? old.write(toFile: a, atomically: true, encoding: .utf8)
    try? new.write(toFile: b, atomically: true, encoding: .utf8)
    let job = Job(kind: .run, executable: "diff", arguments: ["-u", "--label", "golden/\(name)", "--label", "emitted/\(name)", a, b])
    return (try? ProcessRunner.run(job, capture: true).output) ?? "(diff unavailable)"
}
