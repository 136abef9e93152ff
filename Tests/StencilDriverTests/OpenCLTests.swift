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

/// Building and running programs the shared helpers (TestSupport.swift) do not cover: files
/// outside stencils/, edited emitted code, runs that must fail.
enum OpenCLHarness {
    static func builder() throws -> Builder {
        let toolchain = try Toolchain.fromEnvironment(runtimeDirectory: "\(Repository.root)/runtime")
        return Builder(toolchain: toolchain, cache: BuildCache.defaultCache())
    }

    /// Builds an emitted program (through the cache) and returns its executable.
    static func build(_ emitted: EmittedProgram, stem: String) throws -> String {
        let builder = try builder()
        let plan = try builder.plan(emitted, stem: stem)
        try builder.execute(plan)
        return plan.executable
    }

    /// Compiles and builds a .st file given by its path.
    static func executable(_ path: String, target: Target, schedule: Schedule = Schedule()) throws -> String {
        let result = try Compilation.compile(path: path, target: target, overrides: schedule)
        return try build(result.emitted, stem: Compilation.defaultStem(path))
    }

    /// Runs a built program with --json and --output: its summary and final grid.
    static func run(_ executable: String) throws -> RunOutcome {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let output = directory.appendingPathComponent("field.npy").path
        let result = try ProcessRunner.run(Job(kind: .run, executable: executable, arguments: ["--json", "--output", output]),
                                           capture: true)
        guard result.status == 0, !result.signaled,
              let summary = try JSONSerialization.jsonObject(with: Data(result.output.utf8)) as? [String: Any] else {
            throw DriverError("\(executable) exited with \(result.status): \(result.errorOutput)")
        }
        return RunOutcome(summary: summary, field: try NPYArray(contentsOf: output))
    }

    /// Runs a built program that should fail: (exit status, stderr).
    static func fail(_ executable: String, arguments: [String] = [], environment: [String: String] = [:]) throws -> (Int32, String) {
        let result = try ProcessRunner.run(Job(kind: .run, executable: executable, arguments: arguments, environment: environment),
                                           capture: true)
        return (result.signaled ? -1 : result.status, result.errorOutput)
    }

    /// Largest absolute difference of two grids, and largest magnitude of `reference`.
    static func compare(_ a: NPYArray, _ reference: NPYArray) -> (difference: Double, scale: Double) {
        let x = a.elementSize == 8 ? a.doubles : a.floats.map(Double.init)
        let y = reference.elementSize == 8 ? reference.doubles : reference.floats.map(Double.init)
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
        case .constant, .param, .read, .index: return false
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

/// One program of stencils/, at the size the numerical tests use (ReferencePrograms).
struct OpenCLCase: CustomTestStringConvertible, Sendable {
    let file: String
    let params: [String]
    var testDescription: String { file }

    /// Every .st in stencils/; one without a reference case runs with its defaults.
    static var all: [OpenCLCase] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: "\(Repository.root)/stencils")) ?? []
        return names.filter { $0.hasSuffix(".st") }.sorted().map { file in
            OpenCLCase(file: file, params: ReferencePrograms.all.first { $0.file == file }?.params
                       ?? ReferenceSystems.all.first { $0.file == file }?.params ?? [])
        }
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
        let program = try Compilation.compile(path: Repository.stencil(example.file), target: .serial).program
        let exact = !OpenCLHarness.usesInexactFunctions(program.update.value)
        let serial = try runStencil(example.file, target: .serial, params: example.params)
        let opencl = try runStencil(example.file, target: .opencl, params: example.params)

        #expect(opencl.iterations == serial.iterations, "iterations: opencl \(opencl.iterations), serial \(serial.iterations)")
        #expect(opencl.converged == serial.converged)
        #expect(opencl.field.bytes.count == serial.field.bytes.count)
        if case .until(let norm, _, _, _, _) = program.stopping,
           let a = opencl.summary["residual"] as? Double, let b = serial.summary["residual"] as? Double {
            // maxdiff is exact in any order; l2diff sums in double on both (the device has fp64
            // here), only in another order.
            let allowed = norm == .maxdiff && exact ? 0 : 1e-12 * abs(b)
            #expect(abs(a - b) <= allowed, "residual: opencl \(a), serial \(b)")
        }
        let (difference, scale) = OpenCLHarness.compare(opencl.field, serial.field)
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
        schedule.workgroup = [3, 5]
        let serial = try runStencil(file, target: .serial, params: params)
        let opencl = try runStencil(file, target: .opencl, params: params, schedule: schedule)
        #expect(opencl.summary["schedule"] as? String == "workgroup 3x5")
        #expect(opencl.iterations == serial.iterations)
        #expect(opencl.field == serial.field)
    }

    /// A run that blows up stops at the same check, with the same message, as on the host.
    @Test func divergenceIsReportedAsOnTheHost() throws {
        var messages: [String] = []
        for target in [Target.serial, .opencl] {
            let executable = try OpenCLHarness.executable(Repository.stencil("weighted_jacobi.st"), target: target)
            let (status, errors) = try OpenCLHarness.fail(executable, arguments: ["--param", "N=40", "--param", "omega=3"])
            #expect(status == 1)
            messages.append(errors)
        }
        #expect(messages[0].contains("the solution diverged"))
        #expect(messages[0] == messages[1])
    }

    /// The opencl target runs whole sweeps, and says so: `plan.source` was "" in `--json`, and any
    /// --plan or STENCILC_PLAN (even garbage) was accepted and ignored.
    @Test func plansAreWholeSweepsAndOthersAreRefused() throws {
        let executable = try OpenCLHarness.executable(Repository.stencil("jacobi.st"), target: .opencl)
        let run = try ProcessRunner.run(Job(kind: .run, executable: executable, arguments: ["--param", "N=20", "--json"]), capture: true)
        #expect(run.status == 0, "\(run.errorOutput)")
        let summary = try JSONSerialization.jsonObject(with: Data(run.output.utf8)) as? [String: Any]
        let plan = try #require(summary?["plan"] as? [String: Any])
        #expect(plan["source"] as? String == "default" && plan["spec"] as? String == "sweeps", "\(plan)")
        #expect((plan["reason"] as? String ?? "").contains("one kernel launch per sweep"), "\(plan)")
        for (arguments, environment) in [(["--plan", "tiles:4"], [String: String]()), ([], ["STENCILC_PLAN": "garbage"])] {
            let (status, errors) = try OpenCLHarness.fail(executable, arguments: ["--param", "N=20"] + arguments, environment: environment)
            #expect(status == 1, "\(arguments) \(environment)")
            #expect(errors.contains("cannot run here: one kernel launch per sweep, so only whole sweeps (plan sweeps) run"), "\(errors)")
        }
    }

    /// DSL names that are OpenCL C keywords, types, macros or the generated code's own names.
    @Test func namesOpenCLReservesStillWork() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("names.st").path
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
        let serial = try OpenCLHarness.run(try OpenCLHarness.executable(path, target: .serial))
        let opencl = try OpenCLHarness.run(try OpenCLHarness.executable(path, target: .opencl))
        #expect(opencl.iterations == serial.iterations)
        #expect(opencl.field == serial.field)
    }

    /// Emit mode writes the kernel beside the host file, and the host file embeds the same text.
    @Test func emitWritesTheKernelBesideTheHostFile() throws {
        let directory = try temporaryDirectory().path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let emitted = try Compilation.compile(path: Repository.stencil("jacobi.st"), target: .opencl).emitted
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

    /// The command line: `stencilc devices` (and its exit status without a platform), `run
    /// --device`, and --device refused for host targets.
    @Test func commandLineDevicesAndDeviceFlag() throws {
        func stencilc(_ arguments: [String], environment: [String: String] = [:]) throws -> ProcessResult {
            try ProcessRunner.run(Job(kind: .run, executable: Repository.stencilc, arguments: arguments, environment: environment),
                                  capture: true)
        }
        let listing = try stencilc(["devices"])
        #expect(listing.status == 0, "\(listing.errorOutput)")
        #expect(listing.output.contains("[0] 0:0"))
        let empty = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: empty) }
        let none = try stencilc(["devices"], environment: ["OCL_ICD_VENDORS": empty.path])
        #expect(none.status == 1)
        #expect(none.errorOutput.contains("no OpenCL platform found"))

        let jacobi = Repository.stencil("jacobi.st")
        let run = try stencilc(["run", jacobi, "--target", "opencl", "--device", "0", "--param", "N=12", "--json"])
        #expect(run.status == 0, "\(run.errorOutput)")
        #expect(run.output.contains("\"target\": \"opencl\""))
        // The README's example: "pocl" is only in PoCL's platform vendor ("The pocl project").
        let pocl = try stencilc(["run", jacobi, "--target", "opencl", "--device", "pocl", "--param", "N=12", "--json"])
        #expect(pocl.status == 0, "\(pocl.errorOutput)")
        let bad = try stencilc(["run", jacobi, "--target", "opencl", "--device", "99", "--param", "N=12"])
        #expect(bad.status == 1)
        #expect(bad.errorOutput.contains("no OpenCL device 99"))
        let host = try stencilc(["run", jacobi, "--target", "openmp", "--device", "0", "--param", "N=12"])
        #expect(host.status == 1)
        #expect(host.errorOutput.contains("--device chooses an OpenCL device"))
    }

    // ---- error paths -----------------------------------------------------------------------

    static func jacobiExecutable(schedule: Schedule = Schedule()) throws -> String {
        try OpenCLHarness.executable(Repository.stencil("jacobi.st"), target: .opencl, schedule: schedule)
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
        let empty = try temporaryDirectory().path
        defer { try? FileManager.default.removeItem(atPath: empty) }
        let (status, errors) = try OpenCLHarness.fail(try Self.jacobiExecutable(), arguments: ["--param", "N=10"],
                                                      environment: ["OCL_ICD_VENDORS": empty])
        #expect(status == 1)
        #expect(errors.contains("no OpenCL platform found"), "\(errors)")
    }

    @Test func kernelBuildFailurePrintsTheBuildLog() throws {
        var emitted = try Compilation.compile(path: Repository.stencil("jacobi.st"), target: .opencl).emitted
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

    /// PoCL has fp64, so this C snippet takes the default device and pretends it has not.
    @Test func float64WithoutFP64IsAClearMessage() throws {
        let snippet = """
            #include "stencil_opencl.h"
            #include "stencil_runtime.h"
            int main(void)
            {
                stcl_env env;
                stcl_init(&env, NULL);
                env.has_fp64 = 0; /* as on a device without cl_khr_fp64 */
                stcl_require_fp64(&env, "poisson64.st");
                return 0;
            }
            """
        let executable = try OpenCLHarness.build(EmittedProgram(source: snippet, recipe: OpenCLBackend().recipe),
                                                 stem: "no_fp64")
        let (status, errors) = try OpenCLHarness.fail(executable)
        #expect(status == 1)
        #expect(errors.contains("poisson64.st uses float64 grids, but OpenCL device 0:0"), "\(errors)")
        #expect(errors.contains("no cl_khr_fp64"))
    }

    @Test func oversizedWorkGroupReportsTheDeviceLimits() throws {
        var schedule = Schedule()
        schedule.workgroup = [4096, 4096]
        let (status, errors) = try OpenCLHarness.fail(try Self.jacobiExecutable(schedule: schedule),
                                                      arguments: ["--param", "N=10"])
        #expect(status == 1)
        #expect(errors.contains("work-group 4096 x 4096 (workgroup 4096 x 4096 of the schedule)"), "\(errors)")
        #expect(errors.contains("CL_DEVICE_MAX_WORK_GROUP_SIZE"))
    }
}
