// MPIBlocksTests+Kinds.swift: neumann and periodic sides (LANGUAGE.md section 5, "Boundary
// kinds") on blocks of a process grid: 1-D grids and 3-D grids with `decompose grid` on mpi and
// hybrid (runtime stmpi_blocks_copy_side; its own check, runtime/tests/mpi_sides_check.c, runs
// here too). Each variant on serial against the independent reference (ReferenceND.swift), then
// bit for bit with serial (field and iteration count) at 2, 3 and 4 ranks wherever every block
// keeps 2h points along the axes with such sides; blocks thinner than that are a clear error
// from the driver (BlocksPlan) and from the program.

import Foundation
import StencilDriver
import StencilIR
import Testing

#if canImport(Glibc)
import Glibc
#endif

enum BlocksKindsVariants {
    /// The 27-point stencil (edges and corners travel) with neumann planes and rows, periodic
    /// columns and a fixed back written between them.
    static let box27 = DimensionsVariant.float64("kinds_box27", """
        stencil kinds_box27 {
            grid u: float64[10, 9, 11]
            init u[k, i, j] = sin(k + 0.7 * i) + 0.3 * j
            boundary u {
                front = neumann
                top = neumann
                left = periodic
                right = periodic
                back = 2
                bottom = neumann
            }
            update u[k, i, j] = (\(DimensionsVariants.box27Terms)) / 27
            steps 15
        }
        """) {
        .grid([10, 9, 11], halo: 1, initialAt: { p in Glibc.sin(Double(p[0]) + 0.7 * Double(p[1])) + 0.3 * Double(p[2]) },
              boundary: [],
              statements: [.neumann(.front), .neumann(.top), .periodic(.left), .periodic(.right), .value(.back, { _ in 2 }),
                           .neumann(.bottom)],
              stop: .steps(15)) { u, _ in
            var sum: Double = 0
            var first = true
            for dk in -1...1 { for di in -1...1 { for dj in -1...1 {
                sum = first ? u([dk, di, dj]) : sum + u([dk, di, dj])
                first = false
            } } }
            return sum / 27
        }
    }

    /// Halo 2: periodic rows, neumann planes and left, a right side that varies along the rows and
    /// planes, in this order or (reversed) the other way round, where the right edges take the
    /// copies' values instead (copies among themselves commute; a position-dependent side does not).
    static func ordered(_ name: String, reversed: Bool) -> DimensionsVariant {
        @Sendable func statements() -> [(text: String, statement: ReferenceStatementN<Float>)] {
            let forward: [(text: String, statement: ReferenceStatementN<Float>)] = [
                ("top = periodic", .periodic(.top)), ("bottom = periodic", .periodic(.bottom)),
                ("front = neumann", .neumann(.front)), ("back = neumann", .neumann(.back)),
                ("left = neumann", .neumann(.left)),
                ("right = 0.1 * i + 0.01 * k", .value(.right, { p in Float(0.1) * Float(p[1]) + Float(0.01) * Float(p[0]) })),
            ]
            return reversed ? forward.reversed() : forward
        }
        return DimensionsVariant.float32(name, """
            stencil \(name) {
                grid u: float32[13, 12, 9]
                init u[k, i, j] = cos(0.4 * k) + 0.1 * i * j
                boundary u[k, i, j] {
            \(statements().map { "        " + $0.text }.joined(separator: "\n"))
                }
                update u[k, i, j] = (u[k-2, i, j] + u[k+1, i, j] + u[k, i-2, j] + u[k, i+2, j] + u[k, i, j-1] + u[k, i, j+2]) / 6
                until maxdiff(u) < 1e-4 every 3 max 60
            }
            """) {
            .grid([13, 12, 9], halo: 2, initialAt: { p in Glibc.cosf(Float(0.4) * Float(p[0])) + Float(0.1) * Float(p[1]) * Float(p[2]) },
                  boundary: [], statements: statements().map(\.statement), stop: .until(l2: false, epsilon: 1e-4, every: 3, max: 60)) { u, _ in
                (u([-2, 0, 0]) + u([1, 0, 0]) + u([0, -2, 0]) + u([0, 2, 0]) + u([0, 0, -1]) + u([0, 0, 2])) / 6
            }
        }
    }

    static let forward = ordered("kinds_forward", reversed: false)
    static let backward = ordered("kinds_backward", reversed: true)

    /// 1-D, neumann at both ends, halo 1, l2diff.
    static let insulatedRod = DimensionsVariant.float64("insulated_rod", """
        stencil insulated_rod {
            grid u: float64[17]
            init u[x] = sin(0.9 * x) + 0.1 * x
            boundary u {
                right = neumann
                left = neumann
            }
            update u[x] = 0.25 * u[x-1] + 0.5 * u[x] + 0.25 * u[x+1]
            until l2diff(u) < 1e-7 every 4 max 400
        }
        """) {
        .grid([17], halo: 1, initialAt: { p in Glibc.sin(0.9 * Double(p[0])) + 0.1 * Double(p[0]) }, boundary: [],
              statements: [.neumann(.right), .neumann(.left)], stop: .until(l2: true, epsilon: 1e-7, every: 4, max: 400)) { u, _ in
            0.25 * u([-1]) + 0.5 * u([0]) + 0.25 * u([1])
        }
    }

    /// These and the 1-D/3-D kinds of DimensionsTests+Kinds (periodic planes and neumann rows
    /// at halo 1, periodic columns and planes at halo 2, a 1-D periodic ring of halo 2, a 1-D
    /// insulated end in red-black order).
    static let all = [box27, forward, backward, insulatedRod] + DimensionsKindsVariants.all
}

extension MPIBlocksTests {
    /// Whether every block of `ranks` keeps 2 * max(h, 1) points along the axes with neumann or
    /// periodic sides (max(h, 1) along the others): stmpi_blocks_decompose_sides' rule.
    static func blocksFit(_ program: Program, extents: [Int], ranks: Int) -> Bool {
        let dims = BlocksPlan.processGrid(ranks: ranks, dimensions: extents.count)
        let plain = max(program.halo, 1)
        return extents.indices.allSatisfy { extents[$0] / dims[$0] >= (program.copyingAxes.contains($0) ? 2 * plain : plain) }
    }

    @Test(arguments: BlocksKindsVariants.all)
    func kindsOnBlocksMatchSerial(_ variant: DimensionsVariant) throws {
        let (path, directory) = try variant.file()
        defer { try? FileManager.default.removeItem(at: directory) }
        let serial = try runStencil(path, target: .serial)
        DimensionsTests.check(serial, against: variant.solve(), "\(variant.name) serial")
        let extents = serial.field.shape
        let program = try Compilation.compile(path: path, target: .mpi).program
        var ran = 0
        for (ranks, decomposition) in Self.runs(dimensions: extents.count) where Self.blocksFit(program, extents: extents, ranks: ranks) {
            for target in [Target.mpi, .hybrid] {
                var schedule = Schedule()
                schedule.ranks = ranks
                schedule.decompose = decomposition
                if target == .hybrid { schedule.numThreads = 2 }
                let what = "\(variant.name) \(target.rawValue) \(ranks) ranks decompose \(decomposition.rawValue)"
                let compiled = try Compilation.compile(path: path, target: target, overrides: schedule)
                #expect(compiled.program.distribution?.layout == .blocks, "\(what)")
                let run = try runStencil(path, target: target, schedule: schedule, environment: MPITests.sharedMemoryOnly)
                #expect(run.iterations == serial.iterations, "\(what): iterations \(run.iterations) vs serial \(serial.iterations)")
                #expect(run.field == serial.field, "\(what): field differs from serial")
                ran += 1
            }
        }
        #expect(ran >= 2, "\(variant.name): no rank count fits")
    }

    /// A read-only grid's neumann sides (set once, one exchange brings them to the halos) beside
    /// an updated grid's periodic ones, in red-black order (the statements after each half-sweep).
    @Test func readOnlyGridSidesInRedBlackOrder() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("ring_source.st").path
        try """
            stencil ring_source {
                grid u: float64[23]
                grid c: float64[23]
                init u[x] = sin(0.3 * x)
                init c[x] = 0.1 * x
                boundary u {
                    left = periodic
                    right = periodic
                }
                boundary c {
                    left = neumann
                    right = neumann
                }
                update u[x] = 0.25 * u[x-1] + 0.5 * u[x] + 0.25 * u[x+1] + 0.01 * (c[x-1] + c[x+1])
                order redblack
                steps 20
            }
            """.write(toFile: path, atomically: true, encoding: .utf8)
        let serial = try runStencil(path, target: .serial)
        for (ranks, target) in [(2, Target.mpi), (3, .mpi), (4, .mpi), (3, .hybrid)] {
            var schedule = Schedule()
            schedule.ranks = ranks
            if target == .hybrid { schedule.numThreads = 2 }
            let run = try runStencil(path, target: target, schedule: schedule, environment: MPITests.sharedMemoryOnly)
            #expect(run.field == serial.field, "\(target.rawValue) \(ranks) ranks: field differs from serial")
        }
    }

    /// The plan knows the runtime's rule: 2h along the axes with neumann or periodic sides only.
    @Test func planNeedsTwiceTheHaloAlongCopyingAxes() {
        let plain = BlocksPlan.make(decomposition: .grid, ranks: 4, extents: [6, 6, 6], halo: 2, elementSize: 8, exchangesDiagonals: false)
        #expect((try? plain.get()) != nil)
        let planes = BlocksPlan.make(decomposition: .grid, ranks: 4, extents: [6, 6, 6], halo: 2, elementSize: 8,
                                     exchangesDiagonals: false, copyingAxes: [2])
        #expect((try? planes.get()) != nil, "the columns are not split over 4 ranks (2x2x1)")
        let rows = BlocksPlan.make(decomposition: .grid, ranks: 4, extents: [6, 6, 6], halo: 2, elementSize: 8,
                                   exchangesDiagonals: false, copyingAxes: [1, 2])
        #expect(rows == .failure(DecompositionError(message:
            "cannot split 6 rows over 2 rows of ranks (process grid 2x2x1 for 4 ranks): each block needs at least 4 rows for halo 2")))
    }

    /// The statement order matters at the edges (the two orders give different fields), and
    /// blocks keep it: kindsOnBlocksMatchSerial runs both.
    @Test func orderOfStatementsChangesTheEdges() throws {
        let forward = BlocksKindsVariants.forward.solve(), backward = BlocksKindsVariants.backward.solve()
        #expect(forward.bytes != backward.bytes)
    }

    /// The generated program applies each statement with stmpi_blocks_copy_side on a topology
    /// that is periodic along the periodic axes only (first dimension first), as explain says.
    @Test func emittedProgramDecomposesWithSides() throws {
        let (path, directory) = try BlocksKindsVariants.forward.file()
        defer { try? FileManager.default.removeItem(at: directory) }
        var grid = Schedule()
        grid.decompose = .grid
        let source = try Compilation.compile(path: path, target: .mpi, overrides: grid).emitted.source
        #expect(source.contains("(const int[]){ 0, 1, 0 }, (const int[]){ 1, 1, 1 });"), "\(source)")
        #expect(source.contains("stmpi_blocks_copy_side(&decomp, buffer[(iteration + 1) % 2], ST_TOP, ST_PERIODIC, MPI_FLOAT);"))
        #expect(!source.contains("stmpi_copy_side"))
        let explained = try stencilc(["explain", path, "--target", "mpi", "--ranks", "4", "--decompose", "grid"])
        #expect(explained.stdout.contains("process grid 2x2x1 (MPI_Dims_create, MPI_Cart_create periodic along the rows)"), "\(explained.stdout)")
        #expect(!explained.stdout.contains("3-D slabs"), "\(explained.stdout)")
    }

    /// Blocks thinner than 2h along an axis with neumann or periodic sides: the driver refuses
    /// before building (BlocksPlan, as explain says), and a program launched by hand says the
    /// same once, every rank exits, status 1.
    @Test func tooThinBlocksAreAClearError() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let cube = directory.appendingPathComponent("thin3d.st").path
        try """
            stencil thin3d {
                grid u: float64[6, 6, 6]
                boundary u {
                    top = neumann
                }
                update u[k, i, j] = (u[k-2, i, j] + u[k+2, i, j] + u[k, i-2, j] + u[k, i+2, j] + u[k, i, j-2] + u[k, i, j+2]) / 6
                steps 2
            }
            """.write(toFile: cube, atomically: true, encoding: .utf8)
        let rod = directory.appendingPathComponent("thin1d.st").path
        try """
            stencil thin1d {
                grid u: float32[7]
                boundary u {
                    left = periodic
                    right = periodic
                }
                update u[x] = (u[x-1] + u[x+1]) / 2
                steps 2
            }
            """.write(toFile: rod, atomically: true, encoding: .utf8)
        let cases = [
            (cube, "thin3d", ["--decompose", "grid"], Decomposition.grid,
             "cannot split 6 rows over 2 rows of ranks (process grid 2x2x1 for 4 ranks): each block needs at least 4 rows for halo 2"),
            (rod, "thin1d", [], .rows, "cannot split 7 points over 4 ranks: each block needs at least 2 points for halo 1"),
        ]
        let toolchain = try Toolchain.fromEnvironment(runtimeDirectory: "\(Repository.root)/runtime")
        let builder = Builder(toolchain: toolchain, cache: BuildCache.defaultCache())
        for (path, stem, flags, decomposition, message) in cases {
            let explained = try stencilc(["explain", path, "--target", "mpi", "--ranks", "4"] + flags)
            #expect(explained.stdout.contains("error: \(message): the run stops before iterating"), "\(explained.stdout)")
            for target in [Target.mpi, .hybrid] {
                let run = try stencilc(["run", path, "--target", target.rawValue, "--ranks", "4"] + flags, environment: MPITests.sharedMemoryOnly)
                #expect(run.status == 1, "\(stem) \(target.rawValue): \(run.stderr)")
                #expect(run.stderr.contains("stencilc: error: \(message) (use fewer --ranks"), "\(run.stderr)")
                var schedule = Schedule()
                schedule.decompose = decomposition
                let result = try Compilation.compile(path: path, target: target, overrides: schedule)
                let plan = try builder.plan(result.emitted, stem: stem)
                try builder.execute(plan)
                var program = result.program
                program.schedule.ranks = 4
                let job = Launcher(builder: builder).runJob(executable: plan.executable, program: program, options: RunOptions())
                let outcome = try ProcessRunner.run(job, capture: true)
                #expect(outcome.status == 1, "\(stem) \(target.rawValue) by hand: \(outcome.errorOutput)")
                #expect(outcome.errorOutput.components(separatedBy: "\(stem): error: \(message)").count == 2, "printed once: \(outcome.errorOutput)")
                #expect(!outcome.output.contains("iterations"))
            }
        }
    }

    /// The runtime's stmpi_blocks_copy_side on its own against st_copy_side_nd, at 1 to 4 ranks
    /// (runtime/tests/mpi_sides_check.c).
    @Test func runtimeCopiesSidesOfBlocks() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let runtime = "\(Repository.root)/runtime"
        let executable = directory.appendingPathComponent("mpi_sides_check").path
        let build = try ProcessRunner.run(Job(kind: .compileProgram, executable: "mpicc",
                                              arguments: ["-std=c11", "-O2", "-Wall", "-Wextra", "-Werror", "-I", runtime,
                                                          "\(runtime)/tests/mpi_sides_check.c", "\(runtime)/stencil_mpi.c",
                                                          "\(runtime)/stencil_runtime.c", "\(runtime)/stencil_sweeps.c", "-lm", "-o", executable]), capture: true)
        #expect(build.status == 0, "\(build.errorOutput)")
        for ranks in 1...4 {
            var arguments = ["-q", "--oversubscribe", "-np", "\(ranks)", executable]
            if getuid() == 0 { arguments.insert("--allow-run-as-root", at: 0) }
            let run = try ProcessRunner.run(Job(kind: .run, executable: "mpirun", arguments: arguments,
                                                environment: MPITests.sharedMemoryOnly), capture: true)
            #expect(run.status == 0, "\(ranks) ranks: \(run.output)")
            #expect(run.output.contains("18 passed, 0 skipped, 0 failed"), "\(ranks) ranks: \(run.output)")
        }
    }
}
