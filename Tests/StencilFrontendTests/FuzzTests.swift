// FuzzTests.swift: property-based fuzzing of the front end over a checked-in corpus
// (Inputs/corpus: the examples, hand-written edge cases, generated programs; Inputs/diagnostics
// too). Every truncation and thousands of mutations (bytes, tokens, lines, splices between files)
// must end in diagnostics or success: never a crash, never a hang, and the diagnostics must be
// consistent (an error exactly when no program comes back, every location inside the file).
//
//   STENCILC_FUZZ_COUNT=200000 swift test --filter FuzzTests      # more mutations (default 6000)
//   STENCILC_FUZZ_SEED=7 ...                                       # another sequence
// A libFuzzer harness over the same corpus is in Fuzz/ (see Fuzz/README.md).

import Foundation
import StencilFrontend
import Testing

enum Corpus {
    static let root: String = {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { url.deleteLastPathComponent() }
        return url.path
    }()

    static let directories = ["\(root)/Tests/StencilFrontendTests/Inputs/corpus",
                              "\(root)/Tests/StencilFrontendTests/Inputs/diagnostics"]

    /// (name, bytes) of every corpus file, sorted by name.
    static let files: [(String, [UInt8])] = directories.flatMap { directory -> [(String, [UInt8])] in
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        return names.filter { $0.hasSuffix(".st") }.sorted().compactMap { name in
            FileManager.default.contents(atPath: "\(directory)/\(name)").map { (name, [UInt8]($0)) }
        }
    }

    static let environment = ProcessInfo.processInfo.environment
    static let mutationCount = Int(environment["STENCILC_FUZZ_COUNT"] ?? "") ?? 6000
    static let seed = UInt64(environment["STENCILC_FUZZ_SEED"] ?? "") ?? 0xF0221

    /// Words and bytes that make mutations interesting.
    static let dictionary: [[UInt8]] = [
        "stencil", "schedule", "param", "grid", "boundary", "init", "update", "until", "steps", "every", "max",
        "maxdiff", "l2diff", "float32", "float64", "top", "bottom", "left", "right", "target", "openmp", "opencl",
        "tile", "workgroup", "ranks", "decompose", "chunksize", "num_threads", "x", "16x16", "{", "}", "[", "]", "(",
        ")", ",", ":", ";", "=", "<", "+", "-", "*", "/", "#", "\n", "\r\n", "\r", "\t", " ", "1e", "1e+", ".", "..",
        "0", "1", "-1", "99999999999999999999999", "1e309", "1e-400", "2147483648", "9007199254740993", "i", "j",
        "u", "i-1", "i+3", "j-99999999", "u[i, j]", "sqrt(", "min(1,", "abs()", "max(1, 2, 3)", "st_x", "int",
        "((((((((", "))))))))", "- - - -",
    ].map { Array($0.utf8) } + [[0], [0xff], [0xc3], [0xef, 0xbb, 0xbf], [0x7f], [0xe2, 0x80], [0xf4, 0x90, 0x80, 0x80]]
}

/// Checks one input with a watchdog: an input that does not finish in 60 s is printed (escaped)
/// and the run stops, so a hang shows its input instead of stalling CI.
func fuzzCheck(_ bytes: [UInt8], name: String = "fuzz.st") -> (checked: Bool, engine: DiagnosticEngine, seconds: Double) {
    let watchdog = DispatchWorkItem {
        let shown = String(decoding: bytes, as: UTF8.self).debugDescription
        FileHandle.standardError.write(Data("front end hang (60 s) on input: \(shown)\n".utf8))
        fatalError("the front end hung on a fuzz input (printed above)")
    }
    DispatchQueue.global().asyncAfter(deadline: .now() + 60, execute: watchdog)
    defer { watchdog.cancel() }
    let start = DispatchTime.now()
    let (checked, engine) = Sema.check(SourceFile(name: name, bytes: bytes))
    _ = engine.rendered()
    let seconds = Double(DispatchTime.now().uptimeNanoseconds - start.uptimeNanoseconds) / 1e9
    return (checked != nil, engine, seconds)
}

/// The properties every outcome must have; returns what is wrong, if anything.
func fuzzProblems(_ bytes: [UInt8], _ outcome: (checked: Bool, engine: DiagnosticEngine, seconds: Double)) -> [String] {
    var problems: [String] = []
    let engine = outcome.engine
    if outcome.checked == engine.hasErrors {
        problems.append(outcome.checked ? "a checked program with errors" : "no program and no error")
    }
    // Lines end in LF, CRLF or a lone CR.
    let lineEnds = bytes.indices.filter { bytes[$0] == UInt8(ascii: "\n")
        || (bytes[$0] == UInt8(ascii: "\r") && ($0 + 1 == bytes.count || bytes[$0 + 1] != UInt8(ascii: "\n"))) }
    let lines = lineEnds.count + 1
    for diagnostic in engine.diagnostics + engine.diagnostics.flatMap(\.notes) {
        let location = diagnostic.location
        if location.line < 1 || location.line > lines || location.column < 1 || location.offset > bytes.count
            || location.offset < 0 {
            problems.append("diagnostic outside the file: \(location) offset \(location.offset) of \(bytes.count): \(diagnostic.message)")
        }
    }
    let rendered = engine.rendered()
    if engine.hasErrors != rendered.contains(": error: ") { problems.append("rendering lost the errors") }
    if rendered.unicodeScalars.contains(where: { $0.value < 0x20 && $0 != "\n" && $0 != "\t" }) {
        problems.append("control characters in the rendered diagnostics")
    }
    if outcome.seconds > 5 { problems.append("took \(outcome.seconds) s") }
    return problems
}

@Suite struct FuzzTests {
    @Test func corpusIsThere() {
        #expect(Corpus.files.count >= 40, "corpus: \(Corpus.files.map(\.0))")
    }

    @Test func corpusFilesEndInDiagnosticsOrSuccess() {
        for (name, bytes) in Corpus.files {
            let problems = fuzzProblems(bytes, fuzzCheck(bytes, name: name))
            #expect(problems.isEmpty, "\(name): \(problems)")
        }
    }

    /// Every prefix of every corpus file (every byte offset of the small ones).
    @Test func everyTruncationOfTheCorpus() {
        var count = 0
        for (name, bytes) in Corpus.files {
            let step = max(1, bytes.count / 400)
            for cut in stride(from: 0, through: bytes.count, by: step) {
                let prefix = Array(bytes[..<cut])
                let problems = fuzzProblems(prefix, fuzzCheck(prefix, name: name))
                count += 1
                if !problems.isEmpty {
                    Issue.record("\(name) cut at \(cut): \(problems)\n\(String(decoding: prefix, as: UTF8.self).debugDescription)")
                    return
                }
            }
        }
        #expect(count > 2000)
    }

    /// Mutations of the corpus: byte edits, dictionary words, line swaps and splices.
    @Test(arguments: 0..<4)
    func mutationsOfTheCorpus(shard: Int) {
        var rng = FuzzRandom(state: Corpus.seed &+ UInt64(shard) &* 0x9E37_79B9_7F4A_7C15)
        var slowest = 0.0
        for index in 0..<(Corpus.mutationCount / 4) {
            let (name, original) = Corpus.files[Int.random(in: 0..<Corpus.files.count, using: &rng)]
            let bytes = mutate(original, &rng)
            let outcome = fuzzCheck(bytes, name: name)
            slowest = max(slowest, outcome.seconds)
            let problems = fuzzProblems(bytes, outcome)
            if !problems.isEmpty {
                Issue.record("mutation \(index) of \(name) (shard \(shard), seed \(Corpus.seed)): \(problems)\n\(String(decoding: bytes, as: UTF8.self).debugDescription)")
                return
            }
        }
        #expect(slowest < 5)
    }

    func mutate(_ input: [UInt8], _ rng: inout FuzzRandom) -> [UInt8] {
        var bytes = input
        for _ in 0..<Int.random(in: 1...6, using: &rng) {
            let position = bytes.isEmpty ? 0 : Int.random(in: 0...bytes.count, using: &rng)
            switch Int.random(in: 0..<10, using: &rng) {
            case 0 where !bytes.isEmpty:
                bytes[min(position, bytes.count - 1)] = UInt8.random(in: 0...255, using: &rng)
            case 1 where !bytes.isEmpty:
                let end = min(bytes.count, position + Int.random(in: 1...16, using: &rng))
                bytes.removeSubrange(min(position, end)..<end)
            case 2, 3:
                bytes.insert(contentsOf: Corpus.dictionary[Int.random(in: 0..<Corpus.dictionary.count, using: &rng)], at: position)
            case 4 where !bytes.isEmpty:
                // Duplicate a chunk somewhere else.
                let start = Int.random(in: 0..<bytes.count, using: &rng)
                let chunk = Array(bytes[start..<min(bytes.count, start + Int.random(in: 1...40, using: &rng))])
                bytes.insert(contentsOf: chunk, at: position)
            case 5:
                // Splice a line of another corpus file.
                let other = Corpus.files[Int.random(in: 0..<Corpus.files.count, using: &rng)].1
                let lines = other.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false)
                if let line = lines.randomElement(using: &rng) { bytes.insert(contentsOf: Array(line) + [10], at: position) }
            case 6:
                // Swap two lines.
                var lines = bytes.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false).map(Array.init)
                if lines.count > 1 {
                    let a = Int.random(in: 0..<lines.count, using: &rng), b = Int.random(in: 0..<lines.count, using: &rng)
                    lines.swapAt(a, b)
                    bytes = Array(lines.joined(separator: [10]))
                }
            case 7:
                // Replace a word by a dictionary word.
                let words = Corpus.dictionary.filter { $0.first.map { ($0 >= 97 && $0 <= 122) } ?? false }
                if let start = bytes.indices.dropFirst(min(position, bytes.count)).first(where: { (bytes[$0] >= 97 && bytes[$0] <= 122) }) {
                    var end = start
                    while end < bytes.count, (bytes[end] >= 97 && bytes[end] <= 122) || bytes[end] == 95 { end += 1 }
                    bytes.replaceSubrange(start..<end, with: words[Int.random(in: 0..<words.count, using: &rng)])
                }
            case 8:
                // Truncate.
                bytes = Array(bytes[..<min(position, bytes.count)])
            default:
                bytes.insert(UInt8.random(in: 0...255, using: &rng), at: position)
            }
        }
        return bytes
    }
}

/// SplitMix64: deterministic, so a failure can be replayed from its seed.
struct FuzzRandom: RandomNumberGenerator {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9e37_79b9_7f4a_7c15
        var z = state
        z = (z ^ (z >> 30)) &* 0xbf58_476d_1ce4_e5b9
        z = (z ^ (z >> 27)) &* 0x94d0_49bb_1331_11eb
        return z ^ (z >> 31)
    }
}
