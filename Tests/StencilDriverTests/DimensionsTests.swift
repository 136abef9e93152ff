// DimensionsTests.swift: 1-D and 3-D grids (LANGUAGE.md section 5, "Dimensions"). The examples
// (heat3d, laplace3d, rod) and small variants (halo 2, extents that leave remainders and differ
// per dimension, a 27-point stencil, positions, red-black) on serial against the independent
// reference (Reference.swift, referenceSolveN), openmp (several schedules), opencl (a 1-D or
// 3-D NDRange) and 3-D mpi and hybrid (slabs of planes, 1 to 4 ranks) bit for bit with serial,
// the shape in .npy and --json, and what is not supported yet refused with a located error.
// (1-D and 3-D `decompose grid` on mpi/hybrid: MPIBlocksTests.) Boundary kinds in 1-D and 3-D:
// DimensionsTests+Kinds.swift; systems: SystemsTests+Dimensions.swift.

import Foundation
import StencilDriver
import StencilIR
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// A program given as text (written to a temporary .st file) with its hand-written reference.
struct DimensionsVariant: Sendable, CustomTestStringConvertible {
    let name: String
    let text: String
    let solve: @Sendable () -> (bytes: [UInt8], iterations: Int, converged: Bool)
    var testDescription: String { name }

    static func float32(_ name: String, _ text: String, _ problem: @escaping @Sendable () -> ReferenceProblem<Float>) -> Self {
        let reference = ReferenceCase.float32(name, [], problem)
        return Self(name: name, text: text, solve: reference.solve)
    }

    static func float64(_ name: String, _ text: String, _ problem: @escaping @Sendable () -> ReferenceProblem<Double>) -> Self {
        let reference = ReferenceCase.float64(name, [], problem)
        return Self(name: name, text: text, solve: reference.solve)
    }

    /// Writes the program to a temporary file; the caller removes the directory.
    func file() throws -> (path: String, directory: URL) {
        let directory = try temporaryDirectory()
        let path = directory.appendingPathComponent("\(name).st").path
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return (path, directory)
    }
}

enum DimensionsVariants {
    /// Halo 2, extents that differ per dimension and leave remainders in every vector and thread
    /// split, a position-dependent start, six distinct faces.
    static let halo2 = DimensionsVariant.float64("halo2_3d", """
        stencil halo2_3d {
            grid u: float64[7, 9, 13]
            init u[k, i, j] = k - 0.5 * i + 0.25 * j
            boundary u {
                front = 1
                back = -1
                top = 2
                bottom = 0
                left = 0.5
                right = 0.25
            }
            update u[k, i, j] = (u[k-1, i, j] + u[k+1, i, j] + u[k, i-1, j] + u[k, i+1, j] + u[k, i, j-1] + u[k, i, j+1] + 0.5 * (u[k-2, i, j] + u[k+2, i, j] + u[k, i-2, j] + u[k, i+2, j] + u[k, i, j-2] + u[k, i, j+2])) / 9
            steps 15
        }
        """) {
        .grid([7, 9, 13], halo: 2, initialAt: { p in Double(p[0]) - 0.5 * Double(p[1]) + 0.25 * Double(p[2]) },
              boundary: [(.front, 1), (.back, -1), (.top, 2), (.bottom, 0), (.left, 0.5), (.right, 0.25)],
              stop: .steps(15)) { u, _ in
            let near = u([-1, 0, 0]) + u([1, 0, 0]) + u([0, -1, 0]) + u([0, 1, 0]) + u([0, 0, -1]) + u([0, 0, 1])
            return (near + 0.5 * (u([-2, 0, 0]) + u([2, 0, 0]) + u([0, -2, 0]) + u([0, 2, 0]) + u([0, 0, -2]) + u([0, 0, 2]))) / 9
        }
    }

    /// The 27-point stencil: reads on the edges and corners of the cube around each point.
    static let box27 = DimensionsVariant.float32("box27", """
        stencil box27 {
            grid u: float32[9, 10, 11]
            boundary u {
                top = 1
                front = 0.5
            }
            update u[k, i, j] = (\(box27Terms)) / 27
            until maxdiff(u) < 1e-3 every 5 max 2000
        }
        """) {
        .grid([9, 10, 11], halo: 1, boundary: [(.top, 1), (.front, 0.5)],
              stop: .until(l2: false, epsilon: 1e-3, every: 5, max: 2000)) { u, _ in
            var sum: Float = 0
            var first = true
            for dk in -1...1 { for di in -1...1 { for dj in -1...1 {
                sum = first ? u([dk, di, dj]) : sum + u([dk, di, dj])
                first = false
            } } }
            return sum / 27
        }
    }

    static var box27Terms: String {
        var terms: [String] = []
        for dk in -1...1 { for di in -1...1 { for dj in -1...1 {
            func index(_ name: String, _ d: Int) -> String { d == 0 ? name : d > 0 ? "\(name)+\(d)" : "\(name)\(d)" }
            terms.append("u[\(index("k", dk)), \(index("i", di)), \(index("j", dj))]")
        } } }
        return terms.joined(separator: " + ")
    }

    /// 1-D, halo 2, the index as a value in the update, l2diff.
    static let rod5 = DimensionsVariant.float32("rod5", """
        stencil rod5 {
            grid u: float32[37]
            boundary u {
                left = 1
                right = -1
            }
            update u[x] = (u[x-2] + 4 * u[x-1] + 6 * u[x] + 4 * u[x+1] + u[x+2]) / 16 + 0.001 * sin(x)
            until l2diff(u) < 1e-4 every 3 max 5000
        }
        """) {
        .grid([37], halo: 2, boundary: [(.left, 1), (.right, -1)],
              stop: .until(l2: true, epsilon: 1e-4, every: 3, max: 5000)) { u, p in
            (u([-2]) + 4 * u([-1]) + 6 * u([0]) + 4 * u([1]) + u([2])) / 16 + Float(0.001) * Glibc.sinf(Float(p[0]))
        }
    }

    /// Red-black SOR in 3-D (the 7-point stencil): a point is red when k + i + j is even.
    static let redBlack3d = DimensionsVariant.float64("redblack3d", """
        stencil redblack3d {
            grid u: float64[8, 9, 10]
            boundary u {
                top = 100
            }
            update u[k, i, j] = (u[k-1, i, j] + u[k+1, i, j] + u[k, i-1, j] + u[k, i+1, j] + u[k, i, j-1] + u[k, i, j+1]) / 6
            relax 1.5
            order redblack
            until maxdiff(u) < 1e-6 every 1 max 5000
        }
        """) {
        .grid([8, 9, 10], halo: 1, boundary: [(.top, 100)],
              stop: .until(l2: false, epsilon: 1e-6, every: 1, max: 5000), redBlack: true) { u, _ in
            let old = u([0, 0, 0])
            let jacobi = (u([-1, 0, 0]) + u([1, 0, 0]) + u([0, -1, 0]) + u([0, 1, 0]) + u([0, 0, -1]) + u([0, 0, 1])) / 6
            return old + 1.5 * (jacobi - old)
        }
    }

    /// Red-black Gauss-Seidel in 1-D (the 3-point stencil).
    static let redBlack1d = DimensionsVariant.float64("redblack1d", """
        stencil redblack1d {
            grid u: float64[41]
            boundary u {
                left = 1
                right = 3
            }
            update u[j] = (u[j-1] + u[j+1]) / 2
            order redblack
            steps 60
        }
        """) {
        .grid([41], halo: 1, boundary: [(.left, 1), (.right, 3)], stop: .steps(60), redBlack: true) { u, _ in
            (u([-1]) + u([1])) / 2
        }
    }

    /// 1-D with maxdiff: the check sweep's max reduction on `omp for simd`.
    static let rodMax = DimensionsVariant.float32("rodmax", """
        stencil rodmax {
            grid u: float32[203]
            boundary u {
                left = 1
                right = 5
            }
            update u[x] = (u[x-1] + u[x+1]) / 2
            until maxdiff(u) < 1e-3 every 7 max 100000
        }
        """) {
        .grid([203], halo: 1, boundary: [(.left, 1), (.right, 5)], stop: .until(l2: false, epsilon: 1e-3, every: 7, max: 100000)) { u, _ in
            (u([-1]) + u([1])) / 2
        }
    }

    static let all = [halo2, box27, rod5, rodMax, redBlack3d, redBlack1d]
}

@Suite struct DimensionsTests {
    static func check(_ run: RunOutcome, against reference: (bytes: [UInt8], iterations: Int, converged: Bool), _ label: String) {
        #expect(run.iterations == reference.iterations, "\(label): iterations \(run.iterations), reference \(reference.iterations)")
        #expect(run.converged == reference.converged, "\(label)")
        #expect(run.field.bytes.count == reference.bytes.count, "\(label)")
        if run.field.bytes != reference.bytes {
            let differing = zip(run.field.bytes, reference.bytes).enumerated().first { $0.element.0 != $0.element.1 }
            Issue.record("\(label): field differs from the reference (first differing byte \(differing?.offset ?? -1))")
        }
    }

    /// The openmp schedules compared with serial: threads, kinds, chunks (remainders of planes).
    static let openMPConfigurations: [(threads: Int, kind: ScheduleKind, chunk: Int?)] = [
        (1, .static, nil), (2, .static, nil), (2, .dynamic, 3), (2, .guided, nil), (3, .static, 2),
    ]

    @Test(arguments: ReferencePrograms.dimensions, [Target.serial, .openmp])
    func examplesMatchIndependentReference(_ program: ReferenceCase, target: Target) throws {
        let run = try runStencil(program.file, target: target, params: program.params)
        Self.check(run, against: program.solve(), "\(program.file) \(target.rawValue)")
    }

    @Test(arguments: DimensionsVariants.all)
    func variantsMatchReferenceAndOpenMPMatchesSerial(_ variant: DimensionsVariant) throws {
        let (path, directory) = try variant.file()
        defer { try? FileManager.default.removeItem(at: directory) }
        let serial = try runStencil(path, target: .serial)
        Self.check(serial, against: variant.solve(), "\(variant.name) serial")
        for configuration in Self.openMPConfigurations {
            var schedule = Schedule()
            schedule.numThreads = configuration.threads
            schedule.kind = configuration.kind
            schedule.chunksize = configuration.chunk
            let run = try runStencil(path, target: .openmp, schedule: schedule)
            let label = "\(variant.name): \(configuration.threads) threads, \(configuration.kind.rawValue)\(configuration.chunk.map { ",\($0)" } ?? "")"
            #expect(run.iterations == serial.iterations, "\(label): iterations \(run.iterations) vs serial \(serial.iterations)")
            #expect(run.field == serial.field, "\(label): field differs from serial")
        }
        let device = try runStencil(path, target: .opencl)
        #expect(device.iterations == serial.iterations, "\(variant.name) opencl: iterations \(device.iterations) vs serial \(serial.iterations)")
        #expect(device.field == serial.field, "\(variant.name) opencl: field differs from serial")
        try Self.distributedMatchSerial(path, params: [], serial: serial, label: variant.name)
    }

    /// 3-D grids on mpi and hybrid (slabs of planes): 1 to 4 ranks, as many as leave every slab
    /// at least 2 planes (the halo of every variant here is at most 2), bit for bit with serial.
    static func distributedMatchSerial(_ file: String, params: [String], serial: RunOutcome, label: String) throws {
        guard serial.field.shape.count == 3 else { return }
        let planes = serial.field.shape[0]
        for ranks in 1...4 where planes / ranks >= 2 {
            for target in [Target.mpi, .hybrid] {
                var schedule = Schedule()
                schedule.ranks = ranks
                if target == .hybrid { schedule.numThreads = 2 }
                let run = try runStencil(file, target: target, params: params, schedule: schedule)
                #expect(run.iterations == serial.iterations, "\(label) \(target.rawValue) \(ranks) ranks: iterations \(run.iterations) vs serial \(serial.iterations)")
                #expect(run.field == serial.field, "\(label) \(target.rawValue) \(ranks) ranks: field differs from serial")
                #expect(run.summary["shape"] as? [Int] == serial.field.shape)
            }
        }
    }

    @Test(arguments: ReferencePrograms.dimensions)
    func mpiAndHybridBitwiseIdenticalToSerial(_ program: ReferenceCase) throws {
        let serial = try runStencil(program.file, target: .serial, params: program.params)
        try Self.distributedMatchSerial(program.file, params: program.params, serial: serial, label: program.file)
    }

    @Test(arguments: ReferencePrograms.dimensions)
    func openCLBitwiseIdenticalToSerial(_ program: ReferenceCase) throws {
        let serial = try runStencil(program.file, target: .serial, params: program.params)
        let device = try runStencil(program.file, target: .opencl, params: program.params)
        #expect(device.iterations == serial.iterations)
        #expect(device.field == serial.field, "\(program.file): opencl differs from serial")
        #expect(device.summary["shape"] as? [Int] == serial.field.shape)
    }

    @Test(arguments: ReferencePrograms.dimensions)
    func openMPBitwiseIdenticalToSerial(_ program: ReferenceCase) throws {
        let serial = try runStencil(program.file, target: .serial, params: program.params)
        for configuration in Self.openMPConfigurations {
            var schedule = Schedule()
            schedule.numThreads = configuration.threads
            schedule.kind = configuration.kind
            schedule.chunksize = configuration.chunk
            let run = try runStencil(program.file, target: .openmp, params: program.params, schedule: schedule)
            #expect(run.iterations == serial.iterations)
            #expect(run.field == serial.field, "\(program.file): \(configuration) differs from serial")
        }
    }

    /// `.npy` files carry the full shape; --json gives `shape`, and rows/cols are the last two
    /// extents (1-D: 1 row).
    @Test func shapesInFilesAndSummary() throws {
        let cube = try runStencil("heat3d.st", target: .serial, params: ["N=9", "steps_count=2"])
        #expect(cube.field.shape == [9, 9, 9])
        #expect(cube.summary["shape"] as? [Int] == [9, 9, 9])
        #expect(cube.summary["rows"] as? Int == 9 && cube.summary["cols"] as? Int == 9)
        let rod = try runStencil("rod.st", target: .openmp, params: ["N=50", "steps_count=2"])
        #expect(rod.field.shape == [50])
        #expect(rod.summary["shape"] as? [Int] == [50])
        #expect(rod.summary["rows"] as? Int == 1 && rod.summary["cols"] as? Int == 50)
        let plate = try runStencil("heat.st", target: .serial, params: ["N=12", "steps_count=2"])
        #expect(plate.summary["shape"] as? [Int] == [12, 12])
    }

    /// `--input` of a 3-D grid: a file of the full shape replaces init (here with the same values,
    /// so the result is the plain run's); another shape is refused naming both.
    @Test func inputOfFullShape() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let plain = try runStencil("heat3d.st", target: .serial, params: ["N=8", "steps_count=3"])
        let good = directory.appendingPathComponent("good.npy").path
        try npyData(shape: [8, 8, 8], fill: Float(20)).write(to: URL(fileURLWithPath: good))
        let fed = try runStencil("heat3d.st", target: .serial, params: ["N=8", "steps_count=3"], inputs: ["u=\(good)"])
        #expect(fed.field == plain.field)
        var slabs = Schedule()
        slabs.ranks = 3
        let distributed = try runStencil("heat3d.st", target: .mpi, params: ["N=8", "steps_count=3"], schedule: slabs, inputs: ["u=\(good)"])
        #expect(distributed.field == plain.field, "each rank reads its slab of the input")
        let bad = directory.appendingPathComponent("bad.npy").path
        try npyData(shape: [8, 64], fill: Float(20)).write(to: URL(fileURLWithPath: bad))
        let process = Process()
        process.executableURL = URL(fileURLWithPath: Repository.stencilc)
        process.arguments = ["run", Repository.stencil("heat3d.st"), "--target", "serial", "--param", "N=8", "--input", "u=\(bad)"]
        let errors = Pipe()
        process.standardError = errors
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        let message = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(process.terminationStatus != 0)
        #expect(message.contains("shape (8, 64), expected (8, 8, 8)"), "\(message)")
    }

    /// A little-endian float32 .npy of the given shape, every element `fill`.
    func npyData(shape: [Int], fill: Float) -> Data {
        let shapeText = "(" + shape.map(String.init).joined(separator: ", ") + (shape.count == 1 ? ",)" : ")")
        var header = "{'descr': '<f4', 'fortran_order': False, 'shape': \(shapeText), }"
        while (10 + header.utf8.count + 1) % 64 != 0 { header += " " }
        header += "\n"
        var data = Data([0x93] + Array("NUMPY".utf8) + [1, 0, UInt8(header.utf8.count & 0xff), UInt8(header.utf8.count >> 8)])
        data.append(contentsOf: Array(header.utf8))
        for _ in 0..<shape.reduce(1, *) { withUnsafeBytes(of: fill.bitPattern.littleEndian) { data.append(contentsOf: $0) } }
        return data
    }

    /// The runtime's shape machinery on its own (runtime/tests/shape_check.c).
    @Test func runtimeRecordsTheShape() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let runtime = "\(Repository.root)/runtime"
        let executable = directory.appendingPathComponent("shape_check").path
        let build = try ProcessRunner.run(Job(kind: .compileProgram, executable: "gcc",
                                              arguments: ["-std=c11", "-O2", "-Wall", "-Wextra", "-Werror", "-I", runtime,
                                                          "\(runtime)/tests/shape_check.c", "\(runtime)/stencil_runtime.c", "-lm",
                                                          "-o", executable]), capture: true)
        #expect(build.status == 0, "\(build.errorOutput)")
        let run = try ProcessRunner.run(Job(kind: .run, executable: executable, arguments: [directory.path]), capture: true)
        #expect(run.status == 0, "\(run.output)")
        #expect(run.output.contains(" passed, 0 failed"), "\(run.output)")
    }

    /// The plan of a 3-D grid: the team shares planes and rows (collapse(2)); `explain` shows the
    /// shape. (TilesTests checks its temporal blocking.)
    @Test func planRecordsTheThreeDimensionalLoops() throws {
        let result = try Compilation.compile(path: Repository.stencil("heat3d.st"), target: .openmp)
        #expect(result.program.loops.worksharing?.contains("collapse(2)") == true)
        let text = Explain.text(result.program)
        #expect(text.contains("N x N x N points"), "\(text)")
    }

    /// --image on a 3-D grid draws a plane (the middle one) and names it in the picture: the
    /// picture is taller than a 2-D grid's of the same rows by the caption line.
    @Test func imageOfTheMiddlePlane() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        func image(_ file: String, _ params: [String]) throws -> (width: Int, height: Int) {
            let result = try Compilation.compile(path: Repository.stencil(file), target: .serial)
            let toolchain = try Toolchain.fromEnvironment(runtimeDirectory: "\(Repository.root)/runtime")
            let launcher = Launcher(builder: Builder(toolchain: toolchain, cache: BuildCache.defaultCache()))
            var options = RunOptions()
            options.params = params
            options.imagePath = directory.appendingPathComponent("\(file).png").path
            options.quiet = true
            _ = try launcher.run(result, stem: Compilation.defaultStem(file), options: options, capture: true)
            let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: options.imagePath!)))
            func be32(_ at: Int) -> Int { bytes[at..<at + 4].reduce(0) { $0 << 8 | Int($1) } }
            return (be32(16), be32(20))
        }
        let cube = try image("heat3d.st", ["N=40", "steps_count=1"])
        let plate = try image("heat.st", ["N=40", "steps_count=1"])
        #expect(cube.height > plate.height)
    }
}
