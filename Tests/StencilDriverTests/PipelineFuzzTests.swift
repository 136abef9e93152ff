// PipelineFuzzTests.swift: fuzzing past the front end. Token-level mutations of the corpus
// (numbers, names, lines) that stencilc still accepts are lowered and emitted for every target
// this build has (a trap in lowering or codegen crashes the test run, which is the signal); a
// sample is built with -Wall -Wextra -Werror, and a smaller sample run on small sizes: a valid
// program must build clean and end in a result or a clear runtime error, never a signal.
//   STENCILC_FUZZ_COUNT=... (shared with FuzzTests) scales the number of mutations.

import Foundation
import StencilCodegen
import StencilDriver
import StencilFrontend
import StencilIR
import Testing

enum PipelineCorpus {
    static let files: [(String, String)] = {
        let directory = "\(Repository.root)/Tests/StencilFrontendTests/Inputs/corpus"
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        return names.filter { $0.hasSuffix(".st") }.sorted().compactMap { name in
            (try? String(contentsOfFile: "\(directory)/\(name)", encoding: .utf8)).map { (name, $0) }
        }
    }()
    static let count = (Int(ProcessInfo.processInfo.environment["STENCILC_FUZZ_COUNT"] ?? "") ?? 6000) / 5
    static let numbers = ["0", "1", "2", "3", "4", "5", "7", "0.5", "1e-3", "100", "2147483647", "1e30", "1e-30", "0.0", "9", "33"]

    /// Splits text into words (identifiers, numbers) and the rest, keeping everything.
    static func tokens(_ text: String) -> [String] {
        var out: [String] = []
        var current = ""
        var kind = 0  // 0 other, 1 word
        for scalar in text.unicodeScalars {
            let isWord = scalar == "_" || scalar == "." || (scalar.isASCII && (scalar.properties.isAlphabetic || ("0"..."9").contains(scalar)))
            let k = isWord ? 1 : 0
            if k != kind || k == 0 {
                if !current.isEmpty { out.append(current) }
                current = ""
                kind = k
            }
            current.unicodeScalars.append(scalar)
        }
        if !current.isEmpty { out.append(current) }
        return out
    }

    static func mutate(_ text: String, _ rng: inout SplitMix) -> String {
        var tokens = tokens(text)
        for _ in 0..<Int.random(in: 1...3, using: &rng) {
            let words = tokens.indices.filter { tokens[$0].first.map { $0.isLetter || $0 == "_" } ?? false }
            let numbers = tokens.indices.filter { tokens[$0].first.map { $0.isNumber } ?? false }
            // (A `where` guards only the pattern it follows: one pattern per case.)
            switch Int.random(in: 0..<5, using: &rng) {
            case 0 where !numbers.isEmpty, 1 where !numbers.isEmpty:
                tokens[numbers.randomElement(using: &rng)!] = PipelineCorpus.numbers.randomElement(using: &rng)!
            case 2 where !words.isEmpty:
                tokens[words.randomElement(using: &rng)!] = tokens[words.randomElement(using: &rng)!]
            case 3 where !words.isEmpty:
                let swaps = ["float32": "float64", "float64": "float32", "maxdiff": "l2diff", "l2diff": "maxdiff",
                             "top": "bottom", "left": "right", "steps": "until", "min": "max", "sin": "cos", "exp": "sqrt"]
                let k = words.randomElement(using: &rng)!
                if let other = swaps[tokens[k]] { tokens[k] = other }
            default:
                // Drop or duplicate a line.
                var lines = tokens.joined().split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
                if lines.count > 2 {
                    let k = Int.random(in: 0..<lines.count, using: &rng)
                    if Bool.random(using: &rng) { lines.remove(at: k) } else { lines.insert(lines[k], at: k) }
                }
                tokens = PipelineCorpus.tokens(lines.joined(separator: "\n"))
            }
        }
        return tokens.joined()
    }
}

@Suite struct PipelineFuzzTests {
    @Test func acceptedMutationsLowerEmitBuildAndRun() throws {
        var rng = SplitMix(state: 0xF122)
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let targets = Target.allCases.filter { Backends.backend(for: $0) != nil }
        var accepted = 0, built = 0, ran = 0
        let toolchain = try Toolchain.fromEnvironment(runtimeDirectory: "\(Repository.root)/runtime")
        let launcher = Launcher(builder: Builder(toolchain: toolchain, cache: BuildCache.defaultCache()))
        for index in 0..<PipelineCorpus.count {
            let (name, original) = PipelineCorpus.files[Int.random(in: 0..<PipelineCorpus.files.count, using: &rng)]
            let text = PipelineCorpus.mutate(original, &rng)
            guard let (checked, _) = try? Compilation.check(SourceFile(name: name, text: text)) else { continue }
            accepted += 1
            var results: [CompilationResult] = []
            for target in targets {
                guard let program = try? Compilation.lower(checked, target: target, overrides: Schedule()) else { continue }
                let emitted = try Compilation.emit(program, stem: "fuzz")
                results.append(CompilationResult(program: program, emitted: emitted, warnings: ""))
            }
            // Build a sample with warnings as errors; run a smaller sample on small sizes.
            guard accepted % 4 == 0, built < 60, let result = results.first else { continue }
            built += 1
            let (ok, errors) = try buildsWarningFree(result.emitted.source, recipe: result.emitted.recipe)
            if !ok {
                Issue.record("mutation \(index) of \(name) builds with warnings or errors:\n\(text)\n\(errors.prefix(2000))")
                continue
            }
            guard built % 3 == 0, ran < 20 else { continue }
            ran += 1
            let path = directory.appendingPathComponent("fuzz.st").path
            try text.write(toFile: path, atomically: true, encoding: .utf8)
            var options = RunOptions()
            options.maxIterations = 50
            options.quiet = true
            options.params = checked.params.filter { p in
                checked.grids.contains { $0.rows == .param(p.name) || $0.cols == .param(p.name) }
            }.map { "\($0.name)=\(Int.random(in: 7...21, using: &rng))" }
            do {
                try launcher.run(result, stem: "fuzz", options: options, capture: true)
            } catch let error as DriverError {
                // A clean runtime error (a too small grid, a diverging program) is fine: a signal is not.
                if error.exitCode > 128 || error.message.contains("killed by signal") || error.message.contains("C compiler failed") {
                    Issue.record("mutation \(index) of \(name): \(error.message)\n\(error.toolOutput)\n\(text)")
                }
            }
        }
        #expect(accepted > PipelineCorpus.count / 10, "only \(accepted) of \(PipelineCorpus.count) mutations were valid")
        #expect(built > 10)
    }
}

/// Builds C text with -Wall -Wextra -Werror (no link).
func buildsWarningFree(_ source: String, recipe: BuildRecipe) throws -> (Bool, String) {
    let directory = try temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: directory) }
    let file = directory.appendingPathComponent("emitted.c").path
    try source.write(toFile: file, atomically: true, encoding: .utf8)
    let compiler = recipe.compilerRole == .cc ? "gcc" : "mpicc"
    let job = Job(kind: .compileProgram, executable: compiler,
                  arguments: recipe.flags + ["-Wall", "-Wextra", "-Werror", "-I", "\(Repository.root)/runtime", "-fsyntax-only", file])
    let result = try ProcessRunner.run(job, capture: true)
    return (result.status == 0, result.errorOutput)
}
