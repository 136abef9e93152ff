// DeviceListing.swift: `stencilc devices`: the OpenCL platforms and devices the ICD loader finds.
// The listing is plain C in runtime/ (stencil_devices.c over stencil_opencl.c), so it sees
// exactly what an emitted opencl program sees; it is built through the build cache like one.

import Foundation
import StencilCodegen

public enum DeviceListing {
    /// The lister as an emitted program: its source is runtime/stencil_devices.c.
    public static func program(runtimeDirectory: String) throws -> EmittedProgram {
        let path = "\(runtimeDirectory)/stencil_devices.c"
        guard let data = FileManager.default.contents(atPath: path) else {
            throw DriverError("cannot read '\(path)' (is STENCILC_RUNTIME a complete runtime/ folder?)")
        }
        return EmittedProgram(source: String(decoding: data, as: UTF8.self), recipe: OpenCLBackend().recipe)
    }

    /// Builds (once) and runs the lister, its output passed through.
    public static func run(builder: Builder, json: Bool, capture: Bool = false,
                           echo: ((Job) -> Void)? = nil) throws -> ProcessResult {
        let emitted = try program(runtimeDirectory: builder.toolchain.runtimeDirectory)
        let plan = try builder.plan(emitted, stem: "stencilc-devices")
        try builder.execute(plan, echo: echo)
        let job = Job(kind: .run, executable: plan.executable, arguments: json ? ["--json"] : [])
        echo?(job)
        let result = try ProcessRunner.run(job, capture: capture)
        if result.signaled {
            throw DriverError("the device lister was killed by signal \(result.status) (a crash in the OpenCL driver?)",
                              toolOutput: result.errorOutput, exitCode: 128 + result.status)
        }
        return result
    }
}
