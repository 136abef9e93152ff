// CLITests.swift: the `stencilc` executable as a user runs it: emit, run, check, explain,
// --json, --output, --print-commands, and the error paths (exit status, messages, no files).

import Foundation
import StencilCodegen
import StencilDriver
import Testing

struct CommandResult {
    var status: Int32
    var stdout: String
    var stderr: String
}

/// Runs the built stencilc with an argument array.
func stencilc(_ arguments: [String], environment: [String: String] = [:], in directory: String? = nil) throws -> CommandResult {
    let result = try ProcessRunner.run(Job(kind: .run, executable: Repository.stencilc, arguments: arguments, environment: environment),
                                       capture: true, workingDirectory: directory)
    return CommandResult(status: result.status, stdout: result.output, stderr: result.errorOutput)
}

@Suite struct CLITests {
    let jacobi = Repository.stencil("jacobi.st")

    @Test func emitWritesTheFileWithItsBuildCommand() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let output = directory.appendingPathComponent("jacobi.c").path
        let result = try stencilc([jacobi, "--target", "openmp", "-o", output])
        #expect(result.status == 0, "\(result.stderr)")
        let text = try String(contentsOfFile: output, encoding: .utf8)
        #expect(text.contains(" *   flags=\"-std=c11 -O3 -march=native -ffp-contract=off -fno-math-errno -falign-loops=64 -fopenmp -I runtime\"\n"))
        #expect(text.contains(" *   gcc $flags -c runtime/stencil_runtime.c runtime/stencil_sweeps.c\n"))
        #expect(text.contains(" *   gcc $flags jacobi.c stencil_runtime.o stencil_sweeps.o -lm -o jacobi\n"))
        #expect(text.contains("#pragma omp parallel"))
        #expect(text.contains("#pragma omp for schedule(static)"))
        // The emitted file builds by hand with its head comment's commands, pasted into a shell
        // as they stand, where runtime/ is the repository's.
        try buildAndRunFromHeadComment(text, in: directory, program: "jacobi")
    }

    @Test func headCommentNamesTheFileAsWritten() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let output = directory.appendingPathComponent("my prog.c").path
        let result = try stencilc([jacobi, "--target", "openmp", "-o", output])
        #expect(result.status == 0, "\(result.stderr)")
        let text = try String(contentsOfFile: output, encoding: .utf8)
        #expect(text.contains(" *   gcc $flags 'my prog.c' stencil_runtime.o stencil_sweeps.o -lm -o 'my prog'\n"))
        try buildAndRunFromHeadComment(text, in: directory, program: "my prog")
    }

    /// Runs the head comment's build commands in bash in `directory` (runtime/ linked to the
    /// repository's), then the program with a small N.
    private func buildAndRunFromHeadComment(_ text: String, in directory: URL, program: String) throws {
        let lines = text.components(separatedBy: "\n")
        guard let first = lines.firstIndex(where: { $0.hasPrefix(" * Build by hand") }),
              let last = lines.firstIndex(of: " * Run:") else { Issue.record("no build commands"); return }
        let commands = lines[(first + 1)..<last].map { String($0.dropFirst(" *   ".count)) }
        #expect(commands.count == 3, "\(commands)")
        try FileManager.default.createSymbolicLink(atPath: directory.appendingPathComponent("runtime").path,
                                                   withDestinationPath: "\(Repository.root)/runtime")
        let build = try ProcessRunner.run(Job(kind: .compileProgram, executable: "bash",
                                              arguments: ["-e", "-c", commands.joined(separator: "\n")]),
                                          capture: true, captureErrors: true, workingDirectory: directory.path)
        #expect(build.status == 0, "\(build.errorOutput)")
        let run = try ProcessRunner.run(Job(kind: .run, executable: directory.appendingPathComponent(program).path,
                                            arguments: ["--param", "N=24", "--json"]), capture: true)
        #expect(run.status == 0)
        #expect(run.output.contains("\"converged\": true"))
    }

    @Test func emitSubcommandSpelledOutAndToStdout() throws {
        let result = try stencilc(["emit", jacobi, "--target", "serial"])
        #expect(result.status == 0)
        #expect(result.stdout.contains("target serial"))
        // No thread team: only the column loops' `omp simd` (built with -fopenmp-simd).
        #expect(!result.stdout.contains("#pragma omp parallel") && !result.stdout.contains("#pragma omp for"))
        #expect(result.stdout.contains("#pragma omp simd"))
    }

    @Test func noOutputReplacesTheSourceFile() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let source = directory.appendingPathComponent("rod.st").path
        let text = try String(contentsOfFile: Repository.stencil("rod.st"), encoding: .utf8)
        try text.write(toFile: source, atomically: true, encoding: .utf8)
        let link = directory.appendingPathComponent("link.st").path
        try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: source)
        for arguments in [[source, "-o", source], [source, "-o", link], ["run", source, "--output", link],
                          ["run", source, "--output", "u=\(source)"], ["bench", source, "--csv", source]] {
            let result = try stencilc(arguments)
            #expect(result.status == 1, "\(arguments)")
            #expect(result.stderr.contains("is the program's source file"), "\(arguments): \(result.stderr)")
            #expect(try String(contentsOfFile: source, encoding: .utf8) == text, "\(arguments)")
        }
    }

    /// A flat sum is not nesting: 1000 reads check and run (Sema walks them on stencilc's main
    /// thread, in a debug build too); past Parser.tallestExpression it is one clear error.
    @Test func wideSumsCheckAndLongerOnesAreAnError() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        for (terms, ok) in [(1000, true), (1100, false)] {
            let path = directory.appendingPathComponent("sum\(terms).st").path
            let sum = Array(repeating: "u[i-1, j]", count: terms).joined(separator: " + ")
            try "stencil sum {\n    grid u: float64[8, 8]\n    boundary u { top = 1 }\n    update u[i, j] = (\(sum)) / \(terms)\n    steps 2\n}\n"
                .write(toFile: path, atomically: true, encoding: .utf8)
            let result = try stencilc(["run", path, "--target", "serial", "--json"])
            #expect(result.status == (ok ? 0 : 1), "\(terms): \(result.stderr.prefix(300))")
            #expect(ok ? result.stdout.contains("\"iterations\": 2") : result.stderr.contains("expression too long (more than 1024 operations in a chain)"))
        }
    }

    /// A tolerance given by a param is checked when the run sets it: at 0 nothing converges.
    @Test func aToleranceParamMustBePositive() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("tol.st").path
        try "stencil tol {\n    param eps = 1e-3\n    grid u: float32[16, 16]\n    boundary u { top = 1 }\n    update u[i, j] = (u[i-1, j] + u[i+1, j]) / 2\n    until maxdiff(u) < eps every 10\n}\n"
            .write(toFile: path, atomically: true, encoding: .utf8)
        for value in ["0", "-1e-3"] {
            let result = try stencilc(["run", path, "--target", "serial", "--param", "eps=\(value)"])
            #expect(result.status == 1)
            #expect(result.stderr.contains("tol: error: the tolerance must be a positive number"), "\(result.stderr)")
        }
        #expect(try stencilc(["run", path, "--target", "serial", "--param", "eps=1e-2", "--quiet"]).status == 0)
    }

    @Test func dashOutputMeansStandardOutput() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let result = try stencilc([jacobi, "--target", "serial", "-o", "-"], in: directory.path)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.hasPrefix("/* jacobi.c: generated by stencilc"))
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path).isEmpty)
    }

    /// The head comment builds the file by its name with the C compiler, which goes by the
    /// suffix: `-o jacobi` wrote C into `jacobi` and the comment compiled a `jacobi.c` that did
    /// not exist (opencl: `-o k.cl` put the C in k.cl and the kernel in k.cl.cl).
    @Test func outputNamesEndInDotC() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        for (name, target) in [("jacobi", "serial"), ("k.cl", "opencl"), ("out.txt", "openmp")] {
            let result = try stencilc([jacobi, "--target", target, "-o", name], in: directory.path)
            #expect(result.status == 1, "\(name)")
            #expect(result.stderr.contains("stencilc: error: -o '\(name)': the emitted C file's name must end in .c (say '\(name).c')"),
                    "\(result.stderr)")
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path).isEmpty)
        // A device is written as it is.
        #expect(try stencilc([jacobi, "--target", "serial", "-o", "/dev/null"]).status == 0)
    }

    /// `explain`'s OpenMP section names the pragmas the sweep function has: it said `omp for simd`
    /// for a tiled 1-D sweep (whose `omp for` is on the tile loop) and `omp for collapse(2)` for
    /// the fused red-black sweep, which shares no loop out (each thread computes its band).
    @Test func explainNamesTheSweepsPragmas() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let fused = directory.appendingPathComponent("rb3.st").path
        try """
            stencil rb3 {
                param N = 12
                grid u: float64[N, N, N]
                boundary u { front = 1; back = 2; top = 3; bottom = 4; left = 5; right = 6 }
                update u[k, i, j] = (u[k-1, i, j] + u[k+1, i, j] + u[k, i-1, j] + u[k, i+1, j] + u[k, i, j-1] + u[k, i, j+1]) / 6
                order redblack
                until maxdiff(u) < 1e-6 every 10 max 100
            }

            """.write(toFile: fused, atomically: true, encoding: .utf8)
        let examples = try FileManager.default.contentsOfDirectory(atPath: Repository.root + "/stencils").filter { $0.hasSuffix(".st") }
        var cases = examples.map { [Repository.stencil($0)] }
        cases += [[Repository.stencil("rod.st"), "--tile", "64"], [Repository.stencil("jacobi.st"), "--tile", "8x32"], [fused]]
        for arguments in cases {
            let explained = try stencilc(["explain"] + arguments + ["--target", "openmp"])
            let code = try stencilc(arguments + ["--target", "openmp"])
            #expect(explained.status == 0 && code.status == 0, "\(arguments)")
            // The sweep function (red-black half-sweeps: the red one's), up to the next function.
            let function = code.stdout.contains("static void sweep_red(") ? "static void sweep_red(" : "static void sweep("
            guard let start = code.stdout.range(of: function) else { Issue.record("no sweep in \(arguments)"); continue }
            let sweep = String(code.stdout[start.upperBound...]).components(separatedBy: "\nstatic ").first ?? ""
            guard let line = explained.stdout.split(separator: "\n").first(where: { $0.hasPrefix("  sweep:        ") }) else {
                Issue.record("no sweep line in \(arguments)"); continue
            }
            let said = line.dropFirst("  sweep:        ".count)
            if said.hasPrefix("no omp for") {
                #expect(!sweep.contains("#pragma omp for"), "\(arguments)")
            } else {
                let pragma = said.components(separatedBy: " (orphaned").first!.components(separatedBy: " over the tiles").first!
                #expect(sweep.contains(pragma + "\n"), "\(arguments): explain says \(pragma)")
            }
        }
    }

    /// Found by a reading of the README against the tool: `run --plan` did not exist (only the
    /// emitted program took it); `temporal on` on a small grid said "the grids do not fit in the
    /// last-level cache" with tiles taller than the grid; explain said "every 1th sweep".
    @Test func runTakesAPlanAndTemporalOnSaysWhy() throws {
        let given = try stencilc(["run", jacobi, "--target", "serial", "--param", "N=40", "--plan", "tiles:4:16",
                                  "--max-iterations", "20", "--json"])
        #expect(given.status == 0, "\(given.stderr)")
        let plan = try #require(try lastJSONObject(given.stdout)["plan"] as? [String: Any])
        #expect(plan["source"] as? String == "given" && plan["spec"] as? String == "tiles:4:16", "\(plan)")
        #expect(plan["reason"] as? String == "given by --plan", "\(plan)")

        let on = try stencilc(["run", jacobi, "--target", "serial", "--param", "N=40", "--temporal", "on",
                               "--max-iterations", "20", "--json"])
        let chosen = try #require(try lastJSONObject(on.stdout)["plan"] as? [String: Any])
        #expect(chosen["kind"] as? String == "tiles" && (chosen["tile_rows"] as? Int ?? 0) <= 40, "\(chosen)")
        #expect((chosen["reason"] as? String ?? "").hasPrefix("schedule: temporal on"), "\(chosen)")

        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let every = directory.appendingPathComponent("every.st").path
        try "stencil e {\n grid u: float32[8, 8]\n update u[i, j] = (u[i-1, j] + u[i+1, j]) / 2\n until maxdiff(u) < 1e-3\n}\n"
            .write(toFile: every, atomically: true, encoding: .utf8)
        #expect(try stencilc(["explain", every, "--target", "serial"]).stdout.contains("computed on every sweep, after at most"))
        // Tiles by hand for an update that reads no neighbours: they divided by its halo, 0 (SIGFPE).
        let pointwise = directory.appendingPathComponent("pointwise.st").path
        try "stencil z {\n grid u: float32[16, 16]\n init u = 1\n update u[i, j] = u[i, j] * 0.5\n steps 10\n}\n"
            .write(toFile: pointwise, atomically: true, encoding: .utf8)
        let tiled = try stencilc(["run", pointwise, "--target", "serial", "--plan", "tiles"])
        #expect(tiled.status == 0, "\(tiled.stderr)")
        #expect(try stencilc(["explain", jacobi, "--target", "serial"]).stdout.contains("computed on every 1000th sweep only"))
    }

    @Test func sourceErrorsExitOneAndWriteNothing() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let source = directory.appendingPathComponent("bad.st").path
        try "stencil bad {\n    grid u: float32[8, 8]\n    update u[i, j] = v[i, j]\n    steps 1\n}\n"
            .write(toFile: source, atomically: true, encoding: .utf8)
        let output = directory.appendingPathComponent("bad.c").path
        let result = try stencilc([source, "-o", output])
        #expect(result.status == 1)
        #expect(result.stderr.contains("bad.st:3:22: error: unknown grid 'v' [unknown-grid]\n    update u[i, j] = v[i, j]\n                     ^\n"))
        #expect(!FileManager.default.fileExists(atPath: output))
        let contents = try FileManager.default.contentsOfDirectory(atPath: directory.path)
        #expect(contents == ["bad.st"], "left files behind: \(contents)")
    }

    @Test func runPrintsTheSummary() throws {
        let result = try stencilc(["run", jacobi, "--param", "N=32", "--num-threads", "2"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("jacobi: 32 x 32 float32, target openmp, 2 threads"))
        #expect(result.stdout.contains("(converged)"))
        #expect(result.stdout.contains("MLUP/s"))
    }

    @Test func runJSONHasTheContractKeys() throws {
        let result = try stencilc(["run", jacobi, "--param", "N=32", "--json", "--target", "serial"])
        #expect(result.status == 0, "\(result.stderr)")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        for key in ["stencil", "target", "rows", "cols", "iterations", "converged", "residual", "seconds", "mlups", "threads", "ranks"] {
            #expect(object[key] != nil, "missing \(key)")
        }
        #expect(object["rows"] as? Int == 32)
        #expect(object["target"] as? String == "serial")
        #expect(object["threads"] as? Int == 1)
    }

    @Test func runOutputWritesNPY() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let output = directory.appendingPathComponent("u field.npy").path
        let result = try stencilc(["run", jacobi, "--param", "N=20", "--output", output, "--quiet"])
        #expect(result.status == 0, "\(result.stderr)")
        let array = try NPYArray(contentsOf: output)
        #expect(array.descr == "<f4")
        #expect(array.rows == 20 && array.cols == 20)
        #expect(array.floats[5] == 100)          // top row
        #expect(array.floats[20 * 10] == 75)     // left column
    }

    @Test func failedRunLeavesNoOutputFile() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let output = directory.appendingPathComponent("u.npy").path
        let result = try stencilc(["run", jacobi, "--param", "N=2", "--output", output])
        #expect(result.status != 0)
        #expect(result.stderr.contains("grid u is 2 x 2, but a stencil of halo 1 needs at least 3 x 3 points"))
        #expect(!FileManager.default.fileExists(atPath: output))
    }

    @Test func badParamsAreClearErrors() throws {
        let unknown = try stencilc(["run", jacobi, "--param", "M=3"])
        #expect(unknown.status != 0)
        #expect(unknown.stderr.contains("unknown param 'M' (params: N)"))
        let fraction = try stencilc(["run", jacobi, "--param", "N=10.5"])
        #expect(fraction.status != 0)
        #expect(fraction.stderr.contains("param N is an integer; '10.5' is not"))
        let huge = try stencilc(["run", jacobi, "--param", "N=99999999999999999999"])
        #expect(huge.status != 0)
        #expect(huge.stderr.contains("param N: '99999999999999999999' is too large: integers go up to 2^53"), "\(huge.stderr)")
        // A flag that would end the head comment (its build command quotes the flags).
        let comment = try stencilc([jacobi, "--cflags", "-DX=*/"])
        #expect(comment.status == 1 && comment.stdout.isEmpty)
        #expect(comment.stderr.contains("'-DX=*/' cannot go into the emitted file's head comment"), "\(comment.stderr)")
        let hexadecimal = try stencilc(["run", jacobi, "--param", "N=0x10"])
        #expect(hexadecimal.stderr.contains("param N: '0x10' is not a number"), "\(hexadecimal.stderr)")
        let overflow = try stencilc(["run", jacobi, "--param", "N=1e400"])
        #expect(overflow.stderr.contains("param N: '1e400' is out of range"), "\(overflow.stderr)")
        for (flag, value) in [("--num-threads", "100000"), ("--num-threads", "-1"), ("--ranks", "0")] {
            let team = try stencilc(["run", jacobi, flag, value])
            #expect(team.status == 1, "a bad flag is an error in the input: exit 1, not ArgumentParser's 64")
            #expect(team.stderr.hasPrefix("stencilc: error: \(flag) expects an integer from 1 to"), "\(flag) \(value): \(team.stderr)")
        }
        let malformed = try stencilc(["run", jacobi, "--param", "N"])
        #expect(malformed.status != 0)
        #expect(malformed.stderr.contains("--param expects NAME=VALUE"))
    }

    @Test func printCommandsShowsCompilerAndRun() throws {
        let cache = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: cache) }
        let result = try stencilc(["run", jacobi, "--param", "N=16", "--print-commands", "--target", "serial"],
                                  environment: ["STENCILC_CACHE_DIR": cache.path])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stderr.contains("-ffp-contract=off"))
        #expect(result.stderr.contains("stencil_runtime.c"))
        #expect(result.stderr.contains("--param N=16"))
        // A second run reuses the cached build: only the run command.
        let again = try stencilc(["run", jacobi, "--param", "N=16", "--print-commands", "--target", "serial"],
                                 environment: ["STENCILC_CACHE_DIR": cache.path])
        #expect(!again.stderr.contains("stencil_runtime.c"))
        #expect(again.stderr.contains("--param N=16"))
    }

    @Test func compilerFailuresAreReportedAsSuch() throws {
        let cache = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: cache) }
        let missing = try stencilc(["run", jacobi, "--param", "N=16"],
                                   environment: ["STENCILC_CC": "/nonexistent/cc", "STENCILC_CACHE_DIR": cache.path])
        #expect(missing.status != 0)
        #expect(missing.stderr.contains("'/nonexistent/cc' not found"))
        let failing = try stencilc(["run", jacobi, "--param", "N=16"],
                                   environment: ["STENCILC_CC": "false", "STENCILC_CACHE_DIR": cache.path])
        #expect(failing.status != 0)
        #expect(failing.stderr.contains("stencilc: error: the C compiler failed"))
    }

    @Test func checkReportsOkOrDiagnostics() throws {
        let ok = try stencilc(["check", jacobi])
        #expect(ok.status == 0)
        #expect(ok.stdout.contains("ok (stencil jacobi)"))
        let missing = try stencilc(["check", "/nonexistent.st"])
        #expect(missing.status == 1)
        #expect(missing.stderr.contains("no such file: '/nonexistent.st'"))
    }

    @Test func explainPrintsSharingClausesAndIR() throws {
        let result = try stencilc(["explain", jacobi, "--target", "openmp", "--schedule", "dynamic", "--chunksize", "16", "--num-threads", "2"])
        #expect(result.status == 0, "\(result.stderr)")
        let lines = result.stdout.split(separator: "\n").map { $0.split(separator: " ").map(String.init) }
        #expect(lines.contains { $0.first == "i" && $0.dropFirst().first == "private" })
        #expect(lines.contains { $0.first == "u" && $0.dropFirst().first == "shared" })
        #expect(lines.contains { $0.first == "maxdiff" && $0.dropFirst().first == "reduction(max)" })
        #expect(result.stdout.contains("#pragma omp for schedule(dynamic, 16) reduction(max: maxdiff)"))
        #expect(result.stdout.contains("#pragma omp parallel num_threads(2)"))
        #expect(result.stdout.contains("halo 1"))
        #expect(result.stdout.contains("loops vector simd"))
    }

    @Test func badFlagsAreRejected() throws {
        let target = try stencilc([jacobi, "--target", "cuda"])
        #expect(target.status != 0)
        #expect(target.stderr.contains("unknown target 'cuda'"))
        let auto = try stencilc([jacobi, "--schedule", "auto", "--chunksize", "4"])
        #expect(auto.status != 0)
        #expect(auto.stderr.contains("chunksize cannot be combined with schedule auto"))
    }

    @Test func printIRAfterAllShowsEachPass() throws {
        let result = try stencilc([jacobi, "--print-ir-after-all"])
        #expect(result.status == 0)
        for pass in ["lowering", "compute-halo", "classify-variables"] {
            #expect(result.stderr.contains("// IR after \(pass)"))
        }
    }

    @Test func helpListsTheSubcommands() throws {
        let result = try stencilc(["--help"])
        #expect(result.status == 0)
        for word in ["emit", "run", "check", "explain", "runtime-dir"] {
            #expect(result.stdout.contains(word))
        }
    }
}

@Suite struct InstallLayoutTests {
    /// An installed stencilc (PREFIX/bin) finds PREFIX/share/stencilc/runtime, and builds with it.
    @Test func installedCopyFindsItsRuntime() throws {
        let prefix = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: prefix) }
        let manager = FileManager.default
        try manager.createDirectory(at: prefix.appendingPathComponent("bin"), withIntermediateDirectories: true)
        try manager.createDirectory(at: prefix.appendingPathComponent("share/stencilc"), withIntermediateDirectories: true)
        try manager.copyItem(atPath: Repository.stencilc, toPath: prefix.appendingPathComponent("bin/stencilc").path)
        try manager.copyItem(atPath: "\(Repository.root)/runtime", toPath: prefix.appendingPathComponent("share/stencilc/runtime").path)
        let installed = prefix.appendingPathComponent("bin/stencilc").path
        let where_ = try ProcessRunner.run(Job(kind: .run, executable: installed, arguments: ["runtime-dir"]), capture: true)
        #expect(where_.output.trimmingCharacters(in: .whitespacesAndNewlines) == prefix.appendingPathComponent("share/stencilc/runtime").path)
        let run = try ProcessRunner.run(Job(kind: .run, executable: installed,
                                            arguments: ["run", Repository.stencil("heat.st"), "--param", "N=16", "--json"]),
                                        capture: true, workingDirectory: prefix.path)
        #expect(run.status == 0, "\(run.errorOutput)")
        #expect(run.output.contains("\"stencil\": \"heat\""))
    }
}

@Suite struct DivergenceTests {
    /// A program whose values grow without bound stops at the first check that sees NaN or Inf.
    @Test(arguments: ["until maxdiff(u) < 1e-6 every 50 max 100000", "until l2diff(u) < 1e-6 every 50", "steps 3000"])
    func divergingProgramStopsWithAClearMessage(_ stopping: String) throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let source = directory.appendingPathComponent("grow.st").path
        try """
            stencil grow {
                grid u: float32[16, 16]
                boundary u { top = 1 }
                update u[i, j] = 3 * (u[i-1, j] + u[i+1, j] + u[i, j-1] + u[i, j+1])
                \(stopping)
            }
            """.replacingOccurrences(of: "{ top = 1 }", with: "{\n top = 1\n }").write(toFile: source, atomically: true, encoding: .utf8)
        for target in ["serial", "openmp"] {
            let output = directory.appendingPathComponent("u.npy").path
            let result = try stencilc(["run", source, "--target", target, "--output", output])
            #expect(result.status == 1, "\(target): \(result.stdout)")
            #expect(result.stderr.contains("grow: error: the solution diverged"), "\(result.stderr)")
            if stopping.hasPrefix("until") {
                #expect(result.stderr.contains("after iteration 50\n") || result.stderr.contains("after iteration 100\n"),
                        "stopped late: \(result.stderr)")
            }
            #expect(!FileManager.default.fileExists(atPath: output))
        }
    }
}

@Suite struct ProgressTests {
    /// Progress goes to a terminal only: under `script` (a pseudo-terminal) it shows, in a pipe not.
    @Test func progressOnlyOnATerminal() throws {
        let quietRun = try stencilc(["run", Repository.stencil("jacobi.st"), "--param", "N=24", "--target", "serial"])
        #expect(quietRun.status == 0)
        #expect(quietRun.stderr.isEmpty, "progress in a pipe: \(quietRun.stderr)")
        let command = [Repository.stencilc, "run", Repository.stencil("weighted_jacobi.st"), "--param", "N=64", "--target", "serial"]
            .map(shellQuote).joined(separator: " ")
        let terminal = try ProcessRunner.run(Job(kind: .run, executable: "script", arguments: ["-qec", command, "/dev/null"]), capture: true)
        #expect(terminal.status == 0)
        #expect(terminal.output.contains("iteration 50/100000"), "\(terminal.output)")
        #expect(terminal.output.contains("residual"))
    }
}
