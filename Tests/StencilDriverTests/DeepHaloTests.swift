// DeepHaloTests.swift: the mpi target's deep halos (plan tiles: one exchange of a halo DEPTH
// sweeps deep, then tiles of the rank's rows advance DEPTH sweeps, runtime/stencil_mpi.h's
// stmpi_sweeps). Every program of stencils/ that can run them, at 2 to 4 ranks and several
// depths, tile heights and column tiles, bitwise against the independent reference; the
// cost model's choice under `temporal on`; which programs cannot, and why; plans that cannot run.

import Foundation
import StencilDriver
import StencilFrontend
import StencilIR
import Testing

@Suite struct DeepHaloTests {
    /// The reference programs whose mpi code carries deep halos.
    static let programs: [ReferenceCase] = ReferencePrograms.all.filter { program in
        guard let result = try? Compilation.compile(path: Repository.stencil(program.file), target: .mpi) else { return false }
        return result.program.loops.temporalKinds.contains(.tiles)
    }

    /// (ranks, plan): depths of 2 to 5 (each block of these sizes holds the halo), tiles of a few
    /// rows, column tiles, and the default tile height.
    static let runs: [(Int, String)] = [(2, "tiles:2:3"), (3, "tiles:4:5:6"), (4, "tiles:3"), (2, "tiles:5:1:4")]

    @Test func everyPlainTwoDimensionalProgramCarriesThem() {
        let files = Set(Self.programs.map(\.file))
        for file in ["jacobi.st", "weighted_jacobi.st", "damped_jacobi.st", "wide_halo.st", "poisson64.st", "source_term.st"] {
            #expect(files.contains(file), "\(file): no deep halos in its mpi code")
        }
    }

    @Test(arguments: programs)
    func deepHalosMatchTheReference(_ program: ReferenceCase) throws {
        let reference = program.solve()
        for (ranks, plan) in Self.runs {
            var schedule = Schedule()
            schedule.ranks = ranks
            let run = try runStencil(program.file, target: .mpi, params: program.params, schedule: schedule,
                                     environment: MPITests.sharedMemoryOnly.merging(["STENCILC_PLAN": plan]) { $1 })
            let label = "\(program.file) \(ranks) ranks \(plan)"
            #expect(run.iterations == reference.iterations, "\(label): iterations \(run.iterations), reference \(reference.iterations)")
            let same = run.field.bytes == reference.bytes
            #expect(same, "\(label): field differs from the reference")
            let reported = run.summary["plan"] as? [String: Any]
            #expect(reported?["kind"] as? String == "tiles", "\(label)")
            #expect(reported?["source"] as? String == "given", "\(label)")
        }
    }

    /// `temporal on` makes the cost model block whatever the grid's size: its tiles, deep as the
    /// blocks allow, give the reference's bits.
    @Test func costModelUnderTemporalOn() throws {
        let program = ReferencePrograms.all.first { $0.file == "jacobi.st" }!
        var schedule = Schedule()
        schedule.ranks = 3
        schedule.temporal = .on
        let run = try runStencil(program.file, target: .mpi, params: program.params, schedule: schedule,
                                 environment: MPITests.sharedMemoryOnly)
        let plan = run.summary["plan"] as? [String: Any]
        #expect(plan?["kind"] as? String == "tiles", "\(String(describing: plan))")
        #expect(plan?["source"] as? String == "default")
        #expect((plan?["depth"] as? Int ?? 0) >= 2, "\(String(describing: plan))")
        let same = run.field.bytes == program.solve().bytes
        #expect(same, "field differs from the reference")
    }

    /// The default plan on a grid large enough that its blocks may not fit in this machine's
    /// last-level cache: whichever plan the cost model picks, the bits are the serial target's.
    @Test func defaultPlanOnALargeGrid() throws {
        let params = ["N=1536"]
        let serial = try runStencil("jacobi.st", target: .serial, params: params, environment: ["STENCILC_PLAN": "sweeps"],
                                    maxIterations: 30)
        var schedule = Schedule()
        schedule.ranks = 2
        let run = try runStencil("jacobi.st", target: .mpi, params: params, schedule: schedule,
                                 environment: MPITests.sharedMemoryOnly, maxIterations: 30)
        #expect(run.iterations == 30)
        let same = run.field == serial.field
        #expect(same, "plan \(String(describing: run.summary["plan"]))")
    }

    @Test func programsThatCannotSayWhy() throws {
        let cases: [(String, Target, Decomposition, String)] = [
            ("jacobi.st", .hybrid, .rows, "deep halos are the mpi target's"),
            ("jacobi.st", .mpi, .grid, "decompose rows"),
            ("insulated.st", .mpi, .rows, "neumann or periodic side"),
            ("gray_scott.st", .mpi, .rows, "a system updates several"),
            ("heat3d.st", .mpi, .rows, "3-D grids exchange every sweep"),
            ("jacobi_sor.st", .mpi, .rows, "red-black"),
        ]
        for (file, target, decompose, words) in cases {
            var schedule = Schedule()
            schedule.decompose = decompose
            let program = try Compilation.compile(path: Repository.stencil(file), target: target, overrides: schedule).program
            #expect(program.loops.temporalKinds.isEmpty, "\(file) \(target)")
            #expect(program.loops.temporalReason.contains(words), "\(file) \(target): \(program.loops.temporalReason)")
        }
        let jacobi = try stencilc(["explain", Repository.stencil("jacobi.st"), "--target", "mpi", "--ranks", "2"])
        #expect(jacobi.stdout.contains("the code can run: whole sweeps, tiles (deep halos)"), "\(jacobi.stdout)")
        let ir = try stencilc([Repository.stencil("jacobi.st"), "--target", "mpi", "--print-ir-after-all", "-o", "/dev/null"])
        #expect(ir.stderr.contains("loops temporal tiles") || ir.stdout.contains("loops temporal tiles"))
    }

    @Test(arguments: [("bands", "bands share a grid among a rank's threads"),
                      ("tiles:20", "a halo 20 sweeps deep is 20 rows, and the smallest block has 10")])
    func plansThatCannotRunAreClearErrors(_ plan: String, _ words: String) throws {
        let result = try stencilc(["run", Repository.stencil("jacobi.st"), "--target", "mpi", "--ranks", "4", "--param", "N=40"],
                                  environment: ["STENCILC_PLAN": plan])
        #expect(result.status != 0)
        #expect(result.stderr.contains("plan '\(plan)' cannot run here"), "\(result.stderr)")
        #expect(result.stderr.contains(words), "\(result.stderr)")
        #expect(result.stderr.components(separatedBy: "cannot run here").count == 2, "printed once, not by every rank: \(result.stderr)")
    }
}
