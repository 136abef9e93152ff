// Toolchain.swift: which C compiler (and MPI tools) to use, and where the runtime is.
// STENCILC_CC, then CC, then gcc (the default: `-fopenmp` just works with it), then cc.
// clang works too when it has an OpenMP runtime (Debian: clang-14 with libomp-14-dev).

import Foundation

public struct Toolchain: Sendable, Equatable {
    /// The C compiler for the cc role.
    public var cc: String
    /// The MPI compiler wrapper and launcher (mpi/hybrid targets).
    public var mpicc: String
    public var mpirun: String
    /// The folder holding stencil_runtime.h and friends.
    public var runtimeDirectory: String

    public init(cc: String, mpicc: String = "mpicc", mpirun: String = "mpirun", runtimeDirectory: String) {
        self.cc = cc
        self.mpicc = mpicc
        self.mpirun = mpirun
        self.runtimeDirectory = runtimeDirectory
    }

    /// The toolchain from the environment. Throws when runtime/ cannot be found.
    public static func fromEnvironment(_ environment: [String: String] = ProcessInfo.processInfo.environment,
                                       runtimeDirectory: String? = nil) throws -> Toolchain {
        let cc = nonEmpty(environment["STENCILC_CC"]) ?? nonEmpty(environment["CC"])
            ?? (ProcessRunner.which("gcc") != nil ? "gcc" : "cc")
        guard let runtime = runtimeDirectory ?? RuntimeLocator.find(environment: environment) else {
            throw DriverError("cannot find stencilc's runtime/ folder (looked beside the executable and in ../share/stencilc); set STENCILC_RUNTIME to it")
        }
        return Toolchain(cc: cc, mpicc: nonEmpty(environment["STENCILC_MPICC"]) ?? "mpicc",
                         mpirun: nonEmpty(environment["STENCILC_MPIRUN"]) ?? "mpirun",
                         runtimeDirectory: runtime)
    }

    private static func nonEmpty(_ value: String?) -> String? {
        guard let value, !value.trimmingCharacters(in: .whitespaces).isEmpty else { return nil }
        return value
    }
}

/// Finds runtime/: $STENCILC_RUNTIME; a `runtime/` beside the executable or in any folder above
/// it (a checkout: .build/debug/stencilc); `../share/stencilc/runtime` (an installed prefix).
public enum RuntimeLocator {
    public static let marker = "stencil_runtime.h"

    public static func find(environment: [String: String] = ProcessInfo.processInfo.environment) -> String? {
        let fileManager = FileManager.default
        if let explicit = environment["STENCILC_RUNTIME"], !explicit.isEmpty {
            return fileManager.fileExists(atPath: "\(explicit)/\(marker)") ? explicit : nil
        }
        var directory = URL(fileURLWithPath: executablePath()).deletingLastPathComponent().standardizedFileURL
        let installed = directory.deletingLastPathComponent().appendingPathComponent("share/stencilc/runtime").path
        if fileManager.fileExists(atPath: "\(installed)/\(marker)") { return installed }
        while directory.path != "/" {
            let candidate = directory.appendingPathComponent("runtime").path
            if fileManager.fileExists(atPath: "\(candidate)/\(marker)") { return candidate }
            directory = directory.deletingLastPathComponent()
        }
        return nil
    }

    /// The running executable, symlinks resolved (an installed symlink finds its real tree).
    static func executablePath() -> String {
        if let path = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe") {
            return path
        }
        return URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().path
    }
}
