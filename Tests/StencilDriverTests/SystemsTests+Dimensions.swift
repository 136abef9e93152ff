// SystemsTests+Dimensions.swift: systems on 1-D and 3-D grids (LANGUAGE.md section 5, "Systems"
// and "Dimensions"): serial and openmp against the independent reference (ReferenceND.swift),
// openmp schedules, opencl and (3-D, slabs of planes) mpi and hybrid bit for bit with serial.

import Foundation
import StencilDriver
import StencilIR
import Testing

extension SystemsTests {
    @Test(arguments: ReferenceSystems.dimensions, [Target.serial, .openmp])
    func dimensionsMatchIndependentReference(_ system: ReferenceSystemCase, target: Target) throws {
        let run = try runStencil(system.file, target: target, params: system.params, grids: system.grids)
        let reference = system.solve()
        #expect(run.iterations == reference.iterations, "iterations: \(target) \(run.iterations), reference \(reference.iterations)")
        #expect(run.converged == reference.converged)
        Self.expectSameGrids(run, reference.fields, target.rawValue)
    }

    /// Schedules and threads, opencl, and for 3-D mpi and hybrid on 2 and 3 ranks: serial's bits.
    @Test(arguments: ReferenceSystems.dimensions)
    func dimensionsEveryTargetBitwiseIdenticalToSerial(_ system: ReferenceSystemCase) throws {
        let serial = try runStencil(system.file, target: .serial, params: system.params, grids: system.grids)
        let expected = serial.fields.mapValues(\.bytes)
        var runs: [(String, Target, Schedule)] = []
        for (threads, kind, chunk) in [(2, ScheduleKind.static, nil), (3, .dynamic, 2)] as [(Int, ScheduleKind, Int?)] {
            var schedule = Schedule()
            schedule.numThreads = threads
            schedule.kind = kind
            schedule.chunksize = chunk
            runs.append(("openmp \(threads) threads \(kind.rawValue)", .openmp, schedule))
        }
        runs.append(("opencl", .opencl, Schedule()))
        if serial.field.shape.count == 3 {
            for (target, ranks) in [(Target.mpi, 2), (.mpi, 3), (.hybrid, 2)] {
                var schedule = Schedule()
                schedule.ranks = ranks
                if target == .hybrid { schedule.numThreads = 2 }
                runs.append(("\(target.rawValue) \(ranks) ranks", target, schedule))
            }
        }
        for (label, target, schedule) in runs {
            let run = try runStencil(system.file, target: target, params: system.params, schedule: schedule,
                                     environment: MPITests.sharedMemoryOnly, grids: system.grids)
            #expect(run.iterations == serial.iterations, "\(label): iterations \(run.iterations) vs serial \(serial.iterations)")
            #expect(run.converged == serial.converged, "\(label)")
            Self.expectSameGrids(run, expected, label)
        }
    }
}

extension SystemsTests {
    /// A `steps` system looks for NaN/Inf once, at the end, in every grid's every point: in 1-D
    /// (whose code has no `rows`) and in 3-D, where the NaN is only in the planes past the
    /// first (the count once covered one plane's points: found by the differential generator).
    @Test(arguments: [("float64[5]", "u[n]", "w[n]", "sqrt(-1 + 0 * n)"),
                      ("float32[6, 5, 5]", "u[k, i, j]", "w[k, i, j]", "sqrt(2 - k)")])
    func stepsSystemsFindNonFiniteValuesInEveryPoint(_ shape: String, _ u: String, _ w: String, _ value: String) throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("nan_system.st").path
        try """
            stencil nan_system {
                grid u: \(shape)
                grid w: \(shape)
                update \(u) = \(value)
                update \(w) = \(u)
                steps 2
            }
            """.write(toFile: path, atomically: true, encoding: .utf8)
        for target in [Target.serial, .openmp] {
            let result = try stencilc(["run", path, "--target", target.rawValue, "--quiet"])
            #expect(result.status != 0, "\(target): \(result.stdout)")
            #expect(result.stderr.contains("NaN or Inf after iteration 2"), "\(target): \(result.stderr)")
        }
    }
}

extension SystemsTests {
    /// A 3-D system whose updates use index names as values, on mpi and hybrid slabs: the emitted
    /// program builds without a warning (it once unpacked a column offset slabs do not use, and
    /// kept a `buffer` array the slab sweeps never read) and gives serial's bits.
    @Test func threeDimensionalSystemWithPositionsOnSlabs() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("positions3d.st").path
        try """
            stencil positions3d {
                grid u: float64[6, 7, 8]
                grid w: float64[6, 7, 8]
                init u[k, i, j] = k + 2 * i + 3 * j
                update u[k, i, j] = (u[k-1, i, j] + u[k+1, i, j] + w[k, i, j]) / 3 + 0.001 * i + 0.002 * j + 0.003 * k
                update w[k, i, j] = u[k, i, j]
                steps 3
            }
            """.write(toFile: path, atomically: true, encoding: .utf8)
        let serial = try runStencil(path, target: .serial, grids: ["u", "w"])
        for target in [Target.mpi, .hybrid] {
            let compiled = try Compilation.compile(path: path, target: target, stem: "positions3d")
            let (built, errors) = try buildsWarningFree(compiled.emitted.source, recipe: compiled.emitted.recipe)
            #expect(built, "\(target): \(errors)")
            var schedule = Schedule()
            schedule.ranks = 2
            let run = try runStencil(path, target: target, schedule: schedule, environment: MPITests.sharedMemoryOnly, grids: ["u", "w"])
            Self.expectSameGrids(run, serial.fields.mapValues(\.bytes), "\(target) 2 ranks")
        }
    }
}
