// RobustnessTests.swift: hostile input never crashes or hangs the front end: it ends in
// diagnostics (or success). Random bytes, non-UTF-8, deep nesting, huge files.

import Foundation
import StencilFrontend
import Testing

@Suite struct RobustnessTests {
    /// A tiny deterministic generator (tests must not flake).
    struct SplitMix: RandomNumberGenerator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9e37_79b9_7f4a_7c15
            var z = state
            z = (z ^ (z >> 30)) &* 0xbf58_476d_1ce4_e5b9
            z = (z ^ (z >> 27)) &* 0x94d0_49bb_1331_11eb
            return z ^ (z >> 31)
        }
    }

    @Test func randomBytesEndInDiagnostics() {
        var rng = SplitMix(state: 42)
        for _ in 0..<300 {
            let count = Int.random(in: 0..<400, using: &rng)
            let bytes = (0..<count).map { _ in UInt8.random(in: 0...255, using: &rng) }
            let (checked, engine) = Sema.check(SourceFile(name: "r.st", bytes: bytes))
            #expect(checked == nil || !engine.hasErrors)
            _ = engine.rendered()
        }
    }

    @Test func mutatedValidProgramsNeverCrash() throws {
        let valid = Array("""
            stencil m {
                param N = 32
                grid u: float32[N, N]
                boundary u { top = 1; left = 2 }
                init u = 0
                update u[i, j] = max(0, (u[i-1, j] + u[i+1, j] + u[i, j-1] + u[i, j+1]) / 4)
                until maxdiff(u) < 1e-3 every 10 max 100
            }
            schedule { schedule dynamic; chunksize 4; tile 8 x 8 }
            """.utf8)
        var rng = SplitMix(state: 7)
        for _ in 0..<500 {
            var bytes = valid
            for _ in 0..<Int.random(in: 1...4, using: &rng) {
                let position = Int.random(in: 0..<bytes.count, using: &rng)
                switch Int.random(in: 0..<3, using: &rng) {
                case 0: bytes.remove(at: position)
                case 1: bytes.insert(bytes[Int.random(in: 0..<bytes.count, using: &rng)], at: position)
                default: bytes[position] = UInt8.random(in: 0...255, using: &rng)
                }
            }
            let cut = Int.random(in: 0...bytes.count, using: &rng)
            for candidate in [bytes, Array(bytes[..<cut])] {
                let (_, engine) = Sema.check(SourceFile(name: "m.st", bytes: candidate))
                _ = engine.rendered()
            }
        }
    }

    @Test func deepNestingIsAnError() {
        let depth = 100_000
        let text = "stencil d {\n grid u: float32[8, 8]\n update u[i, j] = " + String(repeating: "(", count: depth) + "u[i, j]"
            + String(repeating: ")", count: depth) + "\n steps 1\n}\n"
        let (checked, engine) = Sema.check(SourceFile(name: "deep.st", text: text))
        #expect(checked == nil)
        #expect(engine.diagnostics.contains { $0.id == "nesting-too-deep" })
    }

    @Test func longOperatorChainIsBounded() {
        let text = "stencil d {\n grid u: float32[8, 8]\n update u[i, j] = u[i, j]" + String(repeating: " + 1", count: 50_000)
            + String(repeating: " - -", count: 1000) + "1\n steps 1\n}\n"
        let (checked, engine) = Sema.check(SourceFile(name: "long.st", text: text))
        #expect(checked == nil)
        #expect(engine.diagnostics.contains { $0.id == "expression-too-long" })
    }

    @Test func hugeFileOfErrorsStopsAtTheCap() {
        let text = "stencil h {\n" + String(repeating: "  bogus statement here\n", count: 200_000) + "}\n"
        let (_, engine) = Sema.check(SourceFile(name: "huge.st", text: text))
        #expect(engine.errorCount == DiagnosticEngine.maximumErrors)
        #expect(engine.rendered().contains("stopped after \(DiagnosticEngine.maximumErrors) errors"))
    }

    @Test func nonUTF8IsReportedWithItsByte() {
        var bytes = Array("stencil x {\n  grid u: float32[8, 8]\n  update u[i, j] = u[i, j] ".utf8)
        bytes += [0xff, 0xfe]
        bytes += Array("\n  steps 1\n}\n".utf8)
        let (checked, engine) = Sema.check(SourceFile(name: "bin.st", bytes: bytes))
        #expect(checked == nil)
        #expect(engine.rendered().contains("bin.st:3:28: error: invalid byte 0xFF"))
    }

    @Test func emptyFileSaysWhatIsMissing() {
        let (_, engine) = Sema.check(SourceFile(name: "empty.st", text: ""))
        #expect(engine.rendered().hasPrefix("empty.st:1:1: error: the file holds no 'stencil NAME { ... }' block"))
    }
}
