// OutputFiles.swift: emit mode's files, written atomically (temporary name, then rename) so an
// error never leaves a half-written file, and all-or-nothing for a file and its extras.
// A path that is not a regular file (/dev/stdout, a FIFO, /dev/full) is written in place: renaming
// a temporary over it would replace the device with a file. A symlink is followed: its target is
// replaced, the link stays.

import Foundation
import StencilCodegen

public enum OutputFiles {
    /// Writes `emitted.source` to `path` and each extra beside it (`out.c` -> `out.cl`).
    public static func write(_ emitted: EmittedProgram, to path: String) throws {
        let base = path.hasSuffix(".c") ? String(path.dropLast(2)) : path
        var files = [(path, emitted.source)]
        for extra in emitted.extras { files.append((base + extra.suffix, extra.contents)) }

        var regular: [(target: String, shown: String, contents: String)] = []
        for (target, contents) in files {
            // stat follows links: /dev/stdout -> /proc/self/fd/1 -> a pipe is special.
            if isSpecialFile(target) {
                try writeInPlace(contents, to: target, shown: target)
            } else {
                regular.append((resolvedTarget(target), target, contents))
            }
        }

        var written: [String] = []
        defer { for temporary in written { Interruption.unregisterTemporary(temporary) } }
        do {
            for (target, _, contents) in regular {
                let temporary = target + ".tmp.\(ProcessInfo.processInfo.processIdentifier)"
                Interruption.registerTemporary(temporary)
                written.append(temporary)
                try Data(contents.utf8).write(to: URL(fileURLWithPath: temporary))
            }
        } catch {
            for temporary in written { try? FileManager.default.removeItem(atPath: temporary) }
            throw DriverError("cannot write '\(path)': \(reason(error))")
        }
        for ((target, shown, _), temporary) in zip(regular, written) where rename(temporary, target) != 0 {
            let reason = String(cString: strerror(errno))
            for leftover in written { try? FileManager.default.removeItem(atPath: leftover) }
            throw DriverError("cannot write '\(shown)': \(reason)")
        }
    }

    /// Refuses an output that is the program's own source file (`-o jacobi.st`, `--output
    /// jacobi.st`, through a link or another spelling of the path): writing it would replace the
    /// only copy of the program. Compared by device and inode, so every spelling is caught.
    public static func refuseOverwriting(source: String, with output: String, option: String) throws {
        var sourceInfo = stat(), outputInfo = stat()
        guard stat(source, &sourceInfo) == 0, stat(output, &outputInfo) == 0,
              sourceInfo.st_dev == outputInfo.st_dev, sourceInfo.st_ino == outputInfo.st_ino else { return }
        throw DriverError("\(option) '\(output)' is the program's source file: writing it would replace \(source); name another file")
    }

    /// Refuses `-o NAME` where NAME is a file that does not end in `.c`: the head comment's build
    /// commands compile `NAME` with the C compiler, which goes by the suffix (and would link the
    /// program over its own source). A device or FIFO (`/dev/stdout`) is written as it is.
    public static func refuseNonCName(_ output: String) throws {
        guard !output.hasSuffix(".c"), !isSpecialFile(output) else { return }
        let name = URL(fileURLWithPath: output).lastPathComponent
        throw DriverError("-o '\(output)': the emitted C file's name must end in .c (say '\(name).c'), as its head comment's "
                          + "build commands compile it by that name; '-o -' writes to standard output")
    }

    /// Refuses, before any work, an output that cannot be written: a directory, or a file in a
    /// folder that does not exist or cannot be written (bench ran its whole matrix, then failed).
    public static func checkWritable(_ path: String, option: String) throws {
        if isSpecialFile(path) { return }
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue {
            throw DriverError("\(option) '\(path)' is a directory; name a file")
        }
        let folder = URL(fileURLWithPath: resolvedTarget(path)).deletingLastPathComponent().path
        guard FileManager.default.fileExists(atPath: folder, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw DriverError("\(option) '\(path)': no such directory '\(folder)'")
        }
        if access(folder, W_OK) != 0 {
            throw DriverError("\(option) '\(path)': cannot write in '\(folder)': \(String(cString: strerror(errno)))")
        }
    }

    /// A symlink's final target (so the link is kept), else the path itself.
    static func resolvedTarget(_ path: String) -> String {
        guard (try? FileManager.default.destinationOfSymbolicLink(atPath: path)) != nil else { return path }
        return URL(fileURLWithPath: path).resolvingSymlinksInPath().path
    }

    /// Exists and is not a regular file or a directory: a device, a FIFO, a socket.
    static func isSpecialFile(_ path: String) -> Bool {
        var info = stat()
        guard stat(path, &info) == 0 else { return false }
        let type = info.st_mode & S_IFMT
        return type != S_IFREG && type != S_IFDIR
    }

    private static func writeInPlace(_ contents: String, to path: String, shown: String) throws {
        let descriptor = open(path, O_WRONLY | O_TRUNC)
        guard descriptor >= 0 else {
            throw DriverError("cannot write '\(shown)': \(String(cString: strerror(errno)))")
        }
        defer { close(descriptor) }
        let bytes = Array(contents.utf8)
        var offset = 0
        while offset < bytes.count {
            let count = bytes[offset...].withUnsafeBytes { Foundation.write(descriptor, $0.baseAddress, $0.count) }
            if count < 0 {
                if errno == EINTR { continue }
                throw DriverError("cannot write '\(shown)': \(String(cString: strerror(errno)))")
            }
            offset += count
        }
    }

    /// Foundation's messages hide errno ("The operation could not be completed"): show it.
    private static func reason(_ error: Error) -> String {
        let ns = error as NSError
        if let underlying = ns.userInfo[NSUnderlyingErrorKey] as? NSError, underlying.domain == NSPOSIXErrorDomain {
            return String(cString: strerror(Int32(underlying.code)))
        }
        if ns.domain == NSPOSIXErrorDomain { return String(cString: strerror(Int32(ns.code))) }
        return ns.localizedDescription
    }

    /// Writes one text file atomically (bench's CSV, JSON and plot), with the same care for
    /// devices, symlinks and interruptions as emitted files.
    public static func writeText(_ text: String, to path: String) throws {
        if isSpecialFile(path) {
            try writeInPlace(text, to: path, shown: path)
            return
        }
        let target = resolvedTarget(path)
        let temporary = target + ".tmp.\(ProcessInfo.processInfo.processIdentifier)"
        Interruption.registerTemporary(temporary)
        defer { Interruption.unregisterTemporary(temporary) }
        do {
            try Data(text.utf8).write(to: URL(fileURLWithPath: temporary))
        } catch {
            try? FileManager.default.removeItem(atPath: temporary)
            throw DriverError("cannot write '\(path)': \(reason(error))")
        }
        if rename(temporary, target) != 0 {
            let reason = String(cString: strerror(errno))
            try? FileManager.default.removeItem(atPath: temporary)
            throw DriverError("cannot write '\(path)': \(reason)")
        }
    }
}
