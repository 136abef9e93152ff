// Options.swift: option groups shared by the subcommands, and turning them into a Schedule.

import ArgumentParser
import StencilDriver
import StencilFrontend

struct ScheduleOptions: ParsableArguments {
    @Option(help: "serial | openmp | opencl | mpi | hybrid (default: the file's schedule, else openmp)")
    var target: String?
    @Option(help: "OpenMP schedule of the row loop: static | dynamic | guided | auto")
    var schedule: String?
    @Option(parsing: .unconditional, help: "Rows per chunk of the OpenMP schedule.")
    var chunksize: Int?
    @Option(name: .customLong("num-threads"), parsing: .unconditional, help: "Threads per process.")
    var numThreads: Int?
    @Option(help: "Spatial tile of the sweep, one size per dimension: N, ROWSxCOLS (e.g. 64x512) or PLANESxROWSxCOLS.")
    var tile: String?
    @Option(help: "OpenCL work-group size, one per dimension: N, ROWSxCOLS or PLANESxROWSxCOLS.")
    var workgroup: String?
    @Option(parsing: .unconditional, help: "MPI processes (mpi, hybrid).")
    var ranks: Int?
    @Option(help: "MPI decomposition: rows | grid")
    var decompose: String?
    @Option(help: "Temporal blocking of the sweeps between checks: auto | on | off")
    var temporal: String?

    func validate() throws {
        _ = try resolved()
    }

    /// The target flag (nil when absent) and the schedule lines given as flags.
    func resolved() throws -> (Target?, Schedule) {
        var schedule = Schedule()
        var target: Target?
        if let name = self.target {
            guard let t = Target(rawValue: name) else {
                throw ValidationError("unknown target '\(name)'; expected serial, openmp, opencl, mpi or hybrid")
            }
            target = t
        }
        if let name = self.schedule {
            guard let kind = ScheduleKind(rawValue: name) else {
                throw ValidationError("unknown schedule '\(name)'; expected static, dynamic, guided or auto")
            }
            schedule.kind = kind
        }
        if let name = decompose {
            guard let d = Decomposition(rawValue: name) else {
                throw ValidationError("unknown decomposition '\(name)'; expected rows or grid")
            }
            schedule.decompose = d
        }
        if let name = temporal {
            guard let mode = TemporalMode(rawValue: name) else {
                throw ValidationError("unknown temporal mode '\(name)'; expected auto, on or off")
            }
            schedule.temporal = mode
        }
        for (flag, key, value) in [("--chunksize", "chunksize", chunksize), ("--num-threads", "num_threads", numThreads), ("--ranks", "ranks", ranks)] {
            if let value, !(1...Schedule.largest(key)).contains(value) {
                throw ValidationError("\(flag) expects an integer from 1 to \(Schedule.largest(key)), got \(value)")
            }
        }
        schedule.chunksize = chunksize
        schedule.numThreads = numThreads
        schedule.ranks = ranks
        if let tile { schedule.tile = try parseSizes(tile, flag: "--tile") }
        if let workgroup { schedule.workgroup = try parseSizes(workgroup, flag: "--workgroup") }
        return (target, schedule)
    }
}

/// `8x16x64`: one positive size per dimension (how many the grid needs, the driver checks), for
/// --tile and --workgroup (run, emit, explain, bench...).
func parseSizes(_ text: String, flag: String) throws -> [Int] {
    let parts = text.lowercased().replacingOccurrences(of: " ", with: "").split(separator: "x", omittingEmptySubsequences: false)
    let sizes = parts.compactMap { Int($0) }.filter { (1...Schedule.largestCount).contains($0) }
    guard !parts.isEmpty, sizes.count == parts.count else {
        throw ValidationError("\(flag) expects one integer size from 1 to \(Schedule.largestCount) per dimension (N, ROWSxCOLS or PLANESxROWSxCOLS), got '\(text)'")
    }
    return sizes
}

struct DebugOptions: ParsableArguments {
    @Flag(name: .customLong("print-ir-after-all"), help: "Print the IR after each lowering pass (to stderr).")
    var printIRAfterAll = false
    @Option(parsing: .unconditional, help: "C compiler flags added after stencilc's (e.g. \"-march=x86-64-v3\"); $STENCILC_CFLAGS comes first. They enter the build cache key and the emitted build command.")
    var cflags: String?
}
