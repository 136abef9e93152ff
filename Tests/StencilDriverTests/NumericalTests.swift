// NumericalTests.swift: every program of stencils/ on every CPU target against the hand-written
// reference (Reference.swift), bit for bit with the same iteration count; and the openmp target
// bitwise identical to serial at 1 and 2 threads under static, dynamic and guided schedules.

import StencilDriver
import StencilIR
import Testing

extension ReferenceCase: CustomTestStringConvertible {}

@Suite struct NumericalTests {
    @Test(arguments: ReferencePrograms.all, [Target.serial, .openmp])
    func matchesIndependentReference(_ program: ReferenceCase, target: Target) throws {
        let run = try runStencil(program.file, target: target, params: program.params)
        let reference = program.solve()
        #expect(run.iterations == reference.iterations, "iterations: \(target) \(run.iterations), reference \(reference.iterations)")
        #expect(run.converged == reference.converged)
        #expect(run.field.bytes.count == reference.bytes.count)
        if run.field.bytes != reference.bytes {
            let differing = zip(run.field.bytes, reference.bytes).enumerated().first { $0.element.0 != $0.element.1 }
            Issue.record("field differs from the reference (first differing byte \(differing?.offset ?? -1))")
        }
    }

    /// Wider grids than the programs above: more vector iterations per row and remainders.
    @Test(arguments: ReferencePrograms.wide, [Target.serial, .openmp])
    func wideGridsMatchIndependentReference(_ program: ReferenceCase, target: Target) throws {
        try matchesIndependentReference(program, target: target)
    }

    static let openMPConfigurations: [(threads: Int, kind: ScheduleKind, chunk: Int?)] = [
        (1, .static, nil), (2, .static, nil), (2, .static, 3),
        (1, .dynamic, nil), (2, .dynamic, nil), (2, .dynamic, 5),
        (1, .guided, nil), (2, .guided, nil), (2, .guided, 2),
    ]

    @Test(arguments: ReferencePrograms.all)
    func openMPBitwiseIdenticalToSerial(_ program: ReferenceCase) throws {
        let serial = try runStencil(program.file, target: .serial, params: program.params)
        for configuration in Self.openMPConfigurations {
            var schedule = Schedule()
            schedule.numThreads = configuration.threads
            schedule.kind = configuration.kind
            schedule.chunksize = configuration.chunk
            let run = try runStencil(program.file, target: .openmp, params: program.params, schedule: schedule)
            let label = "\(configuration.threads) threads, \(configuration.kind.rawValue)\(configuration.chunk.map { ",\($0)" } ?? "")"
            #expect(run.iterations == serial.iterations, "\(label): iterations \(run.iterations) vs serial \(serial.iterations)")
            #expect(run.field == serial.field, "\(label): field differs from serial")
        }
    }

    /// Tiling changes the loop order, never the result.
    @Test func tiledSweepIdenticalToUntiled() throws {
        var tiled = Schedule()
        tiled.tile = [5, 7]
        tiled.numThreads = 2
        let serial = try runStencil("jacobi.st", target: .serial, params: ["N=41"])
        let run = try runStencil("jacobi.st", target: .openmp, params: ["N=41"], schedule: tiled)
        #expect(run.iterations == serial.iterations)
        #expect(run.field == serial.field)
    }

    /// Tiles split rows into segments; a segment of 16 columns or more is swept in vector strips
    /// that start wherever the tile does.
    @Test func wideTiledSweepIdenticalToUntiled() throws {
        var tiled = Schedule()
        tiled.tile = [5, 37]
        tiled.numThreads = 2
        let serial = try runStencil("jacobi.st", target: .serial, params: ["N=131"])
        let run = try runStencil("jacobi.st", target: .openmp, params: ["N=131"], schedule: tiled)
        #expect(run.iterations == serial.iterations)
        #expect(run.field == serial.field)
    }

    /// clang (Debian's clang-14 with libomp, the supported clang) gives the same bits as gcc.
    @Test(arguments: ["weighted_jacobi.st", "channel.st", "poisson64.st"])
    func clangAgreesWithGCC(_ file: String) throws {
        let program = try #require(ReferencePrograms.all.first { $0.file == file })
        var schedule = Schedule()
        schedule.kind = .dynamic
        schedule.numThreads = 2
        let gcc = try runStencil(file, target: .serial, params: program.params)
        let clang = try runStencil(file, target: .openmp, params: program.params, schedule: schedule, compiler: "clang-14")
        #expect(clang.iterations == gcc.iterations)
        #expect(clang.field == gcc.field)
    }

    /// Temporal blocking (skewed row tiles advancing several sweeps) changes the order of work,
    /// never a bit of the result: small tiles and depths that do not divide the grid or the
    /// sweeps between checks, rows cut into column tiles too, halo 1 and 2, diagonal reads, a
    /// read-only grid, steps programs, 3-D grids.
    @Test(arguments: ReferencePrograms.all.filter { $0.file != "jacobi_sor.st" /* red-black: whole sweeps only */
                                                   && !ReferencePrograms.boundaryEachSweep.contains($0.file)
                                                   && !ReferencePrograms.systems.contains($0.file) })
    func temporalBlockingIdenticalToSerial(_ program: ReferenceCase) throws {
        let serial = try runStencil(program.file, target: .serial, params: program.params, environment: ["STENCILC_PLAN": "sweeps"])
        // (tile rows, depth, threads, target, tile columns: nil for whole rows)
        for (tileRows, depth, threads, target, tileCols) in [(3, 4, 2, Target.openmp, nil), (5, 7, 1, .openmp, nil), (7, 2, 2, .openmp, 3),
                                                             (16, 64, 2, .openmp, nil), (4, 3, 1, .serial, 5)] {
            var schedule = Schedule()
            schedule.numThreads = threads
            let environment = ["STENCILC_PLAN": "tiles:\(depth):\(tileRows)" + (tileCols.map { ":\($0)" } ?? "")]
            let run = try runStencil(program.file, target: target, params: program.params, schedule: schedule, environment: environment)
            let label = "\(target) tiles of \(tileRows) rows x \(tileCols.map(String.init) ?? "whole") columns, depth \(depth), \(threads) threads"
            let plan = run.summary["plan"] as? [String: Any]
            #expect(plan?["kind"] as? String == "tiles" && plan?["depth"] as? Int == depth && plan?["tile_rows"] as? Int == tileRows
                    && plan?["tile_cols"] as? Int == tileCols ?? 0, "\(label): blocking not applied")
            #expect(run.iterations == serial.iterations, "\(label): iterations \(run.iterations) vs serial \(serial.iterations)")
            #expect(run.field == serial.field, "\(label): field differs from serial")
        }
    }

    /// Band sweeps (each thread advances its own rows several sweeps between barriers, recomputing
    /// its neighbours' edge rows) change who computes what, never a bit: depths that do and do not
    /// divide the sweeps between checks (an even depth asked for runs odd), tiles of 1, 3 and 4
    /// rows and whole bands, rows cut into column tiles too, 2 and 3 threads, halo 1 and 2, a
    /// read-only grid, steps programs, vector and scalar updates.
    /// (weighted_jacobi.st sets a chunksize, which asks for round-robin rows, and heat.st a tile:
    /// no bands there; `bandsRefusedWhereTheScheduleRulesThemOut` checks that they say so.
    /// Systems have none either: SystemsTests checks that they refuse them.)
    @Test(arguments: ReferencePrograms.all.filter { $0.file != "weighted_jacobi.st" && $0.file != "heat.st" && $0.file != "jacobi_sor.st"
                                                   && !ReferencePrograms.boundaryEachSweep.contains($0.file)
                                                   && !ReferencePrograms.systems.contains($0.file) }
          + [ReferencePrograms.jacobi(67)])
    func bandSweepsIdenticalToSerial(_ program: ReferenceCase) throws {
        let serial = try runStencil(program.file, target: .serial, params: program.params, environment: ["STENCILC_PLAN": "sweeps"])
        // (depth asked, depth used: odd, tile rows: nil for the plan's, threads, tile columns: nil for whole rows)
        for (depth, used, tileRows, threads, tileCols) in [(1, 1, nil, 2, nil), (2, 1, nil, 2, nil), (5, 5, 3, 3, 4), (8, 7, nil, 2, nil),
                                                           (7, 7, 1, 2, nil), (9, 9, 4, 2, 6),
                                                           (1 << 30, (1 << 30) - 1, 1 << 30, 2, 1 << 30)] { // the largest
            var schedule = Schedule()
            schedule.numThreads = threads
            schedule.kind = .static
            let environment = ["STENCILC_PLAN": "bands:\(depth)" + (tileRows.map { ":\($0)" } ?? "") + (tileCols.map { ":\($0)" } ?? "")]
            let run = try runStencil(program.file, target: .openmp, params: program.params, schedule: schedule, environment: environment)
            let label = "bands of depth \(depth), tiles of \(tileRows.map(String.init) ?? "the plan's") rows x "
                + "\(tileCols.map(String.init) ?? "whole") columns, \(threads) threads"
            let temporal = run.summary["plan"] as? [String: Any]
            #expect(temporal?["kind"] as? String == "bands" && temporal?["depth"] as? Int == used, "\(label): bands not applied")
            if let tileRows { #expect(temporal?["tile_rows"] as? Int == tileRows, "\(label): tile rows \(temporal?["tile_rows"] ?? "none")") }
            #expect(temporal?["tile_cols"] as? Int == tileCols ?? 0, "\(label): tile columns \(temporal?["tile_cols"] ?? "none")")
            #expect(run.iterations == serial.iterations, "\(label): iterations \(run.iterations) vs serial \(serial.iterations)")
            #expect(run.field == serial.field, "\(label): field differs from serial")
        }
    }

    /// A plan the program cannot run is an error that says why, not a silent fallback.
    @Test func bandsRefusedWhereTheScheduleRulesThemOut() throws {
        for file in ["heat.st", "weighted_jacobi.st"] {
            var schedule = Schedule()
            schedule.numThreads = 2
            #expect(throws: DriverError.self, "\(file)") {
                try runStencil(file, target: .openmp, params: ["N=30"], schedule: schedule, environment: ["STENCILC_PLAN": "bands:3"])
            }
        }
        // Past ST_PLAN_LARGEST (2^30): a depth of 2^63 - 1 overflowed the drivers' row sums and ran
        // to a wrong field with status 0; 2^64 and more was clamped by strtol to the same.
        for text in ["tiles:0:4", "tiles:3:4:0", "bands:3:4:5:6", "sweeps:3", "tiles:3:x", "tiles:9223372036854775807",
                     "tiles:3:99999999999999999999", "tiles:3:4:1073741825"] {
            do {
                _ = try runStencil("jacobi.st", target: .serial, params: ["N=30"], environment: ["STENCILC_PLAN": text])
                Issue.record("plan \(text) was accepted")
            } catch let error as DriverError {
                #expect("\(error.message) \(error.toolOutput)".contains("bad plan '\(text)'"), "\(text): \(error)")
            }
        }
    }
}
