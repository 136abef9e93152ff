// PlanCommand.swift: `stencilc plan`, the run-time plan `stencilc run` would use for a program
// and its params, as one JSON line. For callers that run the program themselves: the Python
// package calls the shared library in-process and passes these arguments, so a plan stored by
// `stencilc tune` serves it as it serves `run`.

import ArgumentParser
import Foundation
import StencilDriver

struct PlanCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "plan",
        abstract: "Print, as JSON, the plan `stencilc run` would use for these params: the one `stencilc tune` stored, or the default.",
        discussion: """
            {"source": "default"} when nothing is stored for this program, size, threads, compiler \
            and CPU (the program's cost model then chooses at run time); {"source": "given", "plan": ...} \
            when STENCILC_PLAN is set (it wins over a stored plan). Otherwise {"source": "tuned", \
            "plan": ..., "arguments": [...], "build_flags": [...]}: arguments are what `run` passes \
            to the program, build_flags the schedule flags `run` rebuilds it with (empty when the \
            compiled schedule won, or when --schedule/--chunksize are given here). Both also give \
            "stored_params": the params of every plan stored for this program and these settings \
            (an empty list: no run of it uses a tuned plan).
            """)

    @Argument(help: "The stencil program (.st).") var file: String
    @Option(name: .customLong("param"), help: "A param of the run: NAME=VALUE (repeatable).")
    var params: [String] = []
    @OptionGroup var scheduleOptions: ScheduleOptions
    @OptionGroup var debug: DebugOptions

    func run() throws {
        try reportingErrors {
            let result = try compile(file, scheduleOptions, debug)
            var object: [String: Any] = ["source": "default", "stored_params": [[String]]()]
            let target = result.program.schedule.target
            if target == .serial || target == .openmp {
                let launcher = Launcher(builder: Builder(toolchain: try Toolchain.fromEnvironment(), cache: BuildCache.defaultCache()))
                let tuner = Tuner(launcher: launcher)
                let wisdom = Wisdom.default()
                let (entries, problem) = wisdom.read()
                if let problem { printError("stencilc: warning: the tuned plans in '\(wisdom.path)' cannot be read (\(problem)): none is used\n") }
                // An entry is this program's, with these settings, when its key comes back from its params.
                let storedParams = entries.filter { key, entry in tuner.key(result, params: entry.params) == key }
                    .map(\.value.params).sorted { $0.joined(separator: " ") < $1.joined(separator: " ") }
                object["stored_params"] = storedParams
                if let given = Wisdom.givenPlan() {
                    // The user's STENCILC_PLAN wins over a stored plan; the program reads it itself.
                    object = ["source": "given", "plan": given, "stored_params": storedParams]
                } else if let stored = entries[tuner.key(result, params: params)] {
                    var options = RunOptions()
                    options.plan = stored.plan
                    options.planSource = "tuned"
                    var buildFlags: [String] = []
                    // As `run` does: a stored schedule is built unless the command line fixes one.
                    if let text = stored.schedule, let (kind, chunksize) = parseScheduleText(text),
                       scheduleVariants(file, scheduleOptions, debug) != nil {
                        buildFlags = ["--schedule", kind.rawValue] + (chunksize.map { ["--chunksize", String($0)] } ?? [])
                    }
                    object = ["source": "tuned", "plan": stored.plan, "arguments": Launcher.planArguments(options),
                              "build_flags": buildFlags, "stored_params": storedParams]
                }
            }
            let data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
            print(String(decoding: data, as: UTF8.self))
        }
    }
}
