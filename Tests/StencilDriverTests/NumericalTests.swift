// NumericalTests.swift: every program of stencils/ on every CPU target against the hand-written
// reference (Reference.swift), bit for bit with the same iteration count; and the openmp target
// bitwise identical to serial at 1 and 2 threads under static, dynamic and guided schedules.

import StencilDriver
import StencilIR
import Testing

extension ReferenceCase: CustomTestStringConvertible {}

@Suite struct NumericalTests {
    @Test(arguments: ReferencePrograms.all, [Target.serial, .openmp])
    func matchesIndependentReference(_ program: ReferenceCase, target: Target) throws {
        let run = try runStencil(program.file, target: target, params: program.params)
        let reference = program.solve()
        #expect(run.iterations == reference.iterations, "iterations: \(target) \(run.iterations), reference \(reference.iterations)")
        #expect(run.converged == reference.converged)
        #expect(run.field.bytes.count == reference.bytes.count)
        if run.field.bytes != reference.bytes {
            let differing = zip(run.field.bytes, reference.bytes).enumerated().first { $0.element.0 != $0.element.1 }
            Issue.record("field differs from the reference (first differing byte \(differing?.offset ?? -1))")
        }
    }

    static let openMPConfigurations: [(threads: Int, kind: ScheduleKind, chunk: Int?)] = [
        (1, .static, nil), (2, .static, nil), (2, .static, 3),
        (1, .dynamic, nil), (2, .dynamic, nil), (2, .dynamic, 5),
        (1, .guided, nil), (2, .guided, nil), (2, .guided, 2),
    ]

    @Test(arguments: ReferencePrograms.all)
    func openMPBitwiseIdenticalToSerial(_ program: ReferenceCase) throws {
        let serial = try runStencil(program.file, target: .serial, params: program.params)
        for configuration in Self.openMPConfigurations {
            var schedule = Schedule()
            schedule.numThreads = configuration.threads
            schedule.kind = configuration.kind
            schedule.chunksize = configuration.chunk
            let run = try runStencil(program.file, target: .openmp, params: program.params, schedule: schedule)
            let label = "\(configuration.threads) threads, \(configuration.kind.rawValue)\(configuration.chunk.map { ",\($0)" } ?? "")"
            #expect(run.iterations == serial.iterations, "\(label): iterations \(run.iterations) vs serial \(serial.iterations)")
            #expect(run.field == serial.field, "\(label): field differs from serial")
        }
    }

    /// Tiling changes the loop order, never the result.
    @Test func tiledSweepIdenticalToUntiled() throws {
        var tiled = Schedule()
        tiled.tile = (rows: 5, cols: 7)
        tiled.numThreads = 2
        let serial = try runStencil("jacobi.st", target: .serial, params: ["N=41"])
        let run = try runStencil("jacobi.st", target: .openmp, params: ["N=41"], schedule: tiled)
        #expect(run.iterations == serial.iterations)
        #expect(run.field == serial.field)
    }
}
