// BenchReport.swift: bench results as text: the table the command prints (with the byte model
// and the bandwidth it compares with stated above it), CSV, and JSON. Pure functions of
// BenchResults; the executable writes them.

import Foundation

public enum BenchReport {
    /// The header lines and the table.
    public static func table(_ results: BenchResults) -> String {
        var out = "\(results.stencil) (\(results.file)): \(results.dtype), halo \(results.halo)\n"
        let model = results.byteModel
        out += "byte model: \(model.description); GB/s = MLUP/s x \(model.bytesPerPoint) / 1000\n"
        out += bandwidthLine(results) + "\n"
        if let seconds = results.autoSecondsPerRun {
            out += "runs: sweeps scaled to about \(String(format: "%.1f", seconds)) s per run; "
        } else {
            out += "runs: a fixed sweep count; "
        }
        out += "median of \(results.repeats) repetition\(results.repeats == 1 ? "" : "s"), interleaved across configurations\n"
        if let line = loadLine(results) { out += line + "\n" }
        out += "\n"

        let showRanks = results.measurements.contains { $0.configuration.ranks != nil }
        let showTemporal = results.measurements.contains { $0.configuration.temporal != nil }
        let header = ["target", "threads"] + (showRanks ? ["ranks"] : []) + (showTemporal ? ["temporal"] : [])
            + ["size", "sweeps", "MLUP/s", "spread", "GB/s", "% of bw"]
        var rows: [[String]] = []
        for m in results.measurements {
            let low = m.mlups.min() ?? 0, high = m.mlups.max() ?? 0
            let spread = m.medianMLUPs > 0 ? (high - low) / m.medianMLUPs * 100 : 0
            var row = [m.configuration.target.rawValue, m.configuration.threads.map(String.init) ?? "-"]
            if showRanks { row.append(m.configuration.ranks.map(String.init) ?? "-") }
            if showTemporal { row.append(m.configuration.temporal?.rawValue ?? "-") }
            row += [m.size.label, "\(m.medianIterations)\(m.stoppedEarly ? "*" : "")",
                    String(format: "%.1f", m.medianMLUPs), String(format: "%.0f%%", spread),
                    String(format: "%.2f", results.gigabytesPerSecond(m)),
                    results.percentOfBandwidth(m).map { String(format: "%.0f%%", $0) } ?? "-"]
            rows.append(row)
        }
        let widths = header.indices.map { column in ([header[column]] + rows.map { $0[column] }).map(\.count).max() ?? 0 }
        let leftAligned: Set<Int> = [0]
        func format(_ row: [String]) -> String {
            row.enumerated().map { column, cell in
                let pad = String(repeating: " ", count: widths[column] - cell.count)
                return leftAligned.contains(column) ? cell + pad : pad + cell
            }.joined(separator: "  ")
        }
        out += format(header) + "\n"
        for row in rows { out += format(row) + "\n" }
        out += "\nspread: (max - min) / median of the runs' MLUP/s."
        if results.measurements.contains(where: \.stoppedEarly) {
            out += " *: the program stopped before the sweep count (it converged,\nor its own step count is smaller); MLUP/s is per sweep done."
        }
        out += "\n"
        return out
    }

    /// A warning when other processes kept the cores busy during the runs.
    static func loadLine(_ results: BenchResults) -> String? {
        let loads = [results.loadBefore, results.loadAfter].compactMap { $0 }
        guard let highest = loads.max(), highest >= 0.5 * Double(results.cores) else { return nil }
        let text = loads.map { String(format: "%.1f", $0) }.joined(separator: " -> ")
        return "warning: load average \(text) on \(results.cores) cores: other processes competed for the cores, so expect noise (see spread), worst with all cores in use"
    }

    static func bandwidthLine(_ results: BenchResults) -> String {
        guard let report = results.bandwidth, let best = report.bandwidth.best else {
            return "bandwidth: not measured (--no-bandwidth), so no % of bandwidth"
        }
        let mib = report.bandwidth.arrayBytes / (1 << 20)
        let roofline = results.byteModel.roofline(gigabytesPerSecond: best.gigabytesPerSecond)
        return "bandwidth: \(String(format: "%.1f", best.gigabytesPerSecond)) GB/s (STREAM copy at \(best.threads) thread\(best.threads == 1 ? "" : "s"), best of \(report.bandwidth.trials) over \(mib) MiB arrays; \(report.machine.cpuModel), \(report.machine.cores) cores); roofline \(String(format: "%.0f", roofline)) MLUP/s\n"
            + "           \(report.measuredNow ? "measured now" : "measured earlier"), cached in \(report.cacheFile) (stencilc bandwidth --remeasure)"
    }

    /// One row per measurement, with a header.
    public static func csv(_ results: BenchResults) -> String {
        var out = "stencil,target,threads,ranks,temporal,rows,cols,size,sweeps,repeats,mlups,mlups_min,mlups_max,gbs,bytes_per_point,bandwidth_gbs,percent_of_bandwidth\n"
        for m in results.measurements {
            let fields: [String] = [
                results.stencil, m.configuration.target.rawValue,
                m.configuration.threads.map(String.init) ?? "", m.configuration.ranks.map(String.init) ?? "",
                m.configuration.temporal?.rawValue ?? "", String(m.size.rows), String(m.size.cols), m.size.label, String(m.medianIterations), String(m.mlups.count),
                number(m.medianMLUPs), number(m.mlups.min() ?? 0), number(m.mlups.max() ?? 0),
                number(results.gigabytesPerSecond(m)), String(results.byteModel.bytesPerPoint),
                results.machineBandwidth.map(number) ?? "", results.percentOfBandwidth(m).map(number) ?? "",
            ]
            out += fields.map(csvField).joined(separator: ",") + "\n"
        }
        return out
    }

    /// Everything, as one JSON document (keys sorted, so two runs diff cleanly).
    public static func json(_ results: BenchResults) throws -> String {
        struct Row: Encodable {
            var target: String, threads: Int?, ranks: Int?, temporal: String?, shape: [Int], rows: Int, cols: Int, size: String
            var sweeps: Int, points_per_sweep: Int, stopped_early: Bool
            var mlups: Double, mlups_runs: [Double], seconds_runs: [Double], iterations_runs: [Int]
            var gbs: Double, percent_of_bandwidth: Double?
        }
        struct Kernel: Encodable {
            var kernel: String, threads: Int, gbs: Double
        }
        struct Probe: Encodable {
            var gbs: Double, kernel: String, threads: Int, cpu: String, cores: Int, cache_file: String
            var llc_bytes: Int, measurements: [Kernel]
        }
        struct Document: Encodable {
            var stencil: String, file: String, dtype: String, halo: Int
            var bytes_per_point: Int, byte_model: String, roofline_mlups: Double?
            var bandwidth: Probe?
            var repeats: Int, seconds_per_run: Double?
            var load_average_before: Double?, load_average_after: Double?, cores: Int
            var results: [Row]
        }
        let probe: Probe? = results.bandwidth.flatMap { report in
            report.bandwidth.best.map { best in
                Probe(gbs: best.gigabytesPerSecond, kernel: best.kernel, threads: best.threads, cpu: report.machine.cpuModel,
                      cores: report.machine.cores, cache_file: report.cacheFile, llc_bytes: report.bandwidth.lastLevelCacheBytes,
                      measurements: report.bandwidth.measurements.map {
                          Kernel(kernel: $0.kernel, threads: $0.threads, gbs: $0.gigabytesPerSecond)
                      })
            }
        }
        let document = Document(
            stencil: results.stencil, file: results.file, dtype: results.dtype, halo: results.halo,
            bytes_per_point: results.byteModel.bytesPerPoint, byte_model: results.byteModel.description,
            roofline_mlups: results.machineBandwidth.map { results.byteModel.roofline(gigabytesPerSecond: $0) },
            bandwidth: probe, repeats: results.repeats, seconds_per_run: results.autoSecondsPerRun,
            load_average_before: results.loadBefore, load_average_after: results.loadAfter, cores: results.cores,
            results: results.measurements.map { m in
                Row(target: m.configuration.target.rawValue, threads: m.configuration.threads, ranks: m.configuration.ranks,
                    temporal: m.configuration.temporal?.rawValue, shape: m.size.extents, rows: m.size.rows, cols: m.size.cols, size: m.size.label, sweeps: m.medianIterations,
                    points_per_sweep: m.points, stopped_early: m.stoppedEarly, mlups: m.medianMLUPs, mlups_runs: m.mlups,
                    seconds_runs: m.seconds, iterations_runs: m.iterations, gbs: results.gigabytesPerSecond(m),
                    percent_of_bandwidth: results.percentOfBandwidth(m))
            })
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        return String(decoding: try encoder.encode(document), as: UTF8.self) + "\n"
    }

    static func number(_ value: Double) -> String { String(format: "%.6g", value) }

    static func csvField(_ text: String) -> String {
        text.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" })
            ? "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : text
    }
}
