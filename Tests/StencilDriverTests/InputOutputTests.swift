// InputOutputTests.swift: --input GRID=FILE.npy and --output GRID=FILE.npy on every target.
// A run continued from its own .npy is bitwise the uninterrupted run (serial, openmp, mpi at 2
// and 3 ranks with both decompositions, hybrid, opencl); inputs made here byte by byte, as NumPy
// writes them (versions 1.0 and 2.0, both quote styles), give what an independent computation of
// one sweep gives, for an updated grid and for a read-only grid read at offsets (whose halo an
// MPI rank fills from the file); every error is exit 1, one clear message, and no file written.

import Foundation
import StencilDriver
import Testing

/// The bytes of a .npy file as NumPy writes them: magic, version, header length (2 bytes for
/// version 1.0, 4 for 2.0), the dict padded with spaces to a multiple of 64 and a newline.
func npyBytes(descr: String, shape: String, fortranOrder: Bool = false, version: UInt8 = 1,
              doubleQuotes: Bool = false, data: [UInt8]) -> [UInt8] {
    let q = doubleQuotes ? "\"" : "'"
    var dict = "{\(q)descr\(q): \(q)\(descr)\(q), \(q)fortran_order\(q): \(fortranOrder ? "True" : "False"), \(q)shape\(q): \(shape), }"
    let prefix = version == 1 ? 10 : 12
    while (prefix + dict.utf8.count + 1) % 64 != 0 { dict += " " }
    dict += "\n"
    let length = dict.utf8.count
    var bytes: [UInt8] = [0x93] + Array("NUMPY".utf8) + [version, 0]
    bytes += version == 1 ? [UInt8(length & 0xff), UInt8(length >> 8)]
                          : [UInt8(length & 0xff), UInt8((length >> 8) & 0xff), UInt8((length >> 16) & 0xff), UInt8(length >> 24)]
    return bytes + Array(dict.utf8) + data
}

func littleEndian(_ values: [Float]) -> [UInt8] {
    values.flatMap { v in (0..<4).map { UInt8((v.bitPattern >> (8 * $0)) & 0xff) } }
}

func littleEndian(_ values: [Double]) -> [UInt8] {
    values.flatMap { v in (0..<8).map { UInt8((v.bitPattern >> (8 * UInt64($0))) & 0xff) } }
}

/// A run configuration of `stencilc run`, as flags.
struct IOConfiguration: Sendable, CustomTestStringConvertible {
    var target: String
    var flags: [String] = []
    var testDescription: String { ([target] + flags).joined(separator: " ") }

    var arguments: [String] { ["--target", target] + flags }
    var environment: [String: String] { target == "mpi" || target == "hybrid" ? MPITests.sharedMemoryOnly : [:] }

    static let all: [IOConfiguration] = [
        IOConfiguration(target: "serial"),
        IOConfiguration(target: "openmp", flags: ["--num-threads", "2"]),
        IOConfiguration(target: "mpi", flags: ["--ranks", "2", "--decompose", "rows"]),
        IOConfiguration(target: "mpi", flags: ["--ranks", "2", "--decompose", "grid"]),
        IOConfiguration(target: "mpi", flags: ["--ranks", "3", "--decompose", "rows"]),
        IOConfiguration(target: "mpi", flags: ["--ranks", "3", "--decompose", "grid"]),
        IOConfiguration(target: "hybrid", flags: ["--ranks", "2", "--decompose", "grid", "--num-threads", "2"]),
        IOConfiguration(target: "opencl"),
    ]
}

@Suite struct InputOutputTests {
    let jacobi = Repository.stencil("jacobi.st")

    /// A stencil with a read-only grid `a` read at offsets (an MPI rank reads its halo cells of
    /// `a` from the file: they are never exchanged) and a float64 updated grid.
    static let coefficientSource = """
        stencil coef {
            param N = 20
            grid u: float64[N, N]
            grid a: float64[N, N]
            boundary u {
                top = 1
                right = -2
            }
            init u = 0
            init a = 1
            update u[i, j] = (a[i-1, j] * u[i-1, j] + a[i+1, j] * u[i+1, j] + a[i, j-1] * u[i, j-1] + a[i, j+1] * u[i, j+1]) / 4
            steps 1
        }

        """

    func run(_ arguments: [String], _ configuration: IOConfiguration) throws -> CommandResult {
        try stencilc(["run"] + arguments + configuration.arguments + ["--json", "--quiet"],
                     environment: configuration.environment)
    }

    @Test(arguments: IOConfiguration.all)
    func continuingFromTheOutputIsTheUninterruptedRun(_ configuration: IOConfiguration) throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let first = directory.appendingPathComponent("first.npy").path
        let second = directory.appendingPathComponent("second.npy").path
        let whole = directory.appendingPathComponent("whole.npy").path
        let common = [jacobi, "--param", "N=20"]
        // The reference: 12 sweeps in one serial run.
        let reference = try stencilc(["run"] + common + ["--target", "serial", "--max-iterations", "12", "--output", whole, "--quiet"])
        #expect(reference.status == 0, "\(reference.stderr)")
        // 7 sweeps, written by name; then 5 more from that file, written the old way.
        let a = try run(common + ["--max-iterations", "7", "--output", "u=\(first)"], configuration)
        #expect(a.status == 0, "\(a.stderr)")
        let b = try run(common + ["--max-iterations", "5", "--input", "u=\(first)", "--output", second], configuration)
        #expect(b.status == 0, "\(b.stderr)")
        #expect(b.stdout.contains("\"iterations\": 5"))
        let continued = try NPYArray(contentsOf: second)
        let uninterrupted = try NPYArray(contentsOf: whole)
        #expect(continued.rows == 20 && continued.cols == 20 && continued.descr == "<f4")
        #expect(continued == uninterrupted, "\(configuration.testDescription): 7 + 5 sweeps differ from 12")
        #expect(try NPYArray(contentsOf: first) != uninterrupted)
    }

    /// A ramp from "NumPy" (bytes written here) as the initial u of jacobi.st: the boundary lines
    /// overwrite its ring, one sweep averages its neighbours; computed here independently.
    @Test(arguments: [IOConfiguration.all[0], IOConfiguration.all[5], IOConfiguration.all[7]])
    func rampInputGivesTheIndependentSweep(_ configuration: IOConfiguration) throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let n = 20
        var u = (0..<n * n).map { Float($0 % n) * 0.5 + Float($0 / n) * 0.25 }
        let input = directory.appendingPathComponent("ramp.npy").path
        // Version 2.0, double quotes, no space in the shape: still a .npy NumPy reads.
        try Data(npyBytes(descr: "<f4", shape: "(\(n),\(n))", version: 2, doubleQuotes: true, data: littleEndian(u)))
            .write(to: URL(fileURLWithPath: input))
        let output = directory.appendingPathComponent("out.npy").path
        let result = try run([jacobi, "--param", "N=\(n)", "--max-iterations", "1", "--input", "u=\(input)",
                              "--output", "u=\(output)"], configuration)
        #expect(result.status == 0, "\(result.stderr)")
        // Boundary lines in the order written: top 100, left 75, right 50, bottom 0.
        for j in 0..<n { u[j] = 100 }
        for i in 0..<n { u[i * n] = 75; u[i * n + n - 1] = 50 }
        for j in 0..<n { u[(n - 1) * n + j] = 0 }
        var expected = u
        for i in 1..<n - 1 {
            for j in 1..<n - 1 {
                expected[i * n + j] = (u[(i - 1) * n + j] + u[(i + 1) * n + j] + u[i * n + j - 1] + u[i * n + j + 1]) / 4
            }
        }
        let field = try NPYArray(contentsOf: output)
        #expect(field.floats.map(\.bitPattern) == expected.map(\.bitPattern), "\(configuration.testDescription)")
    }

    /// A read-only grid from a file, read at offsets, and --output of both grids.
    @Test(arguments: [IOConfiguration.all[0], IOConfiguration.all[1], IOConfiguration.all[3], IOConfiguration.all[5],
                      IOConfiguration.all[6], IOConfiguration.all[7]])
    func readOnlyGridInputAndOutputs(_ configuration: IOConfiguration) throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let source = directory.appendingPathComponent("coef.st").path
        try Self.coefficientSource.write(toFile: source, atomically: true, encoding: .utf8)
        let n = 20
        let a = (0..<n * n).map { 1 + Double($0 % n) / 7 - Double($0 / n) / 11 }
        var u = (0..<n * n).map { Double(($0 * 37) % 101) / 3 }
        let aPath = directory.appendingPathComponent("a.npy").path
        let uPath = directory.appendingPathComponent("u.npy").path
        try Data(npyBytes(descr: "<f8", shape: "(\(n), \(n))", data: littleEndian(a))).write(to: URL(fileURLWithPath: aPath))
        try Data(npyBytes(descr: "<f8", shape: "(\(n), \(n))", data: littleEndian(u))).write(to: URL(fileURLWithPath: uPath))
        let aOut = directory.appendingPathComponent("a_out.npy").path
        let uOut = directory.appendingPathComponent("u_out.npy").path
        let result = try run([source, "--input", "a=\(aPath)", "--input", "u=\(uPath)", "--output", "a=\(aOut)",
                              "--output", "u=\(uOut)"], configuration)
        #expect(result.status == 0, "\(result.stderr)")
        for j in 0..<n { u[j] = 1 }
        for i in 0..<n { u[i * n + n - 1] = -2 }
        var expected = u
        for i in 1..<n - 1 {
            for j in 1..<n - 1 {
                let up = a[(i - 1) * n + j] * u[(i - 1) * n + j], down = a[(i + 1) * n + j] * u[(i + 1) * n + j]
                let left = a[i * n + j - 1] * u[i * n + j - 1], right = a[i * n + j + 1] * u[i * n + j + 1]
                expected[i * n + j] = (up + down + left + right) / 4
            }
        }
        let label = configuration.testDescription
        #expect(try NPYArray(contentsOf: aOut).doubles.map(\.bitPattern) == a.map(\.bitPattern), "\(label): a")
        #expect(try NPYArray(contentsOf: uOut).doubles.map(\.bitPattern) == expected.map(\.bitPattern), "\(label): u")
    }

    /// Each bad input: exit 1, a message naming what was expected and found, nothing written.
    @Test func errorsExitOneAndWriteNothing() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        func file(_ name: String, _ bytes: [UInt8]) throws -> String {
            let path = directory.appendingPathComponent(name).path
            try Data(bytes).write(to: URL(fileURLWithPath: path))
            return path
        }
        let zeros400 = littleEndian([Float](repeating: 0, count: 400))
        let small = try file("small.npy", npyBytes(descr: "<f4", shape: "(10, 10)", data: littleEndian([Float](repeating: 0, count: 100))))
        let double = try file("double.npy", npyBytes(descr: "<f8", shape: "(20, 20)", data: littleEndian([Double](repeating: 0, count: 400))))
        let fortran = try file("fortran.npy", npyBytes(descr: "<f4", shape: "(20, 20)", fortranOrder: true, data: zeros400))
        let truncated = try file("truncated.npy", npyBytes(descr: "<f4", shape: "(20, 20)", data: Array(zeros400.dropLast(7))))
        let flat = try file("flat.npy", npyBytes(descr: "<f4", shape: "(400,)", data: zeros400))
        let text = try file("text.npy", Array("not numpy at all\n".utf8))
        let good = try file("good.npy", npyBytes(descr: "<f4", shape: "(20, 20)", data: zeros400))
        let missing = directory.appendingPathComponent("missing.npy").path
        let out = directory.appendingPathComponent("out.npy").path
        let cases: [([String], [String])] = [
            (["--input", "u=\(small)"], ["--input u=\(small): shape (10, 10), expected (20, 20)"]),
            (["--input", "u=\(double)"], ["dtype <f8, expected <f4 (float32)"]),
            (["--input", "u=\(fortran)"], ["fortran_order True", "only C order"]),
            (["--input", "u=\(truncated)"], ["truncated data: 1593 bytes after the header, expected 1600"]),
            (["--input", "u=\(flat)"], ["shape (400,), expected (20, 20)"]),
            (["--input", "u=\(text)"], ["is not a .npy file"]),
            (["--input", "u=\(missing)"], ["cannot open", "No such file or directory"]),
            (["--input", "v=\(good)"], ["--input v=\(good): no grid 'v' in this program (grids: u)"]),
            (["--input", "u=\(good)", "--input", "u=\(good)"], ["--input gives grid 'u' twice"]),
            (["--input", "u=\(good)", "--output", "w=\(out)"], ["--output w=\(out): no grid 'w' in this program (grids: u)"]),
            (["--input", good], ["--input expects GRID=FILE.npy"]),
        ]
        for (flags, messages) in cases {
            let result = try stencilc(["run", jacobi, "--param", "N=20", "--target", "serial", "--quiet",
                                       "--output", "u=\(out)"] + flags)
            #expect(result.status == 1, "\(flags): \(result.stderr)")
            for message in messages {
                #expect(result.stderr.contains(message), "\(flags): \(result.stderr)")
            }
            #expect(!FileManager.default.fileExists(atPath: out), "\(flags) wrote \(out)")
            #expect(!result.stdout.contains("iterations"), "\(flags) ran: \(result.stdout)")
        }
        // Under MPI the ranks check the same header: one message, exit 1, nothing written.
        let mpi = try stencilc(["run", jacobi, "--param", "N=20", "--target", "mpi", "--ranks", "3", "--decompose", "grid",
                                "--quiet", "--input", "u=\(small)", "--output", out], environment: MPITests.sharedMemoryOnly)
        #expect(mpi.status == 1, "\(mpi.stderr)")
        #expect(mpi.stderr.components(separatedBy: "shape (10, 10), expected (20, 20)").count == 2, "\(mpi.stderr)")
        #expect(!FileManager.default.fileExists(atPath: out))
        let contents = try FileManager.default.contentsOfDirectory(atPath: directory.path).sorted()
        #expect(contents == ["double.npy", "flat.npy", "fortran.npy", "good.npy", "small.npy", "text.npy", "truncated.npy"],
                "left files behind: \(contents)")
    }
}
