// Builder.swift: emitted C -> an executable, through the cache.
// Plans compile jobs as values (runtime objects once per compiler and flags, then the program),
// skips those whose artifact is cached, and runs the rest. Compiler failures are reported as
// such, with the compiler's own output.

import Foundation
import StencilCodegen

public struct BuildPlan: Sendable {
    /// Jobs still to run (cached artifacts have none).
    public var jobs: [Job]
    /// Where the executable is (or will be).
    public var executable: String
    /// (temporary, final) renames to do after each job succeeds, by job index.
    var renames: [Int: (String, String)]
}

public struct Builder: Sendable {
    public let toolchain: Toolchain
    public let cache: BuildCache

    public init(toolchain: Toolchain, cache: BuildCache) {
        self.toolchain = toolchain
        self.cache = cache
    }

    public func compiler(for recipe: BuildRecipe) -> String {
        switch recipe.compilerRole {
        case .cc: return toolchain.cc
        case .mpicc: return toolchain.mpicc
        }
    }

    /// Plans the build of `emitted` named `stem`: an executable, or with `shared` a shared
    /// library `lib<stem>.so` (runtime and program compiled with -fPIC, the program with
    /// -DSTENCIL_LIBRARY: it exports `stencil_entry` instead of `main`).
    public func plan(_ emitted: EmittedProgram, stem: String, shared: Bool = false) throws -> BuildPlan {
        var recipe = emitted.recipe
        if shared { recipe.flags += ["-fPIC"] }
        let compiler = compiler(for: recipe)
        let identity = Builder.compilerIdentity(compiler)
        let runtime = toolchain.runtimeDirectory
        let headers = try runtimeHeaders()
        var jobs: [Job] = []
        var renames: [Int: (String, String)] = [:]
        // Unique per build, not just per process: tests build in parallel threads.
        let temporarySuffix = ".tmp.\(ProcessInfo.processInfo.processIdentifier).\(UUID().uuidString.prefix(8))"

        // Runtime objects: one per runtime source, keyed on its text, the headers, compiler, flags.
        var objects: [String] = []
        for source in recipe.runtimeSources {
            let text = try read("\(runtime)/\(source)")
            let key = stableHash([identity, recipe.flags.joined(separator: " "), source, text, headers])
            let directory = try cache.entry("runtime-\(key)")
            let object = "\(directory)/\(source.replacingOccurrences(of: ".c", with: ".o"))"
            objects.append(object)
            if !BuildCache.isIntact(object) {
                renames[jobs.count] = (object + temporarySuffix, object)
                jobs.append(Job(kind: .compileRuntime, executable: compiler,
                                arguments: recipe.flags + ["-I", runtime, "-c", "\(runtime)/\(source)", "-o", object + temporarySuffix]))
            }
        }

        let linkFlags = shared ? ["-shared", "-DSTENCIL_LIBRARY"] : []
        let key = stableHash([identity, recipe.flags.joined(separator: " "), recipe.libraries.joined(separator: " "),
                              emitted.source, headers, objects.joined(separator: " ")] + linkFlags)
        let directory = try cache.entry("\(stem)-\(key)")
        let sourcePath = "\(directory)/\(stem).c"
        let executable = shared ? "\(directory)/lib\(stem).so" : "\(directory)/\(stem)"
        if !BuildCache.isIntact(executable) {
            try write(emitted.source, to: sourcePath)
            renames[jobs.count] = (executable + temporarySuffix, executable)
            jobs.append(Job(kind: .compileProgram, executable: compiler,
                            arguments: recipe.flags + linkFlags + ["-I", runtime, sourcePath] + objects + recipe.libraries
                                + ["-o", executable + temporarySuffix]))
        }
        return BuildPlan(jobs: jobs, executable: executable, renames: renames)
    }

    /// Runs the plan's jobs; `echo` sees each command first (--print-commands).
    public func execute(_ plan: BuildPlan, echo: ((Job) -> Void)? = nil) throws {
        for (index, job) in plan.jobs.enumerated() {
            echo?(job)
            let result: ProcessResult
            do {
                result = try ProcessRunner.run(job, capture: true)
            } catch {
                // Interrupted, or the compiler could not start: no half-built artifact stays.
                if let (temporary, _) = plan.renames[index] { try? FileManager.default.removeItem(atPath: temporary) }
                throw error
            }
            if result.status != 0 || result.signaled {
                if let (temporary, _) = plan.renames[index] { try? FileManager.default.removeItem(atPath: temporary) }
                let what = job.kind == .compileRuntime ? "compiling the runtime" : "compiling the emitted program"
                throw DriverError("the C compiler failed \(what) (\(job.executable), exit \(result.status)):\n  \(job)",
                                  toolOutput: result.errorOutput + result.output)
            }
            if let (temporary, final) = plan.renames[index] {
                // rename(2) replaces atomically; a concurrent build of the same key is harmless.
                // The checksum is written after the artifact: a reader that finds them out of
                // step (a crash, a truncated file) rebuilds.
                if rename(temporary, final) != 0 {
                    let reason = String(cString: strerror(errno))
                    try? FileManager.default.removeItem(atPath: temporary)
                    throw DriverError("cannot move '\(temporary)' into the build cache: \(reason)")
                }
                try BuildCache.recordChecksum(of: final)
            }
        }
    }

    /// Path and version of a compiler, so switching CC (or upgrading it) rebuilds. Asked once per
    /// compiler and process: `stencilc plan` keys every stored plan, and ran `cc --version` for each.
    static func compilerIdentity(_ compiler: String) -> String {
        if let known = identities.value(compiler) { return known }
        let path = ProcessRunner.which(compiler) ?? compiler
        let version = (try? ProcessRunner.run(Job(kind: .compileProgram, executable: compiler, arguments: ["--version"]),
                                              capture: true))?.output ?? ""
        identities.set(compiler, path + "\n" + version)
        return path + "\n" + version
    }

    private static let identities = LockedTable()

    private func runtimeHeaders() throws -> String {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: toolchain.runtimeDirectory)) ?? []
        return try names.filter { $0.hasSuffix(".h") }.sorted()
            .map { $0 + "\n" + (try read("\(toolchain.runtimeDirectory)/\($0)")) }
            .joined(separator: "\n")
    }

    private func read(_ path: String) throws -> String {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw DriverError("cannot read runtime file '\(path)'")
        }
        return String(decoding: data, as: UTF8.self)
    }

    private func write(_ text: String, to path: String) throws {
        do {
            try text.write(toFile: path, atomically: true, encoding: .utf8)
        } catch {
            throw DriverError("cannot write '\(path)': \(error.localizedDescription)")
        }
    }
}

/// A string table shared between threads.
final class LockedTable: @unchecked Sendable {
    private var table: [String: String] = [:]
    private let lock = NSLock()

    func value(_ key: String) -> String? { lock.withLock { table[key] } }
    func set(_ key: String, _ value: String) { lock.withLock { table[key] = value } }
}
