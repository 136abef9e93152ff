// BoundaryKindsTests.swift: `SIDE = neumann` and `SIDE = periodic` (LANGUAGE.md section 5,
// "Boundary kinds"). The examples insulated.st and channel_periodic.st are in ReferencePrograms.all,
// so NumericalTests, MPITests, OpenCLTests and PortabilityTests run them on every target. Here:
// hand-written variants that stress what the examples do not (periodic on both axes with diagonal
// reads, statement order that matters at corners, a halo of 2, red-black with SOR), each checked
// on serial against the independent reference and on every other target bit for bit against
// serial (mpi and hybrid with 1 to 4 ranks, both decompositions, sizes that do not divide); and
// the plan (whole sweeps only), explain, and the run-time errors.

import Foundation
#if canImport(Glibc)
import Glibc
#endif
import StencilCodegen
import StencilDriver
import StencilIR
import Testing

/// A program written here, with its reference.
struct BoundaryVariant: Sendable, CustomTestStringConvertible {
    let name: String
    let source: String
    let rows: Int
    let cols: Int
    let solve: @Sendable () -> (bytes: [UInt8], iterations: Int)
    var testDescription: String { name }

    static func float32(_ name: String, _ rows: Int, _ cols: Int, _ source: String,
                        _ problem: @escaping @Sendable () -> ReferenceProblem<Float>) -> BoundaryVariant {
        BoundaryVariant(name: name, source: source, rows: rows, cols: cols) {
            let r = referenceSolve(problem())
            return (r.field.flatMap { withUnsafeBytes(of: $0.bitPattern.littleEndian, Array.init) }, r.iterations)
        }
    }

    static func float64(_ name: String, _ rows: Int, _ cols: Int, _ source: String,
                        _ problem: @escaping @Sendable () -> ReferenceProblem<Double>) -> BoundaryVariant {
        BoundaryVariant(name: name, source: source, rows: rows, cols: cols) {
            let r = referenceSolve(problem())
            return (r.field.flatMap { withUnsafeBytes(of: $0.bitPattern.littleEndian, Array.init) }, r.iterations)
        }
    }
}

enum BoundaryVariants {
    /// Periodic on both axes (a torus), diagonal reads: the corners wrap on both axes.
    static let torus = BoundaryVariant.float64("torus", 29, 35, """
        stencil torus {
            grid u: float64[29, 35]
            init u[i, j] = sin(0.3 * i) * cos(0.2 * j) + 0.01 * i * j
            boundary u {
                top = periodic
                left = periodic
                bottom = periodic
                right = periodic
            }
            update u[i, j] = 0.2 * (u[i-1, j-1] + u[i+1, j+1] + u[i-1, j+1] + u[i+1, j-1] + u[i, j]) + 0.001 * j
            steps 40
        }
        """) {
        ReferenceProblem(rows: 29, cols: 35, halo: 1, initial: 0, boundary: [],
                         update: { u, _, i, j, c in
                             let sum = u[(i - 1) * c + j - 1] + u[(i + 1) * c + j + 1] + u[(i - 1) * c + j + 1] + u[(i + 1) * c + j - 1] + u[i * c + j]
                             return 0.2 * sum + 0.001 * Double(j)
                         },
                         stop: .steps(40),
                         initialAt: { i, j in Glibc.sin(0.3 * Double(i)) * Glibc.cos(0.2 * Double(j)) + 0.01 * Double(i) * Double(j) },
                         statements: [.periodic(.top), .periodic(.left), .periodic(.bottom), .periodic(.right)])
    }

    /// Order matters at corners: fixed values that vary along the side, neumann and periodic,
    /// sides set twice (the later statement wins), an l2diff stop.
    static var mixedStatements: [ReferenceStatement<Float>] { [
        .value(.top, { _, j in 3 + Float(j) }), .neumann(.left), .neumann(.right), .periodic(.bottom), .periodic(.top),
        .value(.left, { i, _ in 7 + Float(0.5) * Float(i) }),
    ] }
    static func mixedProblem(_ statements: [ReferenceStatement<Float>]) -> ReferenceProblem<Float> {
        ReferenceProblem(rows: 30, cols: 33, halo: 1, initial: 0, boundary: [],
                         update: { u, _, i, j, c in
                             Float(0.25) * (u[(i - 1) * c + j] + u[(i + 1) * c + j] + u[i * c + j - 1] + u[i * c + j + 1]) + Float(0.01) * u[(i - 1) * c + j - 1]
                         },
                         stop: .until(l2: true, epsilon: 1e-6, every: 7, max: 300),
                         initialAt: { i, j in Float(0.1) * Float(i) + Float(0.05) * Float(j) },
                         statements: statements)
    }
    static let mixed = BoundaryVariant.float32("mixed", 30, 33, """
        stencil mixed {
            param N = 30
            grid u: float32[N, 33]
            init u[i, j] = 0.1 * i + 0.05 * j
            boundary u[i, j] {
                top = 3 + j
                left = neumann
                right = neumann
                bottom = periodic
                top = periodic
                left = 7 + 0.5 * i
            }
            update u[i, j] = 0.25 * (u[i-1, j] + u[i+1, j] + u[i, j-1] + u[i, j+1]) + 0.01 * u[i-1, j-1]
            until l2diff(u) < 1e-6 every 7 max 300
        }
        """) { mixedProblem(mixedStatements) }

    /// Halo 2: strips two deep, neumann copying the layer 2 in, periodic with period extent - 4;
    /// a fixed side overwritten by periodic.
    static let wide = BoundaryVariant.float32("wide", 41, 41, """
        stencil wide {
            param N = 41
            grid u: float32[N, N]
            init u[i, j] = i * 0.5 + sin(j)
            boundary u[i, j] {
                right = 2 * i
                left = periodic
                right = periodic
                top = neumann
                bottom = neumann
            }
            update u[i, j] = (u[i-2, j] + u[i+2, j] + u[i, j-2] + u[i, j+2] + 2 * u[i-1, j+1]) / 6.01
            steps 60
        }
        """) {
        ReferenceProblem(rows: 41, cols: 41, halo: 2, initial: 0, boundary: [],
                         update: { u, _, i, j, c in
                             (u[(i - 2) * c + j] + u[(i + 2) * c + j] + u[i * c + j - 2] + u[i * c + j + 2] + 2 * u[(i - 1) * c + j + 1]) / Float(6.01)
                         },
                         stop: .steps(60),
                         initialAt: { i, j in Float(i) * Float(0.5) + Glibc.sinf(Float(j)) },
                         statements: [.value(.right, { i, _ in 2 * Float(i) }), .periodic(.left), .periodic(.right), .neumann(.top), .neumann(.bottom)])
    }

    /// Red-black SOR: the statements after each half-sweep.
    static let redBlack = BoundaryVariant.float64("redblack", 33, 33, """
        stencil rb {
            param N = 33
            grid u: float64[N, N]
            init u[i, j] = 0.01 * i * j
            boundary u[i, j] {
                top = periodic
                bottom = periodic
                left = neumann
                right = 1 + sin(i)
            }
            relax 1.5
            order redblack
            update u[i, j] = (u[i-1, j] + u[i+1, j] + u[i, j-1] + u[i, j+1]) / 4
            until maxdiff(u) < 1e-9 every 5 max 2000
        }
        """) {
        var problem = ReferenceProblem<Double>(rows: 33, cols: 33, halo: 1, initial: 0, boundary: [],
                                               update: { u, _, i, j, c in
                                                   let old = u[i * c + j]
                                                   let gs = (u[(i - 1) * c + j] + u[(i + 1) * c + j] + u[i * c + j - 1] + u[i * c + j + 1]) / 4
                                                   return old + 1.5 * (gs - old)
                                               },
                                               stop: .until(l2: false, epsilon: 1e-9, every: 5, max: 2000),
                                               initialAt: { i, j in 0.01 * Double(i) * Double(j) },
                                               statements: [.periodic(.top), .periodic(.bottom), .neumann(.left),
                                                            .value(.right, { i, _ in 1 + Glibc.sin(Double(i)) })])
        problem.redBlack = true
        return problem
    }

    static let all = [torus, mixed, wide, redBlack]
}

@Suite struct BoundaryKindsTests {
    /// Writes the variant's source and runs it; the final field's bytes and the iterations.
    static func run(_ variant: BoundaryVariant, _ target: Target, ranks: Int? = nil, decompose: Decomposition = .rows,
                    in directory: URL) throws -> (bytes: [UInt8], iterations: Int) {
        let path = directory.appendingPathComponent("\(variant.name).st").path
        if !FileManager.default.fileExists(atPath: path) { try variant.source.write(toFile: path, atomically: true, encoding: .utf8) }
        let output = directory.appendingPathComponent("\(variant.name)_\(target.rawValue)_\(ranks ?? 0)_\(decompose.rawValue).npy").path
        var arguments = ["run", path, "--target", target.rawValue, "--output", "u=\(output)", "--json", "--quiet"]
        if let ranks { arguments += ["--ranks", String(ranks), "--decompose", decompose.rawValue] }
        if target == .openmp || target == .hybrid { arguments += ["--num-threads", "2"] }
        let outcome = try stencilc(arguments, environment: target == .mpi || target == .hybrid ? MPITests.sharedMemoryOnly : [:])
        guard outcome.status == 0 else { throw DriverError("\(variant.name) on \(target): \(outcome.stderr)") }
        let summary = try JSONSerialization.jsonObject(with: Data(outcome.stdout.utf8)) as? [String: Any]
        let field = try NPYArray(contentsOf: output)
        return (field.bytes, summary?["iterations"] as? Int ?? -1)
    }

    @Test(arguments: BoundaryVariants.all)
    func serialMatchesReference(_ variant: BoundaryVariant) throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let serial = try Self.run(variant, .serial, in: directory)
        let reference = variant.solve()
        #expect(serial.iterations == reference.iterations)
        let same = serial.bytes == reference.bytes // a Bool: the arrays would flood the log
        #expect(same, "\(variant.name): serial differs from the reference")
    }

    @Test(arguments: BoundaryVariants.all)
    func everyTargetMatchesSerial(_ variant: BoundaryVariant) throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let serial = try Self.run(variant, .serial, in: directory)
        var runs: [(String, (bytes: [UInt8], iterations: Int))] = []
        runs.append(("openmp", try Self.run(variant, .openmp, in: directory)))
        runs.append(("opencl", try Self.run(variant, .opencl, in: directory)))
        for ranks in 1...4 {
            for decompose in [Decomposition.rows, .grid] where ranks > 1 || decompose == .rows {
                runs.append(("mpi \(ranks) \(decompose.rawValue)", try Self.run(variant, .mpi, ranks: ranks, decompose: decompose, in: directory)))
            }
        }
        runs.append(("hybrid 3 grid", try Self.run(variant, .hybrid, ranks: 3, decompose: .grid, in: directory)))
        runs.append(("hybrid 4 rows", try Self.run(variant, .hybrid, ranks: 4, decompose: .rows, in: directory)))
        for (label, run) in runs {
            #expect(run.iterations == serial.iterations, "\(variant.name) \(label): iterations \(run.iterations) vs \(serial.iterations)")
            let same = run.bytes == serial.bytes // a Bool: the arrays would flood the log
            #expect(same, "\(variant.name) \(label): field differs from serial")
        }
    }

    /// A read-only grid with neumann and periodic sides (set once, at the start): mpi ranks set
    /// the points they own, and one exchange brings them to the halos the sweeps read.
    @Test func readOnlyGridWithCopyingSides() throws {
        let variant = BoundaryVariant(name: "coef", source: """
            stencil coef {
                param N = 26
                grid u: float32[N, 31]
                grid k: float32[N, 31]
                init k[i, j] = 1 + 0.01 * i * j
                boundary k {
                    left = neumann
                    top = neumann
                    right = periodic
                    left = periodic
                    bottom = 3
                }
                boundary u { top = 1 }
                update u[i, j] = 0.2 * (k[i-1, j] * u[i-1, j] + k[i, j+1] * u[i+1, j] + k[i-1, j-1] * u[i, j-1] + u[i, j+1]) / k[i, j]
                steps 30
            }
            """, rows: 26, cols: 31) { ([], 0) }
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let serial = try Self.run(variant, .serial, in: directory)
        for (target, ranks, decompose) in [(Target.openmp, nil, Decomposition.rows), (.opencl, nil, .rows), (.mpi, 3, .grid),
                                           (.mpi, 4, .grid), (.mpi, 3, .rows), (.hybrid, 4, .grid)] {
            let run = try Self.run(variant, target, ranks: ranks, decompose: decompose, in: directory)
            let same = run.bytes == serial.bytes // a Bool: the arrays would flood the log
            #expect(same, "\(target) \(ranks ?? 0) \(decompose.rawValue): field differs from serial")
        }
    }

    /// The order of the statements is part of the meaning: the mixed variant's statements in
    /// reverse give a different field (so the reference check above can fail on order).
    @Test func statementOrderMattersAtCorners() {
        let written = referenceSolve(BoundaryVariants.mixedProblem(BoundaryVariants.mixedStatements))
        let reversed = referenceSolve(BoundaryVariants.mixedProblem(BoundaryVariants.mixedStatements.reversed()))
        #expect(written.field != reversed.field)
    }

    /// Tiles and bands keep the boundary as it is between sweeps: the plan-loops pass turns them
    /// off, says why (IR and explain), and a run asked for tiles refuses.
    @Test func wholeSweepsOnlyAndSaysWhy() throws {
        let program = try Compilation.compile(path: Repository.stencil("insulated.st"), target: .openmp, stem: "insulated").program
        #expect(program.loops.temporalKinds.isEmpty)
        #expect(program.loops.boundaryEachSweep)
        #expect(program.loops.temporalReason.contains("neumann or periodic"))
        #expect(program.boundaryEachSweep.statements.map { $0.side } == [.left, .right, .top, .bottom])
        let printed = IRPrinter.program(program)
        #expect(printed.contains("boundary each sweep: left = neumann; right = neumann; top = neumann; bottom = 50 + 50 * cos(3.14159265 * j / (N - 1))"), "\(printed)")
        let explained = try stencilc(["explain", Repository.stencil("channel_periodic.st"), "--target", "mpi"])
        #expect(explained.status == 0)
        #expect(explained.stdout.contains("boundary: after every sweep these statements run again"), "\(explained.stdout)")
        #expect(explained.stdout.contains("periodic Cartesian topology"))
        let refused = try stencilc(["run", Repository.stencil("insulated.st"), "--target", "openmp", "--param", "N=24"],
                                   environment: ["STENCILC_PLAN": "tiles:4"])
        #expect(refused.status != 0)
        #expect(refused.stderr.contains("neumann or periodic"), "\(refused.stderr)")
        // The mpi and hybrid targets refuse it too (they once ignored it and ran whole sweeps).
        for target in ["mpi", "hybrid"] {
            let ranks = try stencilc(["run", Repository.stencil("insulated.st"), "--target", target, "--param", "N=24"],
                                     environment: MPITests.sharedMemoryOnly.merging(["STENCILC_PLAN": "tiles:4"]) { $1 })
            #expect(ranks.status != 0, "\(target)")
            #expect(ranks.stderr.contains("plan 'tiles:4' cannot run here: every sweep exchanges halos with the neighbouring ranks ("), "\(target): \(ranks.stderr)")
        }
    }

    /// `stencilc tune` has nothing to choose for such a program (red-black neither): it times
    /// whole sweeps alone instead of failing on the first plan the program refuses.
    @Test func tuneTimesWholeSweepsOnly() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let environment = ["STENCILC_WISDOM": directory.appendingPathComponent("wisdom.json").path]
        for file in ["insulated.st", "jacobi_sor.st"] {
            let tune = try stencilc(["tune", Repository.stencil(file), "--param", "N=40", "--seconds-per-run", "0.01", "--json"],
                                    environment: environment)
            #expect(tune.status == 0, "\(file): \(tune.stderr)")
            let summary = try JSONSerialization.jsonObject(with: Data(tune.stdout.utf8)) as? [String: Any]
            #expect(summary?["plan"] as? String == "sweeps" && summary?["candidates"] as? Int == 1, "\(file): \(tune.stdout)")
        }
    }

    /// Leading fixed statements are not repeated (their values stay), everything from the first
    /// neumann/periodic statement on is; a stencil with fixed sides only repeats nothing.
    @Test func planRepeatsFromTheFirstCopyingStatement() throws {
        let jacobi = try Compilation.compile(path: Repository.stencil("jacobi.st"), target: .serial, stem: "jacobi").program
        #expect(jacobi.boundaryEachSweep.isEmpty)
        #expect(!jacobi.loops.boundaryEachSweep)
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("mixed.st").path
        try BoundaryVariants.mixed.source.write(toFile: path, atomically: true, encoding: .utf8)
        let mixed = try Compilation.compile(path: path, target: .serial, stem: "mixed").program
        #expect(mixed.boundaryEachSweep.statements.map(\.line) == [7, 8, 9, 10, 11])
    }

    /// Sizes the runtime refuses, with a message: a periodic axis whose interior is shorter than
    /// the halo, and MPI blocks thinner than 2h along an axis with neumann or periodic sides.
    @Test func runtimeRefusesWhatCannotWork() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("wide.st").path
        try BoundaryVariants.wide.source.write(toFile: path, atomically: true, encoding: .utf8)
        let short = try stencilc(["run", path, "--target", "serial", "--param", "N=5"])
        #expect(short.status != 0)
        #expect(short.stderr.contains("periodic sides of halo 2 need at least 6"), "\(short.stderr)")
        let thin = try stencilc(["run", Repository.stencil("insulated.st"), "--target", "mpi", "--ranks", "4", "--param", "N=7"],
                                environment: MPITests.sharedMemoryOnly)
        #expect(thin.status != 0)
        #expect(thin.stderr.contains("each block needs at least 2 rows"), "\(thin.stderr)")
    }

    /// Blocks of a 2-D grid or 3-D slabs thinner than 2h along an axis with neumann or periodic
    /// sides: `run` refuses before building anything (DecompositionPlan, the runtime's words),
    /// `explain` says the same, and the program launched by hand prints that very message.
    @Test func thinBlocksOfTwoDimensionsAreRefusedBeforeBuilding() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let slab = directory.appendingPathComponent("thinslab.st").path
        try """
            stencil thinslab {
                grid u: float64[6, 5, 5]
                boundary u { front = neumann }
                update u[k, i, j] = (u[k-1, i, j] + u[k+1, i, j] + u[k, i-1, j] + u[k, i+1, j] + u[k, i, j-1] + u[k, i, j+1]) / 6
                steps 2
            }
            """.write(toFile: slab, atomically: true, encoding: .utf8)
        let cases: [(path: String, flags: [String], message: String)] = [
            (Repository.stencil("insulated.st"), ["--param", "N=7"],
             "cannot split 7 rows over 4 ranks: each block needs at least 2 rows for halo 1"),
            (Repository.stencil("channel_periodic.st"), ["--param", "ROWS=20", "--param", "COLS=3", "--decompose", "grid"],
             "cannot split 3 columns over 2 columns of ranks (process grid 2x2 for 4 ranks): each block needs at least 2 columns for halo 1"),
            // A slab's blocks are counted in planes.
            (slab, [], "cannot split 6 planes over 4 ranks: each block needs at least 2 planes for halo 1"),
        ]
        let toolchain = try Toolchain.fromEnvironment(runtimeDirectory: "\(Repository.root)/runtime")
        let builder = Builder(toolchain: toolchain, cache: BuildCache.defaultCache())
        for (path, flags, message) in cases {
            let stem = Compilation.defaultStem(path)
            let explained = try stencilc(["explain", path, "--target", "mpi", "--ranks", "4"] + flags)
            #expect(explained.stdout.contains("error: \(message): the run stops before iterating"), "\(stem): \(explained.stdout)")
            let cache = directory.appendingPathComponent("cache-\(stem)").path
            let run = try stencilc(["run", path, "--target", "mpi", "--ranks", "4"] + flags,
                                   environment: ["STENCILC_CACHE_DIR": cache])
            #expect(run.status == 1, "\(stem): \(run.stderr)")
            #expect(run.stderr.contains("stencilc: error: \(message) (use fewer --ranks"), "\(stem): \(run.stderr)")
            let built = (try? FileManager.default.subpathsOfDirectory(atPath: cache)) ?? []
            #expect(built.isEmpty, "\(stem): built before refusing: \(built)")
            // The program itself, launched by hand past the driver's check, says the same.
            var schedule = Schedule()
            schedule.decompose = flags.contains("grid") ? .grid : .rows
            let result = try Compilation.compile(path: path, target: .mpi, overrides: schedule)
            let plan = try builder.plan(result.emitted, stem: stem)
            try builder.execute(plan)
            var program = result.program
            program.schedule.ranks = 4
            var options = RunOptions()
            options.params = flags.enumerated().compactMap { $0.offset > 0 && flags[$0.offset - 1] == "--param" ? $0.element : nil }
            options.environment = MPITests.sharedMemoryOnly
            let job = Launcher(builder: builder).runJob(executable: plan.executable, program: program, options: options)
            let outcome = try ProcessRunner.run(job, capture: true)
            #expect(outcome.status == 1, "\(stem) by hand: \(outcome.errorOutput)")
            #expect(outcome.errorOutput.contains("\(stem): error: \(message)"), "\(stem) by hand: \(outcome.errorOutput)")
        }
    }

    /// explain calls a 1-D grid's axis points (BlocksPlan.axisWord), not columns: the boundary
    /// statements' strips, the periodic topology, and the work-group's axes; a 2-D grid keeps
    /// its columns.
    @Test func explainNamesTheAxesOfAOneDimensionalGrid() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let ring = directory.appendingPathComponent("ring1d.st").path
        try """
            stencil ring1d {
                grid u: float32[12]
                init u[x] = sin(0.5 * x)
                boundary u {
                    left = periodic
                    right = periodic
                }
                update u[x] = (u[x-1] + u[x+1]) / 2
                steps 3
            }
            """.write(toFile: ring, atomically: true, encoding: .utf8)
        let rod = directory.appendingPathComponent("rod1d.st").path
        try """
            stencil rod1d {
                param N = 16
                grid u: float64[N]
                boundary u { left = neumann; right = 1 }
                update u[x] = (u[x-1] + u[x+1]) / 2
                steps 3
            }
            """.write(toFile: rod, atomically: true, encoding: .utf8)
        let mpi = try stencilc(["explain", ring, "--target", "mpi", "--ranks", "2"])
        #expect(mpi.status == 0, "\(mpi.stderr)")
        #expect(mpi.stdout.contains("left = periodic: points 0..0 copy the point +(12-2) away"), "\(mpi.stdout)")
        #expect(mpi.stdout.contains("right = periodic: points 12-1..12-1 copy the point -(12-2) away"), "\(mpi.stdout)")
        #expect(mpi.stdout.contains("periodic along the points: a periodic Cartesian topology"), "\(mpi.stdout)")
        let opencl = try stencilc(["explain", ring, "--target", "opencl", "--workgroup", "16"])
        #expect(opencl.stdout.contains("work-group:   16 (points)"), "\(opencl.stdout)")
        let neumann = try stencilc(["explain", rod, "--target", "serial"])
        #expect(neumann.stdout.contains("left = neumann: points 0..0 copy point 1 (zero gradient)"), "\(neumann.stdout)")
        for text in [mpi.stdout, opencl.stdout, neumann.stdout] {
            #expect(!text.contains("column"), "\(text)")
        }
        let plate = try stencilc(["explain", Repository.stencil("channel_periodic.st"), "--target", "mpi"])
        #expect(plate.stdout.contains("left = periodic: columns 0..0 copy the column +(cols-2) away"), "\(plate.stdout)")
        #expect(plate.stdout.contains("periodic along the columns: a periodic Cartesian topology"), "\(plate.stdout)")
    }

    /// A 3-D grid in slabs with periodic columns or rows: they wrap within each slab (explain
    /// once crashed naming them, BlocksPlan.axisWord with 2 dimensions); front/back periodic is
    /// the slabs' Cartesian topology. Every rank count and both mpi targets.
    @Test func explainNamesTheAxesOfSlabs() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let box = directory.appendingPathComponent("box3d.st").path
        try """
            stencil box3d {
                grid u: float64[6, 6, 6]
                boundary u { left = periodic; right = periodic; top = periodic; bottom = periodic }
                update u[k, i, j] = (u[k-1, i, j] + u[k+1, i, j] + u[k, i, j-1]) / 3
                steps 1
            }
            """.write(toFile: box, atomically: true, encoding: .utf8)
        for target in ["mpi", "hybrid"] {
            for ranks in ["1", "2"] {
                let result = try stencilc(["explain", box, "--target", target, "--ranks", ranks])
                #expect(result.status == 0, "\(target) \(ranks): \(result.stderr.prefix(400))")
                #expect(result.stdout.contains("(slabs, non-periodic MPI_Cart_create)"), "\(result.stdout)")
                #expect(result.stdout.contains("periodic rows and columns wrap within each slab's own planes: no message"), "\(result.stdout)")
            }
        }
        let duct = try stencilc(["explain", Repository.stencil("duct3d.st"), "--target", "mpi"])
        #expect(duct.stdout.contains("(slabs, MPI_Cart_create periodic along the planes)"), "\(duct.stdout)")
    }
}
