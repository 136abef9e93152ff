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

    // MARK: The colour plans (LoopPlan.colourPlan): split (2-D) and fused (3-D), else half-sweeps

    /// Where the plan splits the colours (2-D) or fuses the half-sweeps (3-D), and where it says why not.
    @Test func colourPlanWhereItApplies() throws {
        func plan(_ name: String, _ target: Target) throws -> LoopPlan {
            try Compilation.compile(path: Repository.stencil(name), target: target, stem: "p").program.loops
        }
        #expect(try plan("jacobi_sor.st", .openmp).colourPlan == .split)
        #expect(try plan("jacobi_sor.st", .serial).colourPlan == .split)
        let mpi = try plan("jacobi_sor.st", .mpi)
        #expect(mpi.colourPlan == .halfSweeps)
        #expect(mpi.colourPlanReason.contains("halo exchange"))
        #expect(try plan("jacobi.st", .openmp).colourPlan == .halfSweeps)  // not red-black at all
        let explained = try stencilc(["explain", Repository.stencil("jacobi_sor.st"), "--target", "openmp"])
        #expect(explained.stdout.contains("run as split"), "\(explained.stdout)")
        #expect(explained.stdout.contains("loops colour-plan split"))
        let tiled = try stencilc(["explain", Repository.stencil("jacobi_sor.st"), "--target", "openmp", "--tile", "8x16"])
        #expect(tiled.stdout.contains("loops colour-plan half-sweeps  -- two half-sweeps: the schedule's tile"), "\(tiled.stdout)")
    }

    /// A red-black update with halo 2 (reads at (2, -1) and (-2, 1), odd distances: shifts of
    /// the split arrays by a row pair and by the row's parity), float32, odd extents, run as
    /// `steps` (every iteration in the colour-split layout) on serial and on openmp at 1, 2, 3 and
    /// 7 threads (3 rows each at 7), against a hand-written in-place loop; with a tile and with
    /// schedule dynamic (half-sweeps) the same bits; and an `until ... every 3` variant (plain
    /// and check iterations, both split) with the same bits and iteration count on serial and
    /// openmp.
    @Test func splitPlanMatchesTheReference() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let rows = 25, cols = 19, steps = 23
        func source(_ stop: String) -> String {
            """
            stencil gs2 {
                grid u: float32[25, 19]
                boundary u { top = 1; left = 2; right = 3; bottom = 0.5 }
                init u = 0.25
                update u[i, j] = (u[i-1, j] + u[i+1, j] + u[i, j-1] + u[i, j+1] + 0.5 * u[i+2, j-1] + 0.25 * u[i-2, j+1]) / 5
                relax 1.5
                order redblack
                \(stop)
            }
            """
        }
        let stepsPath = directory.appendingPathComponent("gs2.st").path
        try source("steps \(steps)").write(toFile: stepsPath, atomically: true, encoding: .utf8)
        let untilPath = directory.appendingPathComponent("gs2u.st").path
        try source("until maxdiff(u) < 1e-5 every 3 max 500").write(toFile: untilPath, atomically: true, encoding: .utf8)

        var u = [Float](repeating: 0.25, count: rows * cols)
        for i in 0..<rows { for j in 0..<cols {
            if i < 2 { u[i * cols + j] = 1 }
            if j < 2 { u[i * cols + j] = 2 }
            if j >= cols - 2 { u[i * cols + j] = 3 }
            if i >= rows - 2 { u[i * cols + j] = 0.5 }
        } }
        for _ in 0..<steps {
            for colour in 0..<2 {
                for i in 2..<(rows - 2) { for j in 2..<(cols - 2) where (i + j) % 2 == colour {
                    let old = u[i * cols + j]
                    var sum = u[(i - 1) * cols + j] + u[(i + 1) * cols + j]
                    sum = sum + u[i * cols + j - 1]
                    sum = sum + u[i * cols + j + 1]
                    sum = sum + 0.5 * u[(i + 2) * cols + j - 1]
                    sum = sum + 0.25 * u[(i - 2) * cols + j + 1]
                    let value = sum / 5
                    u[i * cols + j] = old + 1.5 * (value - old)
                } }
            }
        }
        let expected = u.flatMap { withUnsafeBytes(of: $0.bitPattern.littleEndian, Array.init) }
        var count = 0
        func run(_ path: String, _ target: Target, _ extra: [String] = []) throws -> (bytes: [UInt8], stdout: String) {
            count += 1
            let output = directory.appendingPathComponent("out\(count).npy").path
            let outcome = try stencilc(["run", path, "--target", target.rawValue, "--output", "u=\(output)", "--json"] + extra)
            #expect(outcome.status == 0, "\(target) \(extra): \(outcome.stderr)")
            let data = try Data(contentsOf: URL(fileURLWithPath: output))
            return (Array(data.suffix(rows * cols * 4)), outcome.stdout)
        }
        #expect(try run(stepsPath, .serial).bytes == expected ? true : false)
        for threads in [1, 2, 3, 7] {
            #expect(try run(stepsPath, .openmp, ["--num-threads", String(threads)]).bytes == expected ? true : false, "\(threads) threads")
        }
        #expect(try run(stepsPath, .openmp, ["--num-threads", "3", "--tile", "4x8"]).bytes == expected ? true : false)
        #expect(try run(stepsPath, .openmp, ["--num-threads", "3", "--schedule", "dynamic"]).bytes == expected ? true : false)

        func iterations(_ stdout: String) -> Int? {
            guard let line = stdout.split(separator: "\n").last(where: { $0.hasPrefix("{") }),
                  let json = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] else { return nil }
            return json["iterations"] as? Int
        }
        let serial = try run(untilPath, .serial)
        let serialIterations = iterations(serial.stdout)
        #expect(serialIterations != nil && serialIterations! > 3 && serialIterations! % 3 == 0, "\(serial.stdout)")
        for threads in [2, 5] {
            let openmp = try run(untilPath, .openmp, ["--num-threads", String(threads)])
            #expect(openmp.bytes == serial.bytes ? true : false, "\(threads) threads")
            #expect(iterations(openmp.stdout) == serialIterations)
        }
    }

    /// 3-D red-black (7-point), fused by planes, as `steps` (every iteration fused): openmp at 1,
    /// 2 and 4 threads (4 threads on 5 planes: bands of one plane) with serial's bits, and serial
    /// with a hand-written in-place loop.
    @Test func fusedPlanIn3D() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let (p, r, c) = (7, 9, 8), steps = 11
        let path = directory.appendingPathComponent("rb3.st").path
        try """
            stencil rb3 {
                grid u: float64[7, 9, 8]
                init u = 0
                boundary u { top = 1; left = 2 }
                update u[k, i, j] = (u[k-1, i, j] + u[k+1, i, j] + u[k, i-1, j] + u[k, i+1, j] + u[k, i, j-1] + u[k, i, j+1]) / 6
                relax 1.25
                order redblack
                steps 11
            }
            """.write(toFile: path, atomically: true, encoding: .utf8)
        let explained = try stencilc(["explain", path, "--target", "openmp"])
        #expect(explained.stdout.contains("loops colour-plan fused"), "\(explained.stdout)")
        var count = 0
        func run(_ target: Target, _ extra: [String] = []) throws -> [UInt8] {
            count += 1
            let output = directory.appendingPathComponent("out\(count).npy").path
            let outcome = try stencilc(["run", path, "--target", target.rawValue, "--output", "u=\(output)"] + extra)
            #expect(outcome.status == 0, "\(target) \(extra): \(outcome.stderr)")
            return Array(try Data(contentsOf: URL(fileURLWithPath: output)).suffix(p * r * c * 8))
        }
        let serial = try run(.serial)
        for threads in [1, 2, 4] {
            #expect(try run(.openmp, ["--num-threads", String(threads)]) == serial ? true : false, "\(threads) threads")
        }
        // Serial against a hand-written in-place loop. The boundary points never change, so they
        // are taken from serial's output (the faces' fills are DimensionsTests' business); the
        // interior starts at the init, 0.
        var u = serial.withUnsafeBytes { raw in
            (0..<(p * r * c)).map { Double(bitPattern: UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: $0 * 8, as: UInt64.self))) }
        }
        for index in u.indices {
            let (k, rest) = index.quotientAndRemainder(dividingBy: r * c)
            let (i, j) = rest.quotientAndRemainder(dividingBy: c)
            if k > 0 && k < p - 1 && i > 0 && i < r - 1 && j > 0 && j < c - 1 { u[index] = 0 }
        }
        for _ in 0..<steps {
            for colour in 0..<2 {
                for k in 1..<(p - 1) { for i in 1..<(r - 1) { for j in 1..<(c - 1) where (k + i + j) % 2 == colour {
                    let at = { (dk: Int, di: Int, dj: Int) in u[(k + dk) * r * c + (i + di) * c + j + dj] }
                    let old = at(0, 0, 0)
                    let value = (at(-1, 0, 0) + at(1, 0, 0) + at(0, -1, 0) + at(0, 1, 0) + at(0, 0, -1) + at(0, 0, 1)) / 6
                    u[k * r * c + i * c + j] = old + 1.25 * (value - old)
                } } }
            }
        }
        let expected = u.flatMap { withUnsafeBytes(of: $0.bitPattern.littleEndian, Array.init) }
        #expect(serial == expected ? true : false, "serial against the hand-written loop")
    }

    /// The split layout's sweeps for updates that read no neighbour of their own grid, a
    /// read-only grid, or index values build without a warning (-Wall -Wextra -Werror: the
    /// differential generator found an unused `other` local), and run with the bits of mpi
    /// (half-sweeps).
    @Test func splitSweepsOfUnusualUpdatesBuildWarningFree() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let updates = [
            "update u[i, j] = 0.5 * u[i, j] + f[i, j]",
            "update u[i, j] = f[i-1, j+1] + 0.25 * i - 0.125 * j",
            "update u[i, j] = (u[i, j-1] + u[i, j+1]) / 2 + f[i, j] * j",
        ]
        for (index, update) in updates.enumerated() {
            let path = directory.appendingPathComponent("odd\(index).st").path
            try """
                stencil odd\(index) {
                    grid u: float64[13, 16]
                    grid f: float64[13, 16]
                    init f = 0.5
                    boundary u { top = 1; left = 2 }
                    \(update)
                    order redblack
                    steps 9
                }
                """.write(toFile: path, atomically: true, encoding: .utf8)
            for target in [Target.serial, .openmp] {
                let compiled = try Compilation.compile(path: path, target: target, stem: "odd\(index)")
                #expect(compiled.program.loops.colourPlan == .split)
                let (built, errors) = try buildsWarningFree(compiled.emitted.source, recipe: compiled.emitted.recipe)
                #expect(built, "\(update) on \(target): \(errors)")
            }
            func run(_ target: Target, _ extra: [String] = []) throws -> Data {
                let output = directory.appendingPathComponent("odd\(index)_\(target.rawValue).npy").path
                let outcome = try stencilc(["run", path, "--target", target.rawValue, "--output", "u=\(output)"] + extra,
                                           environment: target == .mpi ? MPITests.sharedMemoryOnly : [:])
                #expect(outcome.status == 0, "\(target): \(outcome.stderr)")
                return try Data(contentsOf: URL(fileURLWithPath: output))
            }
            let mpi = try run(.mpi, ["--ranks", "2"])
            #expect(try run(.serial) == mpi ? true : false, "\(update): serial against mpi")
            #expect(try run(.openmp, ["--num-threads", "3"]) == mpi ? true : false, "\(update): openmp against mpi")
        }
    }
}
