// Launcher.swift: `stencilc run`: build (through the cache) and run an emitted program.
// The program prints its own summary (human or --json); the launcher passes its output through
// and turns a failure (non-zero exit, a signal) into a clear error.

import Foundation
import StencilCodegen
import StencilIR

public struct RunOptions: Sendable {
    public var params: [String] = []       // NAME=VALUE
    public var outputPath: String?
    /// --input GRID=FILE.npy (repeatable): a grid's initial values from a file.
    public var inputs: [String] = []
    /// --output GRID=FILE.npy (repeatable): any grid's final values.
    public var outputs: [String] = []
    /// Write a heat map of the final field as a PNG (--image).
    public var imagePath: String?
    /// --device SELECTOR for OpenCL programs (else the program reads STENCILC_DEVICE).
    public var device: String?
    /// Stop after this many sweeps at most (benchmarks).
    public var maxIterations: Int?
    public var json = false
    public var quiet = false
    public var printCommands = false
    /// The run-time plan (`--plan KIND[:DEPTH[:TILE_ROWS[:TILE_COLS]]]`) and where it came from ("tuned").
    public var plan: String?
    public var planSource: String?
    /// Variables added to the program's environment (OMP_*, STENCILC_PLAN, STENCILC_DEVICE).
    public var environment: [String: String] = [:]

    public init() {}
}

public struct Launcher: Sendable {
    public let builder: Builder

    public init(builder: Builder) { self.builder = builder }

    /// The program's arguments that choose its run-time plan (`--plan`, `--plan-source`).
    public static func planArguments(_ options: RunOptions) -> [String] {
        var arguments: [String] = []
        if let plan = options.plan { arguments += ["--plan", plan] }
        if let source = options.planSource { arguments += ["--plan-source", source] }
        return arguments
    }

    /// The run command for a built executable (through mpirun for mpi and hybrid).
    public func runJob(executable: String, program: Program, options: RunOptions) -> Job {
        var arguments: [String] = []
        for param in options.params { arguments += ["--param", param] }
        for input in options.inputs { arguments += ["--input", input] }
        if let output = options.outputPath { arguments += ["--output", output] }
        for output in options.outputs { arguments += ["--output", output] }
        if let image = options.imagePath { arguments += ["--image", image] }
        if let device = options.device { arguments += ["--device", device] }
        if let cap = options.maxIterations { arguments += ["--max-iterations", String(cap)] }
        arguments += Launcher.planArguments(options)
        if options.json { arguments.append("--json") }
        if options.quiet { arguments.append("--quiet") }
        switch program.schedule.target {
        case .mpi, .hybrid:
            var job = MPILaunch.forThisMachine(mpirun: builder.toolchain.mpirun)
                .job(program: program, executable: executable, arguments: arguments)
            job.environment.merge(options.environment) { _, new in new }
            return job
        case .serial, .openmp, .opencl:
            return Job(kind: .run, executable: executable, arguments: arguments, environment: options.environment)
        }
    }

    /// Builds and runs; with `capture`, returns the program's output instead of passing it on.
    @discardableResult
    public func run(_ result: CompilationResult, stem: String, options: RunOptions, capture: Bool = false,
                    echo: ((Job) -> Void)? = nil) throws -> ProcessResult {
        try preflight(result.program, options: options)
        let executable = try build(result, stem: stem, echo: echo)
        let job = runJob(executable: executable, program: result.program, options: options)
        echo?(job)
        return try execute(job, program: result.program, capture: capture)
    }

    /// Checks what can be checked before building: for mpi and hybrid, the MPI tools and that the
    /// grid splits over the ranks.
    public func preflight(_ program: Program, options: RunOptions) throws {
        if Launcher.isDistributed(program) {
            try MPILaunch.preflight(program, params: options.params, toolchain: builder.toolchain)
        }
    }

    /// Builds through the cache and returns the executable (bench builds once, runs many times).
    /// With `shared`, a shared library exporting `stencil_entry` (serial, openmp, opencl).
    public func build(_ result: CompilationResult, stem: String, shared: Bool = false,
                      echo: ((Job) -> Void)? = nil) throws -> String {
        if shared && Launcher.isDistributed(result.program) {
            throw DriverError("--shared builds a library for serial, openmp and opencl; target '\(result.program.schedule.target.rawValue)' runs through mpirun")
        }
        let plan = try builder.plan(result.emitted, stem: stem, shared: shared)
        try builder.execute(plan, echo: echo)
        return plan.executable
    }

    /// Runs a job from `runJob`, turning a non-zero exit or a signal into a DriverError.
    @discardableResult
    public func execute(_ job: Job, program: Program, capture: Bool) throws -> ProcessResult {
        let distributed = Launcher.isDistributed(program)
        var outcome = try ProcessRunner.run(job, capture: capture, captureErrors: distributed)
        if distributed {
            // mpirun's stderr, without Open MPI's banners about a rank's exit status when the
            // program said what went wrong itself; shown as the program's own stderr would be.
            outcome.errorOutput = MPILaunch.tidyErrors(outcome.errorOutput, status: outcome.status)
            if !capture {
                FileHandle.standardError.write(Data(outcome.errorOutput.utf8))
                outcome.errorOutput = ""
            }
        }
        if outcome.signaled {
            throw DriverError("the program was killed by signal \(outcome.status)", toolOutput: outcome.errorOutput,
                              exitCode: 128 + outcome.status)
        }
        if outcome.status != 0 && distributed {
            // Rank 0 printed the program's own error, or mpirun its reason for not starting it.
            throw DriverError("the MPI run failed: \(job.executable) exited with status \(outcome.status) "
                              + "(\(program.schedule.ranks) ranks)", toolOutput: outcome.errorOutput,
                              exitCode: outcome.status)
        }
        if outcome.status != 0 {
            // The program already printed its own error (st_fatal) on stderr.
            throw DriverError("the program exited with status \(outcome.status)", toolOutput: outcome.errorOutput,
                              exitCode: outcome.status)
        }
        return outcome
    }

    /// `GRID=FILE` of --input and --output split into the grid name and the file, or nil when
    /// `text` does not start with an identifier and `=` (then --output takes it as a plain path).
    public static func gridFile(_ text: String) -> (grid: String, file: String)? {
        guard let equals = text.firstIndex(of: "=") else { return nil }
        let name = text[..<equals]
        guard let first = name.first, first == "_" || (first.isASCII && first.isLetter),
              name.allSatisfy({ $0 == "_" || ($0.isASCII && ($0.isLetter || $0.isNumber)) }) else { return nil }
        return (String(name), String(text[text.index(after: equals)...]))
    }

    static func isDistributed(_ program: Program) -> Bool {
        program.schedule.target == .mpi || program.schedule.target == .hybrid
    }
}
