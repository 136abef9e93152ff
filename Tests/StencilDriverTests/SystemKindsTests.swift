// SystemKindsTests.swift: systems whose grids have neumann or periodic sides (LANGUAGE.md section
// 5, "Systems" and "Boundary kinds"): after every iteration each updated grid's boundary
// statements run again on its new iterate, in the order written. Serial against the independent
// reference (ReferenceND.swift: ReferenceSystemN applies them per grid after each iteration), and
// openmp (two schedules), opencl, mpi and hybrid (2 and 3 ranks, rows and grid: 2-D blocks, 3-D
// slabs and blocks of a process grid, 1-D blocks; periodic axes are periodic axes of ranks) bit
// for bit with serial.

import Foundation
import StencilDriver
import StencilIR
import Testing

enum ReferenceSystemKinds {
    static let all: [ReferenceSystemCase] = [periodic, neumann, periodic3d, kinds1d]

    static func input(_ name: String) -> String { Repository.root + "/Tests/StencilDriverTests/Inputs/\(name)" }

    /// Inputs/system_periodic.st: Gray-Scott-like, both grids periodic on both axes.
    static let periodic = ReferenceSystemCase.makeN(input("system_periodic.st"), [], grids: ["u", "v"]) { () -> ReferenceSystemN<Double> in
        let du = 0.16, dv = 0.08, f = 0.06, k = 0.062
        let wrap: [ReferenceStatementN<Double>] = [.periodic(.left), .periodic(.right), .periodic(.top), .periodic(.bottom)]
        let wrapV: [ReferenceStatementN<Double>] = [.periodic(.top), .periodic(.bottom), .periodic(.left), .periodic(.right)]
        return ReferenceSystemN(shape: [12, 12], halo: 1,
                                start: [{ p in 1 - 0.004 * Double(p[0]) * Double(p[1]) }, { p in 0.01 * Double(p[0]) + 0.02 * Double(p[1]) }],
                                statements: [wrap, wrapV],
                                updates: [
                                    { g, _ in
                                        let u = g(0, [0, 0]), v = g(1, [0, 0])
                                        return u + du * (g(0, [-1, 0]) + g(0, [1, 0]) + g(0, [0, -1]) + g(0, [0, 1]) - 4 * u) - u * v * v + f * (1 - u)
                                    },
                                    { g, _ in
                                        let u = g(0, [0, 0]), v = g(1, [0, 0])
                                        return v + dv * (g(1, [-1, 0]) + g(1, [1, 0]) + g(1, [0, -1]) + g(1, [0, 1]) - 4 * v) + u * v * v - (f + k) * v
                                    },
                                ],
                                normed: [], stop: .steps(25))
    }

    /// Inputs/system_neumann.st: u insulated left and right between fixed top and bottom, v fixed
    /// sides only, `until maxdiff(u, v)`; the read-only c periodic top/bottom (applied once).
    static let neumann = ReferenceSystemCase.makeN(input("system_neumann.st"), [], grids: ["u", "v"]) { () -> ReferenceSystemN<Double> in
        let n = 10
        let c = { (i: Int, j: Int) -> Double in 0.01 * Double(i == 0 ? n - 2 : i == n - 1 ? 1 : i) * Double(j) }
        return ReferenceSystemN(shape: [10, 10], halo: 1,
                         start: [{ p in 0.01 * Double(p[0]) * Double(p[1]) }, { _ in 0.25 }],
                         statements: [[.value(.top, { _ in 1 }), .neumann(.left), .neumann(.right), .value(.bottom, { _ in 0 })],
                                      [.value(.left, { _ in 0.5 }), .value(.right, { _ in 0 })]],
                         updates: [
                             { g, p in (g(0, [-1, 0]) + g(0, [1, 0]) + g(0, [0, -1]) + g(0, [0, 1]) + 0.1 * g(1, [0, 0]) + 0.05 * c(p[0] - 1, p[1])) / 4.1 },
                             { g, _ in (g(1, [-1, 0]) + g(1, [1, 0]) + g(1, [0, -1]) + g(1, [0, 1]) + 0.2 * g(0, [0, 0])) / 4.2 },
                         ],
                         normed: [0, 1], stop: .until(l2: false, epsilon: 1e-5, every: 2, max: 3000))
    }

    /// Inputs/system_kinds1d.st: w a ring, u insulated on the left and fixed on the right,
    /// `until maxdiff(u, w)`.
    static let kinds1d = ReferenceSystemCase.makeN(input("system_kinds1d.st"), [], grids: ["u", "w"]) { () -> ReferenceSystemN<Double> in
        ReferenceSystemN(shape: [29], halo: 1,
                         start: [{ p in sin(0.3 * Double(p[0])) }, { p in cos(0.2 * Double(p[0])) }],
                         statements: [[.neumann(.left), .value(.right, { _ in 2 })], [.periodic(.left), .periodic(.right)]],
                         updates: [
                             { g, _ in (g(0, [-1]) + g(0, [1]) + g(1, [0])) / 3 },
                             { g, _ in 0.4 * g(1, [0]) + 0.25 * (g(1, [-1]) + g(1, [1])) + 0.05 * g(0, [0]) },
                         ],
                         normed: [0, 1], stop: .until(l2: false, epsilon: 1e-7, every: 7, max: 5000))
    }

    /// Inputs/system_periodic3d.st: u periodic front/back with a fixed top, w a fixed front and a
    /// neumann left side.
    static let periodic3d = ReferenceSystemCase.makeN(input("system_periodic3d.st"), [], grids: ["u", "w"]) { () -> ReferenceSystemN<Float> in
        ReferenceSystemN(shape: [6, 5, 7], halo: 1,
                         start: [{ p in Float(0.1) * Float(p[0]) + Float(0.2) * Float(p[1]) - Float(0.05) * Float(p[2]) }, { _ in 1 }],
                         statements: [[.periodic(.front), .periodic(.back), .value(.top, { _ in 0 })],
                                      [.value(.front, { _ in 2 }), .neumann(.left)]],
                         updates: [
                             { g, _ in
                                 (g(0, [-1, 0, 0]) + g(0, [1, 0, 0]) + g(0, [0, -1, 0]) + g(0, [0, 1, 0]) + g(0, [0, 0, -1]) + g(0, [0, 0, 1])
                                  + g(1, [0, 0, 0])) / 7
                             },
                             { g, _ in Float(0.5) * g(1, [0, 0, 0]) + Float(0.25) * g(0, [0, 0, 0]) + Float(0.25) * g(1, [0, 0, 1]) },
                         ],
                         normed: [], stop: .steps(15))
    }
}

@Suite struct SystemKindsTests {
    @Test(arguments: ReferenceSystemKinds.all)
    func serialMatchesIndependentReference(_ system: ReferenceSystemCase) throws {
        let run = try runStencil(system.file, target: .serial, params: system.params, grids: system.grids)
        let reference = system.solve()
        #expect(run.iterations == reference.iterations, "iterations: serial \(run.iterations), reference \(reference.iterations)")
        #expect(run.converged == reference.converged)
        SystemsTests.expectSameGrids(run, reference.fields, "serial")
    }

    /// openmp under two schedules, opencl, mpi (2 and 3 ranks, rows and grid: 2-D blocks, 3-D
    /// slabs of planes and blocks of a process grid, 1-D blocks) and hybrid: serial's bits and
    /// iteration count.
    @Test(arguments: ReferenceSystemKinds.all)
    func everyTargetBitwiseIdenticalToSerial(_ system: ReferenceSystemCase) throws {
        let serial = try runStencil(system.file, target: .serial, params: system.params, grids: system.grids)
        let expected = serial.fields.mapValues(\.bytes)
        var runs: [(String, Target, Schedule)] = []
        for (threads, kind, chunk) in [(2, ScheduleKind.static, nil), (2, .dynamic, 2)] as [(Int, ScheduleKind, Int?)] {
            var schedule = Schedule()
            schedule.numThreads = threads
            schedule.kind = kind
            schedule.chunksize = chunk
            runs.append(("openmp \(threads) threads \(kind.rawValue)", .openmp, schedule))
        }
        runs.append(("opencl", .opencl, Schedule()))
        // Every layout: 2-D blocks of rows or of a grid, 3-D slabs (rows) or blocks (grid), 1-D
        // blocks of the one dimension (both decompositions).
        let decompositions: [Decomposition] = [.rows, .grid]
        for ranks in [2, 3] {
            for decompose in decompositions {
                var schedule = Schedule()
                schedule.ranks = ranks
                schedule.decompose = decompose
                runs.append(("mpi \(ranks) ranks \(decompose.rawValue)", .mpi, schedule))
            }
        }
        var hybrid = Schedule()
        hybrid.ranks = 2
        hybrid.numThreads = 2
        hybrid.decompose = .grid
        runs.append(("hybrid 2 ranks grid", .hybrid, hybrid))
        for (label, target, schedule) in runs {
            let run = try runStencil(system.file, target: target, params: system.params, schedule: schedule,
                                     environment: MPITests.sharedMemoryOnly, grids: system.grids)
            #expect(run.iterations == serial.iterations, "\(label): iterations \(run.iterations) vs serial \(serial.iterations)")
            #expect(run.converged == serial.converged, "\(label)")
            SystemsTests.expectSameGrids(run, expected, label)
        }
    }
}
