// NonFiniteTests.swift: numbers that go wrong (besides CLITests.swift's DivergenceTests). A
// program whose field becomes NaN or Inf stops at the next check with a message naming the
// iteration, on every CPU target, and writes no output file; a `steps` program checks at its end.

import Foundation
import StencilDriver
import StencilIR
import Testing

struct DivergenceCase: CustomTestStringConvertible, Sendable {
    let name: String
    let source: String
    /// The iteration the message must name.
    let iteration: Int
    var testDescription: String { name }
}

@Suite struct NonFiniteTests {
    static let cases: [DivergenceCase] = [
        // Regression: maxdiff skipped NaN changes (`change > maxdiff` is false for NaN), so a field
        // of NaN had maxdiff 0 and was reported *converged* at the first check.
        DivergenceCase(name: "NaN at once, maxdiff", source: """
            stencil nan {
                grid u: float32[9, 9]
                init u = 1
                update u[i, j] = sqrt(u[i, j] - 2) + u[i-1, j] * 0
                until maxdiff(u) < 1e-3 every 3 max 100000
            }
            """, iteration: 3),
        DivergenceCase(name: "NaN at once, l2diff, float64", source: """
            stencil nan64 {
                grid u: float64[9, 9]
                init u = 1
                update u[i, j] = sqrt(-u[i, j]) + u[i+1, j]
                until l2diff(u) < 1e-3 every 4 max 100000
            }
            """, iteration: 4),
        // 10^k overflows float32 at k = 39; the check after it is iteration 40.
        DivergenceCase(name: "overflow to Inf, maxdiff", source: """
            stencil grow {
                grid u: float32[7, 7]
                init u = 1
                update u[i, j] = u[i, j] * 10 + u[i, j-1] * 0
                until maxdiff(u) < 1e-3 every 10 max 1000000
            }
            """, iteration: 40),
        DivergenceCase(name: "steps: checked at the end", source: """
            stencil blowup {
                param n = 60
                grid u: float32[7, 7]
                init u = 1
                update u[i, j] = u[i, j] * 10 + u[i+1, j] * 0
                steps n
            }
            """, iteration: 60),
    ]

    @Test(arguments: cases, [Target.serial, .openmp])
    func divergingProgramStopsAtTheNextCheck(_ c: DivergenceCase, target: Target) throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("diverge.st").path
        try c.source.write(toFile: path, atomically: true, encoding: .utf8)
        let output = directory.appendingPathComponent("u.npy").path
        let start = Date()
        let result = try stencilc(["run", path, "--target", target.rawValue, "--num-threads", "2", "--output", output])
        #expect(result.status != 0)
        #expect(result.stderr.contains("the solution diverged"), "\(result.stderr)")
        #expect(result.stderr.contains("NaN or Inf after iteration \(c.iteration)"), "\(result.stderr)")
        #expect(!result.stdout.contains("converged"), "\(result.stdout)")
        #expect(!FileManager.default.fileExists(atPath: output))
        #expect(Date().timeIntervalSince(start) < 60, "it ran on instead of stopping")
    }

    /// A finite program that merely does not converge still runs to max and says so.
    @Test func notConvergedIsNotDiverged() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("slow.st").path
        try "stencil slow {\n grid u: float32[9, 9]\n boundary u { top = 1 }\n update u[i, j] = (u[i-1, j] + u[i+1, j]) / 2\n until maxdiff(u) < 1e-30 every 5 max 50\n}\n"
            .write(toFile: path, atomically: true, encoding: .utf8)
        let result = try stencilc(["run", path, "--target", "serial", "--json"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("\"converged\": false"))
        #expect(result.stdout.contains("\"iterations\": 50"))
    }
}
