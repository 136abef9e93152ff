// TilesTests.swift: `tile` and `workgroup` with one size per dimension on 1-D and 3-D grids.
// Tiles change only the order in which points are updated, so every tiled run must give the
// untiled serial run's bits and iteration count, with tile sizes that do not divide the grid
// (the last tile of each dimension is clipped); a wrong number of sizes is an error.

import Foundation
import Testing
import StencilDriver
import StencilFrontend
import StencilIR

@Suite struct TilesTests {
    /// Tiles per dimension that leave remainders on the grids below, run by 1 to 3 threads.
    static let cases: [(file: String, params: [String], tiles: [[Int]])] = [
        ("heat3d.st", ["N=13", "steps_count=9"], [[3, 5, 7], [1, 4, 16], [20, 20, 20]]),
        ("laplace3d.st", ["N=11"], [[2, 3, 4]]),
        ("rod.st", ["N=101", "steps_count=50"], [[7], [1], [200]]),
    ]

    @Test(arguments: cases.indices)
    func tiledRunsMatchSerial(_ index: Int) throws {
        let (file, params, tiles) = Self.cases[index]
        let serial = try runStencil(file, target: .serial, params: params)
        for tile in tiles {
            for (target, threads) in [(Target.serial, nil), (.openmp, 1), (.openmp, 2), (.openmp, 3)] as [(Target, Int?)] {
                var schedule = Schedule()
                schedule.tile = tile
                schedule.numThreads = threads
                let run = try runStencil(file, target: target, params: params, schedule: schedule)
                let label = "\(file) tile \(tile) \(target.rawValue) \(threads.map { "\($0) threads" } ?? "")"
                #expect(run.iterations == serial.iterations, "\(label): iterations \(run.iterations) vs serial \(serial.iterations)")
                #expect(run.field == serial.field, "\(label): field differs from serial")
            }
        }
    }

    /// The halo-2, 27-point and red-black variants of DimensionsTests, tiled.
    @Test(arguments: DimensionsVariants.all)
    func tiledVariantsMatchSerial(_ variant: DimensionsVariant) throws {
        let (path, directory) = try variant.file()
        defer { try? FileManager.default.removeItem(at: directory) }
        let serial = try runStencil(path, target: .serial)
        var schedule = Schedule()
        schedule.numThreads = 2
        schedule.tile = Array([3, 2, 5].suffix(serial.field.shape.count))
        let run = try runStencil(path, target: .openmp, schedule: schedule)
        #expect(run.iterations == serial.iterations, "\(variant.name) tiled")
        #expect(run.field == serial.field, "\(variant.name) tile \(schedule.tile!): field differs from serial")
    }

    /// Temporal blocking in 3-D (runtime/stencil_sweeps.c cuts the planes as it cuts a 2-D grid's
    /// rows): tiles and bands of planes, whole or cut into column tiles, depths that do and do not
    /// divide the sweeps, halo 1 and 2, steps and until programs, bit for bit with whole serial sweeps.
    @Test(arguments: [("heat3d.st", ["N=13", "steps_count=9"]), ("laplace3d.st", ["N=11"]),
                      ("heat3d.st", ["N=17", "steps_count=23"])])
    func temporalBlockingIn3DMatchesSerial(_ file: String, _ params: [String]) throws {
        let serial = try runStencil(file, target: .serial, params: params, environment: ["STENCILC_PLAN": "sweeps"])
        for (plan, kind, threads, target) in [("tiles:4:3", "tiles", 2, Target.openmp), ("tiles:7:5:4", "tiles", 1, .openmp),
                                              ("tiles:3:2", "tiles", 1, .serial), ("tiles:16:64", "tiles", 2, .openmp),
                                              ("bands:5:2", "bands", 2, .openmp), ("bands:3", "bands", 3, .openmp),
                                              ("bands:9:1:3", "bands", 2, .openmp)] {
            var schedule = Schedule()
            schedule.numThreads = target == .openmp ? threads : nil
            let run = try runStencil(file, target: target, params: params, schedule: schedule, environment: ["STENCILC_PLAN": plan])
            let label = "\(file) \(params) \(target.rawValue) plan \(plan), \(threads) threads"
            #expect((run.summary["plan"] as? [String: Any])?["kind"] as? String == kind, "\(label): not applied")
            #expect(run.iterations == serial.iterations, "\(label): iterations \(run.iterations) vs serial \(serial.iterations)")
            #expect(run.field == serial.field, "\(label): field differs from serial")
        }
    }

    /// The halo-2 and 27-point variants, blocked in time (red-black runs whole sweeps).
    @Test(arguments: DimensionsVariants.all.filter { !$0.text.contains("redblack") })
    func temporalBlockingOfVariantsMatchesSerial(_ variant: DimensionsVariant) throws {
        let (path, directory) = try variant.file()
        defer { try? FileManager.default.removeItem(at: directory) }
        let serial = try runStencil(path, target: .serial)
        guard serial.field.shape.count == 3 else { return }
        var schedule = Schedule()
        schedule.numThreads = 2
        for plan in ["tiles:5:3", "bands:3:2:5"] {
            let run = try runStencil(path, target: .openmp, schedule: schedule, environment: ["STENCILC_PLAN": plan])
            #expect(run.iterations == serial.iterations, "\(variant.name) \(plan)")
            #expect(run.field == serial.field, "\(variant.name) \(plan): field differs from serial")
        }
    }

    /// 3-D openmp carries tiles and bands for the run-time plan, and explain says so; 1-D runs
    /// whole sweeps and says why.
    @Test func planRecordsTemporalBlockingIn3D() throws {
        let heat = try Compilation.compile(path: Repository.stencil("heat3d.st"), target: .openmp)
        #expect(heat.program.loops.temporalKinds == [.tiles, .bands])
        #expect(Explain.text(heat.program).contains("a 3-D grid: bands of planes"), "\(Explain.text(heat.program))")
        #expect(heat.emitted.source.contains("sizeof(float), 2, rows * cols };"), "the sweeper's row size: a plane")
        let rod = try Compilation.compile(path: Repository.stencil("rod.st"), target: .openmp)
        #expect(rod.program.loops.temporalKinds.isEmpty)
        #expect(rod.program.loops.temporalReason.contains("a 1-D grid is one row"))
    }

    /// The plan records the tiles, the team shares them all (one collapsed loop), and explain
    /// says so.
    @Test func planRecordsTiles() throws {
        var schedule = Schedule()
        schedule.tile = [4, 8, 32]
        let result = try Compilation.compile(path: Repository.stencil("heat3d.st"), target: .openmp, overrides: schedule)
        #expect(result.program.loops.tile == [4, 8, 32])
        #expect(result.program.loops.worksharing?.hasSuffix("collapse(3)") == true, "\(result.program.loops.worksharing ?? "")")
        #expect(result.emitted.source.contains("kk += 4"), "the plane tile loop")
        #expect(Explain.text(result.program).contains("4 x 8 x 32 tiles"))
        schedule.tile = [16]
        let rod = try Compilation.compile(path: Repository.stencil("rod.st"), target: .openmp, overrides: schedule)
        #expect(rod.program.loops.worksharing?.contains("collapse") == false)
        #expect(rod.emitted.source.contains("jj += 16"))
    }

    /// OpenCL work-groups of one size per dimension give serial's bits: 3-D ones one plane deep
    /// and deeper, with planes that do not divide (the rounded-up planes do nothing), with a
    /// check kernel (laplace3d: its reduction folds every plane of a group), and 1-D.
    @Test func openCLWorkgroupsPerDimension() throws {
        for (file, params, sizes) in [("heat3d.st", ["N=13", "steps_count=9"], [1, 4, 8]), ("heat3d.st", ["N=13", "steps_count=9"], [2, 4, 8]),
                                      ("heat3d.st", ["N=12", "steps_count=9"], [4, 2, 4]), ("laplace3d.st", ["N=11"], [3, 2, 8]),
                                      ("rod.st", ["N=101", "steps_count=50"], [16])] {
            let serial = try runStencil(file, target: .serial, params: params)
            var schedule = Schedule()
            schedule.workgroup = sizes
            let run = try runStencil(file, target: .opencl, params: params, schedule: schedule)
            #expect(run.field == serial.field, "\(file) workgroup \(sizes): differs from serial")
        }
    }

    /// --tile/--workgroup with the wrong number of sizes: a plain error naming the count.
    @Test func wrongSizeCountOnTheCommandLine() throws {
        for (file, tile, workgroup, expected) in [
            ("heat3d.st", [4, 8], nil, "--tile takes one size per dimension: 3 for heat3d, a 3-D grid (PLANESxROWSxCOLS); got 2 (4x8)"),
            ("rod.st", [4, 8], nil, "--tile takes one size per dimension: 1 for rod, a 1-D grid (N); got 2 (4x8)"),
            ("jacobi.st", [4, 8, 16], nil, "--tile takes one size per dimension: 2 for jacobi, a 2-D grid (ROWSxCOLS); got 3 (4x8x16)"),
            ("rod.st", nil, [1, 32], "--workgroup takes one size per dimension: 1 for rod"),
        ] as [(String, [Int]?, [Int]?, String)] {
            var schedule = Schedule()
            schedule.tile = tile
            schedule.workgroup = workgroup
            do {
                _ = try Compilation.compile(path: Repository.stencil(file), target: workgroup == nil ? .openmp : .opencl, overrides: schedule)
                Issue.record("\(file) \(tile ?? workgroup ?? []) compiled")
            } catch let error as DriverError {
                #expect(error.message.contains(expected), "\(error.message)")
            }
        }
    }

    /// In the schedule block: a located error with a caret, nothing compiled.
    @Test func wrongSizeCountInTheFile() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("tiles.st").path
        let text = """
            stencil tiles {
                grid u: float32[9, 9, 9]
                update u[k, i, j] = (u[k-1, i, j] + u[k+1, i, j]) / 2
                steps 1
            }
            schedule {
                tile 4x8
            }

            """
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        do {
            _ = try Compilation.compile(path: path, target: .openmp)
            Issue.record("tile 4x8 on a 3-D grid compiled")
        } catch let error as SourceErrors {
            #expect(error.rendered.contains("tiles.st:7:5: error: 'tile' takes one size per dimension: 3 for this 3-D grid, found 2"), "\(error.rendered)")
            #expect(error.rendered.contains("^"), "\(error.rendered)")
        }
    }
}
