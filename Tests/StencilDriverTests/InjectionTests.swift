// InjectionTests.swift: no way in through a file name or a path. Paths with spaces, quotes,
// `$(...)`, `;` and newlines work for emit, run, --output and the cache; the tools are run with
// argument arrays, never through a shell (a shell would have run the `$(touch ...)`); and no
// source of stencilc or its runtime starts a shell.

import Foundation
import StencilCodegen
import StencilDriver
import Testing

@Suite struct InjectionTests {
    @Test func hostilePathsWorkAndRunNothing() throws {
        let root = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: root) }
        // Every command runs in `root`: a shell that expanded `$(touch pwned)` would leave a file.
        let canary = root.appendingPathComponent("pwned").path
        let hostile = "dir with 'single' \"double\" $(touch pwned) ; `touch pwned` & | > <"
        let directory = root.appendingPathComponent(hostile)
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let source = directory.appendingPathComponent("my \"prog\" 'x' $(touch pwned).st").path
        try String(contentsOfFile: Repository.stencil("jacobi.st"), encoding: .utf8).write(toFile: source, atomically: true, encoding: .utf8)
        let cache = directory.appendingPathComponent("cache ' \" $(touch pwned)").path
        let environment = ["STENCILC_CACHE_DIR": cache]

        let emitted = directory.appendingPathComponent("out 'file' \"q\".c").path
        // Flags with quotes, `$(...)` and backquotes are written escaped into `flags="..."`: each
        // reaches the compiler as it is, and none runs (they broke the line's quoting).
        let cflags = "-DQ=\"x -DD=$(touch${IFS}pwned) -DB=`touch${IFS}pwned` -DS=\\"
        let emit = try stencilc(["emit", source, "-o", emitted, "--cflags", cflags], environment: environment, in: root.path)
        #expect(emit.status == 0, "\(emit.stderr)")
        let text = try String(contentsOfFile: emitted, encoding: .utf8)
        // The build commands in the head comment name the file as written, quoted for the shell;
        // pasted into bash as they stand, they build it and run nothing else.
        #expect(text.contains(" *   gcc $flags 'out '\\''file'\\'' \"q\".c' stencil_runtime.o"), "\(text.prefix(600))")
        #expect(text.contains(" -DQ=\\\"x -DD=\\$(touch\\${IFS}pwned) -DB=\\`touch\\${IFS}pwned\\` -DS=\\\\ -I runtime\"\n"), "\(text.prefix(600))")
        let lines = text.components(separatedBy: "\n")
        if let first = lines.firstIndex(where: { $0.hasPrefix(" * Build by hand") }), let last = lines.firstIndex(of: " * Run:") {
            try FileManager.default.createSymbolicLink(atPath: directory.appendingPathComponent("runtime").path,
                                                       withDestinationPath: "\(Repository.root)/runtime")
            let commands = lines[(first + 1)..<last].map { String($0.dropFirst(" *   ".count)) }
            let build = try ProcessRunner.run(Job(kind: .compileProgram, executable: "bash",
                                                  arguments: ["-e", "-c", commands.joined(separator: "\n")]),
                                              capture: true, captureErrors: true, workingDirectory: directory.path)
            #expect(build.status == 0, "\(build.errorOutput)")
            #expect(FileManager.default.isExecutableFile(atPath: directory.appendingPathComponent("out 'file' \"q\"").path))
        } else {
            Issue.record("no build commands in the head comment")
        }

        let output = directory.appendingPathComponent("u 'field' \"x\" $(touch pwned).npy").path
        let run = try stencilc(["run", source, "--param", "N=20", "--output", output, "--print-commands"],
                               environment: environment, in: root.path)
        #expect(run.status == 0, "\(run.stderr)")
        #expect((try? NPYFile(contentsOf: output))?.rows == 20)
        // --print-commands quotes each word as a POSIX shell needs it.
        #expect(run.stderr.contains(shellQuote(output)), "\(run.stderr)")

        let check = try stencilc(["check", source], in: root.path)
        #expect(check.status == 0)
        #expect(!FileManager.default.fileExists(atPath: canary), "a shell ran a command from a path")
        #expect(!FileManager.default.fileExists(atPath: directory.appendingPathComponent("pwned").path), "the head comment's commands ran one")
    }

    @Test func shellQuotingRoundTrips() throws {
        for word in ["plain", "with space", "it's", "\"dq\"", "$(x)", "`x`", "a\nb", "", "-", "semi;colon", "*"] {
            let quoted = shellQuote(word)
            let result = try ProcessRunner.run(Job(kind: .run, executable: "sh", arguments: ["-c", "printf '%s' \(quoted)"]), capture: true)
            #expect(result.output == word, "\(word.debugDescription) quoted as \(quoted)")
        }
    }

    /// stencilc and its runtime never start a shell: every tool runs from an argument array.
    @Test func noSourceStartsAShell() throws {
        var offenders: [String] = []
        for directory in ["Sources", "runtime"] {
            let root = "\(Repository.root)/\(directory)"
            let files = (FileManager.default.enumerator(atPath: root)?.allObjects as? [String]) ?? []
            for file in files where file.hasSuffix(".swift") || file.hasSuffix(".c") || file.hasSuffix(".h") {
                guard let text = try? String(contentsOfFile: "\(root)/\(file)", encoding: .utf8) else { continue }
                for pattern in ["/bin/sh", "/bin/bash", "\"sh\"", "\"bash\"", "system(", "popen(", "execl("] where text.contains(pattern) {
                    offenders.append("\(directory)/\(file): \(pattern)")
                }
            }
        }
        #expect(offenders.isEmpty, "\(offenders)")
    }
}
