// RuntimeSweepsTests.swift: the run-time plan's drivers (runtime/stencil_sweeps.c) checked on
// their own by runtime/tests/sweeps_check.c: every plan kind, depths and tile heights that do and
// do not divide, halo 1 and 2, 1 to 4 threads, against whole sweeps by a plain loop, bit for bit;
// grids allocated with a column on a line, and the cost model's kind for grids past the caches.

import Foundation
import StencilDriver
import Testing

@Suite struct RuntimeSweepsTests {
    @Test(arguments: [["-fopenmp"], []])
    func everyPlanGivesTheBitsOfWholeSweeps(flags: [String]) throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let runtime = "\(Repository.root)/runtime"
        let executable = directory.appendingPathComponent("sweeps_check").path
        let build = try ProcessRunner.run(Job(kind: .compileProgram, executable: "gcc",
                                              arguments: ["-std=c11", "-O2", "-Wall", "-Wextra", "-Werror"] + flags
                                                  + ["-I", runtime, "\(runtime)/tests/sweeps_check.c", "\(runtime)/stencil_runtime.c",
                                                     "\(runtime)/stencil_sweeps.c", "-lm", "-o", executable]), capture: true)
        #expect(build.status == 0, "\(build.errorOutput)")
        let run = try ProcessRunner.run(Job(kind: .run, executable: executable, arguments: []), capture: true)
        #expect(run.status == 0, "\(run.output)")
        #expect(run.output.contains(" passed, 0 failed"), "\(run.output)")
    }
}
