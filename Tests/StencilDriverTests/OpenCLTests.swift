// OpenCLTests.swift: the opencl target on the default OpenCL device (PoCL's CPU device in CI):
// every program of stencils/ against the serial target, ragged work-groups, names that OpenCL C
// reserves, emit mode's .cl file, `stencilc devices`, and the error paths (bad device, no
// platform, a kernel that does not build, a work-group the device cannot take).
//
// Agreement with serial: equal iteration counts and convergence always; the grids must be
// bitwise equal when the update uses only + - * / and abs/min/max/sqrt, which OpenCL rounds
// exactly as C does given FP_CONTRACT OFF (emitted) and -cl-fp32-correctly-rounded-divide-sqrt
// (the runtime adds it where the device offers it), on a device that keeps subnormals (PoCL, and
// NVIDIA/AMD GPUs for these kernels). OpenCL lets exp/sin/cos be off by up to 3-4 ulp, so an
// update that calls them is compared within a tolerance, see `transcendentalTolerance`.

import Foundation
import StencilCodegen
import StencilDriver
import StencilIR
import Testing

/// Running programs for the OpenCL tests. Namespaced: the rest of this test target has its own
/// helpers.
enum OpenCLHarness {
    static let root: String = {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { url.deleteLastPathComponent() }
        return url.path
    }()

    static var stencils: [String] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: "\(root)/stencils")) ?? []
        return names.filter { $0.hasSuffix(".st") }.sorted()
    }

    static func builder() throws -> Builder {
        let toolchain = try Toolchain.fromEnvironment(runtimeDirectory: "\(root)/runtime")
        return Builder(toolchain: toolchain, cache: BuildCache.defaultCache())
    }

    static func temporaryDirectory() throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("stencilc-opencl-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    /// Compiles a .st file (a path, or a name in stencils/) for a target.
    static func compile(_ file: String, target: Target, schedule: Schedule = Schedule()) throws -> CompilationResult {
        let path = file.hasPrefix("/") ? file : "\(root)/stencils/\(file)"
        return try Compilation.compile(path: path, target: target, overrides: schedule)
    }

    /// Builds an emitted program (through the cache) and returns its executable.
    static func build(_ emitted: EmittedProgram, stem: String) throws -> String {
        let builder = try builder()
        let plan = try builder.plan(emitted, stem: stem)
        try builder.execute(plan)
        return plan.executable
    }

    struct Outcome {
        var summary: [String: Any]
        var field: [UInt8]
        var iterations: Int { summary["iterations"] as? Int ?? -1 }
        var converged: Bool { summary["converged"] as? Bool ?? false }
        var residual: Double? { summary["residual"] as? Double }
    }

    /// Runs a built program with --json and --output, returning its summary and final grid.
    static func run(_ executable: String, params: [String], arguments: [String] = [],
                    environment: [String: String] = [:]) throws -> Outcome {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let output = "\(directory)/field.npy"
        let job = Job(kind: .run, executable: executable,
                      arguments: params.flatMap { ["--param", $0] } + ["--json", "--output", output] + arguments,
                      environment: environment)
        let result = try ProcessRunner.run(job, capture: true)
        guard result.status == 0, !result.signaled else {
            throw DriverError("\(job) exited with \(result.status): \(result.errorOutput)")
        }
        let summary = try JSONSerialization.jsonObject(with: Data(result.output.utf8)) as? [String: Any] ?? [:]
        return Outcome(summary: summary, field: try npyPayload(output))
    }

    /// Runs a built program expecting failure; returns (status, stderr).
    static func fail(_ executable: String, arguments: [String] = [], environment: [String: String] = [:]) throws -> (Int32, String) {
        let job = Job(kind: .run, executable: executable, arguments: arguments, environment: environment)
        let result = try ProcessRunner.run(job, capture: true)
        return (result.signaled ? -1 : result.status, result.errorOutput)
    }

    /// Compiles, builds and runs in one go.
    static func solve(_ file: String, target: Target, params: [String], schedule: Schedule = Schedule(),
                      arguments: [String] = []) throws -> Outcome {
        let result = try compile(file, target: target, schedule: schedule)
        let stem = Compilation.defaultStem(file)
        return try run(try build(result.emitted, stem: stem), params: params, arguments: arguments)
    }

    /// The data of a .npy file (after its header).
    static func npyPayload(_ path: String) throws -> [UInt8] {
        guard let data = FileManager.default.contents(atPath: path), data.count >= 10 else {
            throw DriverError("no .npy file at \(path)")
        }
        let bytes = [UInt8](data)
        let headerLength = Int(bytes[8]) | Int(bytes[9]) << 8
        return Array(bytes[(10 + headerLength)...])
    }

    /// Largest absolute difference, and largest magnitude of `reference`, of two grids.
    static func compare(_ a: [UInt8], _ reference: [UInt8], float64: Bool) -> (difference: Double, scale: Double) {
        func values(_ bytes: [UInt8]) -> [Double] {
            bytes.withUnsafeBytes { raw in
                float64 ? raw.bindMemory(to: Double.self).map { $0 }
                        : raw.bindMemory(to: Float.self).map { Double($0) }
            }
        }
        let x = values(a), y = values(reference)
        var difference = 0.0, scale = 0.0
        for (p, q) in zip(x, y) {
            difference = max(difference, abs(p - q))
            scale = max(scale, abs(q))
        }
        return (difference, scale)
    }

    /// Whether an update calls a function OpenCL may round differently from C (exp, sin, cos).
    static func usesInexactFunctions(_ expr: IRExpr) -> Bool {
        switch expr {
        case .constant, .param, .read: return false
        case .negate(let operand): return usesInexactFunctions(operand)
        case .binary(_, let left, let right): return usesInexactFunctions(left) || usesInexactFunctions(right)
        case .call(let function, let arguments):
            switch function {
            case .exp, .sin, .cos: return true
            case .abs, .min, .max, .sqrt: return arguments.contains(where: usesInexactFunctions)
            }
        }
    }
}

/// One program of stencils/ at a test size.
struct OpenCLCase: CustomTestStringConvertible, Sendable {
    let file: String
    let params: [String]
    var testDescription: String { file }

    /// Sizes that keep each run well under a second; programs not listed run with their defaults.
    static let sizes: [String: [String]] = [
        "jacobi.st": ["N=40"],
        "weighted_jacobi.st": ["N=48", "omega=0.7"],
        "nine_point.st": ["N=33"],
        "heat.st": ["N=37", "steps_count=300"],
        "poisson64.st": ["N=24"],
        "wide_halo.st": ["N=31"],
        "channel.st": ["sweeps=150"],
    ]

    static var all: [OpenCLCase] {
        OpenCLHarness.stencils.map { OpenCLCase(file: $0, params: sizes[$0] ?? []) }
    }
}

@Suite struct OpenCLTests {
    /// For an update that calls exp/sin/cos: the largest difference allowed, relative to the
    /// largest value of the grid. OpenCL allows exp 3 ulp and sin/cos 4 ulp where glibc is
    /// within 1; Jacobi updates are averages (contractions), so such errors do not grow from
    /// sweep to sweep beyond a small multiple: channel.st on PoCL is bitwise equal at the test's
    /// 150 sweeps and 4 ulp apart at its default 2000. 2^-17 (64 float32 ulp of the largest
    /// value) leaves room for other devices' libraries, while a real error (a wrong offset, a
    /// missed swap, a lost boundary) changes the field at the scale of its values, 10^5 times more.
    static let transcendentalTolerance = 0x1p-17

    @Test(arguments: OpenCLCase.all)
    func agreesWithSerial(_ example: OpenCLCase) throws {
        let serialResult = try OpenCLHarness.compile(example.file, target: .serial)
        let exact = !OpenCLHarness.usesInexactFunctions(serialResult.program.update.value)
        let float64 = serialResult.program.elementType == .float64
        let serial = try OpenCLHarness.solve(example.file, target: .serial, params: example.params)
        let opencl = try OpenCLHarness.solve(example.file, target: .opencl, params: example.params)

        #expect(opencl.iterations == serial.iterations, "iterations: opencl \(opencl.iterations), serial \(serial.iterations)")
        #expect(opencl.converged == serial.converged)
        #expect(opencl.field.count == serial.field.count)
        if case .until(let norm, _, _, _, _) = serialResult.program.stopping, let a = opencl.residual, let b = serial.residual {
            // maxdiff is exact in any order; l2diff sums in another order (and in float32 on the
            // device for float32 grids, in double on the host).
            let allowed = norm == .maxdiff && exact ? 0 : 1e-5 * abs(b)
            #expect(abs(a - b) <= allowed, "residual: opencl \(a), serial \(b)")
        }
        let (difference, scale) = OpenCLHarness.compare(opencl.field, serial.field, float64: float64)
        if exact {
            #expect(opencl.field == serial.field, "grids differ (largest difference \(difference)): expected bitwise equality")
        } else {
            #expect(difference <= Self.transcendentalTolerance * max(scale, 1),
                    "largest difference \(difference) over \(scale): beyond \(Self.transcendentalTolerance) relative")
        }
    }

    /// Work-groups that divide nothing: the global size is rounded up and the extra work-items
    /// must do nothing; the reductions must fold partial groups.
    @Test(arguments: [("jacobi.st", ["N=41"]), ("wide_halo.st", ["N=23"]), ("weighted_jacobi.st", ["N=29"])])
    func raggedWorkGroupsAgreeWithSerial(_ file: String, _ params: [String]) throws {
        var schedule = Schedule()
        schedule.workgroup = (rows: 3, cols: 5)
        let serial = try OpenCLHarness.solve(file, target: .serial, params: params)
        let opencl = try OpenCLHarness.solve(file, target: .opencl, params: params, schedule: schedule)
        #expect(opencl.summary["schedule"] as? String == "workgroup 3x5")
        #expect(opencl.iterations == serial.iterations)
        #expect(opencl.field == serial.field)
    }

    /// DSL names that are OpenCL C keywords, types, macros or the generated code's own names.
    @Test func namesOpenCLReservesStillWork() throws {
        let directory = try OpenCLHarness.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = "\(directory)/names.st"
        try """
        stencil names {
            param M_PI = 3
            param lane = 0.5
            param count = 21
            grid local: float32[count, count]
            grid float4: float32[count, count]
            boundary local { top = M_PI }
            init float4 = 1
            update local[global, group_size] = lane * local[global-1, group_size] + (1 - lane) * local[global, group_size+1] * float4[global, group_size]
            until maxdiff(local) < 1e-6 every 3 max 500
        }
        """.write(toFile: path, atomically: true, encoding: .utf8)
        let serial = try OpenCLHarness.solve(path, target: .serial, params: [])
        let opencl = try OpenCLHarness.solve(path, target: .opencl, params: [])
        #expect(opencl.iterations == serial.iterations)
        #expect(opencl.field == serial.field)
    }

    /// Emit mode writes the kernel beside the host file, and the host file embeds the same text.
    @Test func emitWritesTheKernelBesideTheHostFile() throws {
        let directory = try OpenCLHarness.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let emitted = try OpenCLHarness.compile("jacobi.st", target: .opencl).emitted
        try OutputFiles.write(emitted, to: "\(directory)/jacobi.c")
        let kernel = try String(contentsOfFile: "\(directory)/jacobi.cl", encoding: .utf8)
        let host = try String(contentsOfFile: "\(directory)/jacobi.c", encoding: .utf8)
        #expect(kernel.contains("__kernel void sweep("))
        #expect(kernel.contains("#pragma OPENCL FP_CONTRACT OFF"))
        #expect(kernel.contains("/ 4.0f;"), "float32 literals are float")
        #expect(!kernel.contains(" % "), "no per-point modulo")
        for line in kernel.split(separator: "\n") {
            let literal = line.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
            #expect(host.contains("\"\(literal)\\n\""), "host file does not embed: \(line)")
        }
    }

    @Test func devicesListsTheDefaultDevice() throws {
        let result = try DeviceListing.run(builder: try OpenCLHarness.builder(), json: true, capture: true)
        #expect(result.status == 0, "\(result.errorOutput)")
        let object = try JSONSerialization.jsonObject(with: Data(result.output.utf8)) as? [String: Any]
        let devices = object?["devices"] as? [[String: Any]] ?? []
        #expect(!devices.isEmpty)
        for key in ["index", "selector", "name", "type", "compute_units", "global_memory", "max_work_group_size", "fp64"] {
            #expect(devices.first?[key] != nil, "device entry lacks \(key)")
        }
        let human = try DeviceListing.run(builder: try OpenCLHarness.builder(), json: false, capture: true)
        #expect(human.output.contains("compute units"))
    }

    // ---- error paths -----------------------------------------------------------------------

    static func jacobiExecutable(schedule: Schedule = Schedule()) throws -> String {
        let result = try OpenCLHarness.compile("jacobi.st", target: .opencl, schedule: schedule)
        return try OpenCLHarness.build(result.emitted, stem: "jacobi")
    }

    @Test func badDeviceIndexListsTheDevices() throws {
        let executable = try Self.jacobiExecutable()
        for (arguments, environment, message) in [
            (["--device", "99"], [String: String](), "no OpenCL device 99"),
            (["--device", "7:0"], [:], "no OpenCL platform 7"),
            (["--device", "no-such-device"], [:], "no OpenCL device matches 'no-such-device'"),
            ([], ["STENCILC_DEVICE": "42"], "from STENCILC_DEVICE"),
        ] {
            let (status, errors) = try OpenCLHarness.fail(executable, arguments: ["--param", "N=10"] + arguments,
                                                          environment: environment)
            #expect(status == 1, "\(arguments) \(environment): status \(status)")
            #expect(errors.contains(message), "\(errors)")
            #expect(errors.contains("0:0"), "the message lists the devices: \(errors)")
        }
    }

    @Test func noPlatformIsAClearMessage() throws {
        let empty = try OpenCLHarness.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: empty) }
        let (status, errors) = try OpenCLHarness.fail(try Self.jacobiExecutable(), arguments: ["--param", "N=10"],
                                                      environment: ["OCL_ICD_VENDORS": empty])
        #expect(status == 1)
        #expect(errors.contains("no OpenCL platform found"), "\(errors)")
    }

    @Test func kernelBuildFailurePrintsTheBuildLog() throws {
        var emitted = try OpenCLHarness.compile("jacobi.st", target: .opencl).emitted
        let broken = "\"    no_such_variable_in_stencilc += 1;\\n\"\n    \"}\\n\";"
        emitted.source = emitted.source.replacingOccurrences(of: "\"}\\n\";", with: broken)
        #expect(emitted.source.contains("no_such_variable_in_stencilc"))
        let executable = try OpenCLHarness.build(emitted, stem: "jacobi_broken")
        let (status, errors) = try OpenCLHarness.fail(executable, arguments: ["--param", "N=10"])
        #expect(status == 1)
        #expect(errors.contains("CL_BUILD_PROGRAM_FAILURE (-11) in clBuildProgram"), "\(errors)")
        #expect(errors.contains("build log:"))
        #expect(errors.contains("no_such_variable_in_stencilc"), "the log names the error: \(errors)")
    }

    @Test func oversizedWorkGroupReportsTheDeviceLimits() throws {
        var schedule = Schedule()
        schedule.workgroup = (rows: 4096, cols: 4096)
        let (status, errors) = try OpenCLHarness.fail(try Self.jacobiExecutable(schedule: schedule),
                                                      arguments: ["--param", "N=10"])
        #expect(status == 1)
        #expect(errors.contains("work-group 4096 x 4096 (workgroup 4096 x 4096 of the schedule)"), "\(errors)")
        #expect(errors.contains("CL_DEVICE_MAX_WORK_GROUP_SIZE"))
    }
}
