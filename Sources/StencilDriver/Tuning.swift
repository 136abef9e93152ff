// Tuning.swift: `stencilc tune` and the plans it stores ("wisdom", as FFTW keeps it).
// The serial and openmp programs choose at run time how to run the sweeps between checks (whole
// sweeps, tiles or bands, with a depth and a tile height: runtime/stencil_sweeps.h). Their cost
// model only knows the cache sizes; the tuner times the candidates on this machine instead, each
// run a fresh process from the same initial field for a short fixed number of sweeps, keeps the
// fastest and stores it under a key of everything that could change the answer. `stencilc run`
// then passes the stored plan to the program (`--plan ... --plan-source tuned`). For openmp, the
// OpenMP schedule and chunk of the row loop are chosen first, the same way; they are compile-time
// clauses, so each candidate is a build of its own, and `run` rebuilds with the stored one. Every
// plan and schedule gives the same bits, so tuning changes speed only.

import Foundation
import StencilCodegen
import StencilIR

/// One stored plan.
public struct WisdomEntry: Codable, Sendable, Equatable {
    /// `--plan` text: `sweeps`, `tiles:16:64`, `bands:7:12`, `bands:7:32:256`.
    public var plan: String
    /// The OpenMP schedule that won, as the program prints it (`dynamic,16`), when it is not the
    /// one the program was compiled with; nil when that one won or none was tuned.
    public var schedule: String? = nil
    public var mlups: Double
    /// The cost model's plan and speed in the same measurement.
    public var defaultPlan: String
    public var defaultMLUPS: Double
    /// What the key was made of, for people reading the file.
    public var stencil: String
    public var params: [String]
    public var threads: Int
    public var cpu: String
    public var flags: String
    public var date: String
}

/// The stored plans: one JSON object, key -> entry, at $STENCILC_WISDOM, else wisdom.json in the
/// build cache's folder. Written whole under a temporary name and renamed.
public struct Wisdom: Sendable {
    public let path: String

    public init(path: String) { self.path = path }

    public static func `default`(_ environment: [String: String] = ProcessInfo.processInfo.environment) -> Wisdom {
        if let explicit = environment["STENCILC_WISDOM"], !explicit.isEmpty { return Wisdom(path: explicit) }
        return Wisdom(path: BuildCache.defaultCache(environment).directory + "/wisdom.json")
    }

    /// The stored plans that read as entries. One that does not (edited by hand, written by
    /// another version) is skipped here and kept by `store`; `problem` says why the file as a
    /// whole cannot be read (not JSON, not an object), and is nil when it is fine or absent.
    public func read() -> (entries: [String: WisdomEntry], problem: String?) {
        let (raw, problem) = readRaw()
        var entries: [String: WisdomEntry] = [:]
        for (key, value) in raw {
            guard let data = try? JSONSerialization.data(withJSONObject: value),
                  let entry = try? JSONDecoder().decode(WisdomEntry.self, from: data) else { continue }
            entries[key] = entry
        }
        return (entries, problem)
    }

    public func entries() -> [String: WisdomEntry] { read().entries }

    public func lookup(_ key: String) -> WisdomEntry? { entries()[key] }

    /// Before tuning: a store that could not take the result is an error now, not minutes later.
    public func checkStorable() throws {
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue {
            throw DriverError("the tuned plans' file '\(path)' is a directory, so tuning would not be stored: set STENCILC_WISDOM to a file")
        }
        if let problem = readRaw().1 { throw unreadable(problem, "and tuning would not be stored") }
    }

    private func unreadable(_ problem: String, _ consequence: String) -> DriverError {
        DriverError("the tuned plans in '\(path)' cannot be read (\(problem)), \(consequence): "
                    + "move the file away (or set STENCILC_WISDOM) and tune again")
    }

    /// The file as JSON: key -> anything.
    private func readRaw() -> ([String: Any], String?) {
        guard let data = FileManager.default.contents(atPath: path), !data.isEmpty else { return ([:], nil) }
        guard let object = try? JSONSerialization.jsonObject(with: data) else { return ([:], "it is not JSON") }
        guard let entries = object as? [String: Any] else { return ([:], "it is not a JSON object") }
        return (entries, nil)
    }

    /// Adds or replaces one entry and keeps every other, under an exclusive lock on PATH.lock (two
    /// tunes finishing together each keep their entry). A file that cannot be read as a whole
    /// is not overwritten: the plans in it may be hours of tuning.
    public func store(_ entry: WisdomEntry, for key: String) throws {
        let directory = (path as NSString).deletingLastPathComponent
        do {
            try FileManager.default.createDirectory(atPath: directory.isEmpty ? "." : directory, withIntermediateDirectories: true)
        } catch {
            throw DriverError("cannot write the tuned plans to '\(path)': \(error.localizedDescription) (set STENCILC_WISDOM)")
        }
        let lock = open(path + ".lock", O_CREAT | O_RDWR | O_CLOEXEC, 0o644)
        if lock >= 0 { flock(lock, LOCK_EX) }
        defer { if lock >= 0 { close(lock) } }
        var (all, problem) = readRaw()
        if let problem { throw unreadable(problem, "so this one was not stored") }
        let encoder = JSONEncoder()
        all[key] = try JSONSerialization.jsonObject(with: try encoder.encode(entry))
        do {
            let data = try JSONSerialization.data(withJSONObject: all, options: [.prettyPrinted, .sortedKeys])
            try data.write(to: URL(fileURLWithPath: path), options: .atomic)
        } catch {
            throw DriverError("cannot write the tuned plans to '\(path)': \(error.localizedDescription) (set STENCILC_WISDOM)")
        }
    }

    /// The key of a compiled program run with `params` on `threads` threads: the emitted source
    /// (program, element type, target, schedule), the sizes and other params, the thread and rank
    /// counts, the compiler and its flags, and the CPU.
    public static func key(_ result: CompilationResult, params: [String], threads: Int, compilerIdentity: String,
                           cpu: String) -> String {
        stableHash([result.emitted.source, params.sorted().joined(separator: " "), String(threads),
                    String(result.program.schedule.ranks), compilerIdentity, result.emitted.recipe.flags.joined(separator: " "), cpu])
    }

    /// The CPU as the key knows it: model name, family, model and stepping, and the vector ISA.
    public static func cpuIdentity() -> String { cpu }

    private static let cpu: String = {
        let text = (try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8)) ?? ""
        var parts: [String] = [MachineIdentity.parseCPUModel(text) ?? "unknown CPU"]
        for key in ["cpu family", "model", "stepping", "CPU implementer", "CPU part"] {
            if let line = text.split(separator: "\n").first(where: { $0.split(separator: ":").first?.trimmingCharacters(in: .whitespaces) == key }),
               let value = line.split(separator: ":", maxSplits: 1).last {
                parts.append("\(key) \(value.trimmingCharacters(in: .whitespaces))")
            }
        }
        let flags = Set(text.split(separator: "\n").first { $0.hasPrefix("flags") || $0.hasPrefix("Features") }?
            .split(separator: " ").map(String.init) ?? [])
        parts.append(["avx512f", "avx2", "fma", "sse4_2", "asimd", "sve"].filter(flags.contains).joined(separator: ","))
        return parts.joined(separator: "; ")
    }()

    /// STENCILC_PLAN, when set and not empty: a plan the user chose, which wins over a stored one.
    public static func givenPlan(_ environment: [String: String] = ProcessInfo.processInfo.environment) -> String? {
        guard let text = environment["STENCILC_PLAN"], !text.isEmpty else { return nil }
        return text
    }
}

/// One timed candidate.
public struct TuneTiming: Sendable {
    public var plan: String
    public var mlups: [Double]
    public var median: Double { mlups.sorted()[mlups.count / 2] }
}

public struct TuneOutcome: Sendable {
    /// The schedules timed with whole sweeps (openmp with 2 or more threads; `plan` holds the
    /// schedule's text); the fastest of them, under which the plans were timed; and the one kept
    /// (the compiled one again when the other did not beat the default in the final rounds).
    public var scheduleTimings: [TuneTiming] = []
    public var timedSchedule: String
    public var schedule: String
    public var best: TuneTiming
    public var defaultTiming: TuneTiming
    public var timings: [TuneTiming]
    public var sweeps: Int
    public var key: String
    public var entry: WisdomEntry
}

public struct Tuner: Sendable {
    public let launcher: Launcher
    /// About how long one timed run lasts.
    public var secondsPerRun = 0.25
    /// Runs of each finalist (the best few of the first round), alternating.
    public var finalRepeats = 3

    public init(launcher: Launcher) { self.launcher = launcher }

    public static func targetsMessage(_ program: Program) -> String {
        "tune times the run-time plans of the serial and openmp targets only; target "
            + "'\(program.schedule.target.rawValue)': \(program.loops.temporalReason)"
    }

    /// The first number of OMP_NUM_THREADS, read as libgomp reads it (spaces around it allowed:
    /// " 3" runs 3 threads), or nil when it is unset or not a positive number.
    public static func ompThreads(_ environment: [String: String]) -> Int? {
        guard let text = environment["OMP_NUM_THREADS"],
              let n = Int((text.split(separator: ",", omittingEmptySubsequences: false).first ?? "").trimmingCharacters(in: .whitespaces)),
              n > 0 else { return nil }
        return n
    }

    /// Threads the program will run with: num_threads, else OMP_NUM_THREADS, else the cores.
    public static func threads(_ program: Program, environment: [String: String] = ProcessInfo.processInfo.environment) -> Int {
        guard program.schedule.target == .openmp else { return 1 }
        if let n = program.schedule.numThreads { return n }
        if let n = Tuner.ompThreads(environment) { return n }
        return ProcessInfo.processInfo.activeProcessorCount
    }

    /// Every param's value for a run, defaults included, as sorted NAME=VALUE (so that
    /// `--param N=1024` and the default 1024 are one key).
    public static func effectiveParams(_ program: Program, _ params: [String]) -> [String] {
        var values: [String: String] = [:]
        for param in program.params { values[param.name] = IRPrinter.format(param.defaultValue) }
        for assignment in params {
            let parts = assignment.split(separator: "=", maxSplits: 1).map(String.init)
            guard parts.count == 2 else { continue }
            values[parts[0]] = Double(parts[1]).map(IRPrinter.format) ?? parts[1]
        }
        return values.keys.sorted().map { "\($0)=\(values[$0]!)" }
    }

    public func key(_ result: CompilationResult, params: [String]) -> String {
        Wisdom.key(result, params: Tuner.effectiveParams(result.program, params), threads: Tuner.threads(result.program),
                   compilerIdentity: Builder.compilerIdentity(launcher.builder.compiler(for: result.emitted.recipe)),
                   cpu: Wisdom.cpuIdentity())
    }

    /// The compile-time schedules tried for openmp: static blocks (the usual best for a uniform
    /// stencil), interleaved static chunks, dynamic and guided (better when threads are uneven:
    /// another load on the machine, SMT siblings, a slower core).
    public static let scheduleCandidates: [(ScheduleKind, Int?)] = [(.static, nil), (.static, 8), (.dynamic, 4), (.dynamic, 16), (.guided, nil)]

    /// A resolved schedule as the emitted program prints it in its summary: `static`, `dynamic,16`.
    public static func scheduleText(_ schedule: ResolvedSchedule) -> String {
        schedule.kind.rawValue + (schedule.chunksize.map { ",\($0)" } ?? "")
    }

    /// The candidate plans for a grid of `rows` rows: whole sweeps, tiles of several heights and
    /// depths, and bands where the code has them and the team has 2 or more threads.
    public static func candidates(rows: Int, halo: Int, bands: Bool) -> [String] {
        var plans = ["sweeps"]
        for depth in [4, 8, 16, 32, 64] {
            for tileRows in [16, 32, 64, 128, 256] where tileRows < rows && tileRows >= 4 * max(halo, 1) && depth * halo < rows {
                plans.append("tiles:\(depth):\(tileRows)")
            }
        }
        if bands {
            for depth in [3, 5, 7, 11, 15, 31, 63] where depth * halo * 4 < rows {
                for tileRows in [4, 8, 16, 32, 64] where tileRows >= halo {
                    plans.append("bands:\(depth):\(tileRows)")
                }
            }
        }
        return plans
    }

    /// Column tiles for the fastest blocked plans: each of the first two tiles or bands plans of
    /// `ranked` again with its rows cut into tiles of 64 to 1024 columns, where that is at most
    /// half a row of `cols` columns (a tile that stays in a core's own caches when a row does not).
    public static func columnCandidates(ranked: [String], cols: Int, halo: Int) -> [String] {
        let blocked = ranked.filter { $0 != "sweeps" && $0.split(separator: ":").count == 3 }.prefix(2)
        return blocked.flatMap { plan in
            [64, 128, 256, 512, 1024].filter { 2 * $0 <= cols && $0 >= 4 * max(halo, 1) }.map { "\(plan):\($0)" }
        }
    }

    /// Times the candidates and returns the fastest (not stored: the caller does that).
    /// `scheduleVariant` compiles the program with another OpenMP schedule and chunk; without it
    /// (the caller fixed the schedule) only the run-time plans are tuned.
    public func tune(_ result: CompilationResult, stem: String, params: [String], environment: [String: String] = [:],
                     scheduleVariant: ((ScheduleKind, Int?) throws -> CompilationResult)? = nil,
                     progress: ((String) -> Void)? = nil) throws -> TuneOutcome {
        let program = result.program
        // The candidates are timed against the cost model's plan: a STENCILC_PLAN in the caller's
        // environment would replace it (the program reads an empty one as none).
        var environment = environment
        environment["STENCILC_PLAN"] = ""
        guard program.schedule.target == .serial || program.schedule.target == .openmp else {
            throw DriverError(Tuner.targetsMessage(program))
        }
        let executable = try launcher.build(result, stem: stem)
        let threads = Tuner.threads(program)

        // The cost model's plan first, briefly, to size the runs.
        let probe = try run(executable, program: program, params: params, plan: nil, sweeps: 3, environment: environment)
        // The run-time plan cuts the first dimension (a 3-D grid's planes); every dimension's
        // points count.
        let shape = probe.summary["shape"] as? [Int] ?? [probe.summary["rows"] as? Int ?? 1, probe.summary["cols"] as? Int ?? 1]
        let rows = shape.first ?? 0
        let points = Double(shape.reduce(1, *))
        let defaultPlan = (probe.summary["plan"] as? [String: Any])?["spec"] as? String ?? "sweeps"
        let rate = max(probe.mlups, 1)
        let sweeps = max(3, Int(secondsPerRun * rate * 1e6 / points))

        // First the schedule (openmp, 2 or more threads: with one thread every schedule is the
        // same loop), with whole sweeps, where the row loop's schedule is all that differs.
        let original = Tuner.scheduleText(program.schedule)
        var chosen = (text: original, executable: executable, program: program)
        var scheduleTimings: [TuneTiming] = []
        if let scheduleVariant, program.schedule.target == .openmp, threads > 1 {
            var variants = [(text: original, executable: executable, program: program)]
            for (kind, chunk) in Tuner.scheduleCandidates {
                let variant = try scheduleVariant(kind, chunk)
                let text = Tuner.scheduleText(variant.program.schedule)
                guard !variants.contains(where: { $0.text == text }) else { continue }
                progress?("building schedule(\(text))")
                variants.append((text, try launcher.build(variant, stem: stem), variant.program))
            }
            scheduleTimings = variants.map { TuneTiming(plan: $0.text, mlups: []) }
            for round in 0..<finalRepeats {
                for (index, variant) in variants.enumerated() {
                    progress?("schedule round \(round + 1)/\(finalRepeats): \(variant.text)")
                    let outcome = try run(variant.executable, program: program, params: params, plan: "sweeps", sweeps: sweeps,
                                          environment: environment)
                    scheduleTimings[index].mlups.append(outcome.mlups)
                }
            }
            let fastest = scheduleTimings.indices.max { scheduleTimings[$0].median < scheduleTimings[$1].median }!
            chosen = variants[fastest]
        }
        // The cost model's plan under the chosen schedule (bands need plain static blocks).
        var chosenDefault = defaultPlan
        if chosen.text != original {
            let probe = try run(chosen.executable, program: program, params: params, plan: nil, sweeps: 3, environment: environment)
            chosenDefault = (probe.summary["plan"] as? [String: Any])?["spec"] as? String ?? "sweeps"
        }

        // `temporal off` in the schedule asks for whole sweeps, and red-black order and neumann or
        // periodic sides run nothing else (PlanLoops): nothing to choose then.
        let wholeSweepsOnly = program.schedule.temporal == .off || program.loops.colourHalfSweeps || program.loops.boundaryEachSweep
            || program.loops.temporalKinds.isEmpty
        var candidates = wholeSweepsOnly ? ["sweeps"]
            : Tuner.candidates(rows: rows, halo: program.halo, bands: chosen.program.loops.hasLoneSweep && threads > 1)
        if !candidates.contains(chosenDefault) { candidates.insert(chosenDefault, at: 0) }
        var timings: [TuneTiming] = []
        for (index, plan) in candidates.enumerated() {
            progress?("[\(index + 1)/\(candidates.count)] \(plan)")
            let outcome = try run(chosen.executable, program: program, params: params, plan: plan, sweeps: sweeps, environment: environment)
            timings.append(TuneTiming(plan: plan, mlups: [outcome.mlups]))
        }
        // Then the best blocked plans with column tiles (the last dimension cut too).
        let ranked = timings.sorted { $0.median > $1.median }.map(\.plan)
        for plan in Tuner.columnCandidates(ranked: ranked, cols: shape.last ?? 0, halo: program.halo) {
            progress?("[columns] \(plan)")
            let outcome = try run(chosen.executable, program: program, params: params, plan: plan, sweeps: sweeps, environment: environment)
            timings.append(TuneTiming(plan: plan, mlups: [outcome.mlups]))
        }
        // The best few and the default again, alternating, so that a noisy first run decides nothing.
        // The default is what a run without tuning gets: the compiled schedule and the cost model's plan.
        var finalists = Array(timings.sorted { $0.median > $1.median }.prefix(4).map(\.plan))
        if !finalists.contains(chosenDefault) { finalists.append(chosenDefault) }
        var defaultTiming = TuneTiming(plan: defaultPlan, mlups: [])
        for round in 0..<finalRepeats {
            for plan in finalists {
                progress?("final round \(round + 1)/\(finalRepeats): \(plan)")
                let outcome = try run(chosen.executable, program: program, params: params, plan: plan, sweeps: sweeps, environment: environment)
                if let k = timings.firstIndex(where: { $0.plan == plan }) { timings[k].mlups.append(outcome.mlups) }
            }
            if chosen.text != original {
                let outcome = try run(executable, program: program, params: params, plan: defaultPlan, sweeps: sweeps, environment: environment)
                defaultTiming.mlups.append(outcome.mlups)
            }
        }
        let finals = timings.filter { finalists.contains($0.plan) }
        var best = finals.max { $0.median < $1.median }!
        if chosen.text == original { defaultTiming = timings.first { $0.plan == defaultPlan }! }
        // Another schedule is kept only when it beats the default in the same rounds.
        let timedSchedule = chosen.text
        if chosen.text != original && best.median <= defaultTiming.median {
            chosen = (original, executable, program)
            best = defaultTiming
        }
        let formatter = ISO8601DateFormatter()
        let entry = WisdomEntry(plan: best.plan, schedule: chosen.text == original ? nil : chosen.text, mlups: best.median, defaultPlan: defaultPlan, defaultMLUPS: defaultTiming.median,
                                stencil: program.name, params: Tuner.effectiveParams(program, params), threads: threads, cpu: Wisdom.cpuIdentity(),
                                flags: result.emitted.recipe.flags.joined(separator: " "), date: formatter.string(from: Date()))
        return TuneOutcome(scheduleTimings: scheduleTimings, timedSchedule: timedSchedule, schedule: chosen.text, best: best, defaultTiming: defaultTiming, timings: timings, sweeps: sweeps,
                           key: key(result, params: params), entry: entry)
    }

    struct Timed {
        var summary: [String: Any]
        var mlups: Double
    }

    func run(_ executable: String, program: Program, params: [String], plan: String?, sweeps: Int,
             environment: [String: String]) throws -> Timed {
        var options = RunOptions()
        options.params = params
        options.maxIterations = sweeps
        options.json = true
        options.quiet = true
        options.plan = plan
        options.environment = environment
        let job = launcher.runJob(executable: executable, program: program, options: options)
        let outcome = try launcher.execute(job, program: program, capture: true)
        let line = outcome.output.split(separator: "\n").last.map(String.init) ?? ""
        guard let summary = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
              let mlups = summary["mlups"] as? Double else {
            throw DriverError("tune: no JSON summary from the program", toolOutput: outcome.output + outcome.errorOutput)
        }
        return Timed(summary: summary, mlups: mlups)
    }
}
