// BuildCache.swift: compiled runtimes and programs, reused across runs.
// Keyed on everything that changes the binary: the emitted source, the runtime's sources, the
// compiler (path and version), flags and libraries. Artifacts are written under a temporary
// name and renamed into place, so two `stencilc run` at once never see half a file; each has a
// checksum beside it (`NAME.sum`), and one whose bytes no longer match (truncated by a full
// disk, damaged by hand, left by an older stencilc) is rebuilt instead of being run or linked.

import Foundation

public struct BuildCache: Sendable {
    public let directory: String

    public init(directory: String) { self.directory = directory }

    /// $STENCILC_CACHE_DIR, else $XDG_CACHE_HOME/stencilc, else ~/.cache/stencilc.
    public static func defaultCache(_ environment: [String: String] = ProcessInfo.processInfo.environment) -> BuildCache {
        if let explicit = environment["STENCILC_CACHE_DIR"], !explicit.isEmpty { return BuildCache(directory: explicit) }
        if let xdg = environment["XDG_CACHE_HOME"], !xdg.isEmpty { return BuildCache(directory: "\(xdg)/stencilc") }
        let home = environment["HOME"].flatMap { $0.isEmpty ? nil : $0 } ?? NSTemporaryDirectory()
        return BuildCache(directory: "\(home)/.cache/stencilc")
    }

    /// A directory for one key, created if needed.
    public func entry(_ name: String) throws -> String {
        let path = "\(directory)/\(name)"
        do {
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        } catch {
            throw DriverError("cannot create the build cache at '\(path)': \(error.localizedDescription) (set STENCILC_CACHE_DIR)")
        }
        return path
    }
}

extension BuildCache {
    /// Whether a cached artifact exists and still has the bytes its checksum file records.
    public static func isIntact(_ artifact: String) -> Bool {
        guard let data = FileManager.default.contents(atPath: artifact), !data.isEmpty,
              let recorded = FileManager.default.contents(atPath: artifact + ".sum") else { return false }
        return String(decoding: recorded, as: UTF8.self) == checksum(data)
    }

    /// Writes `artifact.sum` (under a temporary name, then renamed).
    static func recordChecksum(of artifact: String) throws {
        guard let data = FileManager.default.contents(atPath: artifact) else {
            throw DriverError("cannot read '\(artifact)' back from the build cache")
        }
        let path = artifact + ".sum"
        let temporary = path + ".tmp.\(ProcessInfo.processInfo.processIdentifier).\(UUID().uuidString.prefix(8))"
        do {
            try Data(checksum(data).utf8).write(to: URL(fileURLWithPath: temporary))
        } catch {
            throw DriverError("cannot write '\(path)' in the build cache: \(error.localizedDescription)")
        }
        if rename(temporary, path) != 0 {
            let reason = String(cString: strerror(errno))
            try? FileManager.default.removeItem(atPath: temporary)
            throw DriverError("cannot write '\(path)' in the build cache: \(reason)")
        }
    }

    /// Size and a 64-bit FNV-1a of the bytes: damage detection, not security.
    static func checksum(_ data: Data) -> String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        data.withUnsafeBytes { (bytes: UnsafeRawBufferPointer) in
            for byte in bytes { hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01b3 }
        }
        return "\(data.count) \(String(hash, radix: 16))"
    }
}

/// A stable 128-bit hash (two FNV-1a 64 lanes) as 32 hex digits. Not for security: a cache key.
public func stableHash(_ parts: [String]) -> String {
    var a: UInt64 = 0xcbf2_9ce4_8422_2325
    var b: UInt64 = 0x8422_2325_cbf2_9ce4
    for part in parts {
        for byte in part.utf8 {
            a = (a ^ UInt64(byte)) &* 0x0000_0100_0000_01b3
            b = (b ^ UInt64(byte)) &* 0x0000_0100_0000_01b3 &+ 0x9e37_79b9
        }
        // Separator, so ["ab", "c"] and ["a", "bc"] differ.
        a = (a ^ 0xff) &* 0x0000_0100_0000_01b3
        b = (b ^ 0xfe) &* 0x0000_0100_0000_01b3
    }
    return String(format: "%016llx%016llx", a, b)
}
