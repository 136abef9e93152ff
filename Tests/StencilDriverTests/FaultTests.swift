// FaultTests.swift: what goes wrong around a run: an unwritable or full output location, a
// missing tool or device, Ctrl-C (SIGINT) or SIGTERM in the middle of a run, a damaged build
// cache, two runs at once. Each must give a clear message and a non-zero exit, leave no partial
// output file, and leave things so that the next run works.

import Foundation
import StencilCodegen
import StencilDriver
import StencilIR
import Testing

/// A directory nobody may write to. Root ignores permission bits, so as root it is /sys (a
/// kernel file system that refuses new files, even to root).
func unwritableDirectory() throws -> (path: String, cleanup: () -> Void) {
    let directory = try temporaryDirectory()
    chmod(directory.path, 0o555)
    let probe = directory.appendingPathComponent("probe").path
    if FileManager.default.createFile(atPath: probe, contents: Data()) {
        try? FileManager.default.removeItem(atPath: probe)
        chmod(directory.path, 0o755)
        try? FileManager.default.removeItem(at: directory)
        return ("/sys", {})
    }
    return (directory.path, { chmod(directory.path, 0o755); try? FileManager.default.removeItem(at: directory) })
}

/// A "disk full" device: /dev/full, or as root a private copy of it (mknod c 1 7), so that a
/// regression that renames over the output cannot replace the machine's /dev/full.
func fullDevice(in directory: URL) throws -> String {
    guard geteuid() == 0 else { return "/dev/full" }
    let path = directory.appendingPathComponent("full").path
    let result = try ProcessRunner.run(Job(kind: .run, executable: "mknod", arguments: [path, "c", "1", "7"]), capture: true)
    return result.status == 0 ? path : "/dev/full"
}

func isCharacterDevice(_ path: String) -> Bool {
    var info = stat()
    return lstat(path, &info) == 0 && (info.st_mode & S_IFMT) == S_IFCHR
}

/// Files in `directory` (recursively) whose names mark temporaries.
func leftoverTemporaries(_ directory: String) -> [String] {
    let all = (FileManager.default.enumerator(atPath: directory)?.allObjects as? [String]) ?? []
    return all.filter { $0.contains(".tmp.") }
}

@Suite struct FaultTests {
    let jacobi = Repository.stencil("jacobi.st")

    @Test func unwritableOutputLocation() throws {
        let (directory, cleanup) = try unwritableDirectory()
        defer { cleanup() }
        let emitted = try stencilc([jacobi, "-o", "\(directory)/jacobi.c"])
        #expect(emitted.status != 0)
        #expect(emitted.stderr.contains("stencilc: error: cannot write '\(directory)/jacobi.c'"), "\(emitted.stderr)")
        #expect(!FileManager.default.fileExists(atPath: "\(directory)/jacobi.c"))
        let run = try stencilc(["run", jacobi, "--param", "N=12", "--target", "serial", "--output", "\(directory)/u.npy"])
        #expect(run.status != 0)
        #expect(run.stderr.contains("error: cannot write '\(directory)/u.npy'"), "\(run.stderr)")
        #expect(!FileManager.default.fileExists(atPath: "\(directory)/u.npy"))
        if directory != "/sys" { #expect(leftoverTemporaries(directory).isEmpty) }
        // And the next run, somewhere writable, works.
        let writable = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: writable) }
        let next = try stencilc(["run", jacobi, "--param", "N=12", "--target", "serial", "--output", writable.appendingPathComponent("u.npy").path])
        #expect(next.status == 0, "\(next.stderr)")
        #expect(FileManager.default.fileExists(atPath: writable.appendingPathComponent("u.npy").path))
    }

    /// Regression: outputs were written beside their name and renamed over it, which as root
    /// replaced a device such as /dev/full (or /dev/stdout) with a regular file.
    @Test func fullDeviceIsReportedAndKept() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let full = try fullDevice(in: directory)
        let emitted = try stencilc([jacobi, "-o", full])
        #expect(emitted.status != 0)
        #expect(emitted.stderr.contains("No space left on device"), "\(emitted.stderr)")
        #expect(isCharacterDevice(full), "\(full) is no longer a device")
        let run = try stencilc(["run", jacobi, "--param", "N=12", "--target", "serial", "--output", full])
        #expect(run.status != 0)
        #expect(run.stderr.contains("cannot write '\(full)': No space left on device"), "\(run.stderr)")
        #expect(isCharacterDevice(full), "\(full) is no longer a device")
        #expect(leftoverTemporaries(directory.path).isEmpty)
        #expect((try? FileManager.default.contentsOfDirectory(atPath: "/dev").filter { $0.hasPrefix("full.tmp") }) ?? [] == [])
    }

    @Test func emitToStandardOutputDevice() throws {
        let result = try stencilc([jacobi, "--target", "serial", "-o", "/dev/stdout"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("int main(int argc, char **argv)"))
    }

    /// A symlinked output is written through: the link stays, its target gets the file.
    @Test func symlinkedOutputKeepsTheLink() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let target = directory.appendingPathComponent("real.npy").path
        let link = directory.appendingPathComponent("link.npy").path
        FileManager.default.createFile(atPath: target, contents: Data("old".utf8))
        try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: target)
        let run = try stencilc(["run", jacobi, "--param", "N=12", "--target", "serial", "--output", link])
        #expect(run.status == 0, "\(run.stderr)")
        #expect((try? FileManager.default.destinationOfSymbolicLink(atPath: link)) == target)
        #expect((try? NPYFile(contentsOf: target))?.rows == 12)
    }

    @Test(.enabled(if: Backends.backend(for: .mpi) != nil))
    func missingMpirunIsReported() throws {
        let result = try stencilc(["run", jacobi, "--target", "mpi", "--param", "N=16"],
                                  environment: ["STENCILC_MPIRUN": "/nonexistent/mpirun"])
        #expect(result.status != 0)
        #expect(result.stderr.contains("/nonexistent/mpirun"), "\(result.stderr)")
    }

    @Test(.enabled(if: Backends.backend(for: .opencl) != nil))
    func missingOpenCLDeviceIsReported() throws {
        let bad = try stencilc(["run", jacobi, "--target", "opencl", "--param", "N=16"], environment: ["STENCILC_DEVICE": "99"])
        #expect(bad.status != 0)
        #expect(bad.stderr.contains("device"), "\(bad.stderr)")
        let none = try stencilc(["run", jacobi, "--target", "opencl", "--param", "N=16"],
                                environment: ["OCL_ICD_VENDORS": "/nonexistent", "OCL_ICD_FILENAMES": ""])
        #expect(none.status != 0)
        #expect(!none.stderr.isEmpty)
    }

    /// Ctrl-C reaches stencilc alone (its tools run in their own process group): it must pass
    /// it on. Regression: stencilc died and the stencil program ran on, writing its output later.
    /// With mpi, mpirun gets the signal and stops its ranks.
    static let interruptCases: [(Target, Int32)] = [(.serial, SIGINT), (.serial, SIGTERM)]
        + (Backends.backend(for: .mpi) != nil && ProcessRunner.which("mpirun") != nil ? [(.mpi, SIGINT)] : [])

    @Test(arguments: 0..<interruptCases.count)
    func interruptStopsTheProgramAndWritesNothing(_ index: Int) throws {
        let (target, signalNumber) = Self.interruptCases[index]
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let output = directory.appendingPathComponent("u.npy").path
        // Build first, so the signal lands while the program runs.
        let warm = try stencilc(["run", jacobi, "--target", target.rawValue, "--param", "N=16", "--quiet"])
        #expect(warm.status == 0, "\(warm.stderr)")

        let process = Process()
        process.executableURL = URL(fileURLWithPath: Repository.stencilc)
        process.arguments = ["run", jacobi, "--target", target.rawValue, "--param", "N=3000", "--output", output, "--quiet"]
        let errors = Pipe()
        process.standardError = errors
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        let launcher = process.processIdentifier
        // Wait for the program (for mpi: mpirun and a rank) to be running.
        var tree: [Int32] = []
        for _ in 0..<600 {
            tree = descendants(of: launcher)
            if tree.count >= (target == .mpi ? 2 : 1) { break }
            usleep(50_000)
        }
        #expect(!tree.isEmpty, "the stencil program never started")
        usleep(500_000)
        tree = descendants(of: launcher)
        kill(launcher, signalNumber)
        process.waitUntilExit()
        let message = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        #expect(process.terminationStatus == 128 + signalNumber, "\(message)")
        #expect(message.contains("stencilc: error: interrupted by \(signalNumber == SIGINT ? "SIGINT" : "SIGTERM")"), "\(message)")
        // Everything it started is gone, and nothing was written.
        var alive = tree
        for _ in 0..<200 where !alive.isEmpty {
            alive = alive.filter { kill($0, 0) == 0 && !isZombie($0) }
            if !alive.isEmpty { usleep(50_000) }
        }
        for pid in alive { kill(pid, SIGKILL) }
        #expect(alive.isEmpty, "still running after the interrupt: \(alive)")
        #expect(!FileManager.default.fileExists(atPath: output))
        #expect(leftoverTemporaries(directory.path).isEmpty)
        // The next run works.
        let next = try stencilc(["run", jacobi, "--target", target.rawValue, "--param", "N=16", "--output", output])
        #expect(next.status == 0, "\(next.stderr)")
        #expect(FileManager.default.fileExists(atPath: output))
    }

    /// A truncated executable or runtime object, or a damaged checksum, is rebuilt, not run.
    @Test func damagedCacheIsRebuilt() throws {
        let cache = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: cache) }
        let environment = ["STENCILC_CACHE_DIR": cache.path]
        let arguments = ["run", jacobi, "--target", "serial", "--param", "N=16", "--print-commands", "--json"]
        let first = try stencilc(arguments, environment: environment)
        #expect(first.status == 0, "\(first.stderr)")
        let entries = try FileManager.default.contentsOfDirectory(atPath: cache.path)
        let programDirectory = try #require(entries.first { $0.hasPrefix("jacobi-") })
        let runtimeDirectory = try #require(entries.first {
            $0.hasPrefix("runtime-") && FileManager.default.fileExists(atPath: "\(cache.path)/\($0)/stencil_runtime.o")
        })
        let executable = "\(cache.path)/\(programDirectory)/jacobi"
        let object = "\(cache.path)/\(runtimeDirectory)/stencil_runtime.o"

        func damage(_ path: String, _ how: (inout Data) -> Void) throws {
            var data = try Data(contentsOf: URL(fileURLWithPath: path))
            how(&data)
            try data.write(to: URL(fileURLWithPath: path))
        }
        let cases: [(String, () throws -> Void)] = [
            ("truncated executable", { try damage(executable) { $0 = $0.prefix($0.count / 2) } }),
            ("empty executable", { try damage(executable) { $0 = Data() } }),
            ("flipped byte in the executable", { try damage(executable) { $0[$0.count / 2] ^= 0xff } }),
            ("truncated runtime object", { try damage(object) { $0 = $0.prefix(100) } }),
            ("damaged checksum", { try damage(executable + ".sum") { $0 = Data("0 0".utf8) } }),
            ("missing checksum", { try FileManager.default.removeItem(atPath: executable + ".sum") }),
        ]
        for (what, breakIt) in cases {
            try breakIt()
            let again = try stencilc(arguments, environment: environment)
            #expect(again.status == 0, "after a \(what): \(again.stderr)")
            #expect(again.stderr.contains(" -o "), "after a \(what), nothing was rebuilt")
            #expect(again.stdout.contains("\"converged\": true"), "after a \(what)")
            // And then it is cached again.
            let cached = try stencilc(arguments, environment: environment)
            #expect(cached.status == 0 && !cached.stderr.contains(" -o "), "after a \(what), the rebuild was not cached")
        }
    }

    @Test func unusableCacheLocationIsAClearError() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = directory.appendingPathComponent("not-a-directory").path
        FileManager.default.createFile(atPath: file, contents: Data())
        let result = try stencilc(["run", jacobi, "--param", "N=12"], environment: ["STENCILC_CACHE_DIR": file])
        #expect(result.status != 0)
        #expect(result.stderr.contains("cannot create the build cache"), "\(result.stderr)")
    }

    /// Two (four) `stencilc run` at once on the same program, the same cold cache and the same
    /// output file: every one succeeds, the file is whole, and nothing is left behind.
    @Test func concurrentRunsOfOneProgram() throws {
        let cache = try temporaryDirectory()
        let directory = try temporaryDirectory()
        defer {
            try? FileManager.default.removeItem(at: cache)
            try? FileManager.default.removeItem(at: directory)
        }
        let output = directory.appendingPathComponent("u.npy").path
        let emitted = directory.appendingPathComponent("jacobi.c").path
        let results = Mutex4()
        DispatchQueue.concurrentPerform(iterations: 4) { k in
            let run = try? stencilc(["run", jacobi, "--param", "N=40", "--num-threads", "2", "--output", output, "--json"],
                                    environment: ["STENCILC_CACHE_DIR": cache.path])
            let emit = try? stencilc([jacobi, "-o", emitted], environment: ["STENCILC_CACHE_DIR": cache.path])
            results.set(k, (run, emit))
        }
        for (run, emit) in results.values {
            #expect(run?.status == 0, "\(run?.stderr ?? "no result")")
            #expect(emit?.status == 0, "\(emit?.stderr ?? "no result")")
        }
        #expect((try? NPYFile(contentsOf: output))?.rows == 40)
        #expect((try? String(contentsOfFile: emitted, encoding: .utf8))?.hasSuffix("#endif\n") == true) // whole: the entry points close it
        #expect(leftoverTemporaries(directory.path).isEmpty, "\(leftoverTemporaries(directory.path))")
        #expect(leftoverTemporaries(cache.path).isEmpty, "\(leftoverTemporaries(cache.path))")
        let next = try stencilc(["run", jacobi, "--param", "N=40", "--num-threads", "2", "--print-commands"],
                                environment: ["STENCILC_CACHE_DIR": cache.path])
        #expect(next.status == 0)
        #expect(!next.stderr.contains(" -o "), "the concurrent builds left nothing usable in the cache")
    }
}

/// Results of concurrent work, by index.
final class Mutex4: @unchecked Sendable {
    private let lock = NSLock()
    private var storage: [Int: (CommandResult?, CommandResult?)] = [:]
    func set(_ k: Int, _ value: (CommandResult?, CommandResult?)) { lock.lock(); storage[k] = value; lock.unlock() }
    var values: [(CommandResult?, CommandResult?)] { lock.lock(); defer { lock.unlock() }; return storage.keys.sorted().map { storage[$0]! } }
}

/// Process ids whose parent is `pid` (from /proc).
func childProcesses(of pid: Int32) -> [Int32] {
    let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
    return entries.compactMap { Int32($0) }.filter { candidate in
        guard let stat = try? String(contentsOfFile: "/proc/\(candidate)/stat", encoding: .utf8),
              let close = stat.lastIndex(of: ")") else { return false }
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        return fields.count > 2 && Int32(fields[1]) == pid
    }
}

/// Every process below `pid`, children first.
func descendants(of pid: Int32) -> [Int32] {
    childProcesses(of: pid).flatMap { [$0] + descendants(of: $0) }
}

func isZombie(_ pid: Int32) -> Bool {
    guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8), let close = stat.lastIndex(of: ")") else { return true }
    return stat[stat.index(after: close)...].split(separator: " ").first == "Z"
}
