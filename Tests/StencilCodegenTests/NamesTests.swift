// NamesTests.swift: no way into the emitted C through a .st file. Every DSL name reaches C only
// through CNames: one that is a keyword, a macro or symbol of the headers the emitted code
// includes, a generated local, or in a reserved namespace is renamed, and the result builds with
// -Wall -Wextra -Werror. File names go into comments only, made comment-safe.

import Foundation
import StencilCodegen
import StencilDriver
import StencilIR
import Testing

/// Emits `text` (written to a file named `fileName`) for a target, within a time limit: a name
/// that sends CNames into a loop must fail the test, not hang it.
func emitWithin(seconds: Double = 30, _ text: String, target: Target, fileName: String = "names.st") throws -> CompilationResult {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("stencilc-names-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: directory) }
    let path = directory.appendingPathComponent(fileName).path
    // (Foundation's atomic writes cannot handle a newline in a name; open(2) can.)
    let descriptor = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
    guard descriptor >= 0 else { throw DriverError("cannot create \(path.debugDescription)") }
    let bytes = Array(text.utf8)
    let written = bytes.withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
    close(descriptor)
    guard written == bytes.count else { throw DriverError("cannot write \(path.debugDescription)") }
    let box = ResultBox()
    let done = DispatchSemaphore(value: 0)
    Thread.detachNewThread {
        box.result = Result { try Compilation.compile(path: path, target: target) }
        done.signal()
    }
    guard done.wait(timeout: .now() + seconds) == .success else {
        throw DriverError("emitting did not finish within \(seconds) s (a hang):\n\(text)")
    }
    return try box.result!.get()
}

private final class ResultBox: @unchecked Sendable {
    var result: Result<CompilationResult, Error>?
}

/// Builds C text with -Wall -Wextra -Werror (syntax and semantics only, no link).
func buildsWarningFree(_ source: String, recipe: BuildRecipe, extraFlags: [String] = []) throws -> (Bool, String) {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("stencilc-names-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: directory) }
    let file = directory.appendingPathComponent("emitted.c").path
    try source.write(toFile: file, atomically: true, encoding: .utf8)
    let compiler = recipe.compilerRole == .cc ? "gcc" : "mpicc"
    let job = Job(kind: .compileProgram, executable: compiler,
                  arguments: recipe.flags + ["-Wall", "-Wextra", "-Werror", "-Wcomment"] + extraFlags
                    + ["-I", "\(Repository.root)/runtime", "-fsyntax-only", file])
    let result = try ProcessRunner.run(job, capture: true)
    return (result.status == 0, result.errorOutput)
}

/// Macro names the headers of the emitted code define (gcc -dM -E), per header set present here.
func headerMacros() throws -> [String] {
    var sets: [(compiler: String, include: String)] = [
        ("gcc", "#include <math.h>\n#include <omp.h>\n#include <stddef.h>\n#include \"stencil_runtime.h\"\n"),
    ]
    if ProcessRunner.which("mpicc") != nil { sets.append(("mpicc", "#include <mpi.h>\n")) }
    if FileManager.default.fileExists(atPath: "/usr/include/CL/cl.h") {
        sets.append(("gcc", "#define CL_TARGET_OPENCL_VERSION 120\n#include <CL/cl.h>\n"))
    }
    var names: Set<String> = []
    for (compiler, include) in sets {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("stencilc-macros-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = directory.appendingPathComponent("h.c").path
        try include.write(toFile: file, atomically: true, encoding: .utf8)
        let result = try ProcessRunner.run(Job(kind: .compileProgram, executable: compiler,
                                               arguments: ["-std=c11", "-fopenmp", "-dM", "-E", "-I", "\(Repository.root)/runtime", file]),
                                           capture: true)
        for line in result.output.split(separator: "\n") where line.hasPrefix("#define ") {
            let name = line.dropFirst(8).prefix { $0.isLetter || $0.isNumber || $0 == "_" }
            if !name.isEmpty { names.insert(String(name)) }
        }
    }
    return names.sorted()
}

/// Identifiers of C text outside comments, string and character literals.
func cIdentifiers(_ text: String) -> Set<String> {
    var result: Set<String> = []
    let chars = Array(text.unicodeScalars)
    var k = 0
    while k < chars.count {
        let c = chars[k]
        if c == "/" && k + 1 < chars.count && chars[k + 1] == "*" {
            k += 2
            while k + 1 < chars.count && !(chars[k] == "*" && chars[k + 1] == "/") { k += 1 }
            k += 2
        } else if c == "/" && k + 1 < chars.count && chars[k + 1] == "/" {
            while k < chars.count && chars[k] != "\n" { k += 1 }
        } else if c == "\"" || c == "'" {
            k += 1
            while k < chars.count && chars[k] != c { k += chars[k] == "\\" ? 2 : 1 }
            k += 1
        } else if c == "#" && (k == 0 || chars[..<k].last(where: { $0 != " " }) == "\n") {
            // A preprocessor line: #include names files; #pragma omp words are the pragma's own.
            while k < chars.count && chars[k] != "\n" { k += 1 }
        } else if c == "_" || (c.properties.isAlphabetic && c.isASCII) {
            var end = k
            while end < chars.count && (chars[end] == "_" || (chars[end].isASCII && (chars[end].properties.isAlphabetic || ("0"..."9").contains(chars[end])))) { end += 1 }
            // A member after `.` or `->` lives in its struct's namespace, not among variables.
            var isMember = false
            if let p = chars[..<k].lastIndex(where: { $0 != " " }) {
                isMember = chars[p] == "." || (chars[p] == ">" && p > 0 && chars[p - 1] == "-")
            }
            if !isMember { result.insert(String(String.UnicodeScalarView(chars[k..<end]))) }
            k = end
        } else if ("0"..."9").contains(c) {
            // A number, its suffix and exponent included (1e-4f).
            while k < chars.count && (chars[k].properties.isAlphabetic || ("0"..."9").contains(chars[k]) || chars[k] == ".") { k += 1 }
        } else {
            k += 1
        }
    }
    return result
}

@Suite struct NamesTests {
    /// Regression: a name in a namespace a trailing underscore cannot leave (st_x, MPI_x, _x)
    /// sent CNames into an endless loop: `stencilc` hung on `param st_x = 2`.
    @Test(arguments: [Target.serial, .openmp])
    func reservedNamespacesAreRenamedWithoutHanging(_ target: Target) throws {
        let text = """
            stencil main {
                param st_x = 2; param MPI_Comm = 0.5; param _x = 1; param __y = 3; param cl_mem = 0.25
                param clFinish = 1; param omp_get = 2; param INT32_MAX = 1; param size_t = 1; param float4 = 2
                grid st: float32[9, 9]
                grid _Bool: float32[9, 9]
                init _Bool = st_x
                update st[main, int] = (st[main-1, int] + st[main+1, int]) * MPI_Comm + _x + __y * cl_mem - clFinish + omp_get + INT32_MAX + size_t + float4 + _Bool[main, int]
                until maxdiff(st) < 1e-3 every 2 max 20
            }
            """
        let result = try emitWithin(text, target: target)
        let names = CNames(result.program)
        for name in ["st_x", "MPI_Comm", "_x", "__y", "cl_mem", "clFinish", "omp_get", "INT32_MAX", "size_t", "float4", "st",
                     "_Bool", "main", "int"] {
            #expect(names[name] != name, "\(name) was not renamed")
            #expect(!CNames.isReserved(names[name]), "\(name) -> \(names[name]) is still reserved")
        }
        #expect(!CNames.isReserved(names.next("st")), "the buffer \(names.next("st")) is reserved")
        let (ok, errors) = try buildsWarningFree(result.emitted.source, recipe: result.emitted.recipe)
        #expect(ok, "\(errors)")
    }

    /// Regression: grid `int` became `int_` with the buffer `int__next`, which a param named
    /// `int__next` also got: the emitted C declared it twice.
    @Test func renamedBufferCannotCollideWithAnotherName() throws {
        let text = """
            stencil c {
                param int__next = 2; param int_ = 1; param int_next = 3
                grid int: float64[8, 8]
                update int[i, j] = int[i-1, j] * int__next + int_ + int_next
                steps 2
            }
            """
        for target in [Target.serial, .openmp] {
            let result = try emitWithin(text, target: target)
            let names = CNames(result.program)
            let cNames = ["int__next", "int_", "int_next", "int"].map { names[$0] } + [names.next("int")]
            #expect(Set(cNames).count == cNames.count, "C names collide: \(cNames)")
            let (ok, errors) = try buildsWarningFree(result.emitted.source, recipe: result.emitted.recipe)
            #expect(ok, "\(errors)")
        }
    }

    /// Every macro the headers of the emitted code define (math.h, omp.h, the runtime; mpi.h and
    /// CL/cl.h where installed, for the mpi and opencl targets) is renamed when used as a name,
    /// and the program still builds: a macro spliced raw would expand inside a declaration.
    @Test func everyHeaderMacroIsRenamed() throws {
        let macros = try headerMacros()
        #expect(macros.contains("HUGE_VAL") && macros.contains("NAN"))
        let notRenamed = macros.filter { !CNames.isReserved($0) }
        #expect(notRenamed.isEmpty, "macros CNames does not rename: \(notRenamed)")
        // All of them as params of one program, each one used: the emitted C must build.
        let params = macros.map { "    param \($0) = 1\n" }.joined()
        let text = "stencil macros {\n\(params)    grid u: float64[5, 5]\n    init u = \(macros.prefix(200).joined(separator: " + "))\n"
            + "    update u[i, j] = u[i-1, j] + \(macros.suffix(from: min(200, macros.count)).prefix(200).joined(separator: " + "))\n"
            + "    steps 1\n}\n"
        let result = try emitWithin(text, target: .openmp)
        let (ok, errors) = try buildsWarningFree(result.emitted.source, recipe: result.emitted.recipe)
        #expect(ok, "\(errors.prefix(3000))")
    }

    /// Every identifier of every golden file (all targets, .cl kernels included) is either the C
    /// name of one of that program's DSL names or reserved: a backend cannot add a local,
    /// function or macro that a user's name could collide with without CNames knowing it.
    @Test(arguments: Repository.cases)
    func goldenIdentifiersAreReservedOrDSLNames(_ golden: GoldenCase) throws {
        let result = try Compilation.compile(path: "\(Repository.root)/stencils/\(golden.file)", target: golden.target, stem: golden.stem)
        let program = result.program
        let names = CNames(program)
        var dsl = Set((program.params.map(\.name) + program.grids.map(\.name)
                       + program.update.indices).map { names[$0] })
        // And the names backends derive from them (CNames reserves these with their owners).
        for update in program.updates { dsl.insert(names.next(update.grid)) }
        dsl.formUnion(program.grids.filter { !$0.isUpdated }.map { names[$0.name] + "_buffer" })
        dsl.formUnion(program.params.map { names[$0.name] + "_arg" })
        for (name, text) in try golden.files() {
            let unknown = cIdentifiers(text).subtracting(dsl).filter { !CNames.isReserved($0) }
            #expect(unknown.isEmpty, "\(name) uses identifiers CNames does not reserve: \(unknown.sorted())")
        }
    }

    /// Regression: the one-region iteration loop declares `plain` (the sweeps before a check)
    /// where it passes the params to `sweeps`: a param named `plain` was silently replaced by
    /// that count (the update used 3 instead of 0.5). Every identifier of the emitted code is
    /// now checked against CNames (goldenIdentifiersAreReservedOrDSLNames), and here the same
    /// program under two param names must give the same bits.
    @Test(arguments: [Target.serial, .openmp])
    func aParamNamedLikeALocalKeepsItsValue(_ target: Target) throws {
        func field(_ name: String) throws -> [UInt8] {
            let text = """
                stencil p {
                    param \(name) = 0.5
                    grid u: float32[9, 9]
                    boundary u { top = 1 }
                    update u[i, j] = (u[i-1, j] + u[i+1, j]) * \(name)
                    until maxdiff(u) < 1e-6 every 4 max 40
                }
                """
            let result = try emitWithin(text, target: target)
            return try runForField(result)
        }
        let reference = try field("weight")
        for name in ["plain", "iteration", "first", "count", "temporal", "norm", "bad", "frame", "interior", "current"] {
            #expect(try field(name) == reference, "a param named \(name) changes the result")
        }
    }

    /// Regression: a param nothing uses, or an update that does not read its grid, made
    /// -Wall -Werror builds fail (unused variable / parameter).
    @Test(arguments: [Target.serial, .openmp])
    func unusedParamsAndReadsBuildWarningFree(_ target: Target) throws {
        let text = """
            stencil s {
                param p = 3; param q = 0.5; param only_unused = 2; param steps_n = 2
                grid u: float32[5, 5]
                grid f: float32[4, 4]
                init f = only_unused
                update u[i, j] = 1
                steps steps_n
            }
            """
        let result = try emitWithin(text, target: target)
        let (ok, errors) = try buildsWarningFree(result.emitted.source, recipe: result.emitted.recipe)
        #expect(ok, "\(errors)")
    }

    /// File names reach C only inside comments, made safe: control characters and line breaks
    /// become '?', and nothing in a comment can close it (a base name cannot hold '/', so `*/`
    /// cannot come from a path; CNames.commentText splits it in any other text).
    @Test func hostileFileNamesStayInsideComments() throws {
        let fileName = "we*ird \"dq\" 'sq' $(touch pwned); `x` ??=\n\ttab\u{7f} é.st"
        let text = "stencil s {\n param N = 6\n grid u: float32[N, N]\n boundary u { top = 1 }\n update u[i, j] = (u[i-1, j] + u[i+1, j]) / 2\n until maxdiff(u) < 1e-3\n}\n"
        for target in [Target.serial, .openmp] {
            let result = try emitWithin(text, target: target, fileName: fileName)
            #expect(!result.emitted.source.unicodeScalars.contains { ($0.value < 0x20 && $0 != "\n") || $0.value == 0x7f })
            #expect(result.emitted.source.contains("we*ird \"dq\" 'sq' $(touch pwned); `x` ??=??tab? é.st"))
            // -Wcomment -Werror: no `/*` in a comment; with -trigraphs the `??=` is read as `#`,
            // harmless inside a block comment.
            let (ok, errors) = try buildsWarningFree(result.emitted.source, recipe: result.emitted.recipe, extraFlags: ["-trigraphs"])
            #expect(ok, "\(errors)")
        }
        #expect(CNames.commentText("a */ b /* c\nd") == "a * / b / * c?d")
    }

    @Test func commentTextNeverEndsAComment() {
        var rng = SystemRandomNumberGenerator()
        for _ in 0..<2000 {
            let text = String((0..<Int.random(in: 0..<12, using: &rng)).map { _ in "*/ \n\u{1}a".randomElement(using: &rng)! })
            let safe = CNames.commentText(text)
            #expect(!safe.contains("*/") && !safe.contains("/*") && !safe.contains("\n"), "\(text.debugDescription) -> \(safe.debugDescription)")
        }
    }
}

/// Builds and runs an emitted program (serial or openmp, 2 threads) and returns its final field.
func runForField(_ result: CompilationResult) throws -> [UInt8] {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("stencilc-names-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: directory) }
    let toolchain = try Toolchain.fromEnvironment(runtimeDirectory: "\(Repository.root)/runtime")
    let launcher = Launcher(builder: Builder(toolchain: toolchain, cache: BuildCache.defaultCache()))
    var options = RunOptions()
    options.outputPath = directory.appendingPathComponent("u.npy").path
    options.quiet = true
    options.environment = ["OMP_NUM_THREADS": "2"]
    try launcher.run(result, stem: "names", options: options, capture: true)
    return try NPYFile(contentsOf: options.outputPath!).bytes
}
