// MPITests.swift: the mpi and hybrid targets. Every program of stencils/ at 1 to 4 ranks with
// both decompositions (sizes that do not divide by the rank count), and hybrid with 2 threads
// per rank, bitwise identical to the serial target with the same iteration count; the
// decomposition the program reports matches stencilc's plan; too many ranks is one clear error,
// from the driver and from the program itself; the mpirun command and its overrides.

import Foundation
import StencilCodegen
import StencilDriver
import StencilIR
import Synchronization
import Testing

/// One MPI configuration of a run.
struct MPIConfiguration: Sendable, CustomTestStringConvertible {
    var target: Target
    var ranks: Int
    var decompose: Decomposition
    var threads: Int?

    var schedule: Schedule {
        var schedule = Schedule()
        schedule.ranks = ranks
        schedule.decompose = decompose
        schedule.numThreads = threads
        return schedule
    }

    var testDescription: String {
        "\(target.rawValue) \(ranks) ranks \(decompose.rawValue)" + (threads.map { " x \($0) threads" } ?? "")
    }
}

// The runs of one program go one after another (each mpirun oversubscribes this machine's cores
// already); the programs run side by side.
@Suite struct MPITests {
    static let configurations: [MPIConfiguration] =
        (1...4).flatMap { ranks in Decomposition.allCases.map { MPIConfiguration(target: .mpi, ranks: ranks, decompose: $0) } }
        + [MPIConfiguration(target: .hybrid, ranks: 2, decompose: .rows, threads: 2),
           MPIConfiguration(target: .hybrid, ranks: 4, decompose: .grid, threads: 2)]

    /// Open MPI on one machine needs only shared memory: skipping the probes of network
    /// transports (UCX, libfabric, PSM) saves a third of each launch here. Other MPIs ignore it.
    static let sharedMemoryOnly = ["OMPI_MCA_pml": "ob1", "OMPI_MCA_btl": "self,vader", "OMPI_MCA_mtl": "^ofi,psm,psm2"]

    @Test(arguments: ReferencePrograms.all)
    func bitwiseIdenticalToSerial(_ program: ReferenceCase) throws {
        let serial = try runStencil(program.file, target: .serial, params: program.params)
        for configuration in Self.configurations {
            let run = try runStencil(program.file, target: configuration.target, params: program.params,
                                     schedule: configuration.schedule, environment: Self.sharedMemoryOnly)
            let label = configuration.testDescription
            #expect(run.iterations == serial.iterations, "\(label): iterations \(run.iterations) vs serial \(serial.iterations)")
            #expect(run.converged == serial.converged, "\(label)")
            #expect(run.field == serial.field, "\(label): field differs from serial")
            #expect(run.summary["ranks"] as? Int == configuration.ranks, "\(label)")
            let grid = DecompositionPlan.processGrid(ranks: configuration.ranks, decomposition: configuration.decompose)
            #expect(run.summary["decomposition"] as? String == "\(configuration.decompose.rawValue) \(grid.rows)x\(grid.cols)",
                    "\(label): the runtime's process grid differs from stencilc's plan")
            if let threads = configuration.threads {
                #expect(run.summary["threads"] as? Int == threads, "\(label)")
            }
        }
    }

    /// Odd sizes in both directions: a non-square grid whose rows and columns leave remainders
    /// at every rank count, with the widest halo.
    @Test func oddSizesAndWideHalo() throws {
        let params = ["N=29"]
        let serial = try runStencil("wide_halo.st", target: .serial, params: params)
        for (ranks, decompose) in [(3, Decomposition.rows), (4, .grid), (6, .grid)] {
            var schedule = Schedule()
            schedule.ranks = ranks
            schedule.decompose = decompose
            let run = try runStencil("wide_halo.st", target: .mpi, params: params, schedule: schedule,
                                     environment: MPITests.sharedMemoryOnly)
            #expect(run.iterations == serial.iterations, "\(ranks) ranks \(decompose)")
            #expect(run.field == serial.field, "\(ranks) ranks \(decompose)")
        }
        let channel = try runStencil("channel.st", target: .serial, params: ["sweeps=40"])
        var schedule = Schedule()
        schedule.ranks = 3
        schedule.decompose = .grid
        let run = try runStencil("channel.st", target: .mpi, params: ["sweeps=40"], schedule: schedule,
                                 environment: MPITests.sharedMemoryOnly)
        #expect(run.field == channel.field, "channel (64 x 500) over 3 ranks")
    }
}

/// Overlap on, off, or alternating sweep by sweep (STENCILC_MPI_OVERLAP) changes timing only.
@Suite struct MPIOverlapTests {
    @Test func overlapModesGiveTheSameField() throws {
        var schedule = Schedule()
        schedule.ranks = 4
        schedule.decompose = .grid
        let on = try runStencil("nine_point.st", target: .mpi, params: ["N=33"], schedule: schedule)
        for mode in ["0", "compare"] {
            let run = try runStencil("nine_point.st", target: .mpi, params: ["N=33"], schedule: schedule,
                                     environment: ["STENCILC_MPI_OVERLAP": mode])
            #expect(run.iterations == on.iterations, "STENCILC_MPI_OVERLAP=\(mode)")
            #expect(run.field == on.field, "STENCILC_MPI_OVERLAP=\(mode)")
        }
    }

    @Test func compareModeReportsBothShares() throws {
        let result = try stencilc(["run", Repository.stencil("heat.st"), "--target", "mpi", "--ranks", "2",
                                   "--param", "N=40", "--param", "steps_count=20"],
                                  environment: ["STENCILC_MPI_OVERLAP": "compare"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("overlap on "), "\(result.stdout)")
        #expect(result.stdout.contains("in exchange"), "\(result.stdout)")
        #expect(result.stdout.contains("overlap off"), "\(result.stdout)")
    }
}

extension MPIOverlapTests {
    /// STENCILC_MPI_OVERLAP=compare alternates and counts sweeps, not halo exchanges: a system
    /// exchanges one halo per grid per sweep, red-black one per half-sweep, yet the two modes'
    /// sweep counts add up to the iterations and split them evenly, on every layout (2-D rows
    /// and grid, 3-D slabs, blocks of a 1-D and a 3-D process grid; mpi and hybrid), and the
    /// field stays serial's.
    @Test(arguments: [
        ("gray_scott.st", ["N=24", "T=40"], Target.mpi, 2, Decomposition.rows),
        ("gray_scott.st", ["N=24", "T=40"], .mpi, 4, .grid),
        ("wave.st", ["N=20", "T=41"], .hybrid, 3, .grid),
        ("jacobi_sor.st", ["N=24"], .mpi, 2, .rows),
        ("heat.st", ["N=24", "steps_count=30"], .mpi, 2, .grid),
        (Repository.root + "/Tests/StencilDriverTests/Inputs/system3d.st", [], .mpi, 2, .rows),
        (Repository.root + "/Tests/StencilDriverTests/Inputs/system3d.st", [], .hybrid, 4, .grid),
        (Repository.root + "/Tests/StencilDriverTests/Inputs/system1d.st", [], .mpi, 3, .rows),
    ])
    func compareCountsSweepsNotExchanges(_ file: String, _ params: [String], _ target: Target, _ ranks: Int,
                                         _ decompose: Decomposition) throws {
        let label = "\(file.split(separator: "/").last!) \(target.rawValue) \(ranks) ranks \(decompose.rawValue)"
        let serial = try runStencil(file, target: .serial, params: params)
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        var schedule = Schedule()
        schedule.ranks = ranks
        schedule.decompose = decompose
        if target == .hybrid { schedule.numThreads = 2 }
        let result = try Compilation.compile(path: Repository.stencil(file), target: target, overrides: schedule)
        let toolchain = try Toolchain.fromEnvironment(runtimeDirectory: "\(Repository.root)/runtime")
        let launcher = Launcher(builder: Builder(toolchain: toolchain, cache: BuildCache.defaultCache()))
        var options = RunOptions()
        options.params = params
        options.outputPath = directory.appendingPathComponent("field.npy").path
        options.quiet = true
        options.environment = MPITests.sharedMemoryOnly.merging(["STENCILC_MPI_OVERLAP": "compare"]) { $1 }
        let outcome = try launcher.run(result, stem: Compilation.defaultStem(file), options: options, capture: true)
        // "  halo        overlap on  0.0012 s of 0.0034 s in exchange (35.3%), 20 sweeps"
        let counts = outcome.output.split(separator: "\n").filter { $0.contains("halo        overlap") }.compactMap { line in
            line.split(separator: " ").dropLast().last.flatMap { Int($0) }
        }
        #expect(counts.count == 2, "\(label): \(outcome.output)")
        #expect(counts.reduce(0, +) == serial.iterations, "\(label): sweeps \(counts) for \(serial.iterations) iterations")
        // Printed on, then off; the first sweep runs with overlap off.
        #expect(counts.count == 2 && counts[1] == (serial.iterations + 1) / 2, "\(label): on and off, sweep by sweep: \(counts)")
        let field = try NPYArray(contentsOf: options.outputPath!)
        #expect(field == serial.field, "\(label): field differs from serial")
    }
}

@Suite struct MPIErrorTests {
    /// NaN/Inf stops every rank at the same check, with serial's message, printed once.
    @Test func divergenceIsReportedOnceAsSerialReportsIt() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let source = directory.appendingPathComponent("blowup.st").path
        try """
            stencil blowup {
                param N = 30
                grid u: float32[N, N]
                boundary u { top = 1 }
                update u[i, j] = (u[i-1, j] + u[i+1, j] + u[i, j-1] + u[i, j+1]) * 3
                until maxdiff(u) < 1e-4 every 10
            }

            """.write(toFile: source, atomically: true, encoding: .utf8)
        let serial = try stencilc(["run", source, "--target", "serial"])
        let message = try #require(serial.stderr.split(separator: "\n").first { $0.contains("diverged") })
        for target in ["mpi", "hybrid"] {
            let run = try stencilc(["run", source, "--target", target, "--ranks", "3", "--decompose", "grid", "--num-threads", "2"])
            #expect(run.status == 1)
            #expect(run.stderr.components(separatedBy: String(message)).count == 2, "\(target): \(run.stderr)")
            #expect(!run.stderr.contains("Primary job"), "\(target): Open MPI's notice is noise here: \(run.stderr)")
        }
    }

    /// The driver refuses before building or launching anything.
    @Test func tooManyRanksIsOneClearErrorFromTheDriver() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let output = directory.appendingPathComponent("u.npy").path
        let result = try stencilc(["run", Repository.stencil("wide_halo.st"), "--target", "mpi", "--ranks", "4",
                                   "--param", "N=7", "--output", output])
        #expect(result.status == 1)
        #expect(result.stderr.contains("stencilc: error: cannot split 7 rows over 4 ranks: each block needs at least 2 rows for halo 2"),
                "\(result.stderr)")
        #expect(!FileManager.default.fileExists(atPath: output))
        let grid = try stencilc(["run", Repository.stencil("jacobi.st"), "--target", "hybrid", "--ranks", "16",
                                 "--decompose", "grid", "--param", "N=3"])
        #expect(grid.status == 1)
        #expect(grid.stderr.contains("cannot split 3 rows over 4 rows of ranks (process grid 4x4 for 16 ranks): each block needs at least 1 row"),
                "\(grid.stderr)")
        // A 3-D grid's slabs count planes.
        let slabs = try stencilc(["run", Repository.stencil("heat3d.st"), "--target", "mpi", "--ranks", "4", "--param", "N=3"])
        #expect(slabs.status == 1)
        #expect(slabs.stderr.contains("stencilc: error: cannot split 3 planes over 4 ranks: each block needs at least 1 plane for halo 1"),
                "\(slabs.stderr)")
    }

    /// A program launched by hand with too many ranks says the same, once, and iterates nothing.
    @Test func tooManyRanksIsOneClearErrorFromTheProgram() throws {
        let result = try Compilation.compile(path: Repository.stencil("wide_halo.st"), target: .mpi)
        let toolchain = try Toolchain.fromEnvironment(runtimeDirectory: "\(Repository.root)/runtime")
        let builder = Builder(toolchain: toolchain, cache: BuildCache.defaultCache())
        let plan = try builder.plan(result.emitted, stem: "wide_halo")
        try builder.execute(plan)
        var program = result.program
        program.schedule.ranks = 4
        var options = RunOptions()
        options.params = ["N=7"]
        let job = Launcher(builder: builder).runJob(executable: plan.executable, program: program, options: options)
        let outcome = try ProcessRunner.run(job, capture: true)
        #expect(outcome.status != 0)
        let message = "wide_halo: error: cannot split 7 rows over 4 ranks: each block needs at least 2 rows for halo 2"
        #expect(outcome.errorOutput.components(separatedBy: message).count == 2, "printed once: \(outcome.errorOutput)")
        #expect(!outcome.output.contains("iterations"))

        // A 3-D grid's slabs count planes, with and without neumann or periodic front/back sides.
        for (stencil, size, need) in [("heat3d", "N=3", "1 plane for halo 1"), ("duct3d", "P=3", "2 planes for halo 1")] {
            let slabs = try Compilation.compile(path: Repository.stencil("\(stencil).st"), target: .mpi)
            let built = try builder.plan(slabs.emitted, stem: stencil)
            try builder.execute(built)
            var slabProgram = slabs.program
            slabProgram.schedule.ranks = 4
            var slabOptions = RunOptions()
            slabOptions.params = [size]
            let run = try ProcessRunner.run(Launcher(builder: builder).runJob(executable: built.executable, program: slabProgram,
                                                                              options: slabOptions), capture: true)
            #expect(run.status != 0)
            let said = "\(stencil): error: cannot split 3 planes over 4 ranks: each block needs at least \(need)"
            #expect(run.errorOutput.components(separatedBy: said).count == 2, "printed once: \(run.errorOutput)")
        }
    }

    @Test func missingMPIRunIsReported() throws {
        let result = try stencilc(["run", Repository.stencil("jacobi.st"), "--target", "mpi", "--param", "N=16"],
                                  environment: ["STENCILC_MPIRUN": "/nonexistent/mpirun"])
        #expect(result.status == 1)
        #expect(result.stderr.contains("cannot run target mpi: '/nonexistent/mpirun' not found"), "\(result.stderr)")
        #expect(result.stderr.contains("STENCILC_MPIRUN"))
        let mpicc = try stencilc(["run", Repository.stencil("jacobi.st"), "--target", "hybrid", "--param", "N=16"],
                                 environment: ["STENCILC_MPICC": "/nonexistent/mpicc"])
        #expect(mpicc.status == 1)
        #expect(mpicc.stderr.contains("'/nonexistent/mpicc' not found"), "\(mpicc.stderr)")
    }

    @Test func failedLaunchIsReported() throws {
        let result = try stencilc(["run", Repository.stencil("jacobi.st"), "--target", "mpi", "--param", "N=16"],
                                  environment: ["STENCILC_MPIRUN": "/bin/false"])
        #expect(result.status != 0)
        #expect(result.stderr.contains("stencilc: error: the MPI run failed: /bin/false exited with status 1 (2 ranks)"),
                "\(result.stderr)")
    }

    /// STENCILC_MPIRUN names the launcher actually used: a wrapper that logs, then runs mpirun.
    /// The ranks agree on what only some of them see; two working directories stand for two
    /// nodes. An --input file on one "node" only hung the job (the rank that failed waited in
    /// MPI_Finalize, the other in the halo exchange), and a STENCILC_PLAN given to one rank only
    /// killed it with MPI_ERR_TRUNCATE (the ranks exchanged halos of different depths).
    @Test func ranksAgreeOnWhatOnlySomeSee() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let jacobi = Repository.stencil("jacobi.st")
        let built = try stencilc(["build", jacobi, "--target", "mpi"])
        #expect(built.status == 0, "\(built.stderr)")
        let executable = built.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        let nodes = ["a", "b"].map { directory.appendingPathComponent($0).path }
        for node in nodes { try FileManager.default.createDirectory(atPath: node, withIntermediateDirectories: true) }
        let start = try stencilc(["run", jacobi, "--target", "serial", "--param", "N=24", "--max-iterations", "3",
                                  "--output", nodes[0] + "/start.npy"])
        #expect(start.status == 0, "\(start.stderr)")
        let environment = MPITests.sharedMemoryOnly.merging(["OMPI_ALLOW_RUN_AS_ROOT": "1", "OMPI_ALLOW_RUN_AS_ROOT_CONFIRM": "1"]) { $1 }
        // `timeout`: a regression hangs this test for a minute, not the suite for ever.
        func mpirun(_ arguments: [String]) throws -> ProcessResult {
            try ProcessRunner.run(Job(kind: .run, executable: "timeout", arguments: ["60", "mpirun", "--oversubscribe"] + arguments,
                                      environment: environment), capture: true, captureErrors: true)
        }
        let run = ["--param", "N=24", "--max-iterations", "10", "--input", "u=start.npy"]
        let missing = try mpirun(["-np", "1", "-wdir", nodes[0], executable] + run + [":", "-np", "1", "-wdir", nodes[1], executable] + run)
        #expect(missing.status == 1, "status \(missing.status): \(missing.errorOutput)")
        #expect(missing.errorOutput.contains("error: rank 1: --input u=start.npy"), "\(missing.errorOutput)")

        let serial = directory.appendingPathComponent("serial.npy").path, ranks = directory.appendingPathComponent("ranks.npy").path
        #expect(try stencilc(["run", jacobi, "--target", "serial", "--param", "N=64", "--max-iterations", "20", "--output", serial]).status == 0)
        let arguments = ["--param", "N=64", "--max-iterations", "20", "--output", ranks]
        let mixed = try mpirun(["-np", "1", "-x", "STENCILC_PLAN=tiles:4", executable] + arguments + [":", "-np", "1", executable] + arguments)
        #expect(mixed.status == 0, "status \(mixed.status): \(mixed.errorOutput)")
        #expect(try NPYArray(contentsOf: ranks) == NPYArray(contentsOf: serial))
    }

    @Test func mpirunOverrideIsUsed() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let log = directory.appendingPathComponent("log").path
        let wrapper = directory.appendingPathComponent("my-mpirun").path
        try "#!/bin/sh\necho \"$@\" > '\(log)'\nexec mpirun \"$@\"\n".write(toFile: wrapper, atomically: true, encoding: .utf8)
        chmod(wrapper, 0o755)
        let result = try stencilc(["run", Repository.stencil("jacobi.st"), "--target", "mpi", "--ranks", "3",
                                   "--param", "N=20", "--json"], environment: ["STENCILC_MPIRUN": wrapper])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("\"ranks\": 3"))
        #expect(result.stdout.contains("\"decomposition\": \"rows 3x1\""))
        let logged = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
        #expect(logged.contains("-np 3"), "\(logged)")
    }
}

@Suite struct MPIPlanTests {
    func program(_ file: String, target: Target = .mpi, ranks: Int, decompose: Decomposition, threads: Int? = nil) throws -> Program {
        var schedule = Schedule()
        schedule.ranks = ranks
        schedule.decompose = decompose
        schedule.numThreads = threads
        return try Compilation.compile(path: Repository.stencil(file), target: target, overrides: schedule).program
    }

    @Test func blocksWithRemaindersAndNeighbours() throws {
        let plan = try DecompositionPlan.make(decomposition: .grid, ranks: 6, rows: 37, cols: 53, halo: 1, elementSize: 4).get()
        #expect(plan.description == "grid 3x2")
        #expect(plan.blocks.map(\.rows) == [0..<13, 0..<13, 13..<25, 13..<25, 25..<37, 25..<37])
        #expect(plan.blocks.map(\.cols) == [0..<27, 27..<53, 0..<27, 27..<53, 0..<27, 27..<53])
        // The middle-left rank has 5 neighbours: N, S, E, NE, SE.
        let middle = plan.blocks[2]
        #expect(middle.neighbours == [0, 4, nil, 3, nil, 1, nil, 5])
        // N and S strips are 27 + 1 (widened into the west halo at the global edge) wide; E is
        // 12 rows; 2 corners: (2 * 28 + 12 + 2) * 4 bytes.
        #expect(middle.haloBytes == (2 * 28 + 12 + 2) * 4)
        #expect(middle.localRows == 14 && middle.localCols == 29)
        let rows = try DecompositionPlan.make(decomposition: .rows, ranks: 4, rows: 10, cols: 5, halo: 2, elementSize: 8).get()
        #expect(rows.blocks.map(\.rows) == [0..<3, 3..<6, 6..<8, 8..<10])
        // Whole local rows (block columns plus both halo columns): 2 * 9 elements per side.
        #expect(rows.blocks[1].haloBytes == 2 * 2 * 9 * 8)
    }

    @Test(arguments: [(1, 1, 1), (2, 2, 1), (3, 3, 1), (4, 2, 2), (6, 3, 2), (8, 4, 2), (9, 3, 3), (12, 4, 3), (16, 4, 4)])
    func processGridIsMostNearlySquare(_ ranks: Int, _ rows: Int, _ cols: Int) {
        let grid = DecompositionPlan.processGrid(ranks: ranks, decomposition: .grid)
        #expect(grid.rows == rows && grid.cols == cols)
        #expect(DecompositionPlan.processGrid(ranks: ranks, decomposition: .rows) == (ranks, 1))
    }

    @Test func tooManyRanksMessages() {
        let rows = DecompositionPlan.make(decomposition: .rows, ranks: 8, rows: 10, cols: 100, halo: 2, elementSize: 4)
        #expect(rows == .failure(DecompositionError(message: "cannot split 10 rows over 8 ranks: each block needs at least 2 rows for halo 2")))
        let cols = DecompositionPlan.make(decomposition: .grid, ranks: 9, rows: 40, cols: 5, halo: 2, elementSize: 4)
        #expect(cols == .failure(DecompositionError(message:
            "cannot split 5 columns over 3 columns of ranks (process grid 3x3 for 9 ranks): each block needs at least 2 columns for halo 2")))
    }

    @Test func mpirunCommandForOpenMPIAsRootOnTwoCores() throws {
        let launch = MPILaunch(mpirun: "mpirun", flavour: .openMPI, cores: 2, isRoot: true)
        let mpi = launch.job(program: try program("jacobi.st", ranks: 4, decompose: .grid), executable: "./jacobi",
                             arguments: ["--json"])
        #expect(mpi.description == "mpirun -np 4 --allow-run-as-root --oversubscribe --bind-to none ./jacobi --json")
        let fits = launch.job(program: try program("jacobi.st", ranks: 2, decompose: .rows), executable: "./jacobi", arguments: [])
        #expect(fits.description == "mpirun -np 2 --allow-run-as-root ./jacobi")
        let user = MPILaunch(mpirun: "mpirun", flavour: .openMPI, cores: 16, isRoot: false)
        let hybrid = user.job(program: try program("jacobi.st", target: .hybrid, ranks: 2, decompose: .rows),
                              executable: "./jacobi", arguments: [])
        #expect(hybrid.description == "mpirun -np 2 --bind-to none -x OMP_NUM_THREADS=8 ./jacobi")
        let crowded = user.job(program: try program("jacobi.st", target: .hybrid, ranks: 4, decompose: .grid, threads: 8),
                               executable: "./jacobi", arguments: [])
        #expect(crowded.description == "mpirun -np 4 --bind-to none -x OMP_WAIT_POLICY=passive ./jacobi")
        // The caller's own settings go to every rank, on other nodes too.
        let set = MPILaunch(mpirun: "mpirun", flavour: .openMPI, cores: 16, isRoot: false,
                            environment: ["OMP_NUM_THREADS": "3", "OMP_WAIT_POLICY": "active"])
        let given = set.job(program: try program("jacobi.st", target: .hybrid, ranks: 2, decompose: .rows), executable: "./jacobi", arguments: [])
        #expect(given.description == "mpirun -np 2 --bind-to none -x OMP_NUM_THREADS=3 -x OMP_WAIT_POLICY=active ./jacobi")
    }

    /// Open MPI 4 gets a session directory of its own per run (concurrent mpiruns raced on the
    /// shared /tmp/ompi.HOST.UID), which the job removes when it ends; Open MPI 5 and a user's
    /// own choice are left alone.
    @Test func openMPISessionDirectoryIsTheRunsOwn() throws {
        let launch = MPILaunch(mpirun: "mpirun", flavour: .openMPI, cores: 2, isRoot: false,
                               sessionDirectory: "/tmp/stencilc-mpi-1-ab")
        let job = launch.job(program: try program("jacobi.st", ranks: 2, decompose: .rows), executable: "./jacobi", arguments: [])
        #expect(job.description == "mpirun -np 2 --mca orte_tmpdir_base /tmp/stencilc-mpi-1-ab ./jacobi")
        #expect(job.scratchDirectory == "/tmp/stencilc-mpi-1-ab")
        #expect(MPILaunch.openMPIMajorVersion("mpirun (Open MPI) 4.1.4\n\nReport bugs to") == 4)
        #expect(MPILaunch.openMPIMajorVersion("mpirun (Open MPI) 5.0.3") == 5)
        #expect(MPILaunch.openMPIMajorVersion("HYDRA build details:") == nil)
        let long = MPILaunch.uniqueSessionDirectory(environment: ["TMPDIR": "/" + String(repeating: "x", count: 80)])
        #expect(long.hasPrefix("/tmp/stencilc-mpi-"))
        #expect(MPILaunch.uniqueSessionDirectory(environment: ["TMPDIR": "/scratch/"]).hasPrefix("/scratch/stencilc-mpi-"))
        #expect(MPILaunch.uniqueSessionDirectory(environment: [:]) != MPILaunch.uniqueSessionDirectory(environment: [:]))
    }

    /// Several mpi runs started at once all succeed, each under its own session directory in
    /// $TMPDIR, and none is left behind.
    @Test func concurrentRunsEachGetTheirOwnSessionAndLeaveNothing() throws {
        let directory = URL(fileURLWithPath: "/tmp/stx-\(getpid())-\(UInt32.random(in: 0...UInt32.max))")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let launched = try stencilc(["run", Repository.stencil("jacobi.st"), "--target", "mpi", "--ranks", "1",
                                     "--param", "N=12", "--print-commands", "--quiet"], environment: ["TMPDIR": directory.path])
        #expect(launched.status == 0, "\(launched.stderr)")
        #expect((launched.stdout + launched.stderr).contains("--mca orte_tmpdir_base \(directory.path)/stencilc-mpi-"),
                "\(launched.stdout)\(launched.stderr)")
        let results = Mutex<[CommandResult]>([])
        DispatchQueue.concurrentPerform(iterations: 4) { index in
            let outcome = try? stencilc(["run", Repository.stencil("jacobi.st"), "--target", "mpi", "--ranks", "2",
                                         "--param", "N=\(12 + index)", "--quiet"], environment: ["TMPDIR": directory.path])
            if let outcome { results.withLock { $0.append(outcome) } }
        }
        let outcomes = results.withLock { $0 }
        #expect(outcomes.count == 4)
        for outcome in outcomes { #expect(outcome.status == 0, "\(outcome.stderr)") }
        let left = try FileManager.default.contentsOfDirectory(atPath: directory.path)
        #expect(left.isEmpty, "left behind: \(left)")
    }

    @Test func mpirunCommandForOtherLaunchers() throws {
        let hybrid = try program("jacobi.st", target: .hybrid, ranks: 3, decompose: .rows)
        let hydra = MPILaunch(mpirun: "mpiexec", flavour: .hydra, cores: 6, isRoot: true).job(
            program: hybrid, executable: "./jacobi", arguments: [])
        #expect(hydra.description == "mpiexec -n 3 -genv OMP_NUM_THREADS 2 ./jacobi")
        let srun = MPILaunch(mpirun: "srun", flavour: .other, cores: 12, isRoot: false,
                             environment: ["OMP_NUM_THREADS": "3"]).job(program: hybrid, executable: "./jacobi", arguments: [])
        #expect(srun.description == "srun -n 3 ./jacobi")
    }

    /// Open MPI's boxed notice that a rank exited non-zero goes when the program said why;
    /// mpirun's reasons for not starting anything stay.
    @Test func launcherNoiseIsDroppedOnlyAfterTheProgramsOwnError() {
        let rule = String(repeating: "-", count: 74)
        let notice = "\(rule)\nPrimary job  terminated normally, but 1 process returned\na non-zero exit code.\n\(rule)\n"
        let programError = "jacobi: error: param N: 'x' is not a number\n"
        #expect(MPILaunch.tidyErrors(programError + notice, status: 1) == programError)
        let slots = "\(rule)\nThere are not enough slots available in the system to satisfy the 3\n\(rule)\n"
        #expect(MPILaunch.tidyErrors(slots, status: 1) == slots)
        #expect(MPILaunch.tidyErrors(notice, status: 1) == notice)
        #expect(MPILaunch.tidyErrors(programError + notice, status: 0) == programError + notice)
    }

    @Test func explainPrintsThePlan() throws {
        let result = try stencilc(["explain", Repository.stencil("jacobi.st"), "--target", "mpi", "--ranks", "4",
                                   "--decompose", "grid", "--param", "N=37"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("MPI decomposition (4 ranks, decompose grid)"))
        #expect(result.stdout.contains("grid u: 37 x 37 float32 (N = 37; --param changes it), halo 1"))
        #expect(result.stdout.contains("process grid 2x2"))
        let rows = result.stdout.split(separator: "\n").map { $0.split(separator: " ", omittingEmptySubsequences: true).joined(separator: " ") }
        // Rank 0 sends a south strip 19 + 1 wide (widened into the west halo), 19 rows east, a
        // corner: 40 floats. Rank 3: 18 + 1, 18, 1: 38 floats.
        #expect(rows.contains("0 (0,0) [0, 19) [0, 19) 21 x 21 S=2 E=1 SE=3 160"))
        #expect(rows.contains("3 (1,1) [19, 37) [19, 37) 20 x 20 N=1 W=2 NW=0 152"))
        let tooMany = try stencilc(["explain", Repository.stencil("jacobi.st"), "--target", "mpi", "--ranks", "8", "--param", "N=5"])
        #expect(tooMany.stdout.contains("error: cannot split 5 rows over 8 ranks"))
    }

    @Test func runHybridPrintsRanksAndDecomposition() throws {
        let result = try stencilc(["run", Repository.stencil("jacobi.st"), "--target", "hybrid", "--ranks", "2",
                                   "--num-threads", "2", "--param", "N=24"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("jacobi: 24 x 24 float32, target hybrid, 2 ranks (rows 2x1), 2 threads"), "\(result.stdout)")
        #expect(result.stdout.contains("halo "))
    }
}
