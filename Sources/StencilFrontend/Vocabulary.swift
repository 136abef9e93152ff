// Vocabulary.swift: the closed sets of words of the language (types, targets, schedule kinds,
// norms, sides, functions). Sema validates against them; the IR re-exports them, so every
// stage spells a target or a schedule kind the same way.

public enum ElementType: String, Sendable, CaseIterable {
    case float32, float64

    public var byteSize: Int { self == .float32 ? 4 : 8 }
}

public enum Target: String, Sendable, CaseIterable {
    case serial, openmp, opencl, mpi, hybrid
}

/// OpenMP loop schedule kinds, as prange(schedule=...).
public enum ScheduleKind: String, Sendable, CaseIterable {
    case `static`, dynamic, guided, auto
}

public enum Decomposition: String, Sendable, CaseIterable {
    case rows, grid
}

/// Temporal blocking of the sweeps between two checks: decided at run time (auto), or forced.
public enum TemporalMode: String, Sendable, CaseIterable {
    case auto, on, off
}

public enum Norm: String, Sendable, CaseIterable {
    case maxdiff, l2diff
}

/// Sides count from the last dimension: left/right its first/last columns, top/bottom the
/// second to last's first/last rows, front/back the third to last's first/last planes.
public enum BoundarySide: String, Sendable, CaseIterable {
    case top, bottom, left, right, front, back

    /// How many dimensions from the last the side's axis is (0 columns, 1 rows, 2 planes).
    public var axisFromLast: Int {
        switch self {
        case .left, .right: return 0
        case .top, .bottom: return 1
        case .front, .back: return 2
        }
    }

    /// Whether the side holds the first points of its axis (left, top, front).
    public var isFirst: Bool { self == .left || self == .top || self == .front }

    /// The axis (0 = first dimension) of a grid with `dimensions` dimensions; nil when the grid
    /// has no such side (front on a 2-D grid, top on a 1-D one).
    public func axis(dimensions: Int) -> Int? {
        axisFromLast < dimensions ? dimensions - 1 - axisFromLast : nil
    }

    /// The sides a grid of `dimensions` dimensions has, in the language's order.
    public static func sides(dimensions: Int) -> [BoundarySide] {
        allCases.filter { $0.axis(dimensions: dimensions) != nil }
    }

    /// The axis a side of a 2-D grid lies across: 0 for top/bottom (rows), 1 for left/right
    /// (columns) (the boundary kinds' code, 2-D; `axis(dimensions:)` for any grid).
    public var axis: Int { axis(dimensions: 2) ?? 0 }
    /// The other side of the same axis.
    public var opposite: BoundarySide {
        switch self {
        case .top: return .bottom
        case .bottom: return .top
        case .left: return .right
        case .right: return .left
        case .front: return .back
        case .back: return .front
        }
    }
}

/// What a `SIDE = ...` line does (LANGUAGE.md section 5, "Boundary kinds").
public enum BoundaryKind: String, Sendable, CaseIterable {
    /// `SIDE = EXPR`: a fixed (Dirichlet) value.
    case fixed
    /// `SIDE = neumann`: zero gradient, a copy of the layer at index h (extent-h-1) along the axis.
    case neumann
    /// `SIDE = periodic`: a copy of the interior `extent - 2h` further along the axis.
    case periodic
}

/// The built-in functions and how many arguments each takes.
public enum BuiltinFunction: String, Sendable, CaseIterable {
    case abs, min, max, sqrt, exp, sin, cos

    public var arity: Int {
        switch self {
        case .min, .max: return 2
        case .abs, .sqrt, .exp, .sin, .cos: return 1
        }
    }
}

/// A schedule: each field nil when not set, so blocks can be layered (general block, then the
/// per-target block, then command-line flags).
public struct Schedule: Sendable, Equatable {
    public var target: Target?
    public var kind: ScheduleKind?
    public var chunksize: Int?
    public var numThreads: Int?
    /// `tile` and `workgroup`: one size per dimension, first dimension first (`tile 8 x 16 x 64`
    /// on a 3-D grid). Sema (schedule blocks) and the driver (flags) check the count.
    public var tile: [Int]?
    public var workgroup: [Int]?
    public var ranks: Int?
    public var decompose: Decomposition?
    public var temporal: TemporalMode?

    public init() {}

    /// The largest `chunksize`, `ranks`, `tile` or `workgroup` size a schedule may give: far past
    /// any grid's rows or any launch, and small enough that every product of them fits a C int.
    public static let largestCount = 1 << 20
    /// The largest `num_threads`: more than any shared-memory machine's hardware threads. libgomp
    /// segfaults creating a team of about 100000 (a stack of thread records), so a typo must not
    /// reach it.
    public static let largestTeam = 4096

    /// The largest value of a schedule line that takes one number (`num_threads`, `chunksize`, `ranks`).
    public static func largest(_ key: String) -> Int { key == "num_threads" ? largestTeam : largestCount }

    /// `other`'s set fields win over this one's.
    public func overridden(by other: Schedule) -> Schedule {
        var result = self
        if let v = other.target { result.target = v }
        if let v = other.kind { result.kind = v }
        if let v = other.chunksize { result.chunksize = v }
        if let v = other.numThreads { result.numThreads = v }
        if let v = other.tile { result.tile = v }
        if let v = other.workgroup { result.workgroup = v }
        if let v = other.ranks { result.ranks = v }
        if let v = other.decompose { result.decompose = v }
        if let v = other.temporal { result.temporal = v }
        return result
    }
}
