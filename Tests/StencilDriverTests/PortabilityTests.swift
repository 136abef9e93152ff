// PortabilityTests.swift: portability checked, not assumed. The results must not depend on the
// instruction set the C is built for: the runtime's vector helpers take different paths by ISA
// (plain multiplies, 256-bit FMA with a -0 addend, AVX-512 alignr, masked stores and FMA; see
// stencil_runtime.h), and every path must round the same way. So, for every program of stencils/
// with a hand-written reference (Reference.swift), on the serial and openmp targets:
// - on x86_64 hosts, built for x86-64-v2, x86-64-v3, -march=native and, where the CPU has
//   AVX-512, x86-64-v4: the reference's field bit for bit, with its iteration count. Only the
//   levels this CPU runs are built (`ISALevel.runnable`); `isaLevelsOfThisCPU` records which ran
//   and which were left out, and why. (The machine these tests were written on, an AMD EPYC
//   with AVX2 and FMA but no AVX-512, runs v2, v3 and native.)
// - cross-compiled for aarch64 (armv8-a) and run under qemu-user: the native serial target's field
//   bit for bit, with its iteration count. That includes channel.st, which calls sinf and cosf:
//   aarch64 glibc's libm could round differently from x86_64's, but measured it does not (glibc
//   2.36 on both: sinf and cosf agree bit for bit on every float in [0, 2], which holds every value
//   channel.st's field takes), so it is compared bitwise like the rest. Should a difference
//   appear, the failure message says how many elements differ and by how many ulps at most.
// Both builds go straight through the C compiler, not through the build cache: the recipe's
// runtime sources once per compiler and flags, then each program with them. The x86-64 levels
// and the aarch64 comparison apply on x86_64 hosts only; elsewhere these tests are skipped, not
// passed.

import Foundation
import StencilCodegen
import StencilDriver
import StencilIR
import Testing

/// An x86-64 level to build for, and the /proc/cpuinfo flags a CPU needs to run what it builds.
struct ISALevel: Sendable, CustomTestStringConvertible {
    let march: String
    let needs: [String]

    var testDescription: String { "-march=\(march)" }

    /// gcc's levels (the x86-64 psABI's), with the CPU features each adds; `native` is this CPU.
    static let candidates: [ISALevel] = [
        ISALevel(march: "x86-64-v2", needs: ["cx16", "lahf_lm", "popcnt", "sse4_1", "sse4_2", "ssse3"]),
        ISALevel(march: "x86-64-v3", needs: ["avx", "avx2", "bmi1", "bmi2", "f16c", "fma", "abm", "movbe", "xsave"]),
        ISALevel(march: "native", needs: []),
        ISALevel(march: "x86-64-v4", needs: ["avx512f", "avx512bw", "avx512cd", "avx512dq", "avx512vl"]),
    ]

    /// This CPU's feature flags (the first "flags" line of /proc/cpuinfo); empty if unreadable.
    static let cpuFlags: Set<String> = {
        guard let text = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8),
              let line = text.split(separator: "\n").first(where: { $0.hasPrefix("flags") }),
              let colon = line.firstIndex(of: ":") else { return [] }
        return Set(line[line.index(after: colon)...].split(separator: " ").map(String.init))
    }()

    static var runnable: [ISALevel] { candidates.filter { Set($0.needs).isSubset(of: cpuFlags) } }
    static var leftOut: [ISALevel] { candidates.filter { !Set($0.needs).isSubset(of: cpuFlags) } }
}

struct ISACase: Sendable, CustomTestStringConvertible {
    let program: ReferenceCase
    let target: Target
    let level: ISALevel

    var testDescription: String { "\(program.file) \(target.rawValue) \(level.testDescription)" }
}

enum Portability {
    static let isX86Host: Bool = {
        #if arch(x86_64)
        return true
        #else
        return false
        #endif
    }()

    static let cpuTargets: [Target] = [.serial, .openmp]

    /// programs x targets x the levels this CPU runs; none on other hosts.
    static let isaCases: [ISACase] = {
        #if arch(x86_64)
        return ReferencePrograms.all.flatMap { program in
            cpuTargets.flatMap { target in ISALevel.runnable.map { ISACase(program: program, target: target, level: $0) } }
        }
        #else
        return []
        #endif
    }()

    static let aarch64Compiler = "aarch64-linux-gnu-gcc"
    static let qemu = "qemu-aarch64"
    static let aarch64Sysroot = "/usr/aarch64-linux-gnu"
    static let setupHint = "run scripts/setup.sh (it installs gcc-aarch64-linux-gnu, libgomp1-arm64-cross and qemu-user)"

    /// Builds `emitted` into `directory`/exe with `compiler`: the recipe's flags with every
    /// -march=... replaced by `march`, `-I runtime`, the program, the objects of every runtime
    /// source of the recipe (`runtimeObjects`), its libraries. Returns the executable's path.
    static func build(_ emitted: EmittedProgram, compiler: String, march: String, in directory: URL) throws -> String {
        let source = directory.appendingPathComponent("program.c").path
        let executable = directory.appendingPathComponent("exe").path
        try emitted.source.write(toFile: source, atomically: true, encoding: .utf8)
        let recipe = emitted.recipe
        let flags = recipe.flags.filter { !$0.hasPrefix("-march=") } + ["-march=\(march)"]
        let objects = try runtimeObjects(recipe.runtimeSources, compiler: compiler, flags: flags)
        try compile(compiler, flags + ["-I", runtime, source] + objects + recipe.libraries + ["-o", executable])
        return executable
    }

    static let runtime = "\(Repository.root)/runtime"

    /// The runtime sources compiled with `compiler` and `flags`, once per process for each pair
    /// (they take most of a build's time; each program of each target at each level is
    /// compiled once). In a folder of this process's, removed when it exits.
    static func runtimeObjects(_ sources: [String], compiler: String, flags: [String]) throws -> [String] {
        objectsLock.lock()
        defer { objectsLock.unlock() }
        let key = ([compiler] + flags).joined(separator: " ")
        if let objects = objectsBuilt[key] { return objects }
        let directory = "\(objectDirectory)/\(objectsBuilt.count)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        var objects: [String] = []
        for source in sources {
            let object = "\(directory)/\(source.replacingOccurrences(of: ".c", with: ".o"))"
            try compile(compiler, flags + ["-I", runtime, "-c", "\(runtime)/\(source)", "-o", object])
            objects.append(object)
        }
        objectsBuilt[key] = objects
        return objects
    }

    nonisolated(unsafe) private static var objectsBuilt: [String: [String]] = [:]
    private static let objectsLock = NSLock()
    private static let objectDirectory: String = {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("stencilc-portability-\(getpid())").path
        atexit { try? FileManager.default.removeItem(atPath: Portability.objectDirectory) }
        return path
    }()

    static func compile(_ compiler: String, _ arguments: [String]) throws {
        let job = Job(kind: .compileProgram, executable: compiler, arguments: arguments)
        let result = try ProcessRunner.run(job, capture: true)
        guard result.status == 0, !result.signaled else {
            throw DriverError("\(job) failed (exit \(result.status))", toolOutput: result.errorOutput + result.output)
        }
    }

    /// The reference's result for a program, solved once per process (the reference is plain
    /// Swift in a debug build: seconds for some programs, and each is compared 6 times).
    static func reference(_ program: ReferenceCase) -> (bytes: [UInt8], iterations: Int, converged: Bool) {
        let key = program.testDescription
        referencesLock.lock()
        if let solved = referencesSolved[key] {
            referencesLock.unlock()
            return solved
        }
        referencesLock.unlock()
        let solved = program.solve()
        referencesLock.lock()
        referencesSolved[key] = solved
        referencesLock.unlock()
        return solved
    }

    nonisolated(unsafe) private static var referencesSolved: [String: (bytes: [UInt8], iterations: Int, converged: Bool)] = [:]
    private static let referencesLock = NSLock()

    /// Runs `executable` (after `prefix`, e.g. qemu) with the program's params, writing its field
    /// into `directory`; reads back its JSON summary and the field.
    static func run(_ executable: String, params: [String], prefix: [String] = [], environment: [String: String] = [:],
                    in directory: URL) throws -> RunOutcome {
        let output = directory.appendingPathComponent("field.npy").path
        let arguments = params.flatMap { ["--param", $0] } + ["--output", output, "--json", "--quiet"]
        let job = Job(kind: .run, executable: prefix.first ?? executable,
                      arguments: (prefix.isEmpty ? [] : Array(prefix.dropFirst()) + [executable]) + arguments,
                      environment: environment)
        let result = try ProcessRunner.run(job, capture: true)
        guard result.status == 0, !result.signaled else {
            throw DriverError("\(job) failed (exit \(result.status))", toolOutput: result.errorOutput + result.output)
        }
        guard let summary = try JSONSerialization.jsonObject(with: Data(result.output.utf8)) as? [String: Any] else {
            throw DriverError("no JSON summary in: \(result.output)")
        }
        return RunOutcome(summary: summary, field: try NPYArray(contentsOf: output))
    }

    /// How two fields of the same shape differ: how many elements, the first, the most ulps apart.
    static func difference(_ bytes: [UInt8], _ expected: [UInt8], elementSize: Int) -> String {
        guard bytes.count == expected.count else { return "\(bytes.count) bytes, expected \(expected.count)" }
        // Bit patterns mapped to integers in the order of the values they stand for: the distance
        // between two is their distance in ulps (across zero too).
        func ordered(_ data: [UInt8], _ k: Int) -> Int64 {
            var bits: UInt64 = 0
            for b in 0..<elementSize { bits |= UInt64(data[k * elementSize + b]) << (8 * b) }
            let sign: UInt64 = 1 << (8 * elementSize - 1)
            let magnitude = Int64(bitPattern: bits & (sign - 1))
            return bits & sign != 0 ? -magnitude : magnitude
        }
        var count = 0, first = -1
        var maxULPs: Int64 = 0
        for k in 0..<(bytes.count / elementSize) {
            let distance = abs(ordered(bytes, k) - ordered(expected, k))
            if distance != 0 {
                count += 1
                if first < 0 { first = k }
                maxULPs = max(maxULPs, distance)
            }
        }
        return "\(count) of \(bytes.count / elementSize) elements differ (the first at element \(first)), by up to \(maxULPs) ulps"
    }
}

@Suite struct PortabilityTests {
    /// Records which levels this CPU runs (and so the ISA test builds) and which it leaves out.
    @Test(.enabled(if: Portability.isX86Host, "x86-64 levels apply on x86_64 hosts only"))
    func isaLevelsOfThisCPU() throws {
        try #require(!ISALevel.cpuFlags.isEmpty, "cannot read the CPU flags from /proc/cpuinfo")
        let ran = ISALevel.runnable.map(\.testDescription).joined(separator: ", ")
        let leftOut = ISALevel.leftOut.map { level in
            "\(level.testDescription) (the CPU lacks \(level.needs.filter { !ISALevel.cpuFlags.contains($0) }.joined(separator: ", ")))"
        }
        Issue.record("ISA levels built and run: \(ran); left out: \(leftOut.isEmpty ? "none" : leftOut.joined(separator: ", "))",
                     severity: .warning)
        // Every x86-64 CPU that runs Swift's toolchain runs v2; native always runs.
        #expect(ISALevel.runnable.contains { $0.march == "x86-64-v2" })
        #expect(ISALevel.runnable.contains { $0.march == "native" })
    }

    @Test(.enabled(if: Portability.isX86Host, "x86-64 levels apply on x86_64 hosts only"), arguments: Portability.isaCases)
    func isaLevelMatchesReference(_ c: ISACase) throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let result = try Compilation.compile(path: Repository.stencil(c.program.file), target: c.target)
        let executable = try Portability.build(result.emitted, compiler: "gcc", march: c.level.march, in: directory)
        let run = try Portability.run(executable, params: c.program.params,
                                      environment: c.target == .openmp ? ["OMP_NUM_THREADS": "2"] : [:], in: directory)
        let reference = Portability.reference(c.program)
        #expect(run.iterations == reference.iterations, "\(c.testDescription): iterations \(run.iterations), reference \(reference.iterations)")
        #expect(run.converged == reference.converged)
        if run.field.bytes != reference.bytes {
            let difference = Portability.difference(run.field.bytes, reference.bytes, elementSize: run.field.elementSize)
            Issue.record("\(c.testDescription): field differs from the reference: \(difference)")
        }
    }

    /// aarch64 (armv8-a, no x86 vector path: plain multiplies and generic shuffles), under
    /// qemu-user, against the native serial target (itself checked against the reference by
    /// NumericalTests). A missing cross compiler or qemu fails: scripts/setup.sh installs them.
    @Test(.enabled(if: Portability.isX86Host, "compares an aarch64 build with this x86_64 host's"),
          arguments: ReferencePrograms.all, Portability.cpuTargets)
    func aarch64UnderQEMUMatchesNativeSerial(_ program: ReferenceCase, target: Target) throws {
        for tool in [Portability.aarch64Compiler, Portability.qemu] {
            try #require(ProcessRunner.which(tool) != nil, "\(tool) not found: \(Portability.setupHint)")
        }
        try #require(FileManager.default.fileExists(atPath: "\(Portability.aarch64Sysroot)/lib/ld-linux-aarch64.so.1"),
                     "no aarch64 C library in \(Portability.aarch64Sysroot): \(Portability.setupHint)")
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let native = try runStencil(program.file, target: .serial, params: program.params)
        let result = try Compilation.compile(path: Repository.stencil(program.file), target: target)
        let executable = try Portability.build(result.emitted, compiler: Portability.aarch64Compiler, march: "armv8-a", in: directory)
        let run = try Portability.run(executable, params: program.params, prefix: [Portability.qemu, "-L", Portability.aarch64Sysroot],
                                      environment: target == .openmp ? ["OMP_NUM_THREADS": "2"] : [:], in: directory)
        let label = "\(program.file) \(target.rawValue) on aarch64"
        #expect(run.iterations == native.iterations, "\(label): iterations \(run.iterations), native serial \(native.iterations)")
        #expect(run.converged == native.converged)
        #expect(run.field.descr == native.field.descr && run.field.rows == native.field.rows && run.field.cols == native.field.cols)
        if run.field.bytes != native.field.bytes {
            let difference = Portability.difference(run.field.bytes, native.field.bytes, elementSize: native.field.elementSize)
            Issue.record("\(label): field differs from native serial: \(difference)")
        }
    }
}
