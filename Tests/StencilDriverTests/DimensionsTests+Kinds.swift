// DimensionsTests+Kinds.swift: neumann and periodic sides on 1-D and 3-D grids (LANGUAGE.md
// section 5, "Boundary kinds" and "Dimensions": sides count from the last dimension, front/back
// are planes; statements apply in the order written, so edges take the later one). Each variant
// on serial against the independent reference (ReferenceND.swift), openmp schedules and opencl
// bit for bit with serial, and 3-D ones on mpi and hybrid (slabs; periodic front/back: a periodic
// axis of ranks) at 2 and 3 ranks where every slab keeps 2h planes.

import Foundation
import StencilDriver
import StencilIR
import Testing

#if canImport(Glibc)
import Glibc
#endif

enum DimensionsKindsVariants {
    /// Periodic front/back across the slabs, neumann top and right, a fixed left and a bottom
    /// from positions written after them: every edge where two statements meet.
    static let box = DimensionsVariant.float64("kinds3d", """
        stencil kinds3d {
            grid u: float64[7, 9, 8]
            init u[k, i, j] = sin(k + 2 * i + 3 * j)
            boundary u[k, i, j] {
                left = 1
                front = periodic
                back = periodic
                top = neumann
                bottom = k + 0.5 * j
                right = neumann
            }
            update u[k, i, j] = (u[k-1, i, j] + u[k+1, i, j] + u[k, i-1, j] + u[k, i+1, j] + u[k, i, j-1] + u[k, i, j+1]) / 6
            until maxdiff(u) < 1e-9 every 4 max 40
        }
        """) {
        .grid([7, 9, 8], halo: 1, initialAt: { p in Glibc.sin(Double(p[0]) + 2 * Double(p[1]) + 3 * Double(p[2])) }, boundary: [],
              statements: [.value(.left, { _ in 1 }), .periodic(.front), .periodic(.back), .neumann(.top),
                           .value(.bottom, { p in Double(p[0]) + 0.5 * Double(p[2]) }), .neumann(.right)],
              stop: .until(l2: false, epsilon: 1e-9, every: 4, max: 40)) { u, _ in
            (u([-1, 0, 0]) + u([1, 0, 0]) + u([0, -1, 0]) + u([0, 1, 0]) + u([0, 0, -1]) + u([0, 0, 1])) / 6
        }
    }

    /// Halo 2, float32: neumann top first, then periodic columns and planes over it, a fixed
    /// bottom last.
    static let halo2 = DimensionsVariant.float32("kinds3d_h2", """
        stencil kinds3d_h2 {
            grid u: float32[10, 7, 8]
            init u[k, i, j] = cos(0.3 * k) + 0.1 * i * j
            boundary u {
                top = neumann
                left = periodic
                right = periodic
                front = periodic
                back = periodic
                bottom = 1
            }
            update u[k, i, j] = (u[k-2, i, j] + u[k+2, i, j] + u[k, i-1, j] + u[k, i+1, j] + u[k, i, j-2] + u[k, i, j+2]) / 6
            steps 12
        }
        """) {
        .grid([10, 7, 8], halo: 2, initialAt: { p in Glibc.cosf(Float(0.3) * Float(p[0])) + Float(0.1) * Float(p[1]) * Float(p[2]) },
              boundary: [],
              statements: [.neumann(.top), .periodic(.left), .periodic(.right), .periodic(.front), .periodic(.back), .value(.bottom, { _ in 1 })],
              stop: .steps(12)) { u, _ in
            (u([-2, 0, 0]) + u([2, 0, 0]) + u([0, -1, 0]) + u([0, 1, 0]) + u([0, 0, -2]) + u([0, 0, 2])) / 6
        }
    }

    /// A 1-D periodic ring of halo 2.
    static let ring = DimensionsVariant.float32("ring1d", """
        stencil ring1d {
            grid u: float32[23]
            init u[x] = sin(0.5 * x)
            boundary u {
                left = periodic
                right = periodic
            }
            update u[x] = 0.1 * u[x-2] + 0.2 * u[x-1] + 0.4 * u[x] + 0.2 * u[x+1] + 0.1 * u[x+2]
            steps 25
        }
        """) {
        .grid([23], halo: 2, initialAt: { p in Glibc.sinf(Float(0.5) * Float(p[0])) }, boundary: [],
              statements: [.periodic(.left), .periodic(.right)], stop: .steps(25)) { u, _ in
            Float(0.1) * u([-2]) + Float(0.2) * u([-1]) + Float(0.4) * u([0]) + Float(0.2) * u([1]) + Float(0.1) * u([2])
        }
    }

    /// A 1-D insulated end in red-black order: the statements after each half-sweep.
    static let insulatedRedBlack = DimensionsVariant.float64("insulated1d", """
        stencil insulated1d {
            grid u: float64[31]
            boundary u {
                left = 2
                right = neumann
            }
            update u[x] = (u[x-1] + u[x+1]) / 2
            order redblack
            until l2diff(u) < 1e-6 every 5 max 3000
        }
        """) {
        .grid([31], halo: 1, boundary: [], statements: [.value(.left, { _ in 2 }), .neumann(.right)],
              stop: .until(l2: true, epsilon: 1e-6, every: 5, max: 3000), redBlack: true) { u, _ in
            (u([-1]) + u([1])) / 2
        }
    }

    static let all = [box, halo2, ring, insulatedRedBlack]
}

extension DimensionsTests {
    @Test(arguments: DimensionsKindsVariants.all)
    func kindsMatchReferenceOnEveryTarget(_ variant: DimensionsVariant) throws {
        let (path, directory) = try variant.file()
        defer { try? FileManager.default.removeItem(at: directory) }
        let serial = try runStencil(path, target: .serial)
        Self.check(serial, against: variant.solve(), "\(variant.name) serial")
        var runs: [(String, Target, Schedule)] = [("opencl", .opencl, Schedule())]
        for configuration in Self.openMPConfigurations {
            var schedule = Schedule()
            schedule.numThreads = configuration.threads
            schedule.kind = configuration.kind
            schedule.chunksize = configuration.chunk
            runs.append(("openmp \(configuration.threads) threads \(configuration.kind.rawValue)", .openmp, schedule))
        }
        let shape = serial.field.shape
        if shape.count == 3 {
            let halo = try Compilation.compile(path: path, target: .mpi).program.halo
            for (target, ranks) in [(Target.mpi, 2), (.mpi, 3), (.hybrid, 2)] where shape[0] / ranks >= 2 * halo {
                var schedule = Schedule()
                schedule.ranks = ranks
                if target == .hybrid { schedule.numThreads = 2 }
                runs.append(("\(target.rawValue) \(ranks) ranks", target, schedule))
            }
        }
        for (label, target, schedule) in runs {
            let run = try runStencil(path, target: target, schedule: schedule, environment: MPITests.sharedMemoryOnly)
            #expect(run.iterations == serial.iterations, "\(variant.name) \(label): iterations \(run.iterations) vs serial \(serial.iterations)")
            #expect(run.field == serial.field, "\(variant.name) \(label): field differs from serial")
        }
    }
}
