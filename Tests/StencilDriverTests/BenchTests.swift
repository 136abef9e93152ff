// BenchTests.swift: `stencilc bench` and the bandwidth probe: the byte model's arithmetic, sizes
// set through params (and the error when they cannot be), the matrix, the probe's output parsing
// and a real probe run, the table/CSV/JSON of a tiny real bench, and the SVG plot's structure.
// Values are checked for presence and sign only: nothing here asserts on speed.

import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import StencilCodegen
import StencilDriver
import StencilIR
import Testing

private func lowered(_ name: String, target: Target = .openmp) throws -> Program {
    try Compilation.compile(path: Repository.stencil(name), target: target).program
}

@Suite struct ByteModelTests {
    @Test func plainFloat32SweepMovesEightBytes() throws {
        let model = ByteModel(try lowered("jacobi.st"))
        #expect(model.bytesPerPoint == 8)
        #expect(model.description == "8 B per updated point = 4 B x (read u + write u_next)")
        #expect(abs(model.gigabytesPerSecond(mlups: 1000) - 8.0) < 1e-12)
        #expect(abs(model.roofline(gigabytesPerSecond: 40) - 5000) < 1e-9)
    }

    @Test func readOnlyGridsAddOneReadEach() throws {
        let model = ByteModel(try lowered("poisson64.st"))
        #expect(model.elementSize == 8)
        #expect(model.readOnlyGrids == ["f"])
        #expect(model.bytesPerPoint == 24)
        #expect(model.description.contains("read u + write u_next + read f"))
        #expect(abs(model.roofline(gigabytesPerSecond: 24) - 1000) < 1e-9)
    }

    @Test func medianOfOddAndEvenCounts() {
        #expect(median([3, 1, 2]) == 2)
        #expect(median([4, 1, 3, 2]) == 2.5)
        #expect(median([]) == 0)
    }
}

@Suite struct BenchSizeTests {
    @Test func sizesSetTheGridParam() throws {
        let sizes = try BenchSizes.resolve(["256", "1024"], for: try lowered("jacobi.st"))
        #expect(sizes.map(\.params) == [["N=256"], ["N=1024"]])
        #expect(sizes.map(\.label) == ["256", "1024"])
        #expect(sizes[0].updatedPoints(halo: 1) == 254 * 254)
    }

    @Test func defaultIsALadderWhenAParamSizesTheGrid() throws {
        let sizes = try BenchSizes.resolve(nil, for: try lowered("heat.st"))
        #expect(sizes.map(\.rows) == [256, 1024, 4096])
    }

    @Test func fixedSizesCannotBeChanged() throws {
        let channel = try lowered("channel.st")
        #expect(try BenchSizes.resolve(nil, for: channel).map(\.label) == ["64x500"])
        #expect(try BenchSizes.resolve(["64x500"], for: channel).map(\.params) == [[]])
        let error = #expect(throws: DriverError.self) { try BenchSizes.resolve(["256"], for: channel) }
        #expect(error?.message.contains("has no integer param sizing its grids") == true)
    }

    /// 3-D and 1-D sizes: one number for every extent, or one per dimension; the points counted
    /// are those of every dimension.
    @Test func sizesOfThreeAndOneDimensions() throws {
        let cube = try BenchSizes.resolve(["64", "32x32x32"], for: try lowered("heat3d.st"))
        #expect(cube.map(\.extents) == [[64, 64, 64], [32, 32, 32]])
        #expect(cube.map(\.params) == [["N=64"], ["N=32"]])
        #expect(cube.map(\.label) == ["64", "32"])
        #expect(cube[0].updatedPoints(halo: 1) == 62 * 62 * 62)
        #expect(try BenchSizes.resolve(nil, for: try lowered("heat3d.st")).map(\.label) == ["64", "128", "256"])
        let error = #expect(throws: DriverError.self) { try BenchSizes.resolve(["64x128"], for: try lowered("heat3d.st")) }
        #expect(error?.message.contains("N or PLANESxROWSxCOLS") == true, "\(error?.message ?? "")")
        #expect(throws: DriverError.self) { try BenchSizes.resolve(["16x32x64"], for: try lowered("heat3d.st")) }
        let rod = try BenchSizes.resolve(["1000"], for: try lowered("rod.st"))
        #expect(rod.map(\.extents) == [[1000]] && rod[0].updatedPoints(halo: 1) == 998)
        #expect(throws: DriverError.self) { try BenchSizes.resolve(["10x10"], for: try lowered("rod.st")) }
    }

    @Test func oneParamCannotGiveTwoExtents() throws {
        let error = #expect(throws: DriverError.self) { try BenchSizes.resolve(["64x128"], for: try lowered("jacobi.st")) }
        #expect(error?.message.contains("several extents are one param") == true)
        #expect(throws: DriverError.self) { try BenchSizes.resolve(["0"], for: try lowered("jacobi.st")) }
        #expect(throws: DriverError.self) { try BenchSizes.resolve(["12y"], for: try lowered("jacobi.st")) }
    }
}

@Suite struct BenchMatrixTests {
    @Test func targetsExpandByWhatTheyUse() throws {
        let matrix = try BenchConfiguration.matrix(targets: [.openmp, .serial], threads: [1, 2], ranks: [2])
        #expect(matrix.map(\.label) == ["openmp 1t", "openmp 2t", "serial"])
        let temporal = try BenchConfiguration.matrix(targets: [.openmp], threads: [2], ranks: [2], temporal: [.off, .on])
        #expect(temporal.map(\.label) == ["openmp 2t temporal off", "openmp 2t temporal on"])
        #expect(temporal[1].overrides(Schedule()).temporal == .on)
    }

    @Test func unavailableTargetsAreNamed() throws {
        for target in [Target.opencl, .mpi, .hybrid] where Backends.backend(for: target) == nil {
            let error = #expect(throws: DriverError.self) {
                try BenchConfiguration.matrix(targets: [target], threads: [1], ranks: [2])
            }
            #expect(error?.message.contains("'\(target.rawValue)' is not available") == true)
        }
        if Backends.backend(for: .hybrid) != nil {
            let matrix = try BenchConfiguration.matrix(targets: [.hybrid], threads: [1, 2], ranks: [2, 4])
            #expect(matrix.count == 4)
            #expect(matrix.first?.label == "hybrid 2r x 1t")
        }
    }
}

@Suite struct BandwidthTests {
    static let sample = """
        {"probe": "stream", "llc_bytes": 33554432, "array_bytes": 134217728, "trials": 20}
        {"kernel": "copy", "threads": 1, "gbs": 20.5, "seconds": 0.0131}
        {"kernel": "triad", "threads": 1, "gbs": 22.0, "seconds": 0.0183}
        {"kernel": "copy", "threads": 2, "gbs": 37.25, "seconds": 0.0072}
        {"kernel": "triad", "threads": 2, "gbs": 39.0, "seconds": 0.0103}

        """

    @Test func parsesTheProbeOutput() throws {
        let bandwidth = try Bandwidth.parse(BandwidthTests.sample)
        #expect(bandwidth.lastLevelCacheBytes == 32 << 20)
        #expect(bandwidth.arrayBytes == 128 << 20)
        #expect(bandwidth.measurements.count == 4)
        #expect(bandwidth.best == Bandwidth.Measurement(kernel: "copy", threads: 2, gigabytesPerSecond: 37.25))
        #expect(bandwidth.copy(threads: 1)?.gigabytesPerSecond == 20.5)
    }

    @Test func rejectsBrokenOutput() {
        #expect(throws: DriverError.self) { try Bandwidth.parse("") }
        #expect(throws: DriverError.self) { try Bandwidth.parse("copy 1 20.5\n") }
        #expect(throws: DriverError.self) {
            try Bandwidth.parse(#"{"probe": "stream", "llc_bytes": 1, "array_bytes": 1, "trials": 1}"# + "\n")
        }
    }

    @Test func cpuModelFromCPUInfo() {
        #expect(MachineIdentity.parseCPUModel("processor\t: 0\nmodel name\t: AMD EPYC 7B13\nflags\t: fpu\n") == "AMD EPYC 7B13")
        #expect(MachineIdentity.parseCPUModel("") == nil)
        #expect(MachineIdentity.threadLadder(cores: 2) == [1, 2])
        #expect(MachineIdentity.threadLadder(cores: 12) == [1, 2, 4, 8, 12])
    }

    /// Builds and runs the real probe into a fresh cache, then finds it cached.
    @Test func probeRunsOnceThenIsCached() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let toolchain = try Toolchain.fromEnvironment(runtimeDirectory: "\(Repository.root)/runtime")
        let cache = BuildCache(directory: directory.path)
        let first = try BandwidthProbe.measure(toolchain: toolchain, cache: cache)
        #expect(first.measuredNow)
        let best = try #require(first.bandwidth.best)
        #expect(best.gigabytesPerSecond > 0)
        #expect(first.bandwidth.measurements.contains { $0.kernel == "triad" })
        let second = try BandwidthProbe.measure(toolchain: toolchain, cache: cache)
        #expect(!second.measuredNow)
        #expect(second.bandwidth == first.bandwidth)
        #expect(second.cacheFile == first.cacheFile)
    }
}

@Suite struct BenchCommandTests {
    /// A tiny real bench through the CLI: every output present, values positive.
    @Test func tinyBenchWritesTableCSVJSONAndPlot() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let csv = directory.appendingPathComponent("b.csv").path
        let json = directory.appendingPathComponent("b.json").path
        let svg = directory.appendingPathComponent("b.svg").path
        let result = try stencilc(["bench", Repository.stencil("jacobi.st"), "--targets", "serial,openmp", "--sizes", "24,40",
                                   "--threads", "1,2", "--sweeps", "20", "--repeats", "2", "--no-bandwidth", "--quiet",
                                   "--csv", csv, "--json", json, "--plot", svg])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("byte model: 8 B per updated point"))
        #expect(result.stdout.contains("median of 2 repetitions"))
        let tableRows = result.stdout.split(separator: "\n").filter { $0.hasPrefix("serial") || $0.hasPrefix("openmp") }
        #expect(tableRows.count == 6)

        let lines = try String(contentsOfFile: csv, encoding: .utf8).split(separator: "\n")
        #expect(lines.first?.hasPrefix("stencil,target,threads,ranks,temporal,rows,cols,size,sweeps,repeats,mlups") == true)
        #expect(lines.count == 7)
        for line in lines.dropFirst() {
            let fields = line.split(separator: ",", omittingEmptySubsequences: false)
            #expect(Int(fields[8]) == 20, "sweeps in \(line)")
            #expect((Double(fields[10]) ?? 0) > 0, "mlups in \(line)")
            #expect((Double(fields[13]) ?? 0) > 0, "gbs in \(line)")
        }

        let document = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: json))) as? [String: Any])
        #expect(document["bytes_per_point"] as? Int == 8)
        let rows = try #require(document["results"] as? [[String: Any]])
        #expect(rows.count == 6)
        for row in rows {
            #expect(((row["mlups"] as? Double) ?? 0) > 0)
            #expect((row["mlups_runs"] as? [Double])?.count == 2)
            let gbs = (row["gbs"] as? Double) ?? 0
            let mlups = (row["mlups"] as? Double) ?? 0
            #expect(abs(gbs - mlups * 8 / 1000) < 1e-9 * max(1, gbs))
        }
        let plot = try String(contentsOfFile: svg, encoding: .utf8)
        #expect(plot.components(separatedBy: "<polyline class=\"series\"").count - 1 == 3)
    }

    /// With the bandwidth: the table has a percentage, the JSON the roofline.
    @Test func benchComparesWithTheMeasuredBandwidth() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let json = directory.appendingPathComponent("b.json").path
        let result = try stencilc(["bench", Repository.stencil("jacobi.st"), "--targets", "openmp", "--sizes", "32",
                                   "--threads", "1", "--sweeps", "10", "--repeats", "1", "--quiet", "--json", json],
                                  environment: ["STENCILC_CACHE_DIR": directory.appendingPathComponent("cache").path])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("bandwidth: "))
        #expect(result.stdout.contains("STREAM copy"))
        let document = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: json))) as? [String: Any])
        #expect(((document["roofline_mlups"] as? Double) ?? 0) > 0)
        let row = try #require((document["results"] as? [[String: Any]])?.first)
        #expect(((row["percent_of_bandwidth"] as? Double) ?? 0) > 0)
    }

    @Test func helpShowsBenchAndItsFlags() throws {
        let top = try stencilc(["--help"])
        #expect(top.stdout.contains("bench") && top.stdout.contains("bandwidth"))
        let help = try stencilc(["bench", "--help"])
        #expect(help.status == 0)
        for flag in ["--targets", "--sizes", "--threads", "--ranks", "--sweeps", "--repeats", "--csv", "--json", "--plot"] {
            #expect(help.stdout.contains(flag), "\(flag)")
        }
    }

    @Test func envReachesEveryRun() throws {
        let result = try stencilc(["bench", Repository.stencil("jacobi.st"), "--targets", "openmp", "--sizes", "16",
                                   "--threads", "1", "--sweeps", "2", "--repeats", "1", "--no-bandwidth", "--quiet",
                                   "--env", "OMP_WAIT_POLICY=passive", "--print-commands"])
        #expect(result.status == 0, "\(result.stderr)")
        let runs = result.stderr.split(separator: "\n").filter { $0.contains("--max-iterations") }
        #expect(!runs.isEmpty)
        #expect(runs.allSatisfy { $0.hasPrefix("OMP_WAIT_POLICY=passive ") })
    }

    @Test func sizeErrorsAndBadFlagsAreClear() throws {
        let fixed = try stencilc(["bench", Repository.stencil("channel.st"), "--sizes", "128", "--no-bandwidth", "--quiet"])
        #expect(fixed.status == 1)
        #expect(fixed.stderr.contains("has no integer param sizing its grids"))
        for flags in [["--sweeps", "0"], ["--repeats", "0"], ["--threads", "a"], ["--targets", "gpu"], ["--plot", "x.pdf"],
                      ["--env", "NOEQUALS"], ["--temporal", "sometimes"]] {
            let bad = try stencilc(["bench", Repository.stencil("jacobi.st")] + flags)
            #expect(bad.status != 0, "\(flags)")
            #expect(!bad.stderr.isEmpty)
        }
        // Each names what is wrong, exits 1, and runs nothing. Regressions: --sizes 4000000000 crashed
        // on an overflow (exit 132, a backtrace); --seconds-per-run nan/inf/1e300 crashed `tune`;
        // negative numbers were "Missing value"; an output in a missing folder or a directory failed
        // only after the whole matrix had run.
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let jacobi = Repository.stencil("jacobi.st")
        for (arguments, message) in [
            (["bench", jacobi, "--sizes", "4000000000"], "--sizes 4000000000: 4000000000 x 4000000000 points is far more than any machine holds"),
            (["bench", jacobi, "--sizes", "-5"], "--sizes expects N or ROWSxCOLS with positive integers"),
            (["bench", jacobi, "--seconds-per-run", "nan"], "--seconds-per-run must be a positive number of seconds, up to 3600, got nan"),
            (["tune", jacobi, "--seconds-per-run", "1e300"], "--seconds-per-run must be a positive number of seconds, up to 3600"),
            (["tune", jacobi, "--seconds-per-run", "-1"], "--seconds-per-run must be a positive number of seconds, up to 3600, got -1"),
            (["bench", jacobi, "--csv", directory.path + "/none/x.csv"], "--csv '\(directory.path)/none/x.csv': no such directory"),
            (["bench", jacobi, "--json", directory.path, "--csv", directory.path + "/c.csv"], "--json '\(directory.path)' is a directory"),
            ([jacobi, "-o", directory.path + "/none/x.c"], "-o '\(directory.path)/none/x.c': no such directory"),
        ] {
            let result = try stencilc(arguments + ["--no-bandwidth"].filter { _ in arguments[0] == "bench" })
            #expect(result.status == 1, "\(arguments)")
            #expect(result.stderr.contains("stencilc: error: \(message)"), "\(arguments): \(result.stderr)")
            #expect(!result.stderr.contains("bench: "), "\(arguments) started measuring: \(result.stderr)")
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path).isEmpty)
    }
}

@Suite struct BenchPlotTests {
    static func results() -> BenchResults {
        let bandwidth = BandwidthReport(
            bandwidth: try! Bandwidth.parse(BandwidthTests.sample),
            machine: MachineIdentity(cpuModel: "Test CPU <&>", cores: 2, compiler: "cc"),
            cacheFile: "/tmp/x", measuredNow: false)
        var measurements: [BenchMeasurement] = []
        for (index, configuration) in [BenchConfiguration(target: .openmp, threads: 1), BenchConfiguration(target: .openmp, threads: 2),
                                       BenchConfiguration(target: .serial)].enumerated() {
            for n in [256, 1024, 4096] {
                var m = BenchMeasurement(configuration: configuration, size: BenchSize(rows: n, cols: n, params: ["N=\(n)"]),
                                         points: (n - 2) * (n - 2), sweeps: 100)
                m.iterations = [100, 100, 100]
                m.mlups = [1000.0 * Double(index + 1), 1100, 900].map { $0 + Double(n) / 10 }
                m.seconds = [0.1, 0.1, 0.1]
                measurements.append(m)
            }
        }
        return BenchResults(stencil: "jacobi", file: "jacobi.st", dtype: "float32", halo: 1,
                            byteModel: ByteModel(elementSize: 4, updatedGrid: "u", readOnlyGrids: []),
                            bandwidth: bandwidth, repeats: 3, autoSecondsPerRun: 0.4, measurements: measurements)
    }

    @Test func svgIsWellFormedWithOnePolylinePerSeriesAndTheRoofline() throws {
        let svg = BenchPlot.svg(BenchPlotTests.results())
        final class Collector: NSObject, XMLParserDelegate {
            var elements: [(String, [String: String])] = []
            func parser(_ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?,
                        attributes: [String: String] = [:]) {
                elements.append((name, attributes))
            }
        }
        let parser = XMLParser(data: Data(svg.utf8))
        let collector = Collector()
        parser.delegate = collector
        #expect(parser.parse(), "not well-formed: \(parser.parserError.map { "\($0)" } ?? "")")
        #expect(collector.elements.first?.0 == "svg")
        let polylines = collector.elements.filter { $0.0 == "polyline" && $0.1["class"] == "series" }
        #expect(polylines.map { $0.1["data-series"] ?? "" } == ["openmp 1t", "openmp 2t", "serial"])
        for polyline in polylines {
            #expect(polyline.1["points"]?.split(separator: " ").count == 3)
        }
        let roofline = collector.elements.filter { $0.0 == "line" && $0.1["class"] == "roofline" }
        #expect(roofline.count == 1)
        // 37.25 GB/s / 8 B = 4656 MLUP/s, drawn level.
        #expect(roofline.first?.1["y1"] == roofline.first?.1["y2"])
        #expect(svg.contains("4,656 MLUP/s"))
        #expect(svg.contains("Test CPU &lt;&amp;&gt;"))
        #expect(collector.elements.contains { $0.0 == "line" && $0.1["class"] == "llc" })
    }

    @Test func busyMachineIsWarnedAbout() {
        var results = BenchPlotTests.results()
        results.cores = 2
        results.loadBefore = 0.2
        results.loadAfter = 0.3
        #expect(!BenchReport.table(results).contains("warning: load average"))
        results.loadAfter = 3.5
        #expect(BenchReport.table(results).contains("warning: load average 0.2 -> 3.5 on 2 cores"))
        #expect(loadAverage("1.25 0.90 0.50 2/345 6789\n") == 1.25)
        #expect(loadAverage(nil) == nil)
    }

    @Test func tableShowsPercentOfBandwidth() {
        let table = BenchReport.table(BenchPlotTests.results())
        #expect(table.contains("37.2 GB/s (STREAM copy at 2 threads"))
        #expect(table.contains("roofline 4656 MLUP/s"))
        // 1025.6 MLUP/s x 8 B = 8.2 GB/s = 22% of 37.25.
        #expect(table.contains("   22%"))
    }
}
