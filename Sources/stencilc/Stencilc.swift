// Stencilc.swift: the command line. Argument parsing only: the work is in StencilDriver, and
// only this target prints or exits.

import ArgumentParser
import Foundation
import StencilDriver

@main
struct Stencilc: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "stencilc",
        abstract: "Compile stencil programs (.st) to C+OpenMP, OpenCL or MPI C, and run them.",
        discussion: """
            stencilc FILE.st --target openmp -o out.c   emit C (the default subcommand)
            stencilc run FILE.st --param N=4096         compile, run, print a summary
            stencilc build FILE.st --shared             build a shared library (the Python package's)
            stencilc check FILE.st                      diagnostics only
            stencilc explain FILE.st --target openmp    what the compiler decided, in plain words
            stencilc verify FILE.st                     every target this machine runs, against serial
            stencilc devices                            the OpenCL devices --device can choose
            stencilc bench FILE.st --sizes 256,1024     time targets x sizes x threads: MLUP/s, GB/s
            stencilc tune FILE.st --param N=4096        time the run-time plans here, store the fastest
            stencilc plan FILE.st --param N=4096        the plan run would use (stored or default), as JSON
            """,
        subcommands: [Emit.self, Run.self, Build.self, Check.self, Explain.self, Verify.self, Devices.self, Bench.self, Tune.self, PlanCommand.self,
                      BandwidthCommand.self, RuntimeDir.self],
        defaultSubcommand: Emit.self)

    /// As ArgumentParser's main, but a bad flag or value exits 1, as every other error in the
    /// input does (ArgumentParser's own code for it is 64, EX_USAGE); help and --version exit 0.
    static func main() {
        do {
            var command = try parseAsRoot()
            try command.run()
        } catch {
            if exitCode(for: error) == .validationFailure {
                var message = fullMessage(for: error)
                if message.hasPrefix("Error: ") { message = "stencilc: error: " + message.dropFirst("Error: ".count) }
                FileHandle.standardError.write(Data((message + "\n").utf8))
                Foundation.exit(1)
            }
            exit(withError: error)
        }
    }
}
