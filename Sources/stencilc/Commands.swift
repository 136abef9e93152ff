// Commands.swift: the subcommands. Each parses, calls StencilDriver, prints, and exits.

import ArgumentParser
import Foundation
import StencilDriver
import StencilIR

/// Runs a command body, turning driver errors into `stencilc: error: ...` and an exit status.
func reportingErrors(_ body: () throws -> Void) throws {
    // Ctrl-C reaches stencilc alone (its tools run in their own process group): pass it on.
    Interruption.install()
    do {
        try body()
    } catch let errors as SourceErrors {
        FileHandle.standardError.write(Data(errors.rendered.utf8))
        throw ExitCode(1)
    } catch let error as DriverError {
        var text = "stencilc: error: \(error.message)\n"
        if !error.toolOutput.isEmpty {
            text += error.toolOutput.hasSuffix("\n") ? error.toolOutput : error.toolOutput + "\n"
        }
        FileHandle.standardError.write(Data(text.utf8))
        throw ExitCode(error.exitCode == 0 ? 1 : error.exitCode)
    }
}

func printError(_ text: String) {
    FileHandle.standardError.write(Data(text.utf8))
}

/// Compiles with the shared flags, printing warnings and the IR as asked.
func compile(_ file: String, _ scheduleOptions: ScheduleOptions, _ debug: DebugOptions, stem: String? = nil) throws -> CompilationResult {
    let (target, overrides) = try scheduleOptions.resolved()
    let observe: ((String, Program) -> Void)? = debug.printIRAfterAll
        ? { pass, program in printError("// IR after \(pass)\n" + IRPrinter.program(program) + "\n") }
        : nil
    let result = try Compilation.compile(path: file, target: target, overrides: overrides, stem: stem,
                                         cflags: Compilation.cflags(option: debug.cflags), observe: observe)
    if !result.warnings.isEmpty { printError(result.warnings) }
    return result
}

/// The program compiled again with another OpenMP schedule and chunk: the tuner's candidates, and
/// a schedule `stencilc tune` stored. Nil when the command line fixes the schedule (then tuning
/// keeps it).
func scheduleVariants(_ file: String, _ scheduleOptions: ScheduleOptions, _ debug: DebugOptions)
    -> ((ScheduleKind, Int?) throws -> CompilationResult)? {
    guard scheduleOptions.schedule == nil && scheduleOptions.chunksize == nil else { return nil }
    return { kind, chunksize in
        var (target, overrides) = try scheduleOptions.resolved()
        overrides.kind = kind
        overrides.chunksize = chunksize
        return try Compilation.compile(path: file, target: target, overrides: overrides, cflags: Compilation.cflags(option: debug.cflags))
    }
}

/// `dynamic,16` as a schedule kind and chunk.
func parseScheduleText(_ text: String) -> (ScheduleKind, Int?)? {
    let parts = text.split(separator: ",").map(String.init)
    guard let kind = ScheduleKind(rawValue: parts.first ?? "") else { return nil }
    return (kind, parts.count > 1 ? Int(parts[1]) : nil)
}

struct Emit: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Emit C for a target (the default subcommand).")

    @Argument(help: "The stencil program (.st).") var file: String
    @Option(name: .shortAndLong, help: "Output file (default, or '-': standard output). An OpenCL kernel goes beside it as .cl.")
    var output: String?
    @OptionGroup var scheduleOptions: ScheduleOptions
    @OptionGroup var debug: DebugOptions

    func run() throws {
        try reportingErrors {
            // "-o -" is standard output, as for cc and most Unix tools, not a file named "-".
            let output = self.output == "-" ? nil : self.output
            if let output {
                let base = output.hasSuffix(".c") ? String(output.dropLast(2)) : output
                for path in [output, base + ".cl"] { try OutputFiles.refuseOverwriting(source: file, with: path, option: "-o") }
                try OutputFiles.checkWritable(output, option: "-o")
                try OutputFiles.refuseNonCName(output)
            }
            // The head comment names the file as written: its build commands must find it.
            let stem = output.map { Compilation.emittedStem($0) }
            let result = try compile(file, scheduleOptions, debug, stem: stem)
            guard let output else {
                FileHandle.standardOutput.write(Data(result.emitted.source.utf8))
                return
            }
            try OutputFiles.write(result.emitted, to: output)
        }
    }
}

struct Run: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Compile (reusing earlier builds) and run, printing a summary.")

    @Argument(help: "The stencil program (.st).") var file: String
    @Option(name: .customLong("param"), help: "Override a param: NAME=VALUE (repeatable).")
    var params: [String] = []
    @Option(help: "Read a grid's initial values from a NumPy .npy file: GRID=FILE.npy (repeatable; same shape and dtype as the grid, C order). Replaces the grid's init; its boundary statements still apply.")
    var input: [String] = []
    @Option(help: "Write the final grid as a NumPy .npy file: FILE.npy (the updated grid) or GRID=FILE.npy (any grid; repeatable).")
    var output: [String] = []
    @Option(help: "Write a heat map of the final field with a colour bar (viridis) as a PNG file.") var image: String?
    @Option(name: .customLong("max-iterations"), parsing: .unconditional, help: "Stop after at most this many sweeps (for timing a fixed amount of work).")
    var maxIterations: Int?
    @Flag(help: "Print the summary as one JSON object.") var json = false
    @Flag(help: "No progress output.") var quiet = false
    @Option(help: "OpenCL device: INDEX, P:D or a name substring (default: $STENCILC_DEVICE, else the first GPU, else the first device). `stencilc devices` lists them.")
    var device: String?
    @Flag(name: .customLong("print-commands"), help: "Show the compiler and run commands (to stderr).")
    var printCommands = false
    @Flag(help: "Tune first (stencilc tune) when no plan is stored for this program, size, threads, compiler and CPU.")
    var tune = false
    @Option(help: "The run-time plan: sweeps, tiles[:DEPTH[:TILE_ROWS[:TILE_COLS]]] or bands[:...] (as STENCILC_PLAN; wins over a stored plan).")
    var plan: String?
    @OptionGroup var scheduleOptions: ScheduleOptions
    @OptionGroup var debug: DebugOptions

    func validate() throws {
        if let maxIterations, maxIterations < 1 {
            throw ValidationError("--max-iterations expects a positive integer, got \(maxIterations)")
        }
        if let image, !image.lowercased().hasSuffix(".png") {
            throw ValidationError("--image writes a PNG; name the file FILE.png, got '\(image)'")
        }
    }

    func run() throws {
        try reportingErrors {
            for param in params where !param.contains("=") {
                throw DriverError("--param expects NAME=VALUE, got '\(param)'")
            }
            // GRID=FILE forms only; the program checks the names, shapes and dtypes.
            var inputs: [String] = []
            for text in input {
                guard let (grid, file) = Launcher.gridFile(text), !file.isEmpty else {
                    throw DriverError("--input expects GRID=FILE.npy (a grid name, '=', a file), got '\(text)'")
                }
                inputs.append("\(grid)=\(URL(fileURLWithPath: file).path)")
            }
            var outputs: [String] = []
            var outputPath: String?
            for text in output {
                if let (grid, path) = Launcher.gridFile(text) {
                    guard !path.isEmpty else { throw DriverError("--output \(text): no file after '='") }
                    try OutputFiles.refuseOverwriting(source: file, with: path, option: "--output")
                    outputs.append("\(grid)=\(URL(fileURLWithPath: path).path)")
                } else {
                    try OutputFiles.refuseOverwriting(source: file, with: text, option: "--output")
                    outputPath = URL(fileURLWithPath: text).path
                }
            }
            var result = try compile(file, scheduleOptions, debug)
            if device != nil && result.program.schedule.target != .opencl {
                throw DriverError("--device chooses an OpenCL device; target '\(result.program.schedule.target.rawValue)' runs on the host (use --target opencl)")
            }
            let toolchain = try Toolchain.fromEnvironment()
            let launcher = Launcher(builder: Builder(toolchain: toolchain, cache: BuildCache.defaultCache()))
            var options = RunOptions()
            options.params = params
            options.outputPath = outputPath
            options.inputs = inputs
            options.outputs = outputs
            options.imagePath = image.map { URL(fileURLWithPath: $0).path }
            options.json = json
            options.quiet = quiet
            options.device = device
            options.maxIterations = maxIterations
            if let plan {
                // The user's plan is the plan: the program checks it ("given by --plan").
                if tune && !quiet { printError("stencilc: --plan chooses the plan; --tune does nothing with it\n") }
                options.plan = plan
            } else if let stored = try storedPlan(result, launcher: launcher) {
                options.plan = stored.plan
                options.planSource = "tuned"
                // A tuned OpenMP schedule is a compile-time clause: build that variant.
                if let text = stored.schedule, let (kind, chunksize) = parseScheduleText(text),
                   let variant = scheduleVariants(file, scheduleOptions, debug) {
                    result = try variant(kind, chunksize)
                }
            }
            try launcher.run(result, stem: Compilation.defaultStem(file), options: options,
                             echo: printCommands ? { printError("\($0)\n") } : nil)
        }
    }
}

extension Run {
    /// The plan `stencilc tune` stored for this run (serial and openmp), tuning first with --tune.
    func storedPlan(_ result: CompilationResult, launcher: Launcher) throws -> WisdomEntry? {
        let target = result.program.schedule.target
        guard target == .serial || target == .openmp else {
            if tune { throw DriverError("--tune: \(Tuner.targetsMessage(result.program))") }
            return nil
        }
        // A plan the user gave (STENCILC_PLAN) is the plan: the program reads it itself.
        if let given = Wisdom.givenPlan() {
            if tune && !quiet { printError("stencilc: STENCILC_PLAN=\(given) chooses the plan; --tune does nothing while it is set\n") }
            return nil
        }
        let tuner = Tuner(launcher: launcher)
        let wisdom = Wisdom.default()
        let (entries, problem) = wisdom.read()
        if let problem, !tune { printError("stencilc: warning: the tuned plans in '\(wisdom.path)' cannot be read (\(problem)): none is used\n") }
        if let entry = entries[tuner.key(result, params: params)] { return entry }
        guard tune else { return nil }
        try wisdom.checkStorable()
        if !quiet { printError("stencilc: no tuned plan stored for this run: tuning first (stencilc tune)\n") }
        let outcome = try tuner.tune(result, stem: Compilation.defaultStem(file), params: params,
                                     scheduleVariant: scheduleVariants(file, scheduleOptions, debug))
        try wisdom.store(outcome.entry, for: outcome.key)
        if !quiet { printError("stencilc: tuned: \(outcome.best.plan)\(outcome.entry.schedule.map { ", schedule(\($0))" } ?? "") (\(Int(outcome.best.median)) MLUP/s; the default \(outcome.defaultTiming.plan) \(Int(outcome.defaultTiming.median)))\n") }
        return outcome.entry
    }
}

struct Tune: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Time the schedules and run-time plans of a serial or openmp program on this machine and store the fastest.",
        discussion: """
            For openmp with 2 or more threads, the OpenMP schedule comes first: static, static,8, \
            dynamic,4, dynamic,16 and guided (one build each; a --schedule or --chunksize given here \
            is kept instead), timed with whole sweeps. Then the run-time plans: whole sweeps, tiles \
            (depths 4 to 64, 16 to 256 rows), and bands (depths 3 to 63, tiles of 4 to 64 rows) where \
            the program and team can run them. Each run starts from \
            the same initial field in a process of its own and runs a fixed number of sweeps (about \
            --seconds-per-run each); the best few and the default run again, alternating, and the \
            fastest median wins. It is stored in $STENCILC_WISDOM (else wisdom.json in the build \
            cache) under a key of the emitted program, the params, threads, ranks, compiler, flags \
            and CPU; `stencilc run` with the same settings uses it. Every plan gives the same bits.
            """)

    @Argument(help: "The stencil program (.st).") var file: String
    @Option(name: .customLong("param"), help: "Override a param: NAME=VALUE (repeatable).")
    var params: [String] = []
    @Option(name: .customLong("seconds-per-run"), parsing: .unconditional, help: "About how long each timed run lasts.")
    var secondsPerRun = 0.25
    @Flag(help: "Print the result as one JSON object.") var json = false
    @Flag(help: "No progress output.") var quiet = false
    @OptionGroup var scheduleOptions: ScheduleOptions
    @OptionGroup var debug: DebugOptions

    func validate() throws {
        guard secondsPerRun > 0, secondsPerRun <= 3600 else {
            throw ValidationError("--seconds-per-run must be a positive number of seconds, up to 3600, got \(secondsPerRun)")
        }
    }

    func run() throws {
        try reportingErrors {
            for param in params where !param.contains("=") {
                throw DriverError("--param expects NAME=VALUE, got '\(param)'")
            }
            let result = try compile(file, scheduleOptions, debug)
            let launcher = Launcher(builder: Builder(toolchain: try Toolchain.fromEnvironment(), cache: BuildCache.defaultCache()))
            var tuner = Tuner(launcher: launcher)
            tuner.secondsPerRun = secondsPerRun
            // Progress rewrites one line on a terminal; a log gets a line per candidate.
            let live = isatty(2) != 0
            let wisdom = Wisdom.default()
            try wisdom.checkStorable()
            let outcome = try tuner.tune(result, stem: Compilation.defaultStem(file), params: params,
                                         scheduleVariant: scheduleVariants(file, scheduleOptions, debug),
                                         progress: quiet || json ? nil : { printError(live ? "\r\u{1B}[K tune \($0)" : "tune \($0)\n") })
            if !quiet && !json && live { printError("\r\u{1B}[K") }
            try wisdom.store(outcome.entry, for: outcome.key)
            if json {
                let object: [String: Any] = [
                    "stencil": result.program.name, "plan": outcome.best.plan, "mlups": outcome.best.median,
                    "schedule": outcome.schedule, "schedules": outcome.scheduleTimings.map { ["schedule": $0.plan, "mlups": $0.median] },
                    "default_plan": outcome.defaultTiming.plan, "default_mlups": outcome.defaultTiming.median,
                    "sweeps_per_run": outcome.sweeps, "candidates": outcome.timings.count, "stored": wisdom.path,
                    "threads": outcome.entry.threads, "params": outcome.entry.params,
                ]
                let data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
                print(String(decoding: data, as: UTF8.self))
                return
            }
            print("\(result.program.name): \(outcome.entry.params.joined(separator: " ")), target \(result.program.schedule.target.rawValue), \(outcome.entry.threads) thread\(outcome.entry.threads == 1 ? "" : "s")")
            if !outcome.scheduleTimings.isEmpty {
                print("  OpenMP schedules, whole sweeps, medians of \(tuner.finalRepeats):")
                for timing in outcome.scheduleTimings.sorted(by: { $0.median > $1.median }) {
                    let mark = timing.plan == outcome.timedSchedule ? " <- fastest" : ""
                    print("  schedule(\(timing.plan))".padding(toLength: 24, withPad: " ", startingAt: 0) + String(format: "%9.1f", timing.median) + " MLUP/s\(mark)")
                }
            }
            print("  \(outcome.timings.count) plans, \(outcome.sweeps) sweeps each, schedule(\(outcome.timedSchedule)); medians of the finalists:")
            let finals = outcome.timings.filter { $0.mlups.count > 1 }.sorted { $0.median > $1.median }
            for timing in finals {
                let mark = outcome.timedSchedule == outcome.schedule && timing.plan == outcome.best.plan ? " <- stored" : timing.plan == outcome.defaultTiming.plan ? " (default)" : ""
                print("  \(timing.plan.padding(toLength: 14, withPad: " ", startingAt: 0)) \(String(format: "%9.1f", timing.median)) MLUP/s\(mark)")
            }
            if outcome.timedSchedule != outcome.schedule {
                print("  schedule(\(outcome.timedSchedule)) did not beat the default in the final rounds "
                      + "(\(Int(outcome.defaultTiming.median)) MLUP/s): kept schedule(\(outcome.schedule)) and \(outcome.best.plan)")
            }
            print(String(format: "  tuned / default = %.2f", outcome.best.median / max(outcome.defaultTiming.median, 1e-9)))
            print("  stored in \(wisdom.path); `stencilc run` with the same settings uses it")
        }
    }
}

struct Check: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Check a program and print its diagnostics.")

    @Argument(help: "The stencil program (.st).") var file: String

    func run() throws {
        try reportingErrors {
            let source = try Compilation.load(file)
            let (checked, warnings) = try Compilation.check(source)
            if !warnings.isEmpty { printError(warnings) }
            print("\(file): ok (stencil \(checked.name))")
        }
    }
}

struct Explain: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Explain what the compiler decided for a target: halo, sharing, clauses, the MPI decomposition, the IR.")

    @Argument(help: "The stencil program (.st).") var file: String
    @Option(name: .customLong("param"), help: "Size the plan with a param: NAME=VALUE (repeatable).")
    var params: [String] = []
    @OptionGroup var scheduleOptions: ScheduleOptions
    @OptionGroup var debug: DebugOptions

    func run() throws {
        try reportingErrors {
            let result = try compile(file, scheduleOptions, debug)
            print(StencilDriver.Explain.text(result.program, params: params), terminator: "")
            let target = result.program.schedule.target
            guard target == .serial || target == .openmp else { return }
            let launcher = Launcher(builder: Builder(toolchain: try Toolchain.fromEnvironment(), cache: BuildCache.defaultCache()))
            let shown = params.isEmpty ? "the default params" : params.joined(separator: " ")
            if let given = Wisdom.givenPlan() {
                print("\nSTENCILC_PLAN=\(given) is set: `stencilc run` uses it, whatever is stored")
            } else if let stored = Wisdom.default().lookup(Tuner(launcher: launcher).key(result, params: params)) {
                print("\nStored plan for \(shown), \(stored.threads) thread\(stored.threads == 1 ? "" : "s"): \(stored.plan)"
                      + (stored.schedule.map { " with schedule(\($0)) (run rebuilds with it)" } ?? "") + " (tuned \(stored.date): "
                      + "\(Int(stored.mlups)) MLUP/s against \(Int(stored.defaultMLUPS)) for the default \(stored.defaultPlan)); `stencilc run` uses it")
            } else {
                print("\nNo tuned plan stored for \(shown) on this machine: `stencilc run` uses the cost model (`stencilc tune` to measure)")
            }
        }
    }
}

struct Build: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Compile (reusing earlier builds) and print the path of what was built.",
        discussion: """
            Without --shared, the executable `stencilc run` runs. With --shared (serial, openmp, \
            opencl), a shared library lib<stem>.so exporting `int stencil_entry(int argc, char **argv, \
            st_memory_io *io)` (runtime/stencil_runtime.h): the program called in-process, as \
            stencilc's Python package does.
            """)

    @Argument(help: "The stencil program (.st).") var file: String
    @Flag(help: "Build a shared library (lib<stem>.so) with the library entry point.") var shared = false
    @Flag(name: .customLong("print-commands"), help: "Show the compiler commands (to stderr).")
    var printCommands = false
    @OptionGroup var scheduleOptions: ScheduleOptions
    @OptionGroup var debug: DebugOptions

    func run() throws {
        try reportingErrors {
            let result = try compile(file, scheduleOptions, debug)
            let launcher = Launcher(builder: Builder(toolchain: try Toolchain.fromEnvironment(), cache: BuildCache.defaultCache()))
            let path = try launcher.build(result, stem: Compilation.defaultStem(file), shared: shared,
                                          echo: printCommands ? { printError("\($0)\n") } : nil)
            print(path)
        }
    }
}

struct RuntimeDir: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "runtime-dir", abstract: "Print where stencilc's C runtime is (for building emitted code by hand).")

    func run() throws {
        try reportingErrors {
            print(try Toolchain.fromEnvironment().runtimeDirectory)
        }
    }
}

struct Verify: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run a program on every target this machine can run and compare each with serial.",
        discussion: """
            Runs serial (the reference), openmp at 1 to 3 threads under every schedule kind and a
            tile, mpi and hybrid at several rank counts and both decompositions, and opencl on each
            device, whichever this stencilc and machine have (the others are listed as skipped, with
            why). CPU targets must agree bit for bit; opencl within a float rounding tolerance.
            Params that size grids are set to a small size (--size) unless --param sets them.
            Exits with status 1 on any disagreement or failed run.
            """)

    @Argument(help: "The stencil program (.st).") var file: String
    @Option(name: .customLong("param"), help: "Override a param: NAME=VALUE (repeatable).")
    var params: [String] = []
    @Option(help: "The value of params that size grids, unless --param sets them.")
    var size: Int = 29
    @Option(name: .customLong("max-iterations"), parsing: .unconditional, help: "Stop every run after at most this many sweeps.")
    var maxIterations: Int?

    func validate() throws {
        if size < 1 { throw ValidationError("--size must be at least 1") }
        if let maxIterations, maxIterations < 1 { throw ValidationError("--max-iterations must be at least 1") }
    }

    func run() throws {
        try reportingErrors {
            for param in params where !param.contains("=") {
                throw DriverError("--param expects NAME=VALUE, got '\(param)'")
            }
            var verifier = Verifier(toolchain: try Toolchain.fromEnvironment(), cache: BuildCache.defaultCache())
            verifier.smallSize = size
            verifier.maxIterations = maxIterations
            let rows = try verifier.verify(path: file, params: params, onStart: { params in
                let shown = params.isEmpty ? "" : " with " + params.map { "--param \($0)" }.joined(separator: " ")
                FileHandle.standardOutput.write(Data("verify \(file)\(shown)\n\(Verifier.header)\n".utf8))
            }) { row in
                // Unbuffered, so a long verify shows its rows as they come.
                FileHandle.standardOutput.write(Data((Verifier.row(row) + "\n").utf8))
            }
            let failures = rows.filter(\.isFailure).count
            let compared = rows.filter { if case .agrees = $0.verdict { return true } else { return $0.isFailure } }.count
            if failures > 0 {
                throw DriverError("\(failures) of \(compared) runs disagree with the serial reference or failed")
            }
            print("all \(compared) runs agree with the serial reference")
        }
    }
}

struct Devices: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "List the OpenCL platforms and devices (for --device and STENCILC_DEVICE).",
        discussion: """
            Builds runtime/stencil_devices.c once (cached) and runs it. Each device shows its flat \
            index and its PLATFORM:DEVICE pair, either of which --device takes, as it takes a \
            case-insensitive substring of the name. Exit status 1 when the ICD loader finds no device.
            """)

    @Flag(help: "One JSON object: {\"devices\": [{\"index\", \"selector\", \"name\", \"type\", ...}]}.")
    var json = false
    @Flag(name: .customLong("print-commands"), help: "Show the compiler and run commands (to stderr).")
    var printCommands = false

    func run() throws {
        var status: Int32 = 0
        try reportingErrors {
            let toolchain = try Toolchain.fromEnvironment()
            let builder = Builder(toolchain: toolchain, cache: BuildCache.defaultCache())
            status = try DeviceListing.run(builder: builder, json: json,
                                           echo: printCommands ? { printError("\($0)\n") } : nil).status
        }
        // The lister has said why (no platform, no device) on stderr.
        if status != 0 { throw ExitCode(status) }
    }
}
