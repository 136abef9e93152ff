// SidesInSweepTests.swift: left/right neumann/periodic statements applied inside the sweep, row by
// row (PlanBoundary's sides in the sweep; SweepWriter's copies after each row's column loop, then
// st_copy_side_ring on the rows the sweep does not compute). The plan records the decision and
// refuses it where it is not exact and simple; hand-made statement orders whose corners differ
// run fused on serial and openmp and match the independent reference (BoundaryKindsTests') bit
// for bit. The existing suites (BoundaryKindsTests, DimensionsTests, DifferentialTests, ...) run
// the fused form on every program with such sides.

import Foundation
import StencilDriver
import StencilIR
import Testing

enum CornerVariants {
    /// Two orders of the same statements whose bottom corners differ: a fixed bottom after
    /// `left = periodic` owns them (topfirst), one written first is copied into them by the
    /// periodic sides (sidesfirst). Copying statements on different axes commute at corners, so
    /// a fixed one is what makes order matter. Halo 2 and diagonal reads, so corners feed the
    /// interior.
    static func source(_ name: String, _ statements: [String]) -> String {
        """
        stencil \(name) {
            param N = 27
            grid u: float32[N, 34]
            init u[i, j] = 0.1 * i + 0.03 * j * j
            boundary u[i, j] {
                \(statements.joined(separator: "\n        "))
            }
            update u[i, j] = 0.2 * (u[i-2, j] + u[i+1, j+1] + u[i, j-2] + u[i-1, j+2] + u[i+2, j-1]) + 0.01
            steps 45
        }
        """
    }
    static func problem(_ statements: [ReferenceStatement<Float>]) -> ReferenceProblem<Float> {
        ReferenceProblem(rows: 27, cols: 34, halo: 2, initial: 0, boundary: [],
                         update: { u, _, i, j, c in
                             let sum = u[(i - 2) * c + j] + u[(i + 1) * c + j + 1] + u[i * c + j - 2] + u[(i - 1) * c + j + 2] + u[(i + 2) * c + j - 1]
                             return Float(0.2) * sum + Float(0.01)
                         },
                         stop: .steps(45),
                         initialAt: { i, j in Float(0.1) * Float(i) + Float(0.03) * Float(j) * Float(j) },
                         statements: statements)
    }
    static let topFirst = BoundaryVariant.float32("topfirst", 27, 34,
        source("topfirst", ["top = neumann", "left = periodic", "bottom = 2 + 0.5 * j", "right = periodic"])) {
        problem([.neumann(.top), .periodic(.left), .value(.bottom, { _, j in 2 + Float(0.5) * Float(j) }), .periodic(.right)])
    }
    static let sidesFirst = BoundaryVariant.float32("sidesfirst", 27, 34,
        source("sidesfirst", ["bottom = 2 + 0.5 * j", "left = periodic", "right = periodic", "top = neumann"])) {
        problem([.value(.bottom, { _, j in 2 + Float(0.5) * Float(j) }), .periodic(.left), .periodic(.right), .neumann(.top)])
    }
    static let all = [topFirst, sidesFirst]
}

@Suite struct SidesInSweepTests {
    private static func compile(_ source: String, _ target: Target, overrides: Schedule = Schedule()) throws -> Program {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("p.st").path
        try source.write(toFile: path, atomically: true, encoding: .utf8)
        return try Compilation.compile(path: path, target: target, overrides: overrides, stem: "p").program
    }

    /// serial and openmp fuse the left/right statements (IR, printed IR, explain, emitted C);
    /// red-black, a tile, mpi and opencl, and a fixed left/right statement among them do not.
    @Test func planRecordsTheDecision() throws {
        let source = CornerVariants.topFirst.source
        for target in [Target.serial, .openmp] {
            let program = try Self.compile(source, target)
            #expect(program.boundaryEachSweep.inSweep.map(\.side) == [.left, .right])
            let printed = IRPrinter.program(program)
            #expect(printed.contains("sides in the sweep: left = periodic; right = periodic"), "\(printed)")
            let emitted = try Compilation.emit(program, stem: "p").source
            #expect(emitted.contains("st_copy_side_ring"), "\(target)")
            #expect(emitted.contains("for (long st_layer = 0; st_layer < HALO; ++st_layer) u_next[i * cols + st_layer] = u_next[i * cols + st_layer + (cols - 2 * HALO)];"))
        }
        var tiled = Schedule()
        tiled.tile = [8, 16]
        let refused: [(String, Target, Schedule, String)] = [
            (source.replacingOccurrences(of: "steps 45", with: "order redblack\n    steps 45")
                .replacingOccurrences(of: "u[i-2, j] + u[i+1, j+1] + u[i, j-2] + u[i-1, j+2] + u[i+2, j-1]", with: "u[i-1, j] + u[i+1, j] + u[i, j-1] + u[i, j+1]"),
             .serial, Schedule(), "order redblack"),
            (source, .openmp, tiled, "tile"),
            (source, .mpi, Schedule(), "only serial and openmp"),
            (source, .opencl, Schedule(), "only serial and openmp"),
            (source.replacingOccurrences(of: "right = periodic", with: "right = periodic\n        left = 1"), .serial, Schedule(), "fixed left/right"),
        ]
        for (text, target, overrides, why) in refused {
            let program = try Self.compile(text, target, overrides: overrides)
            #expect(!program.boundaryEachSweep.isEmpty)
            #expect(program.boundaryEachSweep.inSweep.isEmpty, "\(target) \(why)")
            #expect(program.boundaryEachSweep.inSweepReason.contains(why), "\(program.boundaryEachSweep.inSweepReason)")
            #expect(IRPrinter.program(program).contains("sides in the sweep: none"))
            if target == .serial || target == .openmp {
                let emitted = try Compilation.emit(program, stem: "p").source
                #expect(!emitted.contains("st_copy_side_ring") && !emitted.contains("st_layer"), "\(why)")
            }
        }
        let explained = try stencilc(["explain", Repository.stencil("insulated.st"), "--target", "openmp"])
        #expect(explained.stdout.contains("left = neumann, right = neumann: in the sweep, after each row it computes"), "\(explained.stdout)")
    }

    /// The two orders give different fields (the check can fail on order), and each, fused on
    /// serial and on openmp with 2 threads, has the reference's bits.
    @Test func cornerOrdersMatchTheReference() throws {
        let solved = CornerVariants.all.map { $0.solve() }
        let differ = solved[0].bytes != solved[1].bytes // a Bool: the arrays would flood the log
        #expect(differ)
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        for (variant, reference) in zip(CornerVariants.all, solved) {
            for target in [Target.serial, .openmp] {
                let run = try BoundaryKindsTests.run(variant, target, in: directory)
                #expect(run.iterations == reference.iterations)
                let same = run.bytes == reference.bytes // a Bool: the arrays would flood the log
                #expect(same, "\(variant.name) on \(target): differs from the reference")
            }
        }
    }
}
