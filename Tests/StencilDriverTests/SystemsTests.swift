// SystemsTests.swift: systems of several updates (LANGUAGE.md section 5) on every target. Every
// updated grid (--output NAME=FILE) and the iteration count: serial and openmp against the
// independent reference (ReferenceSystems.swift), and openmp under other schedules and plans,
// opencl, mpi and hybrid at 1 to 4 ranks in both decompositions, bit for bit with serial.

import Foundation
import StencilDriver
import StencilIR
import Testing

@Suite struct SystemsTests {
    /// Every grid of `run` equals `expected`'s, named in the message.
    static func expectSameGrids(_ run: RunOutcome, _ expected: [String: [UInt8]], _ label: String) {
        for (grid, bytes) in expected.sorted(by: { $0.key < $1.key }) {
            guard let field = run.fields[grid] else {
                Issue.record("\(label): no output for grid \(grid)")
                continue
            }
            if field.bytes != bytes {
                let first = zip(field.bytes, bytes).enumerated().first { $0.element.0 != $0.element.1 }?.offset ?? -1
                Issue.record("\(label): grid \(grid) differs (first differing byte \(first) of \(bytes.count))")
            }
        }
    }

    /// A version 1.0 .npy file of `array` (C order).
    static func npyFile(_ array: NPYArray) -> Data {
        var header = "{'descr': '\(array.descr)', 'fortran_order': False, 'shape': (\(array.rows), \(array.cols)), }"
        while (10 + header.utf8.count + 1) % 64 != 0 { header += " " }
        header += "\n"
        var data = Data([0x93] + Array("NUMPY".utf8) + [1, 0, UInt8(header.utf8.count & 0xff), UInt8(header.utf8.count >> 8)])
        data.append(contentsOf: Array(header.utf8))
        data.append(contentsOf: array.bytes)
        return data
    }

    @Test(arguments: ReferenceSystems.all, [Target.serial, .openmp])
    func matchesIndependentReference(_ system: ReferenceSystemCase, target: Target) throws {
        let run = try runStencil(system.file, target: target, params: system.params, grids: system.grids)
        let reference = system.solve()
        #expect(run.iterations == reference.iterations, "iterations: \(target) \(run.iterations), reference \(reference.iterations)")
        #expect(run.converged == reference.converged)
        Self.expectSameGrids(run, reference.fields, target.rawValue)
        // `--output F.npy` writes the first updated grid.
        let firstIsOutput = run.field.bytes == reference.fields[system.grids[0]]
        #expect(firstIsOutput, "--output F.npy is not the first updated grid's reference")
    }

    /// Threads, schedules, tiles and the temporal plans change the order of work, never the bits.
    @Test(arguments: ReferenceSystems.all)
    func openMPSchedulesAndPlansBitwiseIdenticalToSerial(_ system: ReferenceSystemCase) throws {
        let serial = try runStencil(system.file, target: .serial, params: system.params, grids: system.grids)
        let expected = serial.fields.mapValues(\.bytes)
        var variants: [(String, Schedule, [String: String])] = []
        for (threads, kind, chunk) in [(2, ScheduleKind.static, nil), (2, .dynamic, 3), (1, .guided, nil)] as [(Int, ScheduleKind, Int?)] {
            var schedule = Schedule()
            schedule.numThreads = threads
            schedule.kind = kind
            schedule.chunksize = chunk
            variants.append(("\(threads) threads \(kind.rawValue)", schedule, [:]))
        }
        var tiled = Schedule()
        tiled.numThreads = 2
        tiled.tile = [5, 7]
        variants.append(("tile 5 x 7", tiled, [:]))
        var two = Schedule()
        two.numThreads = 2
        variants.append(("plan tiles:4:3", two, ["STENCILC_PLAN": "tiles:4:3"]))
        for (label, schedule, environment) in variants {
            let run = try runStencil(system.file, target: .openmp, params: system.params, schedule: schedule,
                                     environment: environment, grids: system.grids)
            #expect(run.iterations == serial.iterations, "\(label): iterations \(run.iterations) vs serial \(serial.iterations)")
            Self.expectSameGrids(run, expected, label)
        }
    }

    /// Bands keep scratch copies of one grid: a system asks for them in vain, with a clear error.
    @Test func bandsAreRefusedForSystems() throws {
        var two = Schedule()
        two.numThreads = 2
        #expect(throws: (any Error).self) {
            try runStencil("gray_scott.st", target: .openmp, params: ["N=37", "T=5"], schedule: two,
                           environment: ["STENCILC_PLAN": "bands:3:4"])
        }
        let program = try Compilation.compile(path: Repository.stencil("gray_scott.st"), target: .openmp).program
        #expect(program.loops.temporalKinds == [.tiles])
        #expect(program.loops.temporalReason.contains("a system updates several"))
    }

    @Test(arguments: ReferenceSystems.all)
    func openCLBitwiseIdenticalToSerial(_ system: ReferenceSystemCase) throws {
        let serial = try runStencil(system.file, target: .serial, params: system.params, grids: system.grids)
        let run = try runStencil(system.file, target: .opencl, params: system.params, grids: system.grids)
        #expect(run.iterations == serial.iterations)
        #expect(run.converged == serial.converged)
        Self.expectSameGrids(run, serial.fields.mapValues(\.bytes), "opencl")
    }

    /// `--input NAME=F.npy` for every grid of a system: 7 sweeps written out, then 5 more from
    /// those files, give the 12-sweep fields on every target.
    @Test(arguments: [Target.serial, .openmp, .opencl, .mpi, .hybrid])
    func continuedRunFromItsOwnOutputsEqualsUninterrupted(_ target: Target) throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let base = ["N=37", "R=5"]
        let whole = try runStencil("gray_scott.st", target: .serial, params: base + ["T=12"], grids: ["u", "v"])
        let first = try runStencil("gray_scott.st", target: .serial, params: base + ["T=7"], grids: ["u", "v"])
        var inputs: [String] = []
        for (grid, field) in first.fields.sorted(by: { $0.key < $1.key }) {
            let path = directory.appendingPathComponent("\(grid).npy").path
            try Self.npyFile(field).write(to: URL(fileURLWithPath: path))
            inputs.append("\(grid)=\(path)")
        }
        var schedule = Schedule()
        schedule.ranks = 3
        schedule.decompose = .grid
        let rest = try runStencil("gray_scott.st", target: target, params: base + ["T=5"], schedule: schedule,
                                  environment: MPITests.sharedMemoryOnly, grids: ["u", "v"], inputs: inputs)
        Self.expectSameGrids(rest, whole.fields.mapValues(\.bytes), "\(target.rawValue) continued")
    }

    @Test(arguments: ReferenceSystems.all)
    func mpiAndHybridBitwiseIdenticalToSerial(_ system: ReferenceSystemCase) throws {
        let serial = try runStencil(system.file, target: .serial, params: system.params, grids: system.grids)
        for configuration in MPITests.configurations {
            let run = try runStencil(system.file, target: configuration.target, params: system.params,
                                     schedule: configuration.schedule, environment: MPITests.sharedMemoryOnly,
                                     grids: system.grids)
            let label = configuration.testDescription
            #expect(run.iterations == serial.iterations, "\(label): iterations \(run.iterations) vs serial \(serial.iterations)")
            #expect(run.converged == serial.converged, "\(label)")
            Self.expectSameGrids(run, serial.fields.mapValues(\.bytes), label)
        }
    }
}
