// BenchRunner.swift: `stencilc bench`'s measurements. Builds each configuration once (through the
// cache), picks a sweep count per cell (fixed, or scaled so one run takes about
// `secondsPerRun`), then runs every cell `repeats` times, round-robin across cells so machine
// noise spreads evenly over them, and keeps each cell's median. The numbers are the programs'
// own (`--json`: MLUP/s of the iterations alone); the runner only collects them.

import Foundation
import StencilCodegen
import StencilIR

public struct BenchSettings: Sendable {
    /// nil: the file's own target.
    public var targets: [Target]?
    public var threads: [Int] = MachineIdentity.threadLadder(cores: ProcessInfo.processInfo.activeProcessorCount)
    public var ranks: [Int] = [2]
    /// Temporal blocking modes to compare; [nil]: the file's own.
    public var temporal: [TemporalMode?] = [nil]
    /// --sizes as written ("4096", "64x500"); nil: BenchSizes' default.
    public var sizes: [String]?
    /// Sweeps per run; nil: auto.
    public var sweeps: Int?
    public var repeats = 5
    public var secondsPerRun = 0.4
    /// Schedule lines given on the command line (schedule, chunksize, tile, ...).
    public var overrides = Schedule()
    /// Variables added to every run's environment (OMP_WAIT_POLICY, STENCILC_PLAN, ...).
    public var environment: [String: String] = [:]
    /// C compiler flags added after stencilc's (--cflags, $STENCILC_CFLAGS).
    public var cflags: [String] = []

    public init() {}
}

/// One cell of the matrix: a configuration at a size, with every run's numbers.
public struct BenchMeasurement: Sendable {
    public var configuration: BenchConfiguration
    public var size: BenchSize
    /// Points one sweep updates.
    public var points: Int
    /// Sweeps asked for per run (--max-iterations).
    public var sweeps: Int
    public var iterations: [Int] = []
    public var mlups: [Double] = []
    public var seconds: [Double] = []

    public init(configuration: BenchConfiguration, size: BenchSize, points: Int, sweeps: Int) {
        self.configuration = configuration
        self.size = size
        self.points = points
        self.sweeps = sweeps
    }

    /// A run stopped before `sweeps` (it converged, or the program's own step count is smaller).
    public var stoppedEarly: Bool { iterations.contains { $0 < sweeps } }
    public var medianMLUPs: Double { median(mlups) }
    public var medianIterations: Int { Int(median(iterations.map(Double.init)).rounded()) }
}

public struct BenchResults: Sendable {
    public var stencil: String
    public var file: String
    public var dtype: String
    public var halo: Int
    public var byteModel: ByteModel
    public var bandwidth: BandwidthReport?
    public var repeats: Int
    /// nil when sweeps were fixed with --sweeps.
    public var autoSecondsPerRun: Double?
    public var measurements: [BenchMeasurement]
    /// The 1-minute load average before and after the runs (/proc/loadavg), and the cores: a load
    /// near or above the cores means other processes competed for them.
    public var loadBefore: Double?
    public var loadAfter: Double?
    public var cores = ProcessInfo.processInfo.activeProcessorCount
    /// Rendered warnings of the .st file (empty when none): the caller shows them.
    public var warnings = ""

    public init(stencil: String, file: String, dtype: String, halo: Int, byteModel: ByteModel, bandwidth: BandwidthReport?,
                repeats: Int, autoSecondsPerRun: Double?, measurements: [BenchMeasurement]) {
        self.stencil = stencil
        self.file = file
        self.dtype = dtype
        self.halo = halo
        self.byteModel = byteModel
        self.bandwidth = bandwidth
        self.repeats = repeats
        self.autoSecondsPerRun = autoSecondsPerRun
        self.measurements = measurements
    }

    /// The machine's bandwidth in GB/s (best STREAM copy), when measured.
    public var machineBandwidth: Double? { bandwidth?.bandwidth.best?.gigabytesPerSecond }

    public func gigabytesPerSecond(_ m: BenchMeasurement) -> Double { byteModel.gigabytesPerSecond(mlups: m.medianMLUPs) }

    /// Effective GB/s as a percentage of the machine's bandwidth.
    public func percentOfBandwidth(_ m: BenchMeasurement) -> Double? {
        machineBandwidth.map { gigabytesPerSecond(m) / $0 * 100 }
    }
}

/// The 1-minute load average, or nil where /proc/loadavg is not readable.
public func loadAverage(_ text: String? = try? String(contentsOfFile: "/proc/loadavg", encoding: .utf8)) -> Double? {
    text?.split(separator: " ").first.flatMap { Double($0) }
}

/// The median (the mean of the two middle values for an even count); 0 for none.
public func median(_ values: [Double]) -> Double {
    guard !values.isEmpty else { return 0 }
    let sorted = values.sorted()
    let middle = sorted.count / 2
    return sorted.count % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2
}

public struct BenchRunner {
    public let launcher: Launcher
    /// One line per step (building, calibrating, each run); the executable prints them.
    public var progress: ((String) -> Void)?
    /// Each command before it runs (--print-commands).
    public var echo: ((Job) -> Void)?

    public init(launcher: Launcher, progress: ((String) -> Void)? = nil, echo: ((Job) -> Void)? = nil) {
        self.launcher = launcher
        self.progress = progress
        self.echo = echo
    }

    private struct Cell {
        var executable: String
        var program: Program
        var environment: [String: String]
        var measurement: BenchMeasurement
    }

    /// Auto sweep counts are at least this, however slow a sweep: a steady state, and room for
    /// temporal blocking (which blocks the sweeps of one run), even on the largest grids.
    public static let minimumAutoSweeps = 20

    struct Sample {
        var iterations: Int
        var mlups: Double
        var seconds: Double
    }

    public func run(path: String, settings: BenchSettings, bandwidth: BandwidthReport?) throws -> BenchResults {
        guard settings.repeats >= 1 else { throw DriverError("--repeats must be at least 1") }
        if let sweeps = settings.sweeps, sweeps < 1 { throw DriverError("--sweeps must be at least 1 (or auto)") }
        let file = try Compilation.load(path)
        let (checked, warnings) = try Compilation.check(file)
        let stem = Compilation.defaultStem(path)
        let targets = try settings.targets ?? [Compilation.lower(checked, target: nil, overrides: settings.overrides).schedule.target]
        let configurations = try BenchConfiguration.matrix(targets: targets, threads: settings.threads,
                                                           ranks: settings.ranks, temporal: settings.temporal)

        let loadBefore = loadAverage()
        // Lower every configuration and check the sizes, then build them all, so that input and
        // compiler errors come before any timing.
        let programs = try configurations.map { configuration in
            try Compilation.lower(checked, target: configuration.target, overrides: configuration.overrides(settings.overrides))
        }
        guard let first = programs.first else { throw DriverError("bench has nothing to run (no targets)") }
        let sizes = try BenchSizes.resolve(settings.sizes, for: first)
        var built: [(BenchConfiguration, Program, String)] = []
        for (configuration, program) in zip(configurations, programs) {
            let emitted = try Compilation.emit(program, stem: stem, cflags: settings.cflags)
            progress?("building \(configuration.label)")
            let executable = try launcher.build(CompilationResult(program: program, emitted: emitted, warnings: ""),
                                                stem: stem, echo: echo)
            built.append((configuration, program, executable))
        }

        var cells: [Cell] = []
        for (configuration, program, executable) in built {
            for size in sizes {
                let points = size.updatedPoints(halo: program.halo)
                guard points > 0 else {
                    throw DriverError("size \(size.label) leaves no point to update (the halo is \(program.halo))")
                }
                var options = RunOptions()
                options.params = size.params
                try launcher.preflight(program, options: options)
                cells.append(Cell(executable: executable, program: program, environment: settings.environment,
                                  measurement: BenchMeasurement(configuration: configuration, size: size, points: points, sweeps: 1)))
            }
        }

        for index in cells.indices {
            if let sweeps = settings.sweeps {
                cells[index].measurement.sweeps = sweeps
            } else {
                cells[index].measurement.sweeps = try calibrate(cells[index], secondsPerRun: settings.secondsPerRun)
            }
        }

        // Round-robin: repetition r of every cell before repetition r+1 of any.
        let total = settings.repeats * cells.count
        var done = 0
        for _ in 0..<settings.repeats {
            for index in cells.indices {
                let sample = try runOnce(cells[index], sweeps: cells[index].measurement.sweeps)
                cells[index].measurement.iterations.append(sample.iterations)
                cells[index].measurement.mlups.append(sample.mlups)
                cells[index].measurement.seconds.append(sample.seconds)
                done += 1
                let m = cells[index].measurement
                progress?("[\(done)/\(total)] \(m.configuration.label) \(m.size.label): \(String(format: "%.0f", sample.mlups)) MLUP/s")
            }
        }

        let updated = first.updatedGrid
        var results = BenchResults(stencil: first.name, file: path, dtype: updated.type.rawValue, halo: first.halo,
                                   byteModel: ByteModel(first), bandwidth: bandwidth, repeats: settings.repeats,
                                   autoSecondsPerRun: settings.sweeps == nil ? settings.secondsPerRun : nil,
                                   measurements: cells.map(\.measurement))
        results.loadBefore = loadBefore
        results.loadAfter = loadAverage()
        results.warnings = warnings
        return results
    }

    /// A sweep count that makes one run last about `secondsPerRun`: starts at about 2 million
    /// point updates and grows until a run is long enough to time (50 ms), then scales from the
    /// faster of two runs at that count. The runs also warm the machine up (page cache,
    /// frequency) before the measured ones.
    private func calibrate(_ cell: Cell, secondsPerRun: Double) throws -> Int {
        var sweeps = max(1, 2_000_000 / cell.measurement.points)
        var sample = try runOnce(cell, sweeps: sweeps)
        for _ in 0..<6 where sample.seconds < 0.05 && sample.iterations >= sweeps {
            let factor = min(100.0, max(2.0, 0.1 / max(sample.seconds, 1e-6)))
            sweeps = Int(min(Double(sweeps) * factor, 1e9))
            sample = try runOnce(cell, sweeps: sweeps)
        }
        // One more run at this count, keeping the faster: a single unlucky run (another process
        // on a core) would otherwise make every measured run of the cell far too short.
        if sample.iterations >= sweeps {
            let again = try runOnce(cell, sweeps: sweeps)
            if again.seconds < sample.seconds { sample = again }
        }
        let m = cell.measurement
        if sample.iterations < sweeps {
            progress?("calibrated \(m.configuration.label) \(m.size.label): stops by itself after \(sample.iterations) sweeps")
            return sweeps
        }
        let scaled = Double(sweeps) * secondsPerRun / max(sample.seconds, 1e-6)
        let result = max(BenchRunner.minimumAutoSweeps, Int(min(scaled, 1e9)))
        progress?("calibrated \(m.configuration.label) \(m.size.label): \(result) sweeps")
        return result
    }

    private func runOnce(_ cell: Cell, sweeps: Int) throws -> Sample {
        var options = RunOptions()
        options.params = cell.measurement.size.params
        // A `steps T` program whose T is a param runs exactly the sweeps asked for.
        if case .steps(.param(let name), _) = cell.program.stopping,
           !options.params.contains(where: { $0.hasPrefix(name + "=") }) {
            options.params.append("\(name)=\(sweeps)")
        }
        options.maxIterations = sweeps
        options.environment = cell.environment
        options.json = true
        options.quiet = true
        let job = launcher.runJob(executable: cell.executable, program: cell.program, options: options)
        echo?(job)
        let outcome = try launcher.execute(job, program: cell.program, capture: true)
        return try BenchRunner.parseSummary(outcome.output)
    }

    /// The program's `--json` summary: the last line that is a JSON object.
    static func parseSummary(_ output: String) throws -> Sample {
        let line = output.split(whereSeparator: \.isNewline).last { $0.hasPrefix("{") }
        guard let line, let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
              let iterations = (object["iterations"] as? NSNumber)?.intValue,
              let seconds = (object["seconds"] as? NSNumber)?.doubleValue,
              let mlups = (object["mlups"] as? NSNumber)?.doubleValue else {
            throw DriverError("the program printed no JSON summary", toolOutput: output)
        }
        return Sample(iterations: iterations, mlups: mlups, seconds: seconds)
    }
}
