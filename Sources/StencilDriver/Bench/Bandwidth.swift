// Bandwidth.swift: the machine's measured memory bandwidth, from runtime/stencil_stream.c.
// The probe is built with the cc toolchain, run once per machine and its output cached in the
// build cache (keyed on the CPU model, the core count, the compiler and the probe's source), so
// every later `stencilc bench` reuses it. Parsing is separate from running, for tests.

import Foundation

/// What the STREAM-like probe measured.
public struct Bandwidth: Sendable, Equatable {
    public struct Measurement: Sendable, Equatable {
        public var kernel: String    // "copy" or "triad"
        public var threads: Int
        public var gigabytesPerSecond: Double

        public init(kernel: String, threads: Int, gigabytesPerSecond: Double) {
            self.kernel = kernel
            self.threads = threads
            self.gigabytesPerSecond = gigabytesPerSecond
        }
    }

    public var lastLevelCacheBytes: Int
    public var arrayBytes: Int
    public var trials: Int
    public var measurements: [Measurement]

    /// The machine's bandwidth: the best `copy` over all thread counts (a sweep reads one array
    /// and writes another, as copy does).
    public var best: Measurement? {
        measurements.filter { $0.kernel == "copy" }.max { $0.gigabytesPerSecond < $1.gigabytesPerSecond }
    }

    /// `copy` at one thread count, when the probe measured it.
    public func copy(threads: Int) -> Measurement? {
        measurements.first { $0.kernel == "copy" && $0.threads == threads }
    }

    /// Parses the probe's output (one JSON object per line, see stencil_stream.c).
    public static func parse(_ text: String) throws -> Bandwidth {
        var result = Bandwidth(lastLevelCacheBytes: 0, arrayBytes: 0, trials: 0, measurements: [])
        var sawHeader = false
        for line in text.split(whereSeparator: \.isNewline) where !line.trimmingCharacters(in: .whitespaces).isEmpty {
            guard let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] else {
                throw DriverError("the bandwidth probe printed an unreadable line: \(line)")
            }
            if object["probe"] != nil {
                result.lastLevelCacheBytes = (object["llc_bytes"] as? NSNumber)?.intValue ?? 0
                result.arrayBytes = (object["array_bytes"] as? NSNumber)?.intValue ?? 0
                result.trials = (object["trials"] as? NSNumber)?.intValue ?? 0
                sawHeader = true
            } else if let kernel = object["kernel"] as? String, let threads = (object["threads"] as? NSNumber)?.intValue,
                      let gbs = (object["gbs"] as? NSNumber)?.doubleValue, gbs.isFinite, gbs > 0 {
                result.measurements.append(Measurement(kernel: kernel, threads: threads, gigabytesPerSecond: gbs))
            } else {
                throw DriverError("the bandwidth probe printed an unexpected line: \(line)")
            }
        }
        guard sawHeader, result.best != nil else {
            throw DriverError("the bandwidth probe printed no copy measurement:\n\(text)")
        }
        return result
    }
}

/// Where the measurement came from: the cache file, and whether it was measured just now.
public struct BandwidthReport: Sendable {
    public var bandwidth: Bandwidth
    public var machine: MachineIdentity
    public var cacheFile: String
    public var measuredNow: Bool

    public init(bandwidth: Bandwidth, machine: MachineIdentity, cacheFile: String, measuredNow: Bool) {
        self.bandwidth = bandwidth
        self.machine = machine
        self.cacheFile = cacheFile
        self.measuredNow = measuredNow
    }
}

/// The machine as the bandwidth cache knows it.
public struct MachineIdentity: Sendable, Equatable {
    public var cpuModel: String
    public var cores: Int
    public var compiler: String

    public init(cpuModel: String, cores: Int, compiler: String) {
        self.cpuModel = cpuModel
        self.cores = cores
        self.compiler = compiler
    }

    /// The CPU model from /proc/cpuinfo ("model name", else "Processor"/"cpu model"), the cores
    /// this process may use, and the C compiler's path and version.
    public static func current(compiler: String) -> MachineIdentity {
        let cpuinfo = (try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8)) ?? ""
        return MachineIdentity(cpuModel: parseCPUModel(cpuinfo) ?? "unknown CPU",
                               cores: ProcessInfo.processInfo.activeProcessorCount,
                               compiler: Builder.compilerIdentity(compiler))
    }

    /// The CPU model line of /proc/cpuinfo's text.
    public static func parseCPUModel(_ text: String) -> String? {
        for key in ["model name", "Processor", "cpu model", "uarch"] {
            for line in text.split(separator: "\n") {
                let parts = line.split(separator: ":", maxSplits: 1)
                if parts.count == 2, parts[0].trimmingCharacters(in: .whitespaces) == key {
                    let value = parts[1].trimmingCharacters(in: .whitespaces)
                    if !value.isEmpty { return value }
                }
            }
        }
        return nil
    }

    /// Thread counts the probe measures: every count up to 8 cores, then powers of two and all cores.
    public var probeThreads: [Int] {
        if cores <= 8 { return Array(1...max(cores, 1)) }
        return MachineIdentity.threadLadder(cores: cores)
    }

    /// Powers of two below `cores`, then `cores`: 1,2 on two cores; 1,2,4,8,12 on twelve.
    public static func threadLadder(cores: Int) -> [Int] {
        var counts: [Int] = []
        var t = 1
        while t < cores { counts.append(t); t *= 2 }
        return counts + [max(cores, 1)]
    }
}

public enum BandwidthProbe {
    public static let source = "stencil_stream.c"
    /// Optimized for this CPU, with OpenMP; no -ffp-contract (it only copies and multiplies-adds).
    static let flags = ["-std=c11", "-O3", "-march=native", "-fopenmp"]

    /// The cached measurement for this machine, or a new one (built and run now) when there is
    /// none or `remeasure` is set.
    public static func measure(toolchain: Toolchain, cache: BuildCache, remeasure: Bool = false,
                               echo: ((Job) -> Void)? = nil) throws -> BandwidthReport {
        let sourcePath = "\(toolchain.runtimeDirectory)/\(source)"
        guard let sourceData = FileManager.default.contents(atPath: sourcePath) else {
            throw DriverError("cannot read the bandwidth probe '\(sourcePath)'")
        }
        let machine = MachineIdentity.current(compiler: toolchain.cc)
        let key = stableHash(["bandwidth", machine.cpuModel, String(machine.cores), machine.compiler,
                              String(decoding: sourceData, as: UTF8.self)])
        let directory = try cache.entry("bandwidth-\(key)")
        let resultFile = "\(directory)/bandwidth.jsonl"
        if !remeasure, let data = FileManager.default.contents(atPath: resultFile),
           let cached = try? Bandwidth.parse(String(decoding: data, as: UTF8.self)) {
            return BandwidthReport(bandwidth: cached, machine: machine, cacheFile: resultFile, measuredNow: false)
        }

        let suffix = ".tmp.\(ProcessInfo.processInfo.processIdentifier).\(UUID().uuidString.prefix(8))"
        let executable = "\(directory)/stencil_stream"
        if !FileManager.default.isExecutableFile(atPath: executable) {
            let compile = Job(kind: .compileProgram, executable: toolchain.cc,
                              arguments: flags + [sourcePath, "-o", executable + suffix])
            echo?(compile)
            let built = try ProcessRunner.run(compile, capture: true)
            guard built.status == 0, !built.signaled else {
                try? FileManager.default.removeItem(atPath: executable + suffix)
                throw DriverError("the C compiler failed compiling the bandwidth probe (\(toolchain.cc), exit \(built.status)):\n  \(compile)",
                                  toolOutput: built.errorOutput + built.output)
            }
            try moveIntoPlace(executable + suffix, executable)
        }
        let run = Job(kind: .run, executable: executable,
                      arguments: ["--threads", machine.probeThreads.map(String.init).joined(separator: ",")])
        echo?(run)
        let outcome = try ProcessRunner.run(run, capture: true)
        guard outcome.status == 0, !outcome.signaled else {
            throw DriverError("the bandwidth probe failed (exit \(outcome.status))", toolOutput: outcome.errorOutput)
        }
        let bandwidth = try Bandwidth.parse(outcome.output)
        let identity = "cpu: \(machine.cpuModel)\ncores: \(machine.cores)\ncompiler: \(machine.compiler)\n"
        try? Data(identity.utf8).write(to: URL(fileURLWithPath: "\(directory)/machine.txt"))
        do {
            try Data(outcome.output.utf8).write(to: URL(fileURLWithPath: resultFile + suffix))
            try moveIntoPlace(resultFile + suffix, resultFile)
        } catch let error as DriverError {
            throw error
        } catch {
            throw DriverError("cannot write '\(resultFile)': \(error.localizedDescription)")
        }
        return BandwidthReport(bandwidth: bandwidth, machine: machine, cacheFile: resultFile, measuredNow: true)
    }

    private static func moveIntoPlace(_ temporary: String, _ final: String) throws {
        if rename(temporary, final) != 0 {
            throw DriverError("cannot move '\(temporary)' into the build cache: \(String(cString: strerror(errno)))")
        }
    }
}
