// VerifyTests.swift: `stencilc verify`: every program of stencils/ passes on every target this
// machine runs; targets without a backend or tools are listed as skipped with why; a target that
// disagrees makes the table say so and the exit status non-zero.

import Foundation
import StencilCodegen
import StencilDriver
import StencilIR
import Testing

@Suite struct VerifyTests {
    static var examples: [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: "\(Repository.root)/stencils")) ?? [])
            .filter { $0.hasSuffix(".st") }.sorted()
    }

    func verifier() throws -> Verifier {
        Verifier(toolchain: try Toolchain.fromEnvironment(runtimeDirectory: "\(Repository.root)/runtime"),
                 cache: BuildCache.defaultCache())
    }

    @Test(arguments: examples)
    func verifyPassesForEveryExample(_ file: String) throws {
        let rows = try verifier().verify(path: Repository.stencil(file), params: file == "channel.st" ? ["sweeps=100"] : [])
        let failures = rows.filter(\.isFailure)
        #expect(failures.isEmpty, "\(failures.map(Verifier.row).joined(separator: "\n"))")
        #expect(rows.first?.verdict == .reference && rows.first?.target == .serial)
        // Every target has rows: runs, or one saying why it was skipped.
        for target in Target.allCases {
            let mine = rows.filter { $0.target == target }
            #expect(!mine.isEmpty, "no row for \(target)")
            if Backends.backend(for: target) == nil {
                #expect(mine.count == 1 && mine[0].verdictText == "skipped: this stencilc has no \(target.rawValue) backend")
            }
        }
        // Nine openmp runs; `auto` is skipped where the file sets a chunksize (weighted_jacobi).
        let openmp = rows.filter { $0.target == .openmp }
        #expect(openmp.count == 9)
        #expect(openmp.filter { $0.verdict == .agrees(bitwise: true) }.count >= 8)
    }

    @Test func sizeParamsAreMadeSmallUnlessGiven() throws {
        let v = try verifier()
        let rows = try v.verify(path: Repository.stencil("poisson64.st"), params: [], onStart: { params in
            #expect(params == ["N=29"])
        })
        #expect(rows.allSatisfy { !$0.isFailure })
        _ = try v.verify(path: Repository.stencil("poisson64.st"), params: ["N=13"], onStart: { params in
            #expect(params == ["N=13"])
        })
    }

    /// A C compiler that reassociates floating point in OpenMP builds (-ffast-math): verify must
    /// see the difference, say DIFFERS, and fail.
    @Test func disagreementIsReported() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let wrapper = directory.appendingPathComponent("fast-cc").path
        try """
            #!/bin/sh
            # A compiler that breaks the bitwise contract for OpenMP builds only.
            case " $* " in *" -fopenmp "*) exec gcc "$@" -ffast-math -ffp-contract=fast ;; esac
            exec gcc "$@"
            """.write(toFile: wrapper, atomically: true, encoding: .utf8)
        chmod(wrapper, 0o755)
        let cache = directory.appendingPathComponent("cache").path
        let result = try stencilc(["verify", Repository.stencil("weighted_jacobi.st"), "--size", "33"],
                                  environment: ["STENCILC_CC": wrapper, "STENCILC_CACHE_DIR": cache])
        #expect(result.status == 1, "\(result.stdout)\n\(result.stderr)")
        #expect(result.stdout.contains("DIFFERS"), "\(result.stdout)")
        #expect(result.stdout.contains("serial  1 thread"))
        #expect(result.stderr.contains("disagree with the serial reference"), "\(result.stderr)")
    }

    @Test func commandPrintsTheTable() throws {
        let result = try stencilc(["verify", Repository.stencil("heat.st")])
        #expect(result.status == 0, "\(result.stdout)\n\(result.stderr)")
        #expect(result.stdout.contains("verify \(Repository.stencil("heat.st")) with --param N=29"))
        #expect(result.stdout.contains("target  configuration"))
        #expect(result.stdout.contains("2 threads, static, tile 5x7"))
        #expect(result.stdout.contains("all 9 runs agree with the serial reference") || Backends.backend(for: .mpi) != nil)
        let bad = try stencilc(["verify", "/nonexistent.st"])
        #expect(bad.status == 1)
        #expect(bad.stderr.contains("no such file"))
    }

    @Test func nanAwareDifference() throws {
        let a = NPYFile(descr: "<f4", rows: 1, cols: 3, bytes: [Float.nan, 1, .infinity].flatMap { withUnsafeBytes(of: $0.bitPattern.littleEndian, Array.init) })
        let b = NPYFile(descr: "<f4", rows: 1, cols: 3, bytes: [Float.nan, 1, .infinity].flatMap { withUnsafeBytes(of: $0.bitPattern.littleEndian, Array.init) })
        let c = NPYFile(descr: "<f4", rows: 1, cols: 3, bytes: [Float(0), 1, .infinity].flatMap { withUnsafeBytes(of: $0.bitPattern.littleEndian, Array.init) })
        #expect(a.largestDifference(from: b) == 0)
        #expect(a.largestDifference(from: c) == .infinity)
        #expect(c.largestDifference(from: a) == .infinity)
    }
}
