// BenchCommands.swift: `stencilc bench` (a matrix of targets x sizes x threads x ranks, timed,
// as a table, CSV, JSON and a plot) and `stencilc bandwidth` (the machine's measured memory
// bandwidth, which bench compares with). Parsing and printing only: the work is in StencilDriver.

import ArgumentParser
import Foundation
import StencilDriver
import StencilFrontend

struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Time a program over targets x sizes x threads (x ranks): MLUP/s, GB/s, % of the measured bandwidth.",
        discussion: """
            Each configuration is built once; each run does a fixed number of sweeps
            (--max-iterations), every run repeated --repeats times round-robin across the matrix,
            and the median kept. Sizes are set through the program's integer params that size its
            grids (--param N=...). The byte model: a sweep moves at least (2 + read-only grids) x
            element size bytes per updated point. The bandwidth is a STREAM-like copy measured once
            per machine and cached (see `stencilc bandwidth`).
            """)

    @Argument(help: "The stencil program (.st).") var file: String
    @Option(help: "Targets, comma-separated (default: the file's target).") var targets: String?
    @Option(parsing: .unconditional, help: "Grid sizes, comma-separated: N, or one extent per dimension (ROWSxCOLS, PLANESxROWSxCOLS). Default when a param sizes the grid: 256,1024,4096 (2-D), 64,128,256 (3-D), 65536,1048576,16777216 (1-D).")
    var sizes: String?
    @Option(parsing: .unconditional, help: "Threads per process for openmp and hybrid, comma-separated (default: 1, 2, 4, ... up to the cores).")
    var threads: String?
    @Option(parsing: .unconditional, help: "MPI ranks for mpi and hybrid, comma-separated (default: 2).") var ranks: String?
    @Option(help: "Temporal blocking modes to compare, comma-separated: auto, on, off (default: the file's).")
    var temporal: String?
    @Option(parsing: .unconditional, help: "Sweeps per run, or auto: scaled so each run takes about --seconds-per-run.") var sweeps = "auto"
    @Option(name: .customLong("seconds-per-run"), parsing: .unconditional, help: "Target length of one run with --sweeps auto.") var secondsPerRun = 0.4
    @Option(parsing: .unconditional, help: "Runs per cell; the median is kept.") var repeats = 5
    @Option(help: "Write the results as CSV.") var csv: String?
    @Option(help: "Write the results as JSON.") var json: String?
    @Option(help: "Write a plot: FILE.svg, or FILE.png (through rsvg-convert).") var plot: String?
    @Flag(name: .customLong("no-bandwidth"), help: "Skip the bandwidth probe (no % of bandwidth, no roofline).")
    var noBandwidth = false
    @Flag(name: .customLong("remeasure-bandwidth"), help: "Measure the bandwidth again instead of using the cached value.")
    var remeasureBandwidth = false
    @Option(name: .customLong("env"), help: "NAME=VALUE added to every run's environment (repeatable), e.g. OMP_WAIT_POLICY=passive.")
    var environment: [String] = []
    @Option(help: "OpenMP schedule of the row loop: static | dynamic | guided | auto") var schedule: String?
    @Option(parsing: .unconditional, help: "Rows per chunk of the OpenMP schedule.") var chunksize: Int?
    @Option(help: "Spatial tile of the sweep, one size per dimension (e.g. 64x512, 8x16x64).") var tile: String?
    @Option(help: "OpenCL work-group size, one per dimension: N, ROWSxCOLS or PLANESxROWSxCOLS.") var workgroup: String?
    @Option(help: "MPI decomposition: rows | grid") var decompose: String?
    @Option(parsing: .unconditional, help: "C compiler flags added after stencilc's (e.g. \"-march=x86-64-v3\"); $STENCILC_CFLAGS comes first.")
    var cflags: String?
    @Flag(help: "No progress lines on stderr.") var quiet = false
    @Flag(name: .customLong("print-commands"), help: "Show the compiler and run commands (to stderr).")
    var printCommands = false

    func validate() throws {
        _ = try settings()
        if let plot, !(plot.hasSuffix(".svg") || plot.hasSuffix(".png")) {
            throw ValidationError("--plot expects a .svg or .png file, got '\(plot)'")
        }
    }

    func settings() throws -> BenchSettings {
        var settings = BenchSettings()
        settings.cflags = Compilation.cflags(option: cflags)
        if let targets {
            settings.targets = try list(targets, flag: "--targets").map { name in
                guard let target = Target(rawValue: name) else {
                    throw ValidationError("unknown target '\(name)'; expected serial, openmp, opencl, mpi or hybrid")
                }
                return target
            }
        }
        settings.sizes = try sizes.map { try list($0, flag: "--sizes") }
        if let threads { settings.threads = try counts(threads, flag: "--threads", largest: Schedule.largestTeam) }
        if let ranks { settings.ranks = try counts(ranks, flag: "--ranks", largest: Schedule.largestCount) }
        if let temporal {
            settings.temporal = try list(temporal, flag: "--temporal").map { name in
                guard let mode = TemporalMode(rawValue: name) else {
                    throw ValidationError("unknown temporal mode '\(name)'; expected auto, on or off")
                }
                return mode
            }
        }
        if sweeps != "auto" {
            guard let count = Int(sweeps), count >= 1 else {
                throw ValidationError("--sweeps expects a positive integer or auto, got '\(sweeps)'")
            }
            settings.sweeps = count
        }
        guard repeats >= 1 else { throw ValidationError("--repeats must be at least 1") }
        guard secondsPerRun > 0, secondsPerRun <= 3600 else {
            throw ValidationError("--seconds-per-run must be a positive number of seconds, up to 3600, got \(secondsPerRun)")
        }
        settings.repeats = repeats
        settings.secondsPerRun = secondsPerRun
        var overrides = Schedule()
        if let schedule {
            guard let kind = ScheduleKind(rawValue: schedule) else {
                throw ValidationError("unknown schedule '\(schedule)'; expected static, dynamic, guided or auto")
            }
            overrides.kind = kind
        }
        if let chunksize {
            guard chunksize >= 1 else { throw ValidationError("--chunksize must be at least 1") }
            overrides.chunksize = chunksize
        }
        if let tile { overrides.tile = try parseSizes(tile, flag: "--tile") }
        if let workgroup { overrides.workgroup = try parseSizes(workgroup, flag: "--workgroup") }
        if let decompose {
            guard let d = Decomposition(rawValue: decompose) else {
                throw ValidationError("unknown decomposition '\(decompose)'; expected rows or grid")
            }
            overrides.decompose = d
        }
        settings.overrides = overrides
        for assignment in environment {
            let parts = assignment.split(separator: "=", maxSplits: 1)
            guard parts.count == 2, !parts[0].isEmpty else {
                throw ValidationError("--env expects NAME=VALUE, got '\(assignment)'")
            }
            settings.environment[String(parts[0])] = String(parts[1])
        }
        return settings
    }

    func run() throws {
        try reportingErrors {
            let settings = try settings()
            for (option, path) in [("--csv", csv), ("--json", json), ("--plot", plot)] {
                if let path {
                    try OutputFiles.refuseOverwriting(source: file, with: path, option: option)
                    try OutputFiles.checkWritable(path, option: option)
                }
            }
            let toolchain = try Toolchain.fromEnvironment()
            let cache = BuildCache.defaultCache()
            let echo: ((Job) -> Void)? = printCommands ? { printError("\($0)\n") } : nil
            let progress: ((String) -> Void)? = quiet ? nil : { printError("bench: \($0)\n") }
            var bandwidth: BandwidthReport?
            if !noBandwidth {
                progress?("measuring the memory bandwidth (once per machine; cached)")
                bandwidth = try BandwidthProbe.measure(toolchain: toolchain, cache: cache, remeasure: remeasureBandwidth,
                                                       echo: echo)
            }
            let runner = BenchRunner(launcher: Launcher(builder: Builder(toolchain: toolchain, cache: cache)),
                                     progress: progress, echo: echo)
            let results = try runner.run(path: file, settings: settings, bandwidth: bandwidth)
            if !results.warnings.isEmpty { printError(results.warnings) }
            print(BenchReport.table(results), terminator: "")
            if let csv { try OutputFiles.writeText(BenchReport.csv(results), to: csv) }
            if let json { try OutputFiles.writeText(try BenchReport.json(results), to: json) }
            if let plot { try writePlot(results, to: plot, echo: echo) }
        }
    }

    private func writePlot(_ results: BenchResults, to path: String, echo: ((Job) -> Void)?) throws {
        let svg = BenchPlot.svg(results)
        guard path.hasSuffix(".png") else {
            try OutputFiles.writeText(svg, to: path)
            return
        }
        let svgPath = String(path.dropLast(4)) + ".svg"
        try OutputFiles.writeText(svg, to: svgPath)
        let job = BenchPlot.rasterizeJob(svg: svgPath, png: path)
        echo?(job)
        guard ProcessRunner.which(job.executable) != nil else {
            throw DriverError("the plot is in '\(svgPath)'; a PNG needs rsvg-convert (Debian: apt-get install librsvg2-bin, or scripts/setup.sh)")
        }
        let outcome = try ProcessRunner.run(job, capture: true)
        guard outcome.status == 0, !outcome.signaled else {
            throw DriverError("rsvg-convert failed converting '\(svgPath)' to PNG (exit \(outcome.status))",
                              toolOutput: outcome.errorOutput)
        }
    }

    private func list(_ text: String, flag: String) throws -> [String] {
        let items = text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        guard !items.isEmpty else { throw ValidationError("\(flag) expects a comma-separated list, got '\(text)'") }
        return items
    }

    private func counts(_ text: String, flag: String, largest: Int) throws -> [Int] {
        try list(text, flag: flag).map { item in
            guard let count = Int(item), (1...largest).contains(count) else {
                throw ValidationError("\(flag) expects integers from 1 to \(largest), got '\(item)'")
            }
            return count
        }
    }
}

struct BandwidthCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bandwidth",
        abstract: "Print the machine's memory bandwidth (a STREAM-like probe, measured once per machine and cached).")

    @Flag(help: "Measure again instead of using the cached value.") var remeasure = false
    @Flag(help: "Print the probe's own output (one JSON object per line).") var json = false

    func run() throws {
        try reportingErrors {
            let toolchain = try Toolchain.fromEnvironment()
            if !remeasure && !json { printError("stencilc: measuring the memory bandwidth unless cached...\n") }
            let report = try BandwidthProbe.measure(toolchain: toolchain, cache: BuildCache.defaultCache(), remeasure: remeasure)
            if json {
                print(try String(contentsOfFile: report.cacheFile, encoding: .utf8), terminator: "")
                return
            }
            let b = report.bandwidth
            print("\(report.machine.cpuModel), \(report.machine.cores) cores; last-level cache \(b.lastLevelCacheBytes >> 20) MiB")
            print("STREAM-like probe: \(b.arrayBytes >> 20) MiB double arrays, best of \(b.trials) trials (\(report.measuredNow ? "measured now" : "cached"): \(report.cacheFile))")
            print("kernel  threads     GB/s")
            for m in b.measurements {
                print("\(m.kernel.padding(toLength: 6, withPad: " ", startingAt: 0))  \(String(format: "%7d  %7.1f", m.threads, m.gigabytesPerSecond))")
            }
            if let best = b.best {
                print("machine bandwidth (best copy): \(String(format: "%.1f", best.gigabytesPerSecond)) GB/s at \(best.threads) thread\(best.threads == 1 ? "" : "s")")
            }
        }
    }
}
