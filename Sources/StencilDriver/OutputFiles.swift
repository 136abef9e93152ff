// OutputFiles.swift: emit mode's files, written atomically (temporary name, then rename) so an
// error never leaves a half-written file, and all-or-nothing for a file and its extras.

import Foundation
import StencilCodegen

public enum OutputFiles {
    /// Writes `emitted.source` to `path` and each extra beside it (`out.c` -> `out.cl`).
    public static func write(_ emitted: EmittedProgram, to path: String) throws {
        let base = path.hasSuffix(".c") ? String(path.dropLast(2)) : path
        var files = [(path, emitted.source)]
        for extra in emitted.extras { files.append((base + extra.suffix, extra.contents)) }
        var written: [String] = []
        do {
            for (target, contents) in files {
                let temporary = target + ".tmp.\(ProcessInfo.processInfo.processIdentifier)"
                try Data(contents.utf8).write(to: URL(fileURLWithPath: temporary))
                written.append(temporary)
            }
        } catch {
            for temporary in written { try? FileManager.default.removeItem(atPath: temporary) }
            throw DriverError("cannot write '\(path)': \(error.localizedDescription)")
        }
        for ((target, _), temporary) in zip(files, written) where rename(temporary, target) != 0 {
            let reason = String(cString: strerror(errno))
            for leftover in written { try? FileManager.default.removeItem(atPath: leftover) }
            throw DriverError("cannot write '\(target)': \(reason)")
        }
    }
}
