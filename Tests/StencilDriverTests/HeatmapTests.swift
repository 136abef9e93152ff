// HeatmapTests.swift: the runtime's st_write_heatmap_png, called from a small C harness: the PNG
// signature, IHDR, every chunk's CRC (checked by an independent CRC-32 here), the image data
// inflated by Python's zlib (which checks the Adler-32 too), and the colours where the minimum,
// the maximum and a NaN are. Also `stencilc run --image`'s flag handling.

import Foundation
import StencilDriver
import StencilIR
import Testing

/// A PNG file split into its chunks.
struct PNGFile {
    struct Chunk {
        var type: String
        var data: [UInt8]
        var crcMatches: Bool
    }

    var chunks: [Chunk] = []

    init(_ bytes: [UInt8]) throws {
        guard bytes.count > 8, bytes[0..<8] == [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a] else {
            throw DriverError("no PNG signature")
        }
        var at = 8
        while at + 12 <= bytes.count {
            let length = Int(PNGFile.u32(bytes, at))
            guard at + 12 + length <= bytes.count else { throw DriverError("truncated chunk") }
            let type = String(decoding: bytes[at + 4..<at + 8], as: UTF8.self)
            let stored = PNGFile.u32(bytes, at + 8 + length)
            chunks.append(Chunk(type: type, data: Array(bytes[at + 8..<at + 8 + length]),
                                crcMatches: PNGFile.crc32(bytes[at + 4..<at + 8 + length]) == stored))
            at += 12 + length
        }
        guard at == bytes.count else { throw DriverError("trailing bytes after the last chunk") }
    }

    static func u32(_ bytes: [UInt8], _ at: Int) -> UInt32 {
        UInt32(bytes[at]) << 24 | UInt32(bytes[at + 1]) << 16 | UInt32(bytes[at + 2]) << 8 | UInt32(bytes[at + 3])
    }

    /// CRC-32 bit by bit (no table): independent of the runtime's.
    static func crc32(_ bytes: ArraySlice<UInt8>) -> UInt32 {
        var crc: UInt32 = 0xffff_ffff
        for byte in bytes {
            crc ^= UInt32(byte)
            for _ in 0..<8 { crc = crc & 1 == 1 ? (crc >> 1) ^ 0xedb8_8320 : crc >> 1 }
        }
        return ~crc
    }

    var width: Int { Int(PNGFile.u32(chunks[0].data, 0)) }
    var height: Int { Int(PNGFile.u32(chunks[0].data, 4)) }
}

@Suite struct HeatmapTests {
    static let harness = """
        #include <math.h>
        #include <stdlib.h>
        #include "stencil_runtime.h"
        /* harness PATH ROWS COLS ELEM: v[i][j] = i + 0.5 j, NaN at (0, 0), padded rows (stride cols + 3). */
        int main(int argc, char **argv) {
            if (argc != 5) return 2;
            long rows = atol(argv[2]), cols = atol(argv[3]), stride = cols + 3;
            size_t elem = (size_t)atol(argv[4]);
            void *data = malloc((size_t)(rows * stride) * elem);
            for (long i = 0; i < rows; ++i)
                for (long j = 0; j < stride; ++j) {
                    double v = i == 0 && j == 0 ? NAN : j >= cols ? 1e9 : i + 0.5 * j;
                    if (elem == 4) ((float *)data)[i * stride + j] = (float)v; else ((double *)data)[i * stride + j] = v;
                }
            st_write_heatmap_png(argv[1], data, rows, cols, stride, elem);
            free(data);
            return 0;
        }
        """

    /// Builds the harness once per test into `directory`.
    static func build(in directory: URL) throws -> String {
        let source = directory.appendingPathComponent("harness.c").path
        let executable = directory.appendingPathComponent("harness").path
        try harness.write(toFile: source, atomically: true, encoding: .utf8)
        let runtime = "\(Repository.root)/runtime"
        let result = try ProcessRunner.run(Job(kind: .compileProgram, executable: "gcc",
                                               arguments: ["-std=c11", "-O2", "-Wall", "-Wextra", "-Werror", "-I", runtime, source,
                                                           "\(runtime)/stencil_runtime.c", "-lm", "-o", executable]), capture: true)
        guard result.status == 0 else { throw DriverError("harness build failed", toolOutput: result.errorOutput) }
        return executable
    }

    /// Inflates a zlib stream with Python's zlib, or nil when python3 is not there.
    static func inflate(_ data: [UInt8], in directory: URL) throws -> [UInt8]? {
        guard ProcessRunner.which("python3") != nil else { return nil }
        let input = directory.appendingPathComponent("idat.z"), output = directory.appendingPathComponent("idat.raw")
        try Data(data).write(to: input)
        let result = try ProcessRunner.run(Job(kind: .run, executable: "python3", arguments: [
            "-c", "import sys, zlib; open(sys.argv[2], 'wb').write(zlib.decompress(open(sys.argv[1], 'rb').read()))",
            input.path, output.path]), capture: true)
        guard result.status == 0 else { throw DriverError("zlib rejected the image data", toolOutput: result.errorOutput) }
        return [UInt8](try Data(contentsOf: output))
    }

    @Test(arguments: [4, 8])
    func writesAValidIndexedPNG(elementSize: Int) throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let harness = try HeatmapTests.build(in: directory)
        let path = directory.appendingPathComponent("u.png").path
        let run = try ProcessRunner.run(Job(kind: .run, executable: harness, arguments: [path, "30", "50", String(elementSize)]),
                                        capture: true)
        #expect(run.status == 0, "\(run.errorOutput)")
        let png = try PNGFile([UInt8](try Data(contentsOf: URL(fileURLWithPath: path))))
        #expect(png.chunks.map(\.type).first == "IHDR")
        #expect(png.chunks.last?.type == "IEND")
        #expect(png.chunks.allSatisfy { $0.crcMatches })
        let ihdr = png.chunks[0].data
        #expect(ihdr.count == 13)
        #expect(Array(ihdr[8...]) == [8, 3, 0, 0, 0], "8-bit palette, deflate, no filter method, no interlace")
        // A 30 x 50 grid is enlarged 5x (to 250 pixels across), with the colour bar beside it.
        #expect(png.width > 250 + 40 && png.width < 250 + 200)
        #expect(png.height >= 150 + 20 && png.height < 150 + 100)
        let palette = try #require(png.chunks.first { $0.type == "PLTE" })
        #expect(palette.data.count % 3 == 0 && palette.data.count / 3 >= 255)
        // viridis runs from dark purple (68, 1, 84) to yellow (253, 231, 37).
        #expect(Array(palette.data[0..<3]) == [68, 1, 84])
        #expect(Array(palette.data[251 * 3..<252 * 3]) == [253, 231, 37])

        let idat = png.chunks.filter { $0.type == "IDAT" }.flatMap(\.data)
        guard let raw = try HeatmapTests.inflate(idat, in: directory) else { return }
        let line = png.width + 1
        #expect(raw.count == png.height * line)
        #expect(stride(from: 0, to: raw.count, by: line).allSatisfy { raw[$0] == 0 }, "filter type none on every row")
        func pixel(_ x: Int, _ y: Int) -> UInt8 { raw[y * line + 1 + x] }
        // The NaN at (0, 0) is the first grey (254) pixel: the field's corner; it is a 5 x 5 block.
        let first = try #require((0..<raw.count).first { $0 % line != 0 && raw[$0] == 254 })
        let (x0, y0) = (first % line - 1, first / line)
        #expect((0..<5).allSatisfy { pixel(x0 + $0, y0 + 4) == 254 } && pixel(x0 + 5, y0) != 254)
        #expect(pixel(x0 + 5, y0) == 0, "the minimum (0.5 at row 0, column 1) is the colormap's first colour")
        #expect(pixel(x0 + 49 * 5, y0 + 29 * 5) == 251, "the maximum (row 29, column 49) is its last")
        #expect(pixel(x0 + 250, y0) == 252, "white beyond the field: the padding past `cols` is not drawn")
    }

    @Test func largeGridsAreAveragedDown() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let harness = try HeatmapTests.build(in: directory)
        let path = directory.appendingPathComponent("big.png").path
        let run = try ProcessRunner.run(Job(kind: .run, executable: harness, arguments: [path, "3000", "20", "8"]), capture: true)
        #expect(run.status == 0, "\(run.errorOutput)")
        let png = try PNGFile([UInt8](try Data(contentsOf: URL(fileURLWithPath: path))))
        #expect(png.chunks.allSatisfy { $0.crcMatches })
        #expect(png.height <= 1000 + 100, "3000 rows are averaged 3:1")
        #expect(png.height >= 1000)
    }

    @Test func aFailedWriteLeavesNoFile() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let harness = try HeatmapTests.build(in: directory)
        let path = directory.appendingPathComponent("missing/u.png").path
        let run = try ProcessRunner.run(Job(kind: .run, executable: harness, arguments: [path, "8", "8", "4"]), capture: true)
        #expect(run.status == 1)
        #expect(run.errorOutput.contains("cannot write"))
        let left = try FileManager.default.contentsOfDirectory(atPath: directory.path).sorted()
        #expect(left == ["harness", "harness.c"])
    }

    /// Every target writes the picture of its final field (mpi/hybrid gather it to rank 0 first).
    @Test(arguments: [Target.serial, .openmp, .opencl, .mpi, .hybrid])
    func runImageWritesTheFinalField(target: Target) throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("u.png").path
        let result = try stencilc(["run", Repository.stencil("jacobi.st"), "--target", target.rawValue, "--param", "N=40",
                                   "--image", path, "--quiet"])
        #expect(result.status == 0, "\(result.stderr)")
        let png = try PNGFile([UInt8](try Data(contentsOf: URL(fileURLWithPath: path))))
        #expect(png.chunks.allSatisfy { $0.crcMatches })
        #expect(png.width > 256 && png.height >= 240, "40 x 40 enlarged 6x")
        let left = try FileManager.default.contentsOfDirectory(atPath: directory.path)
        #expect(left == ["u.png"], "no temporary left behind: \(left)")
    }

    @Test func runPassesImageToTheProgram() throws {
        let result = try Compilation.compile(path: Repository.stencil("jacobi.st"), target: .serial)
        let toolchain = try Toolchain.fromEnvironment(runtimeDirectory: "\(Repository.root)/runtime")
        let launcher = Launcher(builder: Builder(toolchain: toolchain, cache: BuildCache.defaultCache()))
        var options = RunOptions()
        options.imagePath = "/tmp/u.png"
        let job = launcher.runJob(executable: "/bin/jacobi", program: result.program, options: options)
        #expect(job.arguments.contains("--image"))
        #expect(job.arguments.last == "/tmp/u.png" || job.arguments.contains("/tmp/u.png"))
        let bad = try stencilc(["run", Repository.stencil("jacobi.st"), "--image", "u.ppm"])
        #expect(bad.status != 0)
        #expect(bad.stderr.contains("--image writes a PNG"))
    }
}
