// DifferentialTests.swift: random valid programs (ProgramGenerator.swift) on every target this
// machine runs, each compared bit for bit with the generator's own interpreter
// (GenInterpreter.swift): serial on every program, plus one other configuration drawn from the
// others (openmp with a random thread count, schedule, chunk and tile; mpi, hybrid and opencl
// when the driver has them and their tools are present). A failure is shrunk (terms dropped,
// sizes and counts reduced) and printed as a minimal .st file with the command that shows it.
//
//   STENCILC_DIFF_COUNT=2000 swift test --filter DifferentialTests   # more programs (default 200)
//   STENCILC_DIFF_SEED=12345 ...                                      # another sequence

import Foundation
import StencilCodegen
import Synchronization
import StencilDriver
import StencilFrontend
import StencilIR
import Testing

/// One target configuration of one run.
struct DiffConfiguration: CustomStringConvertible {
    var target: Target
    var overrides: Schedule
    var environment: [String: String] = [:]
    /// Added to the C compiler's flags (e.g. -mno-avx512f: the runtime's generic vector code).
    var flags: [String] = []

    var description: String {
        var parts = ["--target", target.rawValue]
        if let n = overrides.numThreads { parts += ["--num-threads", String(n)] }
        if let k = overrides.kind { parts += ["--schedule", k.rawValue] }
        if let c = overrides.chunksize { parts += ["--chunksize", String(c)] }
        if let t = overrides.tile { parts += ["--tile", t.map(String.init).joined(separator: "x")] }
        if let r = overrides.ranks { parts += ["--ranks", String(r)] }
        if let d = overrides.decompose { parts += ["--decompose", d.rawValue] }
        let environment = self.environment.keys.sorted().map { "\($0)=\(self.environment[$0]!) " }.joined()
        return environment + parts.joined(separator: " ") + (flags.isEmpty ? "" : " (C flags \(flags.joined(separator: " ")))")
    }
}

/// What went wrong with one program on one configuration.
struct DiffFailure: Error, CustomStringConvertible {
    enum Kind: String { case rejected = "stencilc rejected a valid program", compile = "the emitted C did not build",
                        run = "the program failed", differs = "the result differs from the reference" }
    var kind: Kind
    var detail: String
    var description: String { "\(kind.rawValue): \(detail)" }
}

enum Differential {
    static let environment = ProcessInfo.processInfo.environment
    static let count = Int(environment["STENCILC_DIFF_COUNT"] ?? "") ?? 200
    static let seed = UInt64(environment["STENCILC_DIFF_SEED"] ?? "") ?? 0x5EED_2024
    static let batches = 8
    /// Failures so far, over all batches.
    static let failures = Atomic<Int>(0)

    static let toolchain: Toolchain = {
        (try? Toolchain.fromEnvironment(runtimeDirectory: "\(Repository.root)/runtime"))
            ?? Toolchain(cc: "gcc", runtimeDirectory: "\(Repository.root)/runtime")
    }()
    static let cache = BuildCache.defaultCache()

    /// Configurations of mpi, hybrid and opencl that this machine can run, from the same place
    /// `stencilc verify` asks.
    static let otherTargets: [VerifyConfiguration] = {
        let verifier = Verifier(toolchain: toolchain, cache: cache)
        return [Target.mpi, .hybrid, .opencl].flatMap { target -> [VerifyConfiguration] in
            (try? verifier.configurations(for: target).get()) ?? []
        }
    }()

    /// serial, and one more configuration drawn for this program.
    static func configurations(_ rng: inout SplitMix, for program: GenProgram) -> [DiffConfiguration] {
        var configurations = [DiffConfiguration(target: .serial, overrides: Schedule())]
        let others = otherTargets
        if !others.isEmpty, Int.random(in: 0..<3, using: &rng) == 0 {
            let pick = others[Int.random(in: 0..<others.count, using: &rng)]
            var overrides = pick.overrides
            if let ranks = overrides.ranks { overrides.ranks = ranksThatFit(program, ranks: ranks, decompose: overrides.decompose ?? .rows) }
            configurations.append(DiffConfiguration(target: pick.target, overrides: overrides, environment: pick.environment))
            return configurations
        }
        var schedule = Schedule()
        schedule.numThreads = Int.random(in: 1...3, using: &rng)
        schedule.kind = [ScheduleKind.static, .dynamic, .guided, .auto][Int.random(in: 0..<4, using: &rng)]
        // A chunksize in the file's schedule does not combine with auto (a diagnosed error).
        if schedule.kind == .auto, program.schedule.contains(where: { $0.hasPrefix("chunksize") }) { schedule.kind = .dynamic }
        if schedule.kind != .auto, Bool.random(using: &rng) { schedule.chunksize = Int.random(in: 1...4, using: &rng) }
        if Int.random(in: 0..<4, using: &rng) == 0 {
            // One size per dimension.
            schedule.tile = (0..<program.dimensions).map { _ in Int.random(in: 1...6, using: &rng) }
        }
        configurations.append(DiffConfiguration(target: .openmp, overrides: schedule))
        return configurations
    }

    /// Whether mpi and hybrid split `program` into blocks of a D-dimensional process grid (1-D
    /// grids, 3-D ones with `decompose grid`) rather than 2-D blocks or slabs of planes.
    static func usesBlocks(_ program: GenProgram, decompose: Decomposition) -> Bool {
        program.dimensions == 1 || (program.dimensions == 3 && decompose == .grid)
    }

    /// The rank count a program runs on: the largest up to `ranks` whose every block is deep
    /// enough, so no run meets the driver's or the runtime's "cannot split" refusal. The rule
    /// (runtime/stencil_mpi.c): along each split axis, extent / parts >= h, and >= 2h where a
    /// grid has a neumann or periodic side on that axis (its sources stay in the owners' blocks,
    /// in every layout). Parts: 2-D rows P x 1, 2-D grid and blocks as MPI_Dims_create
    /// (DecompositionPlan/BlocksPlan.processGrid); slabs split planes only. One rank always fits.
    static func ranksThatFit(_ program: GenProgram, ranks: Int, decompose: Decomposition) -> Int {
        let extents = program.updated.extents.map(program.extent)
        let h = max(program.halo, 1)
        func fits(_ r: Int) -> Bool {
            let parts: [Int]
            if usesBlocks(program, decompose: decompose) {
                parts = BlocksPlan.processGrid(ranks: r, dimensions: program.dimensions)
            } else if program.dimensions == 3 {
                parts = [r, 1, 1]
            } else {
                let grid = DecompositionPlan.processGrid(ranks: r, decomposition: decompose)
                parts = [grid.rows, grid.cols]
            }
            return extents.indices.allSatisfy { axis in
                parts[axis] == 1 || extents[axis] / parts[axis] >= (program.copies(axis: axis) ? 2 * h : h)
            }
        }
        return (1...max(ranks, 1)).last(where: fits) ?? 1
    }

    /// Runs `program` on `configuration` and compares it with the interpreter; nil when they agree.
    /// Expects every program to agree with the interpreter on every configuration.
    static func expectAgreement(of programs: [GenProgram], on configurations: [DiffConfiguration], in directory: URL,
                                sourceLocation: Testing.SourceLocation = #_sourceLocation) {
        for program in programs {
            for configuration in configurations {
                let failure = failure(of: program, on: configuration, in: directory)
                #expect(failure == nil, "\(configuration): \(failure.map(String.init(describing:)) ?? "")\n\(program.text)",
                        sourceLocation: sourceLocation)
            }
        }
    }

    static func failure(of program: GenProgram, on configuration: DiffConfiguration, in directory: URL) -> DiffFailure? {
        let expected = GenInterpreter.run(program)
        let path = directory.appendingPathComponent("generated \(program.name).st").path
        do {
            try program.text.write(toFile: path, atomically: true, encoding: .utf8)
        } catch {
            return DiffFailure(kind: .run, detail: "cannot write \(path): \(error)")
        }
        var result: CompilationResult
        do {
            result = try Compilation.compile(path: path, target: configuration.target, overrides: configuration.overrides)
            // Emitted code must build warning-free, whatever the program (STYLE.md).
            result.emitted.recipe.flags += ["-Wall", "-Wextra", "-Werror"] + configuration.flags
        } catch let errors as SourceErrors {
            return DiffFailure(kind: .rejected, detail: errors.rendered)
        } catch {
            return DiffFailure(kind: .rejected, detail: "\(error)")
        }
        let output = directory.appendingPathComponent("field \(program.name).npy").path
        var options = RunOptions()
        options.params = program.overrideArguments
        options.outputPath = output
        options.json = true
        options.quiet = true
        options.environment = configuration.environment
        let launcher = Launcher(builder: Builder(toolchain: toolchain, cache: cache))
        let outcome: ProcessResult
        do {
            outcome = try launcher.run(result, stem: Compilation.defaultStem(path), options: options, capture: true)
        } catch let error as DriverError {
            // (A grid too small for its ranks never gets here: `ranksThatFit`.)
            let kind: DiffFailure.Kind = error.message.contains("C compiler failed") ? .compile : .run
            return DiffFailure(kind: kind, detail: error.message + "\n" + error.toolOutput)
        } catch {
            return DiffFailure(kind: .run, detail: "\(error)")
        }
        defer { try? FileManager.default.removeItem(atPath: output) }
        guard let line = outcome.output.split(separator: "\n").last(where: { $0.hasPrefix("{") }),
              let summary = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
              let iterations = summary["iterations"] as? Int, let converged = summary["converged"] as? Bool else {
            return DiffFailure(kind: .run, detail: "no JSON summary in: \(outcome.output)")
        }
        guard let field = try? NPYFile(contentsOf: output) else {
            return DiffFailure(kind: .run, detail: "no readable .npy output")
        }
        var problems: [String] = []
        if iterations != expected.iterations { problems.append("iterations \(iterations), reference \(expected.iterations)") }
        if converged != expected.converged { problems.append("converged \(converged), reference \(expected.converged)") }
        if field.rows != expected.rows || field.cols != expected.cols {
            problems.append("shape \(field.rows) x \(field.cols), reference \(expected.rows) x \(expected.cols)")
        } else if field.bytes != expected.bytes {
            let reference = NPYFile(descr: field.descr, rows: expected.rows, cols: expected.cols, bytes: expected.bytes)
            if let tolerance = VerifyTolerance.relative(for: configuration.target, program: result.program) {
                let difference = field.largestDifference(from: reference)
                let allowed = tolerance * max(1, reference.scale)
                if difference > allowed { problems.append("difference \(difference) > \(allowed) (VerifyTolerance of the grid's scale)") }
            } else {
                let first = (0..<field.count).first { field.value(at: $0).bitPattern != reference.value(at: $0).bitPattern } ?? 0
                problems.append("field differs: largest difference \(field.largestDifference(from: reference)), first at row \(first / field.cols), column \(first % field.cols): \(field.value(at: first)) vs reference \(reference.value(at: first))")
            }
        }
        return problems.isEmpty ? nil : DiffFailure(kind: .differs, detail: problems.joined(separator: "; "))
    }
}

@Suite struct DifferentialTests {
    @Test(arguments: 0..<Differential.batches)
    func generatedProgramsAgreeWithTheReference(batch: Int) throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        for index in stride(from: batch, to: Differential.count, by: Differential.batches) {
            let seed = Differential.seed &+ UInt64(index) &* 0x9E37_79B9
            var generator = ProgramGenerator(seed: seed)
            let program = generator.program()
            let expected = GenInterpreter.run(program)
            guard expected.allFinite else {
                Issue.record("generator bug: program \(index) (seed \(seed)) is not finite:\n\(program.text)")
                continue
            }
            var rng = SplitMix(state: seed ^ 0xC0F1)
            for configuration in Differential.configurations(&rng, for: program) {
                guard let failure = Differential.failure(of: program, on: configuration, in: directory) else { continue }
                // A real bug fails hundreds of programs: shrink the first few, list some, stop.
                let failures = Differential.failures.add(1, ordering: .relaxed).newValue
                if failures > 20 { return }
                if failures > 3 {
                    Issue.record("program \(index) (seed \(seed)) on \(configuration): \(failure.kind.rawValue) (not shrunk: see the first failures)")
                    break
                }
                let minimal = Shrinker(configuration: configuration, kind: failure.kind, directory: directory).shrink(program)
                let final = Differential.failure(of: minimal, on: configuration, in: directory) ?? failure
                let params: [String] = minimal.overrideArguments.map { "--param \($0)" }
                let command: String = (["stencilc run case.st", configuration.description] + params + ["--output out.npy"])
                    .joined(separator: " ")
                Issue.record("""
                    program \(index) (STENCILC_DIFF_SEED=\(Differential.seed), seed \(seed)) on \(configuration): \(final)
                    minimal case.st (shrunk from \(program.update.size) to \(minimal.update.size) update nodes):
                    \(minimal.text)
                    reproduce: \(command)
                    """)
                break
            }
        }
    }

    /// The generator makes what it promises: every program passes stencilc's checks, its halo
    /// is 1 to 3, and over a sample every operator, function, type and stopping rule appears.
    @Test func generatorCoversTheLanguage() throws {
        var seen: Set<String> = []
        for index in 0..<300 {
            var generator = ProgramGenerator(seed: 77 &+ UInt64(index))
            let program = generator.program()
            #expect((1...3).contains(program.halo), "halo \(program.halo)")
            let (checked, diagnostics) = StencilFrontendCheck.check(program.text)
            if !checked {
                Issue.record("stencilc rejects generated program \(index):\n\(program.text)\n\(diagnostics)")
                continue
            }
            #expect(GenInterpreter.run(program).allFinite, "not finite:\n\(program.text)")
            if let relax = program.relax { seen.insert(relax == .number("1") ? "relax 1" : "relax") }
            if program.redBlack { seen.insert(program.relax == nil ? "order redblack" : "order redblack with relax") }
            for e in program.update.subexpressions {
                switch e {
                case .binary(let op, _, _): seen.insert(String(op))
                case .call(let f, _): seen.insert(f)
                case .negate: seen.insert("negate")
                case .paren: seen.insert("paren")
                case .index: seen.insert("index value")
                case .read(let g, _) where g != program.updated.name: seen.insert("read-only grid")
                default: break
                }
            }
            seen.insert(program.isDouble ? "float64" : "float32")
            switch program.stop {
            case .steps: seen.insert("steps")
            case .until(let l2, _, _, _): seen.insert(l2 ? "l2diff" : "maxdiff")
            }
            if !program.overrides.isEmpty { seen.insert("override") }
            if program.grids.contains(where: { $0.positional && ($0.initial.map { $0.subexpressions.contains { if case .index = $0 { return true } else { return false } } } ?? false) }) {
                seen.insert("init u[i, j]")
            }
            if program.grids.contains(where: { g in g.positional && g.boundary.contains { $0.value.subexpressions.contains { if case .index = $0 { return true } else { return false } } } }) {
                seen.insert("boundary u[i, j]")
            }
            for line in program.updated.boundary where line.value.isBoundaryKind {
                seen.insert(line.value == .neumann ? "neumann" : "periodic")
            }
            let updatedGrids = [program.updated] + (program.coupled.map { [program.grids[$0.grid]] } ?? [])
            for grid in updatedGrids {
                for line in grid.boundary where line.value.isBoundaryKind {
                    seen.insert("\(line.value == .neumann ? "neumann" : "periodic") \(program.dimensions)-D")
                    if line.value == .periodic && program.halo > 1 { seen.insert("periodic, halo 2 or 3") }
                }
            }
            // A periodic axis has an interior of at least h points at run time (else the program stops).
            for axis in 0..<program.dimensions where program.isPeriodic(axis: axis) {
                #expect(program.extent(program.updated.extents[axis]) >= program.leastPeriodicExtent, "periodic axis \(axis) too short:\n\(program.text)")
            }
            if let coupled = program.coupled {
                seen.insert("system")
                if program.updated.boundary.contains(where: { $0.value.isBoundaryKind }) { seen.insert("system, kinds on the main grid") }
                if program.grids[coupled.grid].boundary.contains(where: { $0.value.isBoundaryKind }) { seen.insert("system, kinds on the second grid") }
            }
            if program.params.contains(where: { $0.text.hasPrefix("-") }) { seen.insert("negative param") }
            seen.insert("halo \(program.halo)")
            if Set(program.updated.extents.map(program.extent)).count > 1 { seen.insert("non-square") }
            seen.insert("\(program.dimensions)-D")
            if program.dimensions != 2 && program.schedule.contains(where: { $0.hasPrefix("tile") }) { seen.insert("tile \(program.dimensions)-D") }
        }
        for feature in ["+", "-", "*", "/", "abs", "min", "max", "sqrt", "exp", "sin", "cos", "negate", "paren",
                        "read-only grid", "float32", "float64", "steps", "maxdiff", "l2diff", "override",
                        "negative param", "halo 1", "halo 2", "halo 3", "non-square", "relax", "relax 1", "order redblack", "order redblack with relax", "index value", "init u[i, j]", "boundary u[i, j]", "neumann", "periodic", "system", "neumann 1-D", "periodic 1-D", "neumann 3-D", "periodic 3-D",
                        "periodic, halo 2 or 3", "system, kinds on the main grid", "system, kinds on the second grid", "1-D", "2-D", "3-D", "tile 1-D", "tile 3-D"] {
            #expect(seen.contains(feature), "no generated program has \(feature)")
        }
    }

    /// The rank rule of the mpi and hybrid runs (`ranksThatFit`) is the driver's: a rank count
    /// fits exactly when the driver's preflight splits the grid over it (2h deep along an axis
    /// with neumann or periodic sides). And 1-D and 3-D programs go to mpi and hybrid.
    @Test func rankRuleAgreesWithTheDriver() throws {
        var dimensionsOnMPI: Set<Int> = []
        var refusals = 0
        for index in 0..<300 {
            var generator = ProgramGenerator(seed: 91 &+ UInt64(index))
            let program = generator.program()
            let (checked, _) = try Compilation.check(SourceFile(name: "generated.st", text: program.text))
            for ranks in 1...4 {
                for decompose in [Decomposition.rows, .grid] {
                    var overrides = Schedule()
                    overrides.ranks = ranks
                    overrides.decompose = decompose
                    let lowered = try Compilation.lower(checked, target: .mpi, overrides: overrides)
                    let splits = MPILaunch.splitError(lowered, params: program.overrideArguments) == nil
                    let fits = Differential.ranksThatFit(program, ranks: ranks, decompose: decompose) == ranks
                    if !splits { refusals += 1 }
                    #expect(splits == fits, "\(ranks) ranks, decompose \(decompose): the driver \(splits ? "splits" : "refuses"):\n\(program.text)")
                }
            }
            var rng = SplitMix(state: UInt64(index))
            for configuration in Differential.configurations(&rng, for: program) where configuration.overrides.ranks != nil {
                dimensionsOnMPI.insert(program.dimensions)
            }
        }
        #expect(refusals > 0, "no program was too small for its ranks: the comparison shows nothing")
        if Differential.otherTargets.contains(where: { $0.target == .mpi }) {
            #expect(dimensionsOnMPI == [1, 2, 3], "mpi/hybrid ran only \(dimensionsOnMPI.sorted())-D programs")
        }
    }

    /// Refreshes the generated part of the front end's fuzzing corpus:
    ///   STENCILC_WRITE_CORPUS=1 swift test --filter writeGeneratedCorpus
    @Test(.enabled(if: ProcessInfo.processInfo.environment["STENCILC_WRITE_CORPUS"] == "1"))
    func writeGeneratedCorpus() throws {
        let directory = "\(Repository.root)/Tests/StencilFrontendTests/Inputs/corpus"
        for index in 0..<24 {
            var generator = ProgramGenerator(seed: 0xC0_4905 &+ UInt64(index))
            let program = generator.program()
            try program.text.write(toFile: "\(directory)/generated_\(String(format: "%02d", index)).st", atomically: true, encoding: .utf8)
        }
    }

    /// Column offsets of a whole AVX-512 vector (16 float32 or 8 float64 lanes), which the random
    /// programs (halo 1 to 3) never reach: there the shifted neighbour is the next vector itself.
    /// Wide, odd grids, so rows hold whole vectors and end in partial ones (the halo is a vector
    /// wide too, so 9 rows are updated); serial and openmp against the interpreter, and serial once
    /// more without AVX-512 (narrower vectors, other remainders).
    @Test(arguments: [false, true])
    func laneWideColumnOffsetsAgreeWithTheReference(isDouble: Bool) throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let lanes = isDouble ? 8 : 16
        func r(_ dr: Int, _ dc: Int) -> GenExpr { .read("u", [dr, dc]) }
        // (left-lanes + 2 right+lanes + 3 up + 4 down + 6 centre) / 16: weights keep it a contraction.
        let update: GenExpr = .binary("/", .paren(.binary("+", .binary("+", .binary("+", .binary("+",
            r(0, -lanes), .binary("*", .number("2"), r(0, lanes))), .binary("*", .number("3"), r(-1, 0))),
            .binary("*", .number("4"), r(1, 0))), .binary("*", .number("6"), r(0, 0)))), .number("16"))
        let program = GenProgram(name: "lanes\(lanes)", isDouble: isDouble, params: [],
                                 grids: [GenGrid(name: "u", extents: [.literal(2 * lanes + 9), .literal(6 * lanes + 5)], initial: .number("1"),
                                                 boundary: [("left", .number("90")), ("top", .number("40")),
                                                            ("bottom", .number("0")), ("right", .number("10"))])],
                                 indices: ["i", "j"], update: update, stop: .steps(.literal(9)), overrides: [:],
                                 schedule: [], shuffleSeed: 1)
        var twoThreads = Schedule()
        twoThreads.numThreads = 2
        var configurations = [DiffConfiguration(target: .serial, overrides: Schedule()),
                              DiffConfiguration(target: .openmp, overrides: twoThreads)]
        #if arch(x86_64)
        configurations.append(DiffConfiguration(target: .serial, overrides: Schedule(), flags: ["-mno-avx512f"]))
        #endif
        Differential.expectAgreement(of: [program], on: configurations, in: directory)
    }

    /// Rows whose width is a whole number of vectors: column offsets of 1, 2 and a whole vector,
    /// halo rows above and below; whole rows (serial, two threads, bands) and column tiles whose
    /// edges fall anywhere in a vector (`tile 5 x 21`, `7 x 37`), against the interpreter, and once
    /// without AVX-512.
    @Test(arguments: [false, true])
    func wholeStripRowsAgreeWithTheReference(isDouble: Bool) throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let lanes = isDouble ? 8 : 16
        func r(_ dr: Int, _ dc: Int) -> GenExpr { .read("u", [dr, dc]) }
        func times(_ weight: String, _ e: GenExpr) -> GenExpr { .binary("*", .number(weight), e) }
        // Weights summing to 1: a contraction, so 12 sweeps stay finite and differ point by point.
        // With halo 2 a row's interior starts and ends inside a strip (a lane stored too many or
        // too few shows at the boundary columns); with a vector-wide offset the halo is a vector
        // (in rows too, so 2 * lanes + 9 rows) and the interior is whole strips.
        func program(wide: Bool) -> GenProgram {
            var terms: [GenExpr] = [times("0.25", r(0, -1)), times("0.125", r(0, 1)), times("0.125", r(0, -2)),
                                    times("0.0625", r(0, 2)), times("0.125", r(-1, 0)), times("0.125", r(2, 0)),
                                    times("0.125", r(0, 0))]
            terms.append(times("0.0625", wide ? r(0, lanes) : r(1, 1)))
            let update = terms.dropFirst().reduce(terms[0]) { .binary("+", $0, $1) }
            return GenProgram(name: "strips\(lanes)\(wide ? "wide" : "")", isDouble: isDouble, params: [],
                              grids: [GenGrid(name: "u", extents: [.literal(wide ? 2 * lanes + 9 : 23), .literal(5 * lanes)],
                                              initial: .number("1"),
                                              boundary: [("left", .number("90")), ("top", .number("40")),
                                                         ("bottom", .number("7")), ("right", .number("10"))])],
                              indices: ["i", "j"], update: update, stop: .steps(.literal(12)), overrides: [:],
                              schedule: [], shuffleSeed: 1)
        }
        func schedule(threads: Int, tile: (Int, Int)? = nil) -> Schedule {
            var s = Schedule()
            s.numThreads = threads
            s.tile = tile.map { [$0.0, $0.1] }
            return s
        }
        var configurations = [DiffConfiguration(target: .serial, overrides: Schedule()),
                              DiffConfiguration(target: .openmp, overrides: schedule(threads: 2)),
                              DiffConfiguration(target: .openmp, overrides: schedule(threads: 2),
                                                environment: ["STENCILC_PLAN": "bands"]),
                              DiffConfiguration(target: .openmp, overrides: schedule(threads: 2, tile: (5, 21))),
                              DiffConfiguration(target: .openmp, overrides: schedule(threads: 3, tile: (7, 37)))]
        #if arch(x86_64)
        configurations.append(DiffConfiguration(target: .serial, overrides: Schedule(), flags: ["-mno-avx512f"]))
        #endif
        Differential.expectAgreement(of: [program(wide: false), program(wide: true)], on: configurations, in: directory)
    }

    /// Vector code must give the scalar multiply's and division's bits where it matters most:
    /// values that underflow to subnormal numbers and to zeros of either sign (a division by a
    /// power of two may become a product with its reciprocal, which is exact). Tiny boundary values
    /// of both signs spread into a zero interior; the reference field must hold subnormals,
    /// negative values and -0 for the test to mean anything. Checked at the native ISA, without
    /// AVX-512 and without FMA.
    @Test(arguments: [false, true])
    func underflowingProductsAgreeWithTheReference(isDouble: Bool) throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        func r(_ dr: Int, _ dc: Int) -> GenExpr { .read("u", [dr, dc]) }
        // ((up + down + left + right) / 4 - u * 0.0625 - u * u) * 0.3: every product underflows
        // somewhere, and the last one turns the smallest negative values into -0.
        let sum: GenExpr = .binary("+", .binary("+", .binary("+", r(-1, 0), r(1, 0)), r(0, -1)), r(0, 1))
        let inner: GenExpr = .binary("-", .binary("-", .binary("/", .paren(sum), .number("4")), .binary("*", r(0, 0), .number("0.0625"))),
                                     .binary("*", r(0, 0), r(0, 0)))
        let update: GenExpr = .binary("*", .paren(inner), .number("0.3"))
        let (top, left) = isDouble ? ("1e-312", "3e-308") : ("1e-34", "3e-37")
        let program = GenProgram(name: "underflow\(isDouble ? 64 : 32)", isDouble: isDouble, params: [],
                                 grids: [GenGrid(name: "u", extents: [.literal(24), .literal(77)], initial: .number("0"),
                                                 boundary: [("top", .number(top)), ("left", .negate(.number(left))),
                                                            ("bottom", .number("0")), ("right", .number("0"))])],
                                 indices: ["i", "j"], update: update, stop: .steps(.literal(40)), overrides: [:],
                                 schedule: [], shuffleSeed: 1)
        let reference = GenInterpreter.run(program)
        let values: [Double] = isDouble
            ? stride(from: 0, to: reference.bytes.count, by: 8).map { k in
                Double(bitPattern: reference.bytes[k..<k + 8].reversed().reduce(UInt64(0)) { $0 << 8 | UInt64($1) }) }
            : stride(from: 0, to: reference.bytes.count, by: 4).map { k in
                Double(Float(bitPattern: reference.bytes[k..<k + 4].reversed().reduce(UInt32(0)) { $0 << 8 | UInt32($1) })) }
        let subnormals = isDouble
            ? values.filter { $0.isSubnormal }.count
            : values.filter { Float($0).isSubnormal }.count
        #expect(subnormals > 50, "the reference field has \(subnormals) subnormal values")
        #expect(values.contains { $0 < 0 }, "no negative values in the reference field")
        #expect(values.contains { $0 == 0 && $0.sign == .minus }, "no -0 in the reference field")

        var twoThreads = Schedule()
        twoThreads.numThreads = 2
        var configurations = [DiffConfiguration(target: .serial, overrides: Schedule()),
                              DiffConfiguration(target: .openmp, overrides: twoThreads)]
        #if arch(x86_64)
        configurations.append(DiffConfiguration(target: .serial, overrides: Schedule(), flags: ["-mno-avx512f"]))
        configurations.append(DiffConfiguration(target: .serial, overrides: Schedule(), flags: ["-mno-avx512f", "-mno-fma"]))
        #endif
        Differential.expectAgreement(of: [program], on: configurations, in: directory)
    }

    /// A 3-D stencil's read-only grid on mpi and hybrid slabs of planes is read at the same point
    /// as on serial: its values vary along every axis and its fixed right side is read from the
    /// interior, against the interpreter (the differential programs found the read-only grid
    /// read HALO points before its slab's start, so a rank saw other columns' values).
    @Test func readOnlyGridOnSlabsAgreesWithTheReference() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let c = GenGrid(name: "c", extents: [.literal(7), .literal(5), .literal(6)],
                        initial: .binary("+", .binary("+", .binary("*", .number("0.5"), .index(0)), .index(1)), .binary("*", .number("0.25"), .index(2))),
                        boundary: [("right", .number("9")), ("front", .number("3"))], positional: true)
        let update: GenExpr = .binary("+", .binary("+", .binary("*", .number("0.5"), .read("u", [0, 0, 0])),
                                                   .binary("*", .number("0.25"), .read("c", [1, -1, 1]))),
                                      .binary("*", .number("0.25"), .read("c", [-1, 0, -1])))
        let program = GenProgram(name: "slabs_read_only", isDouble: false, params: [],
                                 grids: [GenGrid(name: "u", extents: c.extents, initial: .number("1"), boundary: [("top", .number("2"))]), c],
                                 indices: ["k", "i", "j"], update: update, stop: .steps(.literal(3)), overrides: [:],
                                 schedule: [], shuffleSeed: 1)
        let slabs = Differential.otherTargets.filter { $0.target != .opencl && $0.overrides.decompose == .rows && ($0.overrides.ranks ?? 1) <= 3 }
        try #require(!slabs.isEmpty, "no mpi or hybrid here")
        Differential.expectAgreement(of: [program], on: slabs.map { DiffConfiguration(target: $0.target, overrides: $0.overrides) }, in: directory)
    }

    /// The interpreter's 3-D sweeps and sides agree with the hand transcription of heat3d.st
    /// (ReferencePrograms.heat3d, in Reference.swift).
    @Test func interpreterAgreesWithHandTranscriptionIn3D() throws {
        func r(_ d: [Int]) -> GenExpr { .read("u", d) }
        let neighbours = [[-1, 0, 0], [1, 0, 0], [0, -1, 0], [0, 1, 0], [0, 0, -1], [0, 0, 1]].map(r)
        let sum = neighbours.dropFirst().reduce(neighbours[0]) { .binary("+", $0, $1) }
        let update: GenExpr = .binary("+", r([0, 0, 0]), .binary("*", .param("r"),
            .paren(.binary("-", sum, .binary("*", .number("6"), r([0, 0, 0]))))))
        let sides: [(side: String, value: GenExpr)] = [("front", .number("100")), ("back", .number("0")), ("top", .number("0")),
                                                        ("bottom", .number("0")), ("left", .number("0")), ("right", .number("0"))]
        let heat = GenProgram(name: "heat3d", isDouble: false,
                              params: [GenParam(name: "N", text: "12"), GenParam(name: "r", text: "0.15")],
                              grids: [GenGrid(name: "u", extents: [.param("N"), .param("N"), .param("N")], initial: .number("20"),
                                              boundary: sides)],
                              indices: ["k", "i", "j"], update: update, stop: .steps(.literal(40)), overrides: [:],
                              schedule: [], shuffleSeed: 1)
        let mine = GenInterpreter.run(heat)
        let hand = ReferencePrograms.heat3d(12).solve()
        #expect(mine.iterations == hand.iterations)
        #expect(mine.bytes == hand.bytes, "the interpreter's 3-D heat equation differs from the hand transcription")
    }

    /// The interpreter runs a system's second grid's boundary statements again after every
    /// iteration, as the first grid's: Inputs/system_periodic.st (both grids periodic on both
    /// axes), transcribed into the generator's representation, agrees with its hand transcription
    /// (ReferenceSystemKinds.periodic, in SystemKindsTests.swift). u reads v only at the point
    /// itself, so u's bits depend on v's wrapped sides through v's interior.
    @Test func interpreterAgreesWithHandTranscriptionOfASystemWithKinds() throws {
        func r(_ g: String, _ d: [Int]) -> GenExpr { .read(g, d) }
        func diffusion(_ g: String, _ rate: String) -> GenExpr {
            let sum = [[-1, 0], [1, 0], [0, -1], [0, 1]].map { r(g, $0) }.dropFirst().reduce(r(g, [-1, 0])) { .binary("+", $0, $1) }
            return .binary("+", r(g, [0, 0]), .binary("*", .param(rate), .paren(.binary("-", sum, .binary("*", .number("4"), r(g, [0, 0]))))))
        }
        let uvv: GenExpr = .binary("*", .binary("*", r("u", [0, 0]), r("v", [0, 0])), r("v", [0, 0]))
        // u + DU * (...) - u * v * v + F * (1 - u)
        let updateU: GenExpr = .binary("+", .binary("-", diffusion("u", "DU"), uvv),
                                       .binary("*", .param("F"), .paren(.binary("-", .number("1"), r("u", [0, 0])))))
        // v + DV * (...) + u * v * v - (F + K) * v
        let updateV: GenExpr = .binary("-", .binary("+", diffusion("v", "DV"), uvv),
                                       .binary("*", .paren(.binary("+", .param("F"), .param("K"))), r("v", [0, 0])))
        let wrapU: [(side: String, value: GenExpr)] = ["left", "right", "top", "bottom"].map { ($0, .periodic) }
        let wrapV: [(side: String, value: GenExpr)] = ["top", "bottom", "left", "right"].map { ($0, .periodic) }
        let size: [GenExtent] = [.param("N"), .param("N")]
        var system = GenProgram(
            name: "system_periodic", isDouble: true,
            params: [("N", "12"), ("DU", "0.16"), ("DV", "0.08"), ("F", "0.06"), ("K", "0.062")].map { GenParam(name: $0.0, text: $0.1) },
            grids: [GenGrid(name: "u", extents: size, initial: .binary("-", .number("1"), .binary("*", .binary("*", .number("0.004"), .index(0)), .index(1))),
                            boundary: wrapU, positional: true),
                    GenGrid(name: "v", extents: size, initial: .binary("+", .binary("*", .number("0.01"), .index(0)), .binary("*", .number("0.02"), .index(1))),
                            boundary: wrapV, positional: true)],
            indices: ["i", "j"], update: updateU, stop: .steps(.literal(25)), overrides: [:], schedule: [], shuffleSeed: 1)
        system.coupled = (1, updateV)
        let mine = GenInterpreter.run(system)
        let hand = ReferenceSystemKinds.periodic.solve()
        #expect(mine.iterations == hand.iterations)
        let agree = mine.bytes == hand.fields["u"] // (not in #expect: it would print both fields' bytes)
        #expect(agree, "the interpreter's system with periodic sides differs from the hand transcription")
    }

    /// The interpreter is right on the hand-checked programs of stencils/: it agrees with the
    /// independent hand transcriptions of Reference.swift (two references that share nothing).
    @Test func interpreterAgreesWithHandTranscription() throws {
        // heat.st at N=9, 5 steps, transcribed into the generator's representation.
        let u = "u"
        func r(_ dr: Int, _ dc: Int) -> GenExpr { .read(u, [dr, dc]) }
        let update: GenExpr = .binary("+", r(0, 0), .binary("*", .param("r"),
            .paren(.binary("-", .binary("+", .binary("+", .binary("+", r(-1, 0), r(1, 0)), r(0, -1)), r(0, 1)),
                           .binary("*", .number("4"), r(0, 0))))))
        let heat = GenProgram(name: "heat", isDouble: false,
                              params: [GenParam(name: "N", text: "9"), GenParam(name: "r", text: "0.2")],
                              grids: [GenGrid(name: u, extents: [.param("N"), .param("N")], initial: .number("20"),
                                              boundary: [("left", .number("100")), ("top", .number("0")),
                                                         ("bottom", .number("0")), ("right", .number("0"))])],
                              indices: ["i", "j"], update: update, stop: .steps(.literal(5)), overrides: [:],
                              schedule: [], shuffleSeed: 1)
        let mine = GenInterpreter.run(heat)
        let rr = Float(0.2)
        let hand = referenceSolve(ReferenceProblem<Float>(
            rows: 9, cols: 9, halo: 1, initial: 20, boundary: [(.left, 100), (.top, 0), (.bottom, 0), (.right, 0)],
            update: { u, _, i, j, c in
                u[i * c + j] + rr * (u[(i - 1) * c + j] + u[(i + 1) * c + j] + u[i * c + j - 1] + u[i * c + j + 1] - 4 * u[i * c + j])
            }, stop: .steps(5)))
        #expect(mine.bytes == hand.field.flatMap { withUnsafeBytes(of: $0.bitPattern.littleEndian, Array.init) })
        #expect(mine.iterations == 5)
    }
}

/// Shrinks a failing program while it keeps failing the same way on the same configuration.
struct Shrinker {
    var configuration: DiffConfiguration
    var kind: DiffFailure.Kind
    var directory: URL
    var budget = 150

    func stillFails(_ candidate: GenProgram) -> Bool {
        guard GenInterpreter.run(candidate).allFinite else { return false }
        // Smaller sizes must still split over the configuration's ranks.
        if let ranks = configuration.overrides.ranks,
           Differential.ranksThatFit(candidate, ranks: ranks, decompose: configuration.overrides.decompose ?? .rows) < ranks { return false }
        return Differential.failure(of: candidate, on: configuration, in: directory)?.kind == kind
    }

    func shrink(_ program: GenProgram) -> GenProgram {
        var best = program
        var attempts = 0
        var improved = true
        while improved && attempts < budget {
            improved = false
            for candidate in Shrinker.candidates(best) where attempts < budget {
                attempts += 1
                if stillFails(candidate) {
                    best = candidate
                    improved = true
                    break
                }
            }
        }
        return best
    }

    /// Smaller programs, biggest reductions first.
    static func candidates(_ p: GenProgram) -> [GenProgram] {
        var out: [GenProgram] = []
        func with(_ change: (inout GenProgram) -> Void) {
            var copy = p
            change(&copy)
            if copy.redBlack && !copy.redBlackLegal { copy.redBlack = false } // a smaller update may read its own colour
            out.append(copy)
        }
        if !p.schedule.isEmpty { with { $0.schedule = [] } }
        if p.redBlack { with { $0.redBlack = false } }
        if p.coupled != nil { with { $0.coupled = nil } }
        if !p.overrides.isEmpty { with { $0.overrides = [:] } }
        // The update: any proper subexpression in its place, then leaves for subtrees.
        for sub in p.update.subexpressions.dropFirst().sorted(by: { $0.size > $1.size }) {
            with { $0.update = sub }
        }
        for path in paths(p.update) where !path.isEmpty {
            with { $0.update = replace(p.update, at: path, with: .number("1")) }
            with { $0.update = replace(p.update, at: path, with: .read(p.updated.name, Array(repeating: 0, count: p.dimensions))) }
        }
        // Fills, grids, params.
        for k in p.grids.indices {
            if let initial = p.grids[k].initial {
                with { $0.grids[k].initial = nil }
                for sub in initial.subexpressions.dropFirst() { with { $0.grids[k].initial = sub } }
            }
            for b in p.grids[k].boundary.indices {
                with { $0.grids[k].boundary.remove(at: b) }
                for sub in p.grids[k].boundary[b].value.subexpressions.dropFirst() {
                    with { $0.grids[k].boundary[b].value = sub }
                }
            }
        }
        let readGrids = Set(p.update.reads.map(\.0))
        // A system's grid indices stay as they are (its second update names grids[coupled.grid]).
        for k in p.grids.indices.dropFirst() where p.coupled == nil && !readGrids.contains(p.grids[k].name) {
            with { $0.grids.remove(at: k) }
        }
        for (k, param) in p.params.enumerated() where !uses(p, param.name) {
            with { $0.params.remove(at: k); $0.overrides[param.name] = nil }
        }
        // Sizes and counts.
        for (k, grid) in p.grids.enumerated() {
            for axis in grid.extents.indices {
                let minimum = max(2 * p.halo + 1, p.isPeriodic(axis: axis) ? p.leastPeriodicExtent : 0)
                let current = p.extent(grid.extents[axis])
                guard current > minimum else { continue }
                for smaller in Set([minimum, (minimum + current) / 2, current - 1]).sorted() where smaller < current {
                    with { program in
                        for j in program.grids.indices where program.grids[j].extents == grid.extents || j == k {
                            program.grids[j].extents[axis] = .literal(smaller)
                        }
                    }
                }
            }
        }
        switch p.stop {
        case .steps(let count):
            let n = p.count(count)
            for smaller in Set([1, n / 2, n - 1]).sorted() where smaller >= 1 && smaller < n {
                with { $0.stop = .steps(.literal(smaller)) }
            }
        case .until(let l2, let epsilon, let every, let maximum):
            let n = maximum.map(p.count) ?? 1_000_000
            for smaller in Set([1, n / 2, n - 1]).sorted() where smaller >= 1 && smaller < n {
                with { $0.stop = .until(l2: l2, epsilon: epsilon, every: every, max: .literal(smaller)) }
            }
            if every != nil { with { $0.stop = .until(l2: l2, epsilon: epsilon, every: nil, max: maximum) } }
            with { $0.stop = .steps(.literal(min(n, 3))) }
        }
        return out
    }

    static func uses(_ p: GenProgram, _ name: String) -> Bool {
        if p.update.params.contains(name) || p.coupled?.value.params.contains(name) == true { return true }
        for g in p.grids {
            if g.extents.contains(.param(name)) { return true }
            if g.initial?.params.contains(name) == true { return true }
            if g.boundary.contains(where: { $0.value.params.contains(name) }) { return true }
        }
        switch p.stop {
        case .steps(let c): return c == .param(name)
        case .until(_, let epsilon, let every, let maximum):
            return epsilon == name || every == .param(name) || maximum == .param(name)
        }
    }

    /// Paths (child indices) to every node.
    static func paths(_ e: GenExpr) -> [[Int]] {
        [[]] + e.children.enumerated().flatMap { k, child in paths(child).map { [k] + $0 } }
    }

    static func replace(_ e: GenExpr, at path: [Int], with new: GenExpr) -> GenExpr {
        guard let first = path.first else { return new }
        var children = e.children
        children[first] = replace(children[first], at: Array(path.dropFirst()), with: new)
        return e.replacingChildren(children)
    }
}

/// stencilc's own checks on a text, for the generator's self-test.
enum StencilFrontendCheck {
    static func check(_ text: String) -> (Bool, String) {
        do {
            _ = try Compilation.check(SourceFile(name: "generated.st", text: text))
            return (true, "")
        } catch let errors as SourceErrors {
            return (false, errors.rendered)
        } catch {
            return (false, "\(error)")
        }
    }
}
