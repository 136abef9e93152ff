// BenchMatrix.swift: what `stencilc bench` measures, planned as values before anything runs:
// the configurations (target x threads x ranks, only for targets this build has), the grid sizes
// (set through the program's integer params that size its grids), and the byte model.

import StencilCodegen
import StencilIR

/// One compiled variant: a target with its thread and rank counts and temporal blocking mode
/// (nil: not applicable, or the file's own).
public struct BenchConfiguration: Sendable, Hashable {
    public var target: Target
    public var threads: Int?
    public var ranks: Int?
    public var temporal: TemporalMode?

    public init(target: Target, threads: Int? = nil, ranks: Int? = nil, temporal: TemporalMode? = nil) {
        self.target = target
        self.threads = threads
        self.ranks = ranks
        self.temporal = temporal
    }

    /// "openmp 2t", "serial", "mpi 4r", "hybrid 2r x 2t", "openmp 2t temporal off".
    public var label: String {
        var parts = [target.rawValue]
        switch (ranks, threads) {
        case (let r?, let t?): parts.append("\(r)r x \(t)t")
        case (let r?, nil): parts.append("\(r)r")
        case (nil, let t?): parts.append("\(t)t")
        case (nil, nil): break
        }
        if let temporal { parts.append("temporal \(temporal.rawValue)") }
        return parts.joined(separator: " ")
    }

    /// The schedule lines this configuration sets on top of the user's.
    public func overrides(_ base: Schedule) -> Schedule {
        var schedule = base
        if let threads { schedule.numThreads = threads }
        if let ranks { schedule.ranks = ranks }
        if let temporal { schedule.temporal = temporal }
        return schedule
    }

    /// targets x threads x ranks (x temporal modes), as each target understands them: serial and
    /// opencl run once, openmp per thread count, mpi per rank count, hybrid per both. Targets
    /// without a backend in this build are an error that names them.
    public static func matrix(targets: [Target], threads: [Int], ranks: [Int],
                              temporal: [TemporalMode?] = [nil]) throws -> [BenchConfiguration] {
        var result: [BenchConfiguration] = []
        for target in targets {
            guard Backends.backend(for: target) != nil else {
                throw DriverError("target '\(target.rawValue)' is not available in this build of stencilc")
            }
            for mode in temporal {
                switch target {
                case .serial, .opencl: result.append(BenchConfiguration(target: target, temporal: mode))
                case .openmp: result += threads.map { BenchConfiguration(target: target, threads: $0, temporal: mode) }
                case .mpi: result += ranks.map { BenchConfiguration(target: target, ranks: $0, temporal: mode) }
                case .hybrid:
                    result += ranks.flatMap { r in threads.map { BenchConfiguration(target: target, threads: $0, ranks: r, temporal: mode) } }
                }
            }
        }
        var seen = Set<BenchConfiguration>()
        return result.filter { seen.insert($0).inserted }
    }
}

/// One grid size: the extents and the `--param` assignments that give them.
public struct BenchSize: Sendable, Hashable {
    /// One extent per dimension, first dimension first.
    public var extents: [Int]
    public var params: [String]

    public init(extents: [Int], params: [String]) {
        self.extents = extents
        self.params = params
    }

    /// A 2-D size.
    public init(rows: Int, cols: Int, params: [String]) {
        self.init(extents: [rows, cols], params: params)
    }

    /// The last two extents, as `--json` names them (a 1-D grid has 1 row).
    public var rows: Int { extents.count >= 2 ? extents[extents.count - 2] : 1 }
    public var cols: Int { extents[extents.count - 1] }
    /// Points in the grid, every dimension counted.
    public var points: Int { extents.reduce(1, *) }

    /// "1024" when every extent is the same, "64x500" or "32x64x128" otherwise.
    public var label: String { Set(extents).count == 1 ? String(extents[0]) : extents.map(String.init).joined(separator: "x") }

    /// Points one sweep updates, for halo `halo`: the interior in every dimension.
    public func updatedPoints(halo: Int) -> Int { extents.reduce(1) { $0 * max($1 - 2 * halo, 0) } }
}

public enum BenchSizes {
    /// Sizes used when `--sizes` is absent: a ladder from cache-resident to far beyond the last-level
    /// cache when the program has a size param, else its fixed size; per number of dimensions
    /// (a 3-D grid of 256^3 float32 points is 64 MiB, as a 2-D one of 4096^2 is).
    public static func defaultLadder(dimensions: Int) -> [String] {
        switch dimensions {
        case 1: return ["65536", "1048576", "16777216"]
        case 3: return ["64", "128", "256"]
        default: return ["256", "1024", "4096"]
        }
    }

    /// Each text ("4096", or one extent per dimension: "ROWSxCOLS", "PLANESxROWSxCOLS") as extents
    /// and param assignments for `program`'s grids. Throws when a size cannot be set: no integer
    /// param sizes the grids and the size differs from the fixed one, or one param sizes several
    /// extents and the size asks for different values.
    public static func resolve(_ texts: [String]?, for program: Program) throws -> [BenchSize] {
        let grid = program.updatedGrid
        let params = Dictionary(program.params.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
        func defaultValue(_ extent: Extent) -> Int {
            switch extent {
            case .fixed(let n): return n
            case .param(let name): return Int(params[name]?.defaultValue ?? 0)
            }
        }
        let hasParam = grid.extents.contains { if case .param = $0 { return true } else { return false } }
        guard let texts, !texts.isEmpty else {
            if !hasParam { return [BenchSize(extents: grid.extents.map(defaultValue), params: [])] }
            return try resolve(defaultLadder(dimensions: grid.extents.count), for: program)
        }
        let names = ["planes", "rows", "columns"].suffix(grid.extents.count)
        var sizes: [BenchSize] = []
        for text in texts {
            let extents = try parse(text, dimensions: grid.extents.count)
            var assignments: [String: Int] = [:]
            for (extent, (value, what)) in zip(grid.extents, zip(extents, names)) {
                switch extent {
                case .fixed(let n) where n != value:
                    if !hasParam {
                        throw DriverError("\(program.sourceName) has no integer param sizing its grids (grid \(grid.name) is \(grid.shapeText), fixed), so bench cannot run it at size \(text); leave out --sizes, or size the grid with a param (param N = ...; grid \(grid.name): \(grid.type.rawValue)[\(Array(repeating: "N", count: grid.extents.count).joined(separator: ", "))])")
                    }
                    throw DriverError("grid \(grid.name) has \(n) \(what), fixed in \(program.sourceName), but size \(text) asks for \(value)")
                case .fixed:
                    break
                case .param(let name):
                    if let earlier = assignments[name], earlier != value {
                        throw DriverError("grid \(grid.name) is \(grid.shapeText): several extents are one param, so size \(text) cannot set them apart; give one number")
                    }
                    assignments[name] = value
                }
            }
            let assigned = program.params.map(\.name).filter { assignments[$0] != nil }
            sizes.append(BenchSize(extents: extents, params: assigned.map { "\($0)=\(assignments[$0]!)" }))
        }
        var seen = Set<BenchSize>()
        return sizes.filter { seen.insert($0).inserted }
    }

    /// "4096" -> 4096 in every dimension; "64x500" -> [64, 500]; "32x64x128" -> [32, 64, 128]: one
    /// number, or one per dimension.
    static func parse(_ text: String, dimensions: Int) throws -> [Int] {
        let parts = text.lowercased().replacingOccurrences(of: " ", with: "").split(separator: "x", omittingEmptySubsequences: false)
        let numbers = parts.compactMap { Int($0) }
        let form = ["N", "N or ROWSxCOLS", "N or PLANESxROWSxCOLS"][max(0, min(dimensions, 3) - 1)]
        guard parts.count == 1 || parts.count == dimensions, numbers.count == parts.count, numbers.allSatisfy({ $0 >= 1 }) else {
            throw DriverError("--sizes expects \(form) with positive integers for this \(dimensions)-D grid, got '\(text)'")
        }
        let extents = parts.count == 1 ? Array(repeating: numbers[0], count: dimensions) : numbers
        // Points and bytes are products of the extents: one that overflows is no grid any machine holds.
        var points = 1, overflow = false
        for extent in extents where !overflow { (points, overflow) = points.multipliedReportingOverflow(by: extent) }
        if overflow || points > 1 << 50 {
            throw DriverError("--sizes \(text): \(extents.map(String.init).joined(separator: " x ")) points is far more than any machine holds")
        }
        return extents
    }
}

/// The bytes a sweep must move at least, per updated point: read each updated grid once, write its
/// next buffer once, and read each read-only grid once (neighbours come from cache; no
/// write-allocate traffic, as STREAM counts bytes).
public struct ByteModel: Sendable, Equatable {
    public var elementSize: Int
    public var updatedGrid: String
    public var readOnlyGrids: [String]
    /// The other updated grids of a system, after `updatedGrid`.
    public var alsoUpdated: [String]

    public init(elementSize: Int, updatedGrid: String, readOnlyGrids: [String], alsoUpdated: [String] = []) {
        self.elementSize = elementSize
        self.updatedGrid = updatedGrid
        self.readOnlyGrids = readOnlyGrids
        self.alsoUpdated = alsoUpdated
    }

    public init(_ program: Program) {
        self.init(elementSize: program.elementType == .float32 ? 4 : 8, updatedGrid: program.update.grid,
                  readOnlyGrids: program.readOnlyGrids.map(\.name), alsoUpdated: program.updates.dropFirst().map(\.grid))
    }

    public var bytesPerPoint: Int { elementSize * (2 * (1 + alsoUpdated.count) + readOnlyGrids.count) }

    /// GB/s (1e9 bytes) moved at `mlups` million point updates per second.
    public func gigabytesPerSecond(mlups: Double) -> Double { mlups * Double(bytesPerPoint) / 1000 }

    /// The MLUP/s a bandwidth of `gigabytesPerSecond` allows: the roofline.
    public func roofline(gigabytesPerSecond: Double) -> Double { gigabytesPerSecond * 1000 / Double(bytesPerPoint) }

    /// "8 B per updated point = 4 B x (read u + write u_next)".
    public var description: String {
        let terms = ([updatedGrid] + alsoUpdated).flatMap { ["read \($0)", "write \($0)_next"] } + readOnlyGrids.map { "read \($0)" }
        return "\(bytesPerPoint) B per updated point = \(elementSize) B x (\(terms.joined(separator: " + ")))"
    }
}
