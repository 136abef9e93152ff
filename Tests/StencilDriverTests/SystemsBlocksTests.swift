// SystemsBlocksTests.swift: systems (several updates, LANGUAGE.md section 5) in blocks of a 1-D
// or 3-D process grid on the mpi and hybrid targets (a 1-D grid, a 3-D grid with `decompose
// grid`): each updated grid has its own halo exchange, read-only grids are filled once, norms
// cover every listed grid. Every grid and the iteration count bit for bit with serial at 2, 3 and
// 4 ranks (extents that do not divide, halo 1 and 2, positions, read-only coefficient grids, a
// 27-point read, `until maxdiff(u, v)`), the 1-D and 3-D systems of Inputs/ against the
// independent reference (ReferenceND.swift), `--input`/`--output NAME=` block by block,
// `--image`, NaN counts over every grid and rank, `explain`, and the emitted C free of warnings
// under -Wall -Wextra -Werror.

import Foundation
import StencilDriver
import StencilIR
import Testing

/// A system written out for a test: its text and the grids compared.
struct BlocksSystem: Sendable, CustomTestStringConvertible {
    let name: String
    let text: String
    let grids: [String]
    var testDescription: String { name }

    /// Writes the program to a temporary file; the caller removes the directory.
    func file() throws -> (path: String, directory: URL) {
        let directory = try temporaryDirectory()
        let path = directory.appendingPathComponent("\(name).st").path
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return (path, directory)
    }
}

enum BlocksSystems {
    /// The 1-D wave equation by leapfrog (w keeps the previous time level), halo 1, from a bump
    /// given by positions; 23 points split 12/11, 8/8/7, 6/6/6/5.
    static let wave1d = BlocksSystem(name: "wave1d", text: """
        stencil wave1d {
            param C = 0.3
            grid u: float64[23]
            grid w: float64[23]
            init u[i] = exp(-(i - 8) * (i - 8) / 8)
            init w[i] = exp(-(i - 8.5) * (i - 8.5) / 8)
            update u[i] = 2 * u[i] - w[i] + C * (u[i-1] + u[i+1] - 2 * u[i])
            update w[i] = u[i]
            steps 40
        }
        """, grids: ["u", "w"])

    /// Two-field reaction-diffusion in float32, halo 2 (u reads 2 points away), a read-only
    /// coefficient grid from positions, a position in an update, fixed sides of u, and
    /// `until maxdiff(u, v)`; 29 points leave a remainder at 2, 3 and 4 ranks.
    static let reaction1d = BlocksSystem(name: "reaction1d", text: """
        stencil reaction1d {
            grid u: float32[29]
            grid v: float32[29]
            grid k: float32[29]
            init u[x] = 1 + 0.5 * sin(0.7 * x)
            init v[x] = 0.2 + 0.1 * cos(0.3 * x)
            init k[x] = 0.05 + 0.002 * x
            boundary u { left = 1; right = 0.5 }
            update u[x] = u[x] + 0.1 * (u[x-2] + u[x+2] - 2 * u[x]) - u[x] * v[x] * v[x] + k[x] * (1 - u[x])
            update v[x] = v[x] + 0.05 * (v[x-1] + v[x+1] - 2 * v[x]) + u[x] * v[x] * v[x] - (k[x] + 0.06) * v[x] + 0.0001 * x
            until maxdiff(u, v) < 1e-5 every 3 max 4000
        }
        """, grids: ["u", "v", "k"])

    /// A 3-D system whose second update reads edges and corners (a 27-point read: the blocks
    /// exchange diagonals for every grid), a read-only coefficient grid from positions, each
    /// grid with a side of its own, `until maxdiff(u, v)`; 7 x 9 x 11 divides by none of 2, 3, 4.
    static let box3d = BlocksSystem(name: "box3d", text: """
        stencil box3d {
            grid u: float32[7, 9, 11]
            grid v: float32[7, 9, 11]
            grid c: float32[7, 9, 11]
            init u[k, i, j] = 0.1 * k + 0.05 * i - 0.02 * j
            init v = 0.5
            init c[k, i, j] = 0.1 + 0.01 * (k + i + j)
            boundary u { front = 1 }
            boundary v { right = 0 }
            update u[k, i, j] = (u[k-1, i, j] + u[k+1, i, j] + u[k, i-1, j] + u[k, i+1, j] + u[k, i, j-1] + u[k, i, j+1] + c[k, i, j] * v[k, i, j]) / (6 + c[k, i, j])
            update v[k, i, j] = 0.25 * v[k, i, j] + 0.125 * (v[k-1, i-1, j-1] + v[k+1, i+1, j+1] + v[k-1, i+1, j] + v[k+1, i-1, j] + v[k, i-1, j+1] + v[k, i+1, j-1]) + 0.001 * k
            until maxdiff(u, v) < 1e-4 every 2 max 400
        }
        """, grids: ["u", "v"])

    /// A 3-D system with halo 2, float64, positions in an init and an update; T steps (the
    /// round trip runs it in two parts). 8 x 10 x 9 over 2x1x1, 3x1x1, 2x2x1: every block at
    /// least 2 deep.
    static let halo2 = BlocksSystem(name: "halo2_system", text: """
        stencil halo2_system {
            param T = 6
            grid u: float64[8, 10, 9]
            grid w: float64[8, 10, 9]
            init u[k, i, j] = sin(0.3 * k) + cos(0.2 * i) * 0.5 + 0.1 * j
            init w = 0.25
            boundary w { top = 1; back = -1 }
            update u[k, i, j] = 0.4 * u[k, i, j] + 0.1 * (u[k-2, i, j] + u[k+2, i, j] + u[k, i-2, j] + u[k, i+2, j] + u[k, i, j-1] + u[k, i, j+1]) + 0.05 * w[k, i, j]
            update w[k, i, j] = 0.5 * (w[k, i-1, j] + w[k, i+1, j]) - 0.01 * u[k, i, j] + 0.001 * (i - j)
            steps T
        }
        """, grids: ["u", "w"])

    static let all = [wave1d, reaction1d, box3d, halo2]
}

@Suite struct SystemsBlocksTests {
    /// mpi and hybrid (2 threads a rank) on blocks at 2, 3 and 4 ranks (and a 1-D grid once with
    /// decompose rows): every grid and the iteration count as serial's.
    @Test(arguments: BlocksSystems.all)
    func blocksBitwiseIdenticalToSerial(_ system: BlocksSystem) throws {
        let (path, directory) = try system.file()
        defer { try? FileManager.default.removeItem(at: directory) }
        let serial = try runStencil(path, target: .serial, grids: system.grids)
        if case .until = try Compilation.compile(path: path, target: .serial).program.stopping {
            #expect(serial.converged, "\(system.name): serial should converge before max, so that the stop is tested")
        }
        let expected = serial.fields.mapValues(\.bytes)
        for (ranks, decomposition) in MPIBlocksTests.runs(dimensions: serial.field.shape.count) {
            for target in [Target.mpi, .hybrid] {
                var schedule = Schedule()
                schedule.ranks = ranks
                schedule.decompose = decomposition
                if target == .hybrid { schedule.numThreads = 2 }
                let label = "\(system.name) \(target.rawValue) \(ranks) ranks decompose \(decomposition.rawValue)"
                let compiled = try Compilation.compile(path: path, target: target, overrides: schedule)
                #expect(compiled.program.distribution?.layout == .blocks, "\(label)")
                let run = try runStencil(path, target: target, schedule: schedule, environment: MPITests.sharedMemoryOnly,
                                         grids: system.grids)
                #expect(run.iterations == serial.iterations, "\(label): iterations \(run.iterations) vs serial \(serial.iterations)")
                #expect(run.converged == serial.converged, "\(label)")
                #expect(run.field == serial.field, "\(label): --output differs from serial")
                SystemsTests.expectSameGrids(run, expected, label)
            }
        }
    }

    /// The 27-point read of the second update alone makes every grid's exchange carry edges and
    /// corners; the emitted program exchanges each updated grid's halo, never the read-only one's.
    @Test func everyUpdateDecidesTheExchangeAndEveryUpdatedGridHasOne() throws {
        let (path, directory) = try BlocksSystems.box3d.file()
        defer { try? FileManager.default.removeItem(at: directory) }
        var schedule = Schedule()
        schedule.decompose = .grid
        let compiled = try Compilation.compile(path: path, target: .mpi, overrides: schedule)
        #expect(compiled.program.distribution?.exchangesDiagonals == true)
        let source = compiled.emitted.source
        #expect(source.contains("HALO, STMPI_GRID, 1 /* edges and corners too"))
        #expect(source.contains("exchange[k][0] = stmpi_blocks_halo_create(&decomp, st_iterates[k].u, MPI_FLOAT);"))
        #expect(source.contains("exchange[k][1] = stmpi_blocks_halo_create(&decomp, st_iterates[k].v, MPI_FLOAT);"))
        #expect(!source.contains("halo_create(&decomp, c,"), "the read-only grid is filled once, never exchanged")
    }

    /// The 1-D and 3-D systems of Inputs/ on blocks against the independent reference: iteration
    /// count, convergence and every grid.
    @Test(arguments: ReferenceSystems.dimensions)
    func blocksMatchIndependentReference(_ system: ReferenceSystemCase) throws {
        let reference = system.solve()
        for (target, ranks) in [(Target.mpi, 3), (.hybrid, 4)] {
            var schedule = Schedule()
            schedule.ranks = ranks
            schedule.decompose = .grid
            let run = try runStencil(system.file, target: target, params: system.params, schedule: schedule,
                                     environment: MPITests.sharedMemoryOnly, grids: system.grids)
            let label = "\(system.file) \(target.rawValue) \(ranks) ranks"
            #expect(run.iterations == reference.iterations, "\(label): iterations \(run.iterations), reference \(reference.iterations)")
            #expect(run.converged == reference.converged, "\(label)")
            SystemsTests.expectSameGrids(run, reference.fields, label)
        }
    }

    /// `--input NAME=` for every updated grid, read block by block, and `--output NAME=`
    /// gathered: 5 serial steps written out, then 4 more on blocks from those files, give the
    /// 9-step fields.
    @Test(arguments: [(Target.mpi, 4), (.hybrid, 3)])
    func continuedRunFromItsOwnOutputsEqualsUninterrupted(_ target: Target, _ ranks: Int) throws {
        let system = BlocksSystems.halo2
        let (path, directory) = try system.file()
        defer { try? FileManager.default.removeItem(at: directory) }
        let whole = try runStencil(path, target: .serial, params: ["T=9"], grids: system.grids)
        let first = try runStencil(path, target: .serial, params: ["T=5"], grids: system.grids)
        var inputs: [String] = []
        for grid in system.grids {
            let file = directory.appendingPathComponent("start_\(grid).npy").path
            try MPIBlocksTests.npy(first.fields[grid]!).write(to: URL(fileURLWithPath: file))
            inputs.append("\(grid)=\(file)")
        }
        var schedule = Schedule()
        schedule.ranks = ranks
        schedule.decompose = .grid
        let rest = try runStencil(path, target: target, params: ["T=4"], schedule: schedule,
                                  environment: MPITests.sharedMemoryOnly, grids: system.grids, inputs: inputs)
        #expect(rest.fields["u"] != first.fields["u"], "the continued run moves on")
        SystemsTests.expectSameGrids(rest, whole.fields.mapValues(\.bytes), "\(target.rawValue) \(ranks) ranks continued")
    }

    /// The emitted program of every system above builds without a warning under -Wall -Wextra
    /// -Werror on both targets.
    @Test(arguments: BlocksSystems.all)
    func emittedCodeIsWarningFree(_ system: BlocksSystem) throws {
        let (path, directory) = try system.file()
        defer { try? FileManager.default.removeItem(at: directory) }
        var schedule = Schedule()
        schedule.decompose = .grid
        for target in [Target.mpi, .hybrid] {
            let compiled = try Compilation.compile(path: path, target: target, overrides: schedule, stem: system.name)
            let (built, errors) = try buildsWarningFree(compiled.emitted.source, recipe: compiled.emitted.recipe)
            #expect(built, "\(system.name) \(target.rawValue): \(errors)")
        }
    }
}

extension SystemsBlocksTests {
}

extension SystemsBlocksTests {
    /// NaN/Inf in the second updated grid only, on the points of the last ranks only: blocks
    /// count every updated grid's points over all ranks, and say what serial says (the count of
    /// points and the iteration), at the end of a `steps` run and on a check sweep of `until`.
    @Test(arguments: [("float64[12]", "u[n]", "w[n]", "0.5 * (u[n-1] + u[n+1])", "sqrt(9 - n) + u[n]", "steps 2"),
                      ("float32[6, 5, 5]", "u[k, i, j]", "w[k, i, j]", "0.5 * (u[k-1, i, j] + u[k+1, i, j])",
                       "sqrt(2 - k) + u[k, i, j]", "until maxdiff(u, w) < 1e-3 every 1 max 10")])
    func nonFiniteValuesOfEveryGridCountedOverTheRanks(_ shape: String, _ u: String, _ w: String, _ uValue: String,
                                                       _ wValue: String, _ stopping: String) throws {
        let system = BlocksSystem(name: "nan_blocks", text: """
            stencil nan_blocks {
                grid u: \(shape)
                grid w: \(shape)
                update \(u) = \(uValue)
                update \(w) = \(wValue)
                \(stopping)
            }
            """, grids: ["u", "w"])
        let (path, directory) = try system.file()
        defer { try? FileManager.default.removeItem(at: directory) }
        let serial = try stencilc(["run", path, "--target", "serial", "--quiet"])
        let message = serial.stderr.split(separator: "\n").first { $0.contains("NaN or Inf after iteration") }
        #expect(serial.status != 0 && message != nil, "serial: \(serial.stderr)")
        for (target, ranks) in [(Target.mpi, 3), (.hybrid, 4)] {
            let run = try stencilc(["run", path, "--target", target.rawValue, "--ranks", String(ranks), "--decompose", "grid", "--quiet"])
            #expect(run.status != 0, "\(target.rawValue): \(run.stdout)")
            #expect(message.map { run.stderr.contains($0) } == true, "\(target.rawValue) \(ranks) ranks: \(run.stderr)")
        }
    }
}

extension SystemsBlocksTests {
    /// `explain` of a system on blocks: two buffers of every updated grid, and each grid's
    /// exchange counted in the messages per sweep (2 grids x 4 ranks x 3 neighbours).
    @Test func explainCountsEveryUpdatedGrid() throws {
        let (path, directory) = try BlocksSystems.box3d.file()
        defer { try? FileManager.default.removeItem(at: directory) }
        let explained = try stencilc(["explain", path, "--target", "mpi", "--ranks", "4", "--decompose", "grid"])
        #expect(explained.status == 0, "\(explained.stderr)")
        #expect(explained.stdout.contains("(two buffers of each of the 2 updated grids)"), "\(explained.stdout)")
        #expect(explained.stdout.contains("per sweep: 24 messages"), "\(explained.stdout)")
        #expect(explained.stdout.contains("a system exchanges each of its 2 updated grids"), "\(explained.stdout)")
        #expect(explained.stdout.contains("halo exchange: faces, edges and corners (an update reads off-axis neighbours"), "\(explained.stdout)")
    }
}

extension SystemsBlocksTests {
    /// `--image` on blocks draws the first updated grid gathered from every rank (a 3-D grid's
    /// middle plane): the same PNG bytes as serial's.
    @Test(arguments: [BlocksSystems.wave1d, BlocksSystems.box3d])
    func imageOfTheFirstGridAsSerials(_ system: BlocksSystem) throws {
        let (path, directory) = try system.file()
        defer { try? FileManager.default.removeItem(at: directory) }
        func image(_ arguments: [String], _ name: String) throws -> Data? {
            let file = directory.appendingPathComponent("\(name).png").path
            let result = try stencilc(["run", path, "--quiet", "--image", file] + arguments, environment: MPITests.sharedMemoryOnly)
            #expect(result.status == 0, "\(name): \(result.stderr)")
            return FileManager.default.contents(atPath: file)
        }
        let serial = try image(["--target", "serial"], "serial")
        #expect(serial != nil)
        for (target, ranks) in [(Target.mpi, 4), (.hybrid, 3)] {
            let blocks = try image(["--target", target.rawValue, "--ranks", String(ranks), "--decompose", "grid"], target.rawValue)
            #expect(blocks == serial, "\(system.name) \(target.rawValue) \(ranks) ranks: the image differs from serial's")
        }
    }
}
