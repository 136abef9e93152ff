// MPILaunch.swift: how `stencilc run` starts an mpi or hybrid program. Plans the launcher
// command as a value (`mpirun -np P` plus the flags this machine needs: root, more ranks than
// cores, one OpenMP team per rank), checks the tools are there, and checks the decomposition
// before anything is built or run, so a grid too small for its ranks is one clear error.

import Foundation
import StencilIR

public struct MPILaunch: Sendable, Equatable {
    /// Which launcher speaks which flags.
    public enum Flavour: String, Sendable {
        case openMPI = "Open MPI"
        /// MPICH, Intel MPI and others built on Hydra: `-n`, `-genv`.
        case hydra = "Hydra"
        /// Anything else (srun, a wrapper script): `-n P`, the environment inherited.
        case other
    }

    public var mpirun: String
    public var flavour: Flavour
    /// Cores of this machine: more ranks (or ranks x threads) than this oversubscribes it.
    public var cores: Int
    public var isRoot: Bool
    /// The caller's environment: an OMP_NUM_THREADS or OMP_WAIT_POLICY set there is kept.
    public var environment: [String: String]
    /// Where Open MPI 4 (ORTE) keeps this run's session files, when the run gets a directory of
    /// its own. ORTE's default, `/tmp/ompi.HOST.UID`, is shared by every mpirun of the user, and
    /// two starting at once can race on creating it: one fails in orte_init with "mkdir ...
    /// File exists" (open-mpi/ompi#8510), which is how a test suite or a user's script that runs
    /// stencils side by side lost runs. nil leaves Open MPI's default.
    public var sessionDirectory: String?

    public init(mpirun: String, flavour: Flavour, cores: Int, isRoot: Bool, environment: [String: String] = [:],
                sessionDirectory: String? = nil) {
        self.mpirun = mpirun
        self.flavour = flavour
        self.cores = max(cores, 1)
        self.isRoot = isRoot
        self.environment = environment
        self.sessionDirectory = sessionDirectory
    }

    /// The launch for this machine and process. Open MPI before 5 gets a session directory of
    /// its own for each run, unless the user chose one (OMPI_MCA_orte_tmpdir_base).
    public static func forThisMachine(mpirun: String) -> MPILaunch {
        let environment = ProcessInfo.processInfo.environment
        let version = versionText(of: mpirun)
        let flavour = flavour(fromVersion: version)
        var session: String? = nil
        if flavour == .openMPI, let major = openMPIMajorVersion(version), major < 5,
           environment["OMPI_MCA_orte_tmpdir_base"] == nil {
            session = uniqueSessionDirectory(environment: environment)
        }
        return MPILaunch(mpirun: mpirun, flavour: flavour, cores: ProcessInfo.processInfo.activeProcessorCount,
                         isRoot: geteuid() == 0, environment: environment, sessionDirectory: session)
    }

    /// Asks the launcher what it is (`mpirun --version`).
    public static func flavour(of mpirun: String) -> Flavour {
        flavour(fromVersion: versionText(of: mpirun))
    }

    static func versionText(of mpirun: String) -> String {
        guard let result = try? ProcessRunner.run(Job(kind: .run, executable: mpirun, arguments: ["--version"]), capture: true)
        else { return "" }
        return result.output + result.errorOutput
    }

    static func flavour(fromVersion text: String) -> Flavour {
        if text.contains("Open MPI") || text.contains("OpenRTE") { return .openMPI }
        if text.contains("HYDRA") || text.contains("Hydra") || text.contains("MPICH") { return .hydra }
        return .other
    }

    /// 4 from `mpirun (Open MPI) 4.1.4`.
    public static func openMPIMajorVersion(_ text: String) -> Int? {
        guard let range = text.range(of: "(Open MPI) ") ?? text.range(of: "(OpenRTE) ") else { return nil }
        return Int(text[range.upperBound...].prefix(while: \.isNumber))
    }

    /// A new path for one run's session files: in $TMPDIR when its name is short, else /tmp
    /// (Open MPI puts Unix sockets there, whose paths may not pass about 100 bytes). Open MPI
    /// creates it; the job removes it when the run ends.
    public static func uniqueSessionDirectory(environment: [String: String]) -> String {
        var base = environment["TMPDIR"].map { $0.hasSuffix("/") ? String($0.dropLast()) : $0 } ?? "/tmp"
        if base.isEmpty || base.utf8.count > 40 { base = "/tmp" }
        let tag = String(UInt64.random(in: 0...UInt64(UInt32.max)), radix: 16)
        return "\(base)/stencilc-mpi-\(getpid())-\(tag)"
    }

    /// OpenMP threads per rank of a hybrid run: the schedule's, else OMP_NUM_THREADS, else the
    /// cores shared out between the ranks (at least 1).
    public func threadsPerRank(_ schedule: ResolvedSchedule) -> Int {
        if let threads = schedule.numThreads { return threads }
        if let threads = Tuner.ompThreads(environment) { return threads }
        return max(1, cores / schedule.ranks)
    }

    /// `mpirun -np P [flags] EXECUTABLE ARGUMENTS`.
    public func job(program: Program, executable: String, arguments: [String]) -> Job {
        let schedule = program.schedule
        let ranks = schedule.ranks
        let hybrid = schedule.target == .hybrid
        let threads = hybrid ? threadsPerRank(schedule) : 1
        let oversubscribed = ranks * threads > cores
        // What each rank's environment needs: the team size when nobody chose it, and idle
        // OpenMP threads that sleep when ranks x threads exceed the cores (spinning ones take
        // the core a partner rank needs, and every barrier waits a scheduler slice).
        var variables: [(String, String)] = []
        if hybrid && schedule.numThreads == nil && environment["OMP_NUM_THREADS"] == nil {
            variables.append(("OMP_NUM_THREADS", String(threads)))
        }
        if hybrid && oversubscribed && environment["OMP_WAIT_POLICY"] == nil {
            variables.append(("OMP_WAIT_POLICY", "passive"))
        }
        // The caller's own settings reach ranks on other nodes too (mpirun and mpiexec pass a
        // variable there only when told to; other launchers, such as srun, pass the environment).
        if hybrid && flavour != .other {
            for name in ["OMP_NUM_THREADS", "OMP_WAIT_POLICY"] {
                if let value = environment[name] { variables.append((name, value)) }
            }
        }

        var flags: [String]
        var jobEnvironment: [String: String] = [:]
        switch flavour {
        case .openMPI:
            flags = ["-np", String(ranks)]
            if isRoot { flags.append("--allow-run-as-root") }
            if ranks > cores { flags.append("--oversubscribe") }
            // Open MPI pins each rank to one core by default: a hybrid rank's team would share it.
            if hybrid || ranks > cores { flags += ["--bind-to", "none"] }
            if let session = sessionDirectory { flags += ["--mca", "orte_tmpdir_base", session] }
            for (name, value) in variables { flags += ["-x", "\(name)=\(value)"] }
        case .hydra:
            flags = ["-n", String(ranks)]
            for (name, value) in variables { flags += ["-genv", name, value] }
        case .other:
            flags = ["-n", String(ranks)]
            for (name, value) in variables { jobEnvironment[name] = value }
        }
        return Job(kind: .run, executable: mpirun, arguments: flags + [executable] + arguments,
                   environment: jobEnvironment, scratchDirectory: flavour == .openMPI ? sessionDirectory : nil)
    }

    /// The grid's size with the run's --param overrides, when the driver can tell (the program
    /// itself reports a malformed value), as the MPI runtime decomposes it: a 3-D grid is split
    /// into slabs of planes, each plane one "row" of rows * cols points.
    public static func gridSize(_ program: Program, params: [String]) -> (rows: Int, cols: Int)? {
        guard let extents = extents(program, params: params) else { return nil }
        switch extents.count {
        case 1: return (1, extents[0])
        case 3: return (extents[0], extents[1] * extents[2])
        default: return (extents[0], extents[1])
        }
    }

    /// What gridSize's rows are, in messages: a slab's are planes (stmpi_decompose_slabs).
    public static func rowWord(_ program: Program) -> String { program.dimensions == 3 ? "plane" : "row" }

    /// The axes of gridSize's (rows, cols) along which a block must be 2 * HALO deep (neumann or
    /// periodic sides, stmpi_decompose_sides): a 2-D grid's own; a slab's planes when front/back
    /// copy (the other sides stay within each plane).
    public static func copyingAxes(_ program: Program) -> Set<Int> {
        program.dimensions == 3 ? program.copyingAxes.intersection([0]) : program.copyingAxes
    }

    /// The updated grid's extents, first dimension first, with --param overrides; nil when one
    /// is not known before run time.
    public static func extents(_ program: Program, params: [String]) -> [Int]? {
        func value(_ extent: Extent) -> Int? {
            switch extent {
            case .fixed(let n): return n
            case .param(let name):
                for assignment in params.reversed() {
                    let parts = assignment.split(separator: "=", maxSplits: 1).map(String.init)
                    if parts.count == 2, parts[0] == name { return Int(parts[1]) ?? Double(parts[1]).flatMap { Int(exactly: $0) } }
                }
                guard let param = program.params.first(where: { $0.name == name }) else { return nil }
                return Int(exactly: param.defaultValue)
            }
        }
        let values = program.updatedGrid.extents.compactMap(value)
        return values.count == program.dimensions ? values : nil
    }

    /// The runtime's verdict on splitting the grid over the schedule's ranks, for the program's
    /// layout (PlanDistribution); nil when the size is not known, or too small for the halo
    /// (the program itself reports that).
    public static func splitError(_ program: Program, params: [String]) -> DecompositionError? {
        guard let extents = extents(program, params: params), extents.allSatisfy({ $0 >= 2 * program.halo + 1 }) else { return nil }
        let elementSize = program.elementType == .float32 ? 4 : 8
        if program.distribution?.layout == .blocks {
            let plan = BlocksPlan.make(decomposition: program.schedule.decompose, ranks: program.schedule.ranks,
                                       extents: extents, halo: program.halo, elementSize: elementSize,
                                       exchangesDiagonals: program.distribution!.exchangesDiagonals,
                                       copyingAxes: program.copyingAxes)
            if case .failure(let error) = plan { return error }
            return nil
        }
        guard let (rows, cols) = gridSize(program, params: params) else { return nil }
        let plan = DecompositionPlan.make(decomposition: program.schedule.decompose, ranks: program.schedule.ranks,
                                          rows: rows, cols: cols, halo: program.halo, elementSize: elementSize,
                                          copyingAxes: copyingAxes(program), row: rowWord(program))
        if case .failure(let error) = plan { return error }
        return nil
    }

    /// Before building: the MPI tools are there, and the grid splits over the ranks.
    public static func preflight(_ program: Program, params: [String], toolchain: Toolchain) throws {
        if ProcessRunner.which(toolchain.mpicc) == nil {
            throw DriverError("cannot build for target \(program.schedule.target.rawValue): '\(toolchain.mpicc)' not found "
                + "(install Open MPI's development files, e.g. apt-get install libopenmpi-dev, or set STENCILC_MPICC)")
        }
        if ProcessRunner.which(toolchain.mpirun) == nil {
            throw DriverError("cannot run target \(program.schedule.target.rawValue): '\(toolchain.mpirun)' not found "
                + "(install Open MPI, e.g. apt-get install openmpi-bin, or set STENCILC_MPIRUN to your launcher)")
        }
        if let error = splitError(program, params: params) {
            // A 1-D grid splits the same way with either decomposition: no point suggesting the other.
            let other = program.dimensions == 1 ? "" : ", or --decompose \(program.schedule.decompose == .rows ? "grid" : "rows")"
            throw DriverError(error.message + " (use fewer --ranks\(program.dimensions == 1 ? " or" : ",") a larger grid\(other))")
        }
    }

    /// mpirun's stderr for the user. When the program printed its own `NAME: error: ...` (rank 0
    /// only: st_fatal, stmpi_fatal_all), Open MPI's boxed notices that a rank exited non-zero
    /// or called MPI_Abort repeat it without adding anything: they go. Anything else stays
    /// (a launch that failed: no slots, no executable, a missing library).
    public static func tidyErrors(_ text: String, status: Int32) -> String {
        guard status != 0, text.contains(": error: ") else { return text }
        let notices = ["terminated normally, but", "exited with non-zero status", "MPI_ABORT was invoked"]
        let rule = String(repeating: "-", count: 20)
        var kept: [Substring] = []
        var box: [Substring]? = nil
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            if line.hasPrefix(rule) {
                if var open = box {
                    open.append(line)
                    if !open.contains(where: { l in notices.contains { l.contains($0) } }) { kept += open }
                    box = nil
                } else {
                    box = [line]
                }
            } else if box != nil {
                box!.append(line)
            } else {
                kept.append(line)
            }
        }
        if let open = box { kept += open }
        return kept.joined(separator: "\n")
    }
}
