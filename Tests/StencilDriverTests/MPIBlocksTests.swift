// MPIBlocksTests.swift: 1-D grids and 3-D grids with `decompose grid` on the mpi and hybrid
// targets: blocks of a Cartesian process grid (PlanDistribution's `blocks` layout, runtime
// stmpi_blocks). Bit for bit with serial and the same iteration counts at 2, 3 and 4 ranks, on
// extents that leave remainders, halo 1 and 2, the 7-point stencil (faces only) and the
// 27-point one (edges and corners too); the plan (BlocksPlan) against hand-worked blocks and
// the runtime's summary; too-small grids refused once, clearly, by the driver and by the
// program. Neumann and periodic sides: MPIBlocksTests+Kinds.swift.

import Foundation
import StencilDriver
import StencilIR
import Testing

@Suite struct MPIBlocksTests {
    /// The rank counts and decompositions a grid of `dimensions` is run with: a 3-D grid with
    /// decompose grid at 2, 3 and 4 ranks (2x1x1, 3x1x1, 2x2x1); a 1-D grid the same, and once
    /// with decompose rows, which splits it the same way.
    static func runs(dimensions: Int) -> [(ranks: Int, decomposition: Decomposition)] {
        [(2, .grid), (3, .grid), (4, .grid)] + (dimensions == 1 ? [(3, .rows)] : [])
    }

    /// Every run of `file` on mpi and hybrid (2 threads a rank) against the serial run.
    static func blocksMatchSerial(_ file: String, params: [String], serial: RunOutcome, label: String,
                                  runs: [(ranks: Int, decomposition: Decomposition)]) throws {
        let extents = serial.field.shape
        for (ranks, decomposition) in runs {
            for target in [Target.mpi, .hybrid] {
                var schedule = Schedule()
                schedule.ranks = ranks
                schedule.decompose = decomposition
                if target == .hybrid { schedule.numThreads = 2 }
                let what = "\(label) \(target.rawValue) \(ranks) ranks decompose \(decomposition.rawValue)"
                let run = try runStencil(file, target: target, params: params, schedule: schedule)
                #expect(run.iterations == serial.iterations, "\(what): iterations \(run.iterations) vs serial \(serial.iterations)")
                #expect(run.field == serial.field, "\(what): field differs from serial")
                #expect(run.summary["shape"] as? [Int] == extents, "\(what)")
                // The plan explain prints is the one the runtime made (MPI_Dims_create).
                let plan = try BlocksPlan.make(decomposition: decomposition, ranks: ranks, extents: extents, halo: 1,
                                               elementSize: 4, exchangesDiagonals: false).get()
                #expect(run.summary["decomposition"] as? String == plan.description, "\(what): \(run.summary["decomposition"] ?? "none")")
            }
        }
    }

    @Test(arguments: DimensionsVariants.all)
    func variantsBitwiseIdenticalToSerial(_ variant: DimensionsVariant) throws {
        let (path, directory) = try variant.file()
        defer { try? FileManager.default.removeItem(at: directory) }
        let serial = try runStencil(path, target: .serial)
        DimensionsTests.check(serial, against: variant.solve(), "\(variant.name) serial")
        try Self.blocksMatchSerial(path, params: [], serial: serial, label: variant.name,
                                   runs: Self.runs(dimensions: serial.field.shape.count))
    }

    /// The 1-D and 3-D examples (heat3d at 12 and 17, laplace3d, rod, duct3d's neumann and
    /// periodic sides) on blocks: 4 and 3 ranks. Systems: SystemsBlocksTests, SystemKindsTests.
    @Test(arguments: ReferencePrograms.dimensions)
    func examplesBitwiseIdenticalToSerial(_ program: ReferenceCase) throws {
        let serial = try runStencil(program.file, target: .serial, params: program.params)
        try Self.blocksMatchSerial(program.file, params: program.params, serial: serial, label: program.file,
                                   runs: [(4, .grid), (3, .grid)])
    }

    /// The IR records which halo parts travel, and the emitted program says so.
    @Test func planDecidesEdgesAndCorners() throws {
        var grid = Schedule()
        grid.decompose = .grid
        let faces = try Compilation.compile(path: Repository.stencil("heat3d.st"), target: .mpi, overrides: grid)
        #expect(faces.program.distribution?.layout == .blocks)
        #expect(faces.program.distribution?.exchangesDiagonals == false)
        #expect(faces.emitted.source.contains("HALO, STMPI_GRID, 0 /* faces only"))
        let (path, directory) = try DimensionsVariants.box27.file()
        defer { try? FileManager.default.removeItem(at: directory) }
        let box = try Compilation.compile(path: path, target: .hybrid, overrides: grid)
        #expect(box.program.distribution?.exchangesDiagonals == true)
        #expect(box.emitted.source.contains("HALO, STMPI_GRID, 1 /* edges and corners too"))
        #expect(IRPrinter.program(box.program).contains("distribute blocks of a Cartesian process grid, halo exchange faces, edges and corners"))
        #expect(IRPrinter.program(faces.program).contains("distribute blocks of a Cartesian process grid, halo exchange faces  --"))
        let slabs = try Compilation.compile(path: path, target: .mpi)
        #expect(slabs.program.distribution?.layout == .slabs)
        let rod = try Compilation.compile(path: Repository.stencil("rod.st"), target: .mpi)
        #expect(rod.program.distribution?.layout == .blocks)
        #expect(try Compilation.compile(path: Repository.stencil("rod.st"), target: .openmp).program.distribution == nil)
    }

    @Test(arguments: [(1, 3, [1, 1, 1]), (2, 3, [2, 1, 1]), (3, 3, [3, 1, 1]), (4, 3, [2, 2, 1]), (6, 3, [3, 2, 1]),
                      (8, 3, [2, 2, 2]), (12, 3, [3, 2, 2]), (16, 3, [4, 2, 2]), (27, 3, [3, 3, 3]), (5, 1, [5])])
    func processGridIsMostNearlyCubic(_ ranks: Int, _ dimensions: Int, _ expected: [Int]) {
        #expect(BlocksPlan.processGrid(ranks: ranks, dimensions: dimensions) == expected)
    }

    /// 9 x 10 x 11 over 4 ranks (2x2x1), worked by hand: the first extent % parts blocks get one
    /// more; rank 0 sends a plane face of 5 x 11 and a row face of 5 x 11, each widened by the halo
    /// at the global edges (6 x 13: the runtime's shape, contiguous where a block spans an axis),
    /// and with diagonals the edge between them, 1 x 13.
    @Test func blocksOfANonDividingCube() throws {
        let faces = try BlocksPlan.make(decomposition: .grid, ranks: 4, extents: [9, 10, 11], halo: 1, elementSize: 4,
                                        exchangesDiagonals: false).get()
        #expect(faces.processGrid == [2, 2, 1])
        #expect(faces.description == "grid 2x2x1")
        #expect(faces.blocks.map(\.owned) == [[0..<5, 0..<5, 0..<11], [0..<5, 5..<10, 0..<11],
                                              [5..<9, 0..<5, 0..<11], [5..<9, 5..<10, 0..<11]])
        #expect(faces.blocks[0].local == [7, 7, 13])
        #expect(faces.blocks[0].neighbours.map(\.rank) == [1, 2])
        #expect(faces.blocks[0].haloBytes == (6 * 13 + 6 * 13) * 4)
        #expect(faces.blocks[3].neighbours.map(\.rank) == [1, 2])
        let diagonals = try BlocksPlan.make(decomposition: .grid, ranks: 4, extents: [9, 10, 11], halo: 1, elementSize: 8,
                                            exchangesDiagonals: true).get()
        #expect(diagonals.blocks[0].neighbours.map(\.rank) == [1, 2, 3])
        #expect(diagonals.blocks[0].neighbours.map(\.steps) == [[0, 1, 0], [1, 0, 0], [1, 1, 0]])
        #expect(diagonals.blocks[0].haloBytes == (6 * 13 + 6 * 13 + 13) * 8)
        let rod = try BlocksPlan.make(decomposition: .rows, ranks: 3, extents: [10], halo: 2, elementSize: 8,
                                      exchangesDiagonals: false).get()
        #expect(rod.blocks.map(\.owned) == [[0..<4], [4..<7], [7..<10]])
        #expect(rod.blocks[1].neighbours.map(\.rank) == [0, 2])
        #expect(rod.blocks[1].haloBytes == 2 * 2 * 8)
        #expect(rod.description == "rows 3")
    }

    @Test func tooSmallGridsMessages() {
        let planes = BlocksPlan.make(decomposition: .grid, ranks: 2, extents: [3, 40, 40], halo: 2, elementSize: 4, exchangesDiagonals: false)
        #expect(planes == .failure(DecompositionError(message:
            "cannot split 3 planes over 2 planes of ranks (process grid 2x1x1 for 2 ranks): each block needs at least 2 planes for halo 2")))
        let columns = BlocksPlan.make(decomposition: .grid, ranks: 8, extents: [40, 40, 3], halo: 2, elementSize: 4, exchangesDiagonals: true)
        #expect(columns == .failure(DecompositionError(message:
            "cannot split 3 columns over 2 columns of ranks (process grid 2x2x2 for 8 ranks): each block needs at least 2 columns for halo 2")))
        let points = BlocksPlan.make(decomposition: .rows, ranks: 4, extents: [5], halo: 2, elementSize: 8, exchangesDiagonals: false)
        #expect(points == .failure(DecompositionError(message: "cannot split 5 points over 4 ranks: each block needs at least 2 points for halo 2")))
    }

    /// The driver refuses before building or launching anything; `explain` prints the 3-D plan.
    @Test func driverRefusesAndExplainPrintsThePlan() throws {
        let cube = try stencilc(["run", Repository.stencil("heat3d.st"), "--target", "mpi", "--ranks", "16",
                                 "--decompose", "grid", "--param", "N=3"])
        #expect(cube.status == 1)
        #expect(cube.stderr.contains("stencilc: error: cannot split 3 planes over 4 planes of ranks (process grid 4x2x2 for 16 ranks): each block needs at least 1 plane for halo 1 (use fewer --ranks, a larger grid, or --decompose rows)"),
                "\(cube.stderr)")
        let rod = try stencilc(["run", Repository.stencil("rod.st"), "--target", "hybrid", "--ranks", "4", "--param", "N=3"])
        #expect(rod.status == 1)
        #expect(rod.stderr.contains("stencilc: error: cannot split 3 points over 4 ranks: each block needs at least 1 point for halo 1 (use fewer --ranks or a larger grid)"),
                "\(rod.stderr)")
        let explained = try stencilc(["explain", Repository.stencil("heat3d.st"), "--target", "mpi", "--ranks", "4",
                                      "--decompose", "grid", "--param", "N=9"])
        #expect(explained.status == 0, "\(explained.stderr)")
        #expect(explained.stdout.contains("grid u: 9 x 9 x 9 float32 (N = 9; --param changes it), halo 1, 3-D"), "\(explained.stdout)")
        #expect(explained.stdout.contains("process grid 2x2x1 (MPI_Dims_create"), "\(explained.stdout)")
        #expect(explained.stdout.contains("halo exchange: faces only"), "\(explained.stdout)")
        let rows = explained.stdout.split(separator: "\n").map { $0.split(separator: " ", omittingEmptySubsequences: true).joined(separator: " ") }
        // Rank 0 owns planes and rows [0, 5), all 9 columns; it sends 5 x 9 to rank 2 and to rank
        // 1, each widened by the halo at the global edges: 6 x 11.
        #expect(rows.contains("0 (0,0,0) [0, 5) [0, 5) [0, 9) 7 x 7 x 11 2: 1 2 528"), "\(explained.stdout)")
        let slabs = try stencilc(["explain", Repository.stencil("heat3d.st"), "--target", "mpi", "--ranks", "2", "--param", "N=9"])
        let slabRows = slabs.stdout.split(separator: "\n").map { $0.split(separator: " ", omittingEmptySubsequences: true).joined(separator: " ") }
        #expect(slabRows.contains("rank at planes plane points local array neighbours halo bytes"), "\(slabs.stdout)")
        #expect(slabs.stdout.contains("back=1"), "\(slabs.stdout)")
    }

    /// `--input` of the full shape, read block by block (each rank its block and halo), and
    /// `--output NAME=`: a serial run's non-uniform result fed back in gives serial's bits.
    @Test(arguments: [DimensionsVariants.halo2, DimensionsVariants.rod5])
    func inputReadBlockByBlock(_ variant: DimensionsVariant) throws {
        let (path, directory) = try variant.file()
        defer { try? FileManager.default.removeItem(at: directory) }
        let first = try runStencil(path, target: .serial)
        let input = directory.appendingPathComponent("start.npy").path
        try Self.npy(first.field).write(to: URL(fileURLWithPath: input))
        let serial = try runStencil(path, target: .serial, inputs: ["u=\(input)"])
        #expect(serial.field != first.field || serial.iterations == 0, "the input changes the run")
        for (target, ranks) in [(Target.mpi, 4), (.hybrid, 3)] {
            var schedule = Schedule()
            schedule.ranks = ranks
            schedule.decompose = .grid
            let run = try runStencil(path, target: target, schedule: schedule, grids: ["u"], inputs: ["u=\(input)"])
            #expect(run.iterations == serial.iterations, "\(variant.name) \(target.rawValue)")
            #expect(run.field == serial.field, "\(variant.name) \(target.rawValue) \(ranks) ranks: field differs from serial")
            #expect(run.fields["u"] == serial.field, "\(variant.name) \(target.rawValue): --output u= differs")
        }
    }

    /// A .npy file of an array read back (version 1.0, C order).
    static func npy(_ array: NPYArray) -> Data {
        let shape = "(" + array.shape.map(String.init).joined(separator: ", ") + (array.shape.count == 1 ? ",)" : ")")
        var header = "{'descr': '\(array.descr)', 'fortran_order': False, 'shape': \(shape), }"
        while (10 + header.utf8.count + 1) % 64 != 0 { header += " " }
        header += "\n"
        var data = Data([0x93] + Array("NUMPY".utf8) + [1, 0, UInt8(header.utf8.count & 0xff), UInt8(header.utf8.count >> 8)])
        data.append(contentsOf: Array(header.utf8))
        data.append(contentsOf: array.bytes)
        return data
    }

    /// A program launched by hand with too many ranks says the same as the plan, once.
    @Test func tooManyRanksIsOneClearErrorFromTheProgram() throws {
        let result = try Compilation.compile(path: Repository.stencil("rod.st"), target: .mpi)
        let toolchain = try Toolchain.fromEnvironment(runtimeDirectory: "\(Repository.root)/runtime")
        let builder = Builder(toolchain: toolchain, cache: BuildCache.defaultCache())
        let plan = try builder.plan(result.emitted, stem: "rod")
        try builder.execute(plan)
        var program = result.program
        program.schedule.ranks = 4
        var options = RunOptions()
        options.params = ["N=3"]
        let job = Launcher(builder: builder).runJob(executable: plan.executable, program: program, options: options)
        let outcome = try ProcessRunner.run(job, capture: true)
        #expect(outcome.status != 0)
        let message = "rod: error: cannot split 3 points over 4 ranks: each block needs at least 1 point"
        #expect(outcome.errorOutput.components(separatedBy: message).count == 2, "printed once: \(outcome.errorOutput)")
        #expect(!outcome.output.contains("iterations"))
    }
}
