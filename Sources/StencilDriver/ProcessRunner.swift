// ProcessRunner.swift: runs a Job. Captures output (compilers: shown only on failure) or passes
// it through (the stencil program: its summary and progress go straight to the user).

import Foundation

public struct ProcessResult: Sendable {
    public var status: Int32
    /// True when the process was killed by a signal (`status` is then the signal number).
    public var signaled: Bool
    public var output: String
    public var errorOutput: String
}

public enum ProcessRunner {
    /// Finds a tool on PATH (or checks a path with a '/').
    public static func which(_ tool: String) -> String? {
        let fileManager = FileManager.default
        if tool.contains("/") { return fileManager.isExecutableFile(atPath: tool) ? tool : nil }
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin"
        for directory in path.split(separator: ":") {
            let candidate = "\(directory)/\(tool)"
            if fileManager.isExecutableFile(atPath: candidate) { return candidate }
        }
        return nil
    }

    /// Runs `job`. With `capture` false, stdout and stderr are the launcher's own; with
    /// `captureErrors`, stderr alone is captured (mpirun's, to tidy before showing it).
    public static func run(_ job: Job, capture: Bool, captureErrors: Bool = false,
                           workingDirectory: String? = nil) throws -> ProcessResult {
        guard let executable = which(job.executable) else {
            throw DriverError("'\(job.executable)' not found" + hint(for: job))
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = job.arguments
        if !job.environment.isEmpty {
            process.environment = ProcessInfo.processInfo.environment.merging(job.environment) { _, new in new }
        }
        if let workingDirectory { process.currentDirectoryURL = URL(fileURLWithPath: workingDirectory) }
        let outPipe = Pipe(), errPipe = Pipe()
        if capture { process.standardOutput = outPipe }
        if capture || captureErrors { process.standardError = errPipe }
        do {
            try process.run()
        } catch {
            throw DriverError("cannot start '\(executable)': \(error.localizedDescription)")
        }
        Interruption.started(process.processIdentifier)
        defer { Interruption.finished() }
        defer { if let scratch = job.scratchDirectory { try? FileManager.default.removeItem(atPath: scratch) } }
        var output = Data()
        let errorOutput = DataBox()
        if capture {
            // Read both pipes while the process runs, so a chatty tool cannot fill one and block.
            let group = DispatchGroup()
            group.enter()
            DispatchQueue.global().async {
                errorOutput.data = errPipe.fileHandleForReading.readDataToEndOfFile()
                group.leave()
            }
            output = outPipe.fileHandleForReading.readDataToEndOfFile()
            group.wait()
        } else if captureErrors {
            errorOutput.data = errPipe.fileHandleForReading.readDataToEndOfFile()
        }
        process.waitUntilExit()
        if let signal = Interruption.signal {
            throw Interruption.error(signal, stopping: job.kind == .run ? "the program" : "the C compiler")
        }
        return ProcessResult(status: process.terminationStatus,
                             signaled: process.terminationReason == .uncaughtSignal,
                             output: String(decoding: output, as: UTF8.self),
                             errorOutput: String(decoding: errorOutput.data, as: UTF8.self))
    }

    private static func hint(for job: Job) -> String {
        switch job.kind {
        case .compileRuntime, .compileProgram: return " (install a C compiler, or set CC or STENCILC_CC)"
        case .run: return ""
        }
    }
}

/// Written by one reader thread, read after it is joined (DispatchGroup.wait orders the two).
private final class DataBox: @unchecked Sendable {
    var data = Data()
}
