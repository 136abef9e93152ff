// IR.swift: the stencil IR, the single input of every backend.
// Declarative: grids, params, the update as an expression tree with constant offsets, the
// stopping rule and the resolved schedule. Passes (Passes/) fill in derived facts: the halo
// width, the data-sharing classification, and the loop-level plan (LoopPlan.swift). Values all the way down, so a
// pass cannot corrupt its input.

import StencilFrontend

// The language's vocabulary is defined once, in the front end, and re-exported here so that
// backends never import the front end.
public typealias ElementType = StencilFrontend.ElementType
public typealias Target = StencilFrontend.Target
public typealias ScheduleKind = StencilFrontend.ScheduleKind
public typealias Decomposition = StencilFrontend.Decomposition
public typealias Norm = StencilFrontend.Norm
public typealias BoundarySide = StencilFrontend.BoundarySide
public typealias BoundaryKind = StencilFrontend.BoundaryKind
public typealias BuiltinFunction = StencilFrontend.BuiltinFunction
public typealias BinaryOperator = StencilFrontend.BinaryOperator
public typealias Schedule = StencilFrontend.Schedule
public typealias TemporalMode = StencilFrontend.TemporalMode

/// An expression of the update (or a boundary/init value), resolved.
public indirect enum IRExpr: Hashable, Sendable {
    /// A number as written (`4`, `0.25`, `1e-4`); printed in the element type.
    case constant(Double, text: String)
    case param(String)
    /// grid[i1 + o1, i2 + o2, ...]: one constant offset per dimension, first dimension first
    /// (2-D: [dRow, dCol]).
    case read(grid: String, offsets: [Int])
    case negate(IRExpr)
    case binary(BinaryOperator, IRExpr, IRExpr)
    case call(BuiltinFunction, [IRExpr])
    /// The point's integer index along a dimension (0 the first: planes in 3-D, rows in 2-D), as a value of the element
    /// type: the update's index names, and those of `init u[i, j]` / `boundary u[i, j]`. Always
    /// the GLOBAL index (an MPI rank adds its block's offset).
    case index(Int)

    /// Whether the value depends on the point's position (uses an index name).
    public var usesIndex: Bool {
        switch self {
        case .index: return true
        case .constant, .param, .read: return false
        case .negate(let operand): return operand.usesIndex
        case .binary(_, let left, let right): return left.usesIndex || right.usesIndex
        case .call(_, let arguments): return arguments.contains { $0.usesIndex }
        }
    }

    /// The dimensions whose index the value uses (0 the first).
    public var indexDimensions: Set<Int> {
        switch self {
        case .index(let dimension): return [dimension]
        case .constant, .param, .read: return []
        case .negate(let operand): return operand.indexDimensions
        case .binary(_, let left, let right): return left.indexDimensions.union(right.indexDimensions)
        case .call(_, let arguments): return arguments.reduce(into: Set<Int>()) { $0.formUnion($1.indexDimensions) }
        }
    }

    /// Every grid read in evaluation order (duplicates kept).
    public var reads: [(grid: String, offsets: [Int])] {
        switch self {
        case .constant, .param, .index: return []
        case .read(let grid, let offsets): return [(grid, offsets)]
        case .negate(let operand): return operand.reads
        case .binary(_, let left, let right): return left.reads + right.reads
        case .call(_, let arguments): return arguments.flatMap(\.reads)
        }
    }

    /// Every function called, in first-call order.
    public var functions: [BuiltinFunction] {
        var seen: [BuiltinFunction] = []
        func walk(_ e: IRExpr) {
            switch e {
            case .constant, .read, .param, .index: break
            case .negate(let operand): walk(operand)
            case .binary(_, let left, let right): walk(left); walk(right)
            case .call(let function, let arguments):
                if !seen.contains(function) { seen.append(function) }
                arguments.forEach(walk)
            }
        }
        walk(self)
        return seen
    }

    /// Every param used, in first-use order.
    public var params: [String] {
        var seen: [String] = []
        func walk(_ e: IRExpr) {
            switch e {
            case .constant, .read, .index: break
            case .param(let name): if !seen.contains(name) { seen.append(name) }
            case .negate(let operand): walk(operand)
            case .binary(_, let left, let right): walk(left); walk(right)
            case .call(_, let arguments): arguments.forEach(walk)
            }
        }
        walk(self)
        return seen
    }
}

/// A grid extent: a fixed number or an integer param read at run time.
public enum Extent: Hashable, Sendable, CustomStringConvertible {
    case fixed(Int)
    case param(String)

    public var description: String {
        switch self {
        case .fixed(let n): return String(n)
        case .param(let name): return name
        }
    }
}

public struct Param: Hashable, Sendable {
    public var name: String
    public var isInteger: Bool
    public var defaultValue: Double
    public var line: Int
}

public struct Grid: Hashable, Sendable {
    public var name: String
    public var type: ElementType
    /// One extent per dimension (1 to 3), first dimension first; the last varies fastest.
    public var extents: [Extent]
    /// The last two extents: what `--json` calls rows and cols (a 1-D grid has 1 row).
    public var rows: Extent { extents.count >= 2 ? extents[extents.count - 2] : .fixed(1) }
    public var cols: Extent { extents[extents.count - 1] }
    /// `N x N x N`, for people.
    public var shapeText: String { extents.map(\.description).joined(separator: " x ") }
    /// A grid an update writes: it gets a second buffer, `NAME_next`.
    public var isUpdated: Bool
    public var line: Int
}

/// One `SIDE = VALUE` line, or the `init` (side nil), in the order they apply.
public struct Fill: Hashable, Sendable {
    public var grid: String
    public var side: BoundarySide?
    public var value: IRExpr
    public var line: Int
    /// `init u[i, j]` / `boundary u[i, j]`: the index names as written ([] without brackets).
    public var indices: [String] = []
    /// `SIDE = neumann` / `SIDE = periodic` copy points of the grid (`value` unused); fixed
    /// sides and the init set `value`.
    public var kind: BoundaryKind = .fixed

    /// Whether the fill copies points of the grid (neumann, periodic) rather than setting a value.
    public var copies: Bool { kind != .fixed }

    /// `[i, j]` when the statement named indices, else "".
    public var indexList: String { indices.isEmpty ? "" : "[" + indices.joined(separator: ", ") + "]" }
    /// The value in DSL syntax, with the statement's own index names (the kind's name for
    /// neumann and periodic).
    public var expression: String {
        if copies { return kind.rawValue }
        return valueExpression
    }
    var valueExpression: String {
        IRPrinter.expression(value, indices: indices)
    }
}

public struct Update: Hashable, Sendable {
    public var grid: String
    /// One index name per dimension, first dimension first.
    public var indices: [String]
    public var value: IRExpr
    public var line: Int
}

public enum Stopping: Hashable, Sendable {
    case steps(count: IRExpr, line: Int)
    /// Checks after iterations every, 2*every, ...; stops when norm < epsilon or at maxIterations.
    case until(norm: Norm, epsilon: IRExpr, every: IRExpr, maxIterations: IRExpr, line: Int)

    public var line: Int {
        switch self {
        case .steps(_, let line), .until(_, _, _, _, let line): return line
        }
    }
}

/// The schedule with every default filled in, for one target.
public struct ResolvedSchedule: Hashable, Sendable {
    public var target: Target
    public var kind: ScheduleKind
    public var chunksize: Int?
    public var numThreads: Int?
    /// `tile` and `workgroup`: one size per dimension, first dimension first (the front end and
    /// the driver checked the count).
    public var tile: [Int]?
    public var workgroup: [Int]?
    public var ranks: Int
    public var decompose: Decomposition
    public var temporal: TemporalMode
}

/// How a variable of the parallel sweep is shared between threads, as Cython's prange infers.
public enum Sharing: String, Hashable, Sendable {
    case `private`, shared, firstprivate
    case reductionMax = "reduction(max)"
    case reductionSum = "reduction(+)"
}

public struct ClassifiedVariable: Hashable, Sendable {
    public var name: String
    public var sharing: Sharing
    public var why: String
}

/// The whole program as every backend sees it.
public struct Program: Sendable {
    public var sourceName: String
    public var name: String
    public var params: [Param]
    public var grids: [Grid]
    public var fills: [Fill]
    /// The updates in the order written, each writing a different grid. Several: a system, whose
    /// iteration applies them all, every read seeing the previous iterate of every grid.
    public var updates: [Update]
    public var stopping: Stopping
    /// The grids `until NORM(...)` takes the change of, together (the updated ones listed, in
    /// that order); [] for `steps`.
    public var normGrids: [String] = []
    public var schedule: ResolvedSchedule
    /// `relax OMEGA`'s factor as written (nil without `relax`). The relax-update pass folds it
    /// into `update.value`; it stays here for the summary and `explain`.
    public var relax: IRExpr? = nil
    /// `order redblack`: an iteration is two half-sweeps in place, the red points (row + col
    /// even, global indices) then the black ones (LANGUAGE.md section 5). False: Jacobi order.
    public var redBlack: Bool = false

    // Derived by passes.
    /// Largest absolute offset of any read (ComputeHalo).
    public var halo: Int = 0
    /// The boundary statements of the updated grid applied again after every sweep (or
    /// half-sweep), empty when every side is fixed (PlanBoundary).
    public var boundaryEachSweep: BoundaryPlan = BoundaryPlan(statements: [], reason: "not planned yet")
    /// Data-sharing of the sweep's variables (ClassifyVariables).
    public var variables: [ClassifiedVariable] = []
    /// How the mpi and hybrid targets hold the grid over ranks, nil on the others (PlanDistribution).
    public var distribution: DistributionPlan? = nil
    /// The loop-level plan every CPU backend prints (PlanLoops).
    public var loops = LoopPlan(vectorization: .compiler, vectorizationReason: "not planned yet", worksharing: nil,
                                tile: nil, temporalKinds: [], temporalReason: "not planned yet", check: nil)

    /// Whether the update is relaxed: a `relax` other than the literal 1.
    public var isRelaxed: Bool {
        guard let relax else { return false }
        if case .constant(let value, _) = relax, value == 1 { return false }
        return true
    }

    /// The first update (the only one unless the program is a system).
    public var update: Update {
        get { updates[0] }
        set { updates[0] = newValue }
    }
    /// Several updates: one iteration sweeps a system of grids.
    public var isSystem: Bool { updates.count > 1 }

    /// The first update's grid: `--output F.npy` writes it, `--image` draws it.
    public var updatedGrid: Grid { grids.first { $0.name == update.grid }! }
    /// The grids' number of dimensions (1, 2 or 3; every grid has the same).
    public var dimensions: Int { updatedGrid.extents.count }
    public var elementType: ElementType { updatedGrid.type }
    /// Grids the updates read that no update writes, in declaration order.
    public var readOnlyGrids: [Grid] {
        let read = Set(updates.flatMap { $0.value.reads.map(\.grid) })
        return grids.filter { !$0.isUpdated && read.contains($0.name) }
    }
    /// Every param the updates use, in first-use order.
    public var updateParams: [String] {
        var seen: [String] = []
        for name in updates.flatMap(\.value.params) where !seen.contains(name) { seen.append(name) }
        return seen
    }
}

// Loop-invariant parts of the update: a subtree that reads no grid and uses no index is the same
// value at every point (params are run-time constants). Those that call a function (`relax 2 / (1 + sin(pi /
// (N - 1)))`) are computed once per sweep, before the loops: the same expression in the same
// type gives the same bits, and the loop is left with arithmetic the compiler can vectorise.
extension IRExpr {
    /// The largest subtrees that read no grid, use no index and call a function, in evaluation
    /// order, each once.
    public var invariantCalls: [IRExpr] {
        var found: [IRExpr] = []
        func walk(_ e: IRExpr) {
            if e.reads.isEmpty && !e.usesIndex {
                if !e.functions.isEmpty && !found.contains(e) { found.append(e) }
                return
            }
            switch e {
            case .constant, .param, .read, .index: break
            case .negate(let operand): walk(operand)
            case .binary(_, let left, let right): walk(left); walk(right)
            case .call(_, let arguments): arguments.forEach(walk)
            }
        }
        walk(self)
        return found
    }

    /// The tree with each of `subtrees` replaced by a param of the given name.
    public func replacing(_ subtrees: [(IRExpr, String)]) -> IRExpr {
        if let match = subtrees.first(where: { $0.0 == self }) { return .param(match.1) }
        switch self {
        case .constant, .param, .read, .index: return self
        case .negate(let operand): return .negate(operand.replacing(subtrees))
        case .binary(let op, let left, let right): return .binary(op, left.replacing(subtrees), right.replacing(subtrees))
        case .call(let function, let arguments): return .call(function, arguments.map { $0.replacing(subtrees) })
        }
    }

    /// The functions called per point, once the invariant calls are hoisted out of the loops.
    public var pointFunctions: [BuiltinFunction] {
        replacing(invariantCalls.enumerated().map { ($0.element, "st_invariant_\($0.offset)") }).functions
    }
}
