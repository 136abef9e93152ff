// RedBlackTests.swift: `order redblack` (LANGUAGE.md section 5) on jacobi_sor.st. Serial and
// openmp are checked bit for bit against the hand-written reference by NumericalTests, mpi and
// hybrid (1-4 ranks, both decompositions) by MPITests and opencl by OpenCLTests (jacobi_sor.st is
// in ReferencePrograms.all). Here: the summary's order, the run-time plan (whole sweeps only),
// SOR beating Jacobi, and plain red-black Gauss-Seidel (no relax) against the reference.

import Foundation
import StencilCodegen
import StencilDriver
import StencilIR
import Testing

@Suite struct RedBlackTests {
    @Test func summaryGivesOrderAndFactor() throws {
        let run = try runStencil("jacobi_sor.st", target: .serial, params: ["N=41"])
        #expect(run.summary["order"] as? String == "redblack")
        let omega = 2.0 / (1.0 + sin(3.141592653589793 / 40.0))
        #expect(run.summary["relax"] as? Double == omega)
        #expect(run.converged)
        let plan = run.summary["plan"] as? [String: Any]
        #expect(plan?["kind"] as? String == "sweeps")
    }

    /// Red-black order updates in place, a half-sweep after the whole of the one before: no plan
    /// but whole sweeps, and asking for one is an error that says why.
    @Test func onlyWholeSweeps() throws {
        let program = try Compilation.compile(path: Repository.stencil("jacobi_sor.st"), target: .openmp, stem: "jacobi_sor").program
        #expect(program.redBlack)
        #expect(program.loops.temporalKinds.isEmpty)
        #expect(program.loops.colourHalfSweeps)
        #expect(program.loops.temporalReason.contains("red-black"))
        let refused = try stencilc(["run", Repository.stencil("jacobi_sor.st"), "--target", "serial", "--param", "N=24"],
                                   environment: ["STENCILC_PLAN": "tiles:4"])
        #expect(refused.status != 0)
        #expect(refused.stderr.contains("red-black order"), "\(refused.stderr)")
    }

    @Test func sorConvergesFarSoonerThanJacobi() throws {
        // Jacobi needs thousands of sweeps at N=65 to a change of 1e-6; SOR's count grows like N.
        let sor = try runStencil("jacobi_sor.st", target: .serial, params: ["N=65"])
        #expect(sor.converged)
        #expect(sor.iterations <= 400, "SOR took \(sor.iterations) iterations at N=65")
    }

    @Test func explainSaysWhyItIsDeterministic() throws {
        let explained = try stencilc(["explain", Repository.stencil("jacobi_sor.st"), "--target", "mpi"])
        #expect(explained.status == 0)
        #expect(explained.stdout.contains("order redblack: red-black Gauss-Seidel"))
        #expect(explained.stdout.contains("a red point reads"))
    }

    /// Plain red-black Gauss-Seidel (no relax), a steps program with a read-only grid, on every
    /// CPU target and opencl: the same bits as serial, and serial as a hand-written in-place loop.
    @Test func gaussSeidelWithoutRelaxOnEveryTarget() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("gs.st").path
        try """
            stencil gs {
                grid u: float32[23, 27]
                grid f: float32[23, 27]
                init f = 0.5
                boundary u { top = 1; left = 2 }
                update u[i, j] = (u[i-1, j] + u[i+1, j] + u[i, j-1] + u[i, j+1] + f[i, j]) / 4
                order redblack
                steps 37
            }
            """.write(toFile: path, atomically: true, encoding: .utf8)
        let rows = 23, cols = 27
        var u = [Float](repeating: 0, count: rows * cols)
        for i in 0..<rows { for j in 0..<cols { if i == 0 { u[i * cols + j] = 1 }; if j == 0 { u[i * cols + j] = 2 } } }
        for _ in 0..<37 {
            for colour in 0..<2 {
                for i in 1..<(rows - 1) { for j in 1..<(cols - 1) where (i + j) % 2 == colour {
                    u[i * cols + j] = (u[(i - 1) * cols + j] + u[(i + 1) * cols + j] + u[i * cols + j - 1] + u[i * cols + j + 1] + 0.5) / 4
                } }
            }
        }
        let expected = u.flatMap { withUnsafeBytes(of: $0.bitPattern.littleEndian, Array.init) }
        func run(_ target: Target, _ schedule: Schedule = Schedule()) throws -> [UInt8] {
            let output = directory.appendingPathComponent("gs_\(target.rawValue)_\(schedule.ranks ?? 1).npy").path
            let outcome = try stencilc(["run", path, "--target", target.rawValue, "--output", "u=\(output)"]
                                       + (schedule.ranks.map { ["--ranks", String($0), "--decompose", schedule.decompose?.rawValue ?? "rows"] } ?? []),
                                       environment: target == .mpi || target == .hybrid ? MPITests.sharedMemoryOnly : [:])
            #expect(outcome.status == 0, "\(target): \(outcome.stderr)")
            let data = try Data(contentsOf: URL(fileURLWithPath: output))
            return Array(data.suffix(rows * cols * 4))
        }
        #expect(try run(.serial) == expected)
        #expect(try run(.openmp) == expected)
        #expect(try run(.opencl) == expected)
        var grid = Schedule()
        grid.ranks = 3
        grid.decompose = .grid
        #expect(try run(.mpi, grid) == expected)
        var rows3 = Schedule()
        rows3.ranks = 4
        rows3.decompose = .rows
        #expect(try run(.hybrid, rows3) == expected)
    }

    /// Index names as values in a red-black update: on an MPI rank they are global indices, so
    /// each half-sweep unpacks the block's offsets as Jacobi's sweep does (the differential
    /// generator found red-black mpi code that used `row_offset` without declaring it).
    @Test func indexValuesOnEveryRank() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("gsi.st").path
        try """
            stencil gsi {
                grid u: float64[19, 22]
                boundary u { top = 1; left = 2 }
                update u[i, j] = (u[i-1, j] + u[i+1, j] + u[i, j-1] + u[i, j+1]) / 4 + 0.001 * i - 0.002 * j
                relax 1.5
                order redblack
                until maxdiff(u) < 1e-9 every 3 max 40
            }
            """.write(toFile: path, atomically: true, encoding: .utf8)
        func run(_ target: Target, ranks: Int? = nil, decompose: String = "rows") throws -> Data {
            let output = directory.appendingPathComponent("gsi_\(target.rawValue)_\(ranks ?? 1)_\(decompose).npy").path
            let outcome = try stencilc(["run", path, "--target", target.rawValue, "--output", "u=\(output)"]
                                       + (ranks.map { ["--ranks", String($0), "--decompose", decompose] } ?? []),
                                       environment: target == .mpi || target == .hybrid ? MPITests.sharedMemoryOnly : [:])
            #expect(outcome.status == 0, "\(target): \(outcome.stderr)")
            return try Data(contentsOf: URL(fileURLWithPath: output))
        }
        let serial = try run(.serial)
        #expect(try run(.mpi, ranks: 3, decompose: "grid") == serial)
        #expect(try run(.mpi, ranks: 2) == serial)
        #expect(try run(.hybrid, ranks: 2, decompose: "grid") == serial)
    }
}
