// RelaxTests.swift: `relax OMEGA` (LANGUAGE.md section 5). The update becomes
// OLD + OMEGA * (EXPR - OLD) in the IR, so every target computes the same bits: opencl, mpi and
// hybrid equal serial on damped_jacobi.st (serial and openmp are checked against the hand-written
// reference by NumericalTests); the summary reports the run-time factor; a literal `relax 1`
// emits exactly the code of no `relax`; reading OLD adds nothing to the halo.

import Foundation
import StencilCodegen
import StencilDriver
import StencilIR
import Testing

@Suite struct RelaxTests {
    static let params = ["N=40", "omega=0.6"]

    /// Compiles `text` as a .st file.
    static func compile(_ text: String, target: Target = .serial) throws -> CompilationResult {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("relaxed.st").path
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return try Compilation.compile(path: path, target: target, stem: "relaxed")
    }

    static func plate(relax: String) -> String {
        """
        stencil relaxed {
            param N = 16
            param omega = 0.8
            grid u: float64[N, N]
            grid f: float64[N, N]
            init f = 1
            boundary u { top = 1 }
            update u[i, j] = (u[i-1, j] + u[i+1, j]) / 2 + omega * f[i, j]
            \(relax)
            steps 5
        }
        """
    }

    @Test func literalOneEmitsTheUnrelaxedCode() throws {
        for target in [Target.serial, .openmp, .opencl, .mpi] {
            let plain = try Self.compile(Self.plate(relax: ""), target: target)
            let one = try Self.compile(Self.plate(relax: "relax 1"), target: target)
            #expect(one.emitted.source == plain.emitted.source, "\(target)")
            #expect(one.emitted.extras.map(\.contents) == plain.emitted.extras.map(\.contents), "\(target)")
            #expect(!one.program.isRelaxed)
        }
    }

    @Test func updateIsRewrittenInOrder() throws {
        let program = try Self.compile(Self.plate(relax: "relax 2 * omega / 3")).program
        #expect(program.isRelaxed)
        #expect(IRPrinter.update(program.update)
                == "update u[i, j] = u[i, j] + 2 * omega / 3 * ((u[i-1, j] + u[i+1, j]) / 2 + omega * f[i, j] - u[i, j])")
        #expect(program.halo == 1)
        #expect(IRPrinter.program(program).contains("  relax 2 * omega / 3\n"))
    }

    /// An update that did not read its own grid reads it once relaxed; the halo stays 0.
    @Test func relaxReadsTheOldValueWithoutWideningTheHalo() throws {
        let program = try Self.compile("""
            stencil copy {
                grid u: float32[8, 8]
                grid f: float32[8, 8]
                init f = 3
                update u[i, j] = f[i, j]
                relax 0.5
                steps 1
            }
            """).program
        #expect(program.halo == 0)
        #expect(program.update.value.reads.contains { $0.grid == "u" && $0.offsets == [0, 0] })
    }

    @Test func summaryGivesTheRunTimeFactor() throws {
        let relaxed = try runStencil("damped_jacobi.st", target: .serial, params: Self.params)
        #expect(relaxed.summary["relax"] as? Double == 0.6)
        #expect(relaxed.summary["order"] as? String == "jacobi")
        let plain = try runStencil("jacobi.st", target: .serial, params: ["N=40"])
        #expect((plain.summary["relax"] as? NSNumber)?.doubleValue == 1)
        #expect(plain.summary["order"] as? String == "jacobi")
    }

    @Test func textSummaryShowsTheFactor() throws {
        let relaxed = try stencilc(["run", Repository.stencil("damped_jacobi.st"), "--target", "serial", "--param", "N=24",
                                    "--param", "omega=0.7"])
        #expect(relaxed.status == 0, "\(relaxed.stderr)")
        #expect(relaxed.stdout.contains("  relax       0.7 "), "\(relaxed.stdout)")
        let plain = try stencilc(["run", Repository.stencil("jacobi.st"), "--target", "serial", "--param", "N=24"])
        #expect(!plain.stdout.contains("relax"))
    }

    @Test func explainSaysWhatRelaxDoes() throws {
        let explained = try stencilc(["explain", Repository.stencil("damped_jacobi.st"), "--target", "serial"])
        #expect(explained.status == 0)
        #expect(explained.stdout.contains("relaxed by omega"))
        #expect(explained.stdout.contains("u[i, j] + omega * (EXPR - u[i, j])"))
    }

    /// One run each of opencl, mpi and hybrid: the same bits as serial.
    @Test(arguments: [Target.opencl, .mpi, .hybrid])
    func otherTargetsEqualSerial(_ target: Target) throws {
        let serial = try runStencil("damped_jacobi.st", target: .serial, params: Self.params)
        var schedule = Schedule()
        if target != .opencl {
            schedule.ranks = 3
            schedule.decompose = .grid
        }
        if target == .hybrid { schedule.numThreads = 2 }
        let run = try runStencil("damped_jacobi.st", target: target, params: Self.params, schedule: schedule,
                                 environment: target == .opencl ? [:] : MPITests.sharedMemoryOnly)
        #expect(run.iterations == serial.iterations)
        #expect(run.converged == serial.converged)
        #expect(run.field == serial.field)
        #expect(run.summary["relax"] as? Double == 0.6)
    }
}
