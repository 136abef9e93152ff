// Verify.swift: `stencilc verify`: one program on every target this machine can run, each
// compared with the serial target. The targets come from the driver itself: a target is tried
// when `Backends.backend(for:)` has a backend for it and its tools (mpicc/mpirun, an OpenCL
// device) are present; otherwise its row says why it was skipped. So the mpi, hybrid and opencl
// rows appear by themselves in a stencilc that has those backends.
//   path + params -> reference run (serial) -> one run per configuration -> rows -> table

import Foundation
import StencilCodegen
import StencilFrontend
import StencilIR

/// How far a target may be from the serial reference.
public enum VerifyTolerance {
    /// CPU targets (serial, openmp, mpi, hybrid) run the same C with the same rounding: bitwise.
    /// OpenCL is bitwise too for + - * / sqrt abs min max (correctly rounded everywhere); its
    /// exp, sin and cos may differ from glibc's by a few ulp (OpenCL allows 3-4), so an update
    /// that calls them must agree within this fraction of the grid's scale (its largest
    /// magnitude, at least 1): the opencl target's own tests use the same bound. Iteration
    /// counts must always agree. Adjust here if a device needs more.
    public static let openCLTranscendental = 0x1p-17

    /// nil: bitwise; else the largest difference allowed, relative to the grid's scale.
    public static func relative(for target: Target, program: Program) -> Double? {
        switch target {
        case .serial, .openmp, .mpi, .hybrid: return nil
        case .opencl: return program.updates.contains { callsInexactFunctions($0.value) } ? openCLTranscendental : nil
        }
    }

    static func callsInexactFunctions(_ expr: IRExpr) -> Bool {
        switch expr {
        case .constant, .param, .read, .index: return false
        case .negate(let operand): return callsInexactFunctions(operand)
        case .binary(_, let left, let right): return callsInexactFunctions(left) || callsInexactFunctions(right)
        case .call(let function, let arguments):
            switch function {
            case .exp, .sin, .cos: return true
            case .abs, .min, .max, .sqrt: return arguments.contains(where: callsInexactFunctions)
            }
        }
    }
}

/// One run of the program: a target with schedule overrides and environment.
public struct VerifyConfiguration: Sendable {
    public var target: Target
    public var overrides: Schedule
    public var environment: [String: String]
    /// Shown when the run itself cannot say (it failed).
    public var label: String

    public init(target: Target, overrides: Schedule = Schedule(), environment: [String: String] = [:], label: String) {
        self.target = target
        self.overrides = overrides
        self.environment = environment
        self.label = label
    }
}

/// A row of the table.
public struct VerifyRow: Sendable {
    public enum Verdict: Sendable, Equatable {
        case reference
        case agrees(bitwise: Bool)
        case differs(String)
        case failed(String)
        case skipped(String)
    }

    public var target: Target
    public var configuration: String
    public var iterations: Int?
    public var largestDifference: Double?
    public var verdict: Verdict

    /// A disagreement or a failed run: `verify` exits non-zero.
    public var isFailure: Bool {
        switch verdict {
        case .differs, .failed: return true
        case .reference, .agrees, .skipped: return false
        }
    }

    public var verdictText: String {
        switch verdict {
        case .reference: return "reference"
        case .agrees(let bitwise): return bitwise ? "ok (bitwise)" : "ok (within tolerance)"
        case .differs(let why): return "DIFFERS: \(why)"
        case .failed(let why): return "FAILED: \(why)"
        case .skipped(let why): return "skipped: \(why)"
        }
    }
}

public struct Verifier: Sendable {
    public var toolchain: Toolchain
    public var cache: BuildCache
    /// The value given to every param that sizes a grid (unless --param sets it): small, odd, and
    /// not a multiple of 2, 3 or 4, so blocks of threads and ranks come out uneven.
    public var smallSize = 29
    public var maxIterations: Int?

    public init(toolchain: Toolchain, cache: BuildCache) {
        self.toolchain = toolchain
        self.cache = cache
    }

    // MARK: What to run

    /// The configurations of a target on this machine, or why it cannot run here.
    public func configurations(for target: Target) -> Result<[VerifyConfiguration], VerifySkip> {
        guard Backends.backend(for: target) != nil else {
            return .failure(VerifySkip("this stencilc has no \(target.rawValue) backend"))
        }
        switch target {
        case .serial:
            guard ProcessRunner.which(toolchain.cc) != nil else { return .failure(VerifySkip("no C compiler '\(toolchain.cc)'")) }
            return .success([VerifyConfiguration(target: .serial, label: "1 thread")])
        case .openmp:
            guard ProcessRunner.which(toolchain.cc) != nil else { return .failure(VerifySkip("no C compiler '\(toolchain.cc)'")) }
            return .success(Verifier.openMPRuns.map { run in
                var schedule = Schedule()
                schedule.numThreads = run.threads
                schedule.kind = run.kind
                schedule.chunksize = run.chunk
                schedule.tile = run.tile
                return VerifyConfiguration(target: .openmp, overrides: schedule, label: run.label)
            })
        case .mpi, .hybrid:
            for tool in [toolchain.mpicc, toolchain.mpirun] where ProcessRunner.which(tool) == nil {
                return .failure(VerifySkip("'\(tool)' not found (install Open MPI, or set STENCILC_MPICC / STENCILC_MPIRUN)"))
            }
            let runs = target == .mpi ? Verifier.mpiRuns : Verifier.hybridRuns
            return .success(runs.map { run in
                var schedule = Schedule()
                schedule.ranks = run.ranks
                schedule.decompose = run.decompose
                if target == .hybrid { schedule.numThreads = run.threads }
                return VerifyConfiguration(target: target, overrides: schedule, label: run.label)
            })
        case .opencl:
            switch OpenCLDevices.list(toolchain: toolchain, cache: cache) {
            case .failure(let why): return .failure(why)
            case .success(let devices):
                let usable = devices.filter(\.available)
                guard !usable.isEmpty else { return .failure(VerifySkip("no available OpenCL device")) }
                return .success(usable.map {
                    VerifyConfiguration(target: .opencl, environment: ["STENCILC_DEVICE": $0.selector],
                                        label: "device \($0.selector) \($0.name)")
                })
            }
        }
    }

    /// 1 and several threads, every schedule kind, with and without chunks, and a tile (the
    /// numerical tests use the same schedules, so their builds are shared through the cache).
    static let openMPRuns: [(threads: Int, kind: ScheduleKind, chunk: Int?, tile: [Int]?, label: String)] = [
        (1, .static, nil, nil, "1 thread, static"),
        (2, .static, nil, nil, "2 threads, static"),
        (2, .static, 3, nil, "2 threads, static,3"),
        (2, .dynamic, nil, nil, "2 threads, dynamic"),
        (2, .dynamic, 5, nil, "2 threads, dynamic,5"),
        (2, .guided, nil, nil, "2 threads, guided"),
        (2, .guided, 2, nil, "2 threads, guided,2"),
        (3, .auto, nil, nil, "3 threads, auto"),
        (2, .static, nil, [5, 7], "2 threads, static, tiles"),
    ]

    static let mpiRuns: [(ranks: Int, decompose: Decomposition, threads: Int, label: String)] = [
        (1, .rows, 1, "1 rank, rows"), (2, .rows, 1, "2 ranks, rows"), (3, .rows, 1, "3 ranks, rows"),
        (4, .rows, 1, "4 ranks, rows"), (2, .grid, 1, "2 ranks, grid"), (4, .grid, 1, "4 ranks, grid"),
    ]

    static let hybridRuns: [(ranks: Int, decompose: Decomposition, threads: Int, label: String)] = [
        (2, .rows, 2, "2 ranks x 2 threads, rows"), (3, .rows, 2, "3 ranks x 2 threads, rows"),
        (4, .grid, 2, "4 ranks x 2 threads, grid"),
    ]

    // MARK: Running

    /// The params every run gets: the user's, plus `smallSize` for each param that sizes a grid
    /// (when its default is larger).
    public func params(for checked: CheckedStencil, given: [String]) -> [String] {
        let givenNames = Set(given.compactMap { $0.split(separator: "=", maxSplits: 1).first.map(String.init) })
        var sizeParams: [String] = []
        for grid in checked.grids {
            for extent in grid.extents {
                if case .param(let name) = extent, !sizeParams.contains(name) { sizeParams.append(name) }
            }
        }
        var result = given
        for name in sizeParams where !givenNames.contains(name) {
            guard let param = checked.params.first(where: { $0.name == name }), param.value > Double(smallSize) else { continue }
            result.append("\(name)=\(smallSize)")
        }
        return result
    }

    /// Runs `path` on every target; `onRow` sees each row as soon as it is known (serial first).
    /// Throws for errors in the file itself (diagnostics) and when the reference cannot run.
    @discardableResult
    public func verify(path: String, params given: [String], onStart: ([String]) -> Void = { _ in },
                       onRow: (VerifyRow) -> Void = { _ in }) throws -> [VerifyRow] {
        let (checked, _) = try Compilation.check(try Compilation.load(path))
        let params = params(for: checked, given: given)
        onStart(params)
        var rows: [VerifyRow] = []
        func emit(_ row: VerifyRow) { rows.append(row); onRow(row) }

        guard case .success(let serialRuns) = configurations(for: .serial), let serial = serialRuns.first else {
            throw DriverError("verify needs the serial target as its reference, and it cannot run here")
        }
        let reference: RunRecord
        do {
            reference = try run(path, serial, params: params)
        } catch let error as DriverError {
            emit(VerifyRow(target: .serial, configuration: serial.label, verdict: .failed(Verifier.brief(error))))
            return rows
        }
        emit(VerifyRow(target: .serial, configuration: reference.label, iterations: reference.iterations,
                       largestDifference: nil, verdict: .reference))

        for target in Target.allCases {
            let runs: [VerifyConfiguration]
            switch configurations(for: target) {
            case .failure(let skip):
                emit(VerifyRow(target: target, configuration: "-", verdict: .skipped(skip.reason)))
                continue
            case .success(let list):
                runs = target == .serial ? [] : list
            }
            for configuration in runs {
                emit(compare(path, configuration, params: params, reference: reference))
            }
        }
        return rows
    }

    /// One configuration against the reference.
    func compare(_ path: String, _ configuration: VerifyConfiguration, params: [String], reference: RunRecord) -> VerifyRow {
        let outcome: RunRecord
        do {
            outcome = try run(path, configuration, params: params)
        } catch let error as NotApplicable {
            return VerifyRow(target: configuration.target, configuration: configuration.label, verdict: .skipped(error.reason))
        } catch let error as DriverError {
            return VerifyRow(target: configuration.target, configuration: configuration.label,
                             verdict: .failed(Verifier.brief(error)))
        } catch {
            return VerifyRow(target: configuration.target, configuration: configuration.label,
                             verdict: .failed("\(error)"))
        }
        var row = VerifyRow(target: configuration.target, configuration: outcome.label, iterations: outcome.iterations,
                            largestDifference: nil, verdict: .agrees(bitwise: true))
        guard outcome.field.shape == reference.field.shape, outcome.field.descr == reference.field.descr else {
            row.verdict = .differs("the field is \(outcome.field.shapeText) \(outcome.field.descr), the reference's \(reference.field.shapeText) \(reference.field.descr)")
            return row
        }
        let tolerance = VerifyTolerance.relative(for: configuration.target, program: outcome.program)
        let difference = outcome.field.largestDifference(from: reference.field)
        row.largestDifference = difference
        if outcome.iterations != reference.iterations {
            row.verdict = .differs("\(outcome.iterations) iterations, the reference \(reference.iterations)")
        } else if let tolerance {
            let allowed = tolerance * max(1, reference.field.scale)
            row.verdict = difference <= allowed ? .agrees(bitwise: outcome.field.bytes == reference.field.bytes)
                : .differs("difference \(Verifier.format(difference)) > \(Verifier.format(allowed)) (2^-17 of the grid's scale)")
        } else if outcome.field.bytes != reference.field.bytes {
            row.verdict = .differs("not bitwise identical")
        }
        return row
    }

    struct RunRecord {
        var iterations: Int
        var field: NPYFile
        var label: String
        var program: Program
    }

    struct NotApplicable: Error { var reason: String }

    /// Compiles (through the cache) and runs one configuration, reading its summary and field.
    func run(_ path: String, _ configuration: VerifyConfiguration, params: [String]) throws -> RunRecord {
        let result: CompilationResult
        var overrides = configuration.overrides
        if overrides.tile != nil, let checked = try? Compilation.check(Compilation.load(path)).0 {
            // One size per dimension, none dividing the small extents: 3 x 5 x 7, 5 x 7 or 7.
            overrides.tile = Array([3, 5, 7].suffix(checked.dimensions))
        }
        do {
            result = try Compilation.compile(path: path, target: configuration.target, overrides: overrides)
        } catch let error as DriverError where error.message.contains("chunksize cannot be combined with schedule auto") {
            throw NotApplicable(reason: "the file's chunksize does not combine with schedule auto")
        } catch let error as SourceErrors where error.rendered.contains("[dimensions-not-on-target]") {
            // A target that does not run the grid's dimensions (none today: Compilation.supportedDimensions) is refused, not wrong.
            let line = error.rendered.split(separator: "\n").first.map(String.init) ?? ""
            let reason = line.range(of: "error: ").map { String(line[$0.upperBound...]) } ?? line
            throw NotApplicable(reason: reason.replacingOccurrences(of: " [dimensions-not-on-target]", with: ""))
        }
        let directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("stencilc-verify-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        var options = RunOptions()
        options.params = params
        options.outputPath = directory.appendingPathComponent("field.npy").path
        options.json = true
        options.quiet = true
        options.maxIterations = maxIterations
        options.environment = configuration.environment
        let launcher = Launcher(builder: Builder(toolchain: toolchain, cache: cache))
        let outcome = try launcher.run(result, stem: Compilation.defaultStem(path), options: options, capture: true)
        guard let line = outcome.output.split(separator: "\n").last(where: { $0.hasPrefix("{") }),
              let summary = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
              let iterations = summary["iterations"] as? Int else {
            throw DriverError("the program printed no JSON summary")
        }
        let field = try NPYFile(contentsOf: options.outputPath!)
        return RunRecord(iterations: iterations, field: field,
                         label: Verifier.label(summary, program: result.program, fallback: configuration.label),
                         program: result.program)
    }

    /// What a run says it was: threads, schedule, tile, ranks, decomposition, device.
    static func label(_ summary: [String: Any], program: Program, fallback: String) -> String {
        let threads = summary["threads"] as? Int ?? 1
        let ranks = summary["ranks"] as? Int ?? 1
        let schedule = summary["schedule"] as? String ?? ""
        let decomposition = summary["decomposition"] as? String ?? ""
        let device = summary["device"] as? String ?? ""
        func plural(_ n: Int, _ word: String) -> String { "\(n) \(word)\(n == 1 ? "" : "s")" }
        var parts: [String] = []
        switch program.schedule.target {
        case .serial: parts.append(plural(threads, "thread"))
        case .openmp: parts.append(plural(threads, "thread"))
        case .mpi: parts.append(plural(ranks, "rank"))
        case .hybrid: parts.append("\(plural(ranks, "rank")) x \(plural(threads, "thread"))")
        case .opencl:
            // "pthread-...-AMD EPYC (CPU, Portable Computing Language)": the name before " (".
            let name = device.components(separatedBy: " (").first ?? device
            parts.append(device.isEmpty ? fallback : "device \(name)")
        }
        if program.schedule.target == .openmp || program.schedule.target == .hybrid, !schedule.isEmpty { parts.append(schedule) }
        if !decomposition.isEmpty { parts.append(decomposition) }
        if let tile = program.schedule.tile, program.schedule.target != .opencl {
            parts.append("tile " + tile.map(String.init).joined(separator: "x"))
        }
        return parts.joined(separator: ", ")
    }

    /// The first line of an error and of the tool's own message.
    static func brief(_ error: DriverError) -> String {
        let tool = error.toolOutput.split(separator: "\n").first { !$0.trimmingCharacters(in: .whitespaces).isEmpty }
        return error.message + (tool.map { ": \($0.trimmingCharacters(in: .whitespaces))" } ?? "")
    }

    static func format(_ value: Double) -> String {
        value == 0 ? "0" : String(format: "%.3g", value)
    }

    // MARK: The table

    /// The table's header line; `row(_:)` lines line up under it.
    public static let header = Verifier.line("target", "configuration", "iterations", "max |diff|", "verdict")

    public static func row(_ row: VerifyRow) -> String {
        let difference: String
        switch row.verdict {
        case .reference: difference = "-"
        default: difference = row.largestDifference.map(format) ?? "-"
        }
        return line(row.target.rawValue, row.configuration, row.iterations.map(String.init) ?? "-", difference, row.verdictText)
    }

    static func line(_ target: String, _ configuration: String, _ iterations: String, _ difference: String, _ verdict: String) -> String {
        func pad(_ text: String, _ width: Int) -> String {
            text.count >= width ? text + " " : text.padding(toLength: width, withPad: " ", startingAt: 0)
        }
        return pad(target, 8) + pad(configuration, 42) + pad(iterations, 12) + pad(difference, 12) + verdict
    }
}

public struct VerifySkip: Error, Sendable {
    public var reason: String
    public init(_ reason: String) { self.reason = reason }
}

/// The OpenCL devices this machine has, as `stencilc devices` (DeviceListing) reports them.
public enum OpenCLDevices {
    public struct Device: Sendable {
        public var selector: String
        public var name: String
        public var available: Bool
    }

    public static func list(toolchain: Toolchain, cache: BuildCache) -> Result<[Device], VerifySkip> {
        do {
            let result = try DeviceListing.run(builder: Builder(toolchain: toolchain, cache: cache), json: true, capture: true)
            guard let object = try? JSONSerialization.jsonObject(with: Data(result.output.utf8)) as? [String: Any],
                  let devices = object["devices"] as? [[String: Any]] else {
                return .failure(VerifySkip("the OpenCL device lister printed no list"))
            }
            if devices.isEmpty {
                return .failure(VerifySkip("no OpenCL device: \(object["error"] as? String ?? "none found")"))
            }
            return .success(devices.map {
                Device(selector: $0["selector"] as? String ?? "0:0", name: $0["name"] as? String ?? "?",
                       available: $0["available"] as? Bool ?? true)
            })
        } catch let error as DriverError {
            return .failure(VerifySkip("cannot list OpenCL devices: \(Verifier.brief(error))"))
        } catch {
            return .failure(VerifySkip("cannot list OpenCL devices: \(error)"))
        }
    }
}
