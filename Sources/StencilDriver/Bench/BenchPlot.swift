// BenchPlot.swift: bench results as an SVG chart, written by hand (no dependency): MLUP/s against
// grid size (log x), one polyline per configuration, axes with ticks and labels, a legend, the
// bandwidth roofline (the MLUP/s the measured bandwidth allows under the byte model) and where the
// grids outgrow the last-level cache. PNG goes through rsvg-convert when asked for.

import Foundation

public enum BenchPlot {
    static let width = 860.0, height = 520.0
    static let left = 78.0, right = 600.0, top = 56.0, bottom = 448.0
    /// matplotlib's tab10 less its red, which is the roofline's: distinct, colour-blind friendlier
    /// than pure hues.
    static let colours = ["#1f77b4", "#ff7f0e", "#2ca02c", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22",
                          "#17becf"]

    public static func svg(_ results: BenchResults) -> String {
        // Series, in the order the configurations were measured.
        var order: [BenchConfiguration] = []
        for m in results.measurements where !order.contains(m.configuration) { order.append(m.configuration) }
        let series = order.map { configuration in
            (configuration, results.measurements.filter { $0.configuration == configuration }
                .sorted { $0.size.points < $1.size.points })
        }
        let sizes = results.measurements.map { Double($0.size.points) }
        let roofline = results.machineBandwidth.map { results.byteModel.roofline(gigabytesPerSecond: $0) }

        // x: log of the grid's points, padded; y: linear from 0 to a round number above everything.
        let lowSize = (sizes.min() ?? 1), highSize = (sizes.max() ?? 1)
        let xLow = log10(lowSize) - 0.25, xHigh = max(log10(highSize) + 0.25, log10(lowSize) + 0.5)
        let yTop = niceCeiling(max((results.measurements.map(\.medianMLUPs).max() ?? 0), roofline ?? 0, 1) * 1.08)
        func x(_ points: Double) -> Double { left + (log10(points) - xLow) / (xHigh - xLow) * (right - left) }
        func y(_ mlups: Double) -> Double { bottom - mlups / yTop * (bottom - top) }

        var svg = """
            <?xml version="1.0" encoding="UTF-8"?>
            <svg xmlns="http://www.w3.org/2000/svg" width="\(f(width))" height="\(f(height))" viewBox="0 0 \(f(width)) \(f(height))" font-family="DejaVu Sans, Helvetica, Arial, sans-serif" font-size="12">
            <rect width="100%" height="100%" fill="white"/>

            """
        let title = "\(results.stencil): \(results.dtype), MLUP/s (median of \(results.repeats))"
        svg += text(left, 24, title, size: 16, weight: "bold")
        if let report = results.bandwidth {
            svg += text(left, 42, "\(report.machine.cpuModel), \(report.machine.cores) cores; \(results.byteModel.description)",
                        size: 11, fill: "#555")
        } else {
            svg += text(left, 42, results.byteModel.description, size: 11, fill: "#555")
        }

        if let warning = BenchReport.loadLine(results) {
            let short = warning.components(separatedBy: ":").prefix(2).joined(separator: ":")
            svg += text(left, height - 8, short, size: 10, fill: "#b35900")
        }

        // Grid lines and y ticks.
        let step = niceStep(yTop / 6)
        var tick = 0.0
        while tick <= yTop + step * 1e-9 {
            svg += "<line class=\"grid\" x1=\"\(f(left))\" y1=\"\(f(y(tick)))\" x2=\"\(f(right))\" y2=\"\(f(y(tick)))\" stroke=\"#e5e5e5\"/>\n"
            svg += text(left - 8, y(tick) + 4, thousands(tick), anchor: "end")
            tick += step
        }
        // x ticks at the measured sizes.
        var labelled = Set<String>()
        for m in results.measurements where labelled.insert(m.size.label).inserted {
            let px = x(Double(m.size.points))
            svg += "<line class=\"tick\" x1=\"\(f(px))\" y1=\"\(f(bottom))\" x2=\"\(f(px))\" y2=\"\(f(bottom + 5))\" stroke=\"black\"/>\n"
            svg += text(px, bottom + 19, m.size.label, anchor: "middle")
        }
        // Axes and their titles.
        svg += "<line class=\"axis\" x1=\"\(f(left))\" y1=\"\(f(bottom))\" x2=\"\(f(right))\" y2=\"\(f(bottom))\" stroke=\"black\"/>\n"
        svg += "<line class=\"axis\" x1=\"\(f(left))\" y1=\"\(f(top))\" x2=\"\(f(left))\" y2=\"\(f(bottom))\" stroke=\"black\"/>\n"
        let square = results.measurements.allSatisfy { Set($0.size.extents).count == 1 }
        let dimensions = results.measurements.first?.size.extents.count ?? 2
        let cube = Array(repeating: "N", count: dimensions).joined(separator: " x ")
        svg += text((left + right) / 2, bottom + 44,
                    square ? "grid size N (\(cube) points, log scale)" : "grid size (points, log scale)", anchor: "middle")
        svg += "<text x=\"20\" y=\"\(f((top + bottom) / 2))\" text-anchor=\"middle\" transform=\"rotate(-90 20 \(f((top + bottom) / 2)))\">MLUP/s (million point updates per second)</text>\n"

        // Where the grids (both buffers and read-only inputs) fill the last-level cache.
        if let llc = results.bandwidth?.bandwidth.lastLevelCacheBytes, llc > 0 {
            let points = Double(llc) / Double(results.byteModel.bytesPerPoint)
            let lx = log10(points)
            if lx > xLow && lx < xHigh {
                svg += "<line class=\"llc\" x1=\"\(f(x(points)))\" y1=\"\(f(top))\" x2=\"\(f(x(points)))\" y2=\"\(f(bottom))\" stroke=\"#888\" stroke-dasharray=\"2,4\"/>\n"
                svg += text(x(points) + 4, top + 12, "grids = last-level cache (\(llc >> 20) MiB)", size: 10, fill: "#666")
            }
        }
        // The roofline.
        if let roofline, let gbs = results.machineBandwidth {
            svg += "<line class=\"roofline\" x1=\"\(f(left))\" y1=\"\(f(y(roofline)))\" x2=\"\(f(right))\" y2=\"\(f(y(roofline)))\" stroke=\"#d62728\" stroke-width=\"2\" stroke-dasharray=\"8,5\"/>\n"
            svg += text(right - 4, y(roofline) - 6,
                        "bandwidth roofline: \(String(format: "%.1f", gbs)) GB/s / \(results.byteModel.bytesPerPoint) B = \(thousands(roofline)) MLUP/s",
                        size: 11, fill: "#d62728", anchor: "end", halo: true)
        }

        // One polyline per configuration, with markers; then the legend.
        for (index, (configuration, points)) in series.enumerated() {
            let colour = colours[index % colours.count]
            let coordinates = points.map { "\(f(x(Double($0.size.points)))),\(f(y($0.medianMLUPs)))" }
            svg += "<polyline class=\"series\" data-series=\"\(escape(configuration.label))\" fill=\"none\" stroke=\"\(colour)\" stroke-width=\"2\" points=\"\(coordinates.joined(separator: " "))\"/>\n"
            for c in coordinates {
                let xy = c.split(separator: ",")
                svg += "<circle cx=\"\(xy[0])\" cy=\"\(xy[1])\" r=\"3.5\" fill=\"\(colour)\"/>\n"
            }
        }
        let legendX = right + 24
        var legendY = top + 8
        svg += text(legendX, legendY, "configuration", weight: "bold")
        for (index, (configuration, _)) in series.enumerated() {
            legendY += 20
            let colour = colours[index % colours.count]
            svg += "<line class=\"legend\" x1=\"\(f(legendX))\" y1=\"\(f(legendY - 4))\" x2=\"\(f(legendX + 24))\" y2=\"\(f(legendY - 4))\" stroke=\"\(colour)\" stroke-width=\"2\"/>\n"
            svg += text(legendX + 32, legendY, configuration.label)
        }
        if roofline != nil {
            legendY += 20
            svg += "<line class=\"legend\" x1=\"\(f(legendX))\" y1=\"\(f(legendY - 4))\" x2=\"\(f(legendX + 24))\" y2=\"\(f(legendY - 4))\" stroke=\"#d62728\" stroke-width=\"2\" stroke-dasharray=\"8,5\"/>\n"
            svg += text(legendX + 32, legendY, "bandwidth roofline")
        }
        svg += "</svg>\n"
        return svg
    }

    /// Converts an SVG file to PNG with rsvg-convert (Debian: librsvg2-bin).
    public static func rasterizeJob(svg: String, png: String) -> Job {
        Job(kind: .run, executable: "rsvg-convert", arguments: ["--background-color", "white", "-o", png, svg])
    }

    // MARK: helpers

    static func text(_ x: Double, _ y: Double, _ content: String, size: Int? = nil, weight: String? = nil,
                     fill: String? = nil, anchor: String? = nil, halo: Bool = false) -> String {
        var attributes = "x=\"\(f(x))\" y=\"\(f(y))\""
        // A white outline under the glyphs keeps a label readable where a series crosses it.
        if halo { attributes += " stroke=\"white\" stroke-width=\"3\" paint-order=\"stroke\"" }
        if let size { attributes += " font-size=\"\(size)\"" }
        if let weight { attributes += " font-weight=\"\(weight)\"" }
        if let fill { attributes += " fill=\"\(fill)\"" }
        if let anchor { attributes += " text-anchor=\"\(anchor)\"" }
        return "<text \(attributes)>\(escape(content))</text>\n"
    }

    static func escape(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
    }

    static func f(_ value: Double) -> String { String(format: "%.1f", value) }

    /// 12000 -> "12,000".
    static func thousands(_ value: Double) -> String {
        let digits = String(Int(value.rounded()))
        var out = ""
        for (index, character) in digits.reversed().enumerated() {
            if index > 0 && index % 3 == 0 && character != "-" { out.append(",") }
            out.append(character)
        }
        return String(out.reversed())
    }

    /// 1, 2 or 5 times a power of ten, at least `value`.
    static func niceStep(_ value: Double) -> Double {
        guard value > 0 else { return 1 }
        let power = pow(10, floor(log10(value)))
        for factor in [1.0, 2.0, 5.0, 10.0] where factor * power >= value { return factor * power }
        return 10 * power
    }

    /// A round number (a multiple of a nice step) at least `value`.
    static func niceCeiling(_ value: Double) -> Double {
        let step = niceStep(value / 6)
        return (value / step).rounded(.up) * step
    }
}
