// RuntimeSidesTests.swift: st_copy_side (runtime/stencil_runtime.c), the neumann and periodic
// statements of the serial and openmp targets, checked on its own by runtime/tests/sides_check.c
// against LANGUAGE.md's definitions written point by point: every side and kind, halo 1 to 3,
// float and double, points off the strip unchanged.

import Foundation
import StencilDriver
import Testing

@Suite struct RuntimeSidesTests {
    @Test func copySideMatchesTheDefinitions() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let runtime = "\(Repository.root)/runtime"
        let executable = directory.appendingPathComponent("sides_check").path
        let build = try ProcessRunner.run(Job(kind: .compileProgram, executable: "gcc",
                                              arguments: ["-std=c11", "-O2", "-Wall", "-Wextra", "-Werror", "-I", runtime,
                                                          "\(runtime)/tests/sides_check.c", "\(runtime)/stencil_runtime.c", "-lm",
                                                          "-o", executable]), capture: true)
        #expect(build.status == 0, "\(build.errorOutput)")
        let run = try ProcessRunner.run(Job(kind: .run, executable: executable, arguments: []), capture: true)
        #expect(run.status == 0, "\(run.output)")
        #expect(run.output.contains(" passed, 0 failed"), "\(run.output)")
    }
}
