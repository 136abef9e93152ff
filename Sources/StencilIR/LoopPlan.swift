// LoopPlan.swift: the loop-level decisions below the stencil IR, made by the PlanLoops pass and
// printed by the backends as they stand: how the column loop is vectorised, how the row loop is
// shared among threads, spatial tiles, and which temporal blocking kinds the emitted code carries
// for the run-time plan (runtime/stencil_sweeps.h) to choose from. A backend that wonders
// whether to do something reads it here; it never works it out itself.

/// How the innermost (column) loop becomes vector code.
public enum Vectorization: String, Hashable, Sendable {
    /// `#pragma omp simd` on a plain, contiguous column loop over `restrict` pointers: the C
    /// compiler vectorises it for whatever ISA it builds for (SSE, AVX2, AVX-512, NEON, SVE).
    case simd
    /// The plain loop with no pragma: the compiler vectorises what it can (calls to exp, sin
    /// and cos have no vector form that keeps their bits).
    case compiler
}

/// A temporal blocking kind the emitted code can run (runtime/stencil_sweeps.h says how).
public enum TemporalKind: String, Hashable, Sendable {
    /// Row tiles advance several sweeps each in a skewed wavefront; the team shares each step.
    case tiles
    /// Each thread advances its own band several sweeps between barriers (overlapped tiling).
    case bands
}

/// How an `order redblack` iteration runs on the CPU (PlanLoops decides; SweepWriter prints it).
public enum ColourPlan: String, Hashable, Sendable {
    /// Two half-sweeps, each over all the rows: the red one, then (after the team's barrier)
    /// the black one. The grid streams through memory twice per iteration.
    case halfSweeps = "half-sweeps"
    /// One pass over memory: each thread's contiguous band of rows, red row r then black row
    /// r - HALO (whose red neighbours are all new by then); the black rows within HALO of the
    /// band's edges read a neighbouring band's red rows and run after a barrier.
    case fused
    /// The colour-split layout (2-D): between the fills and the output the grid is kept as two
    /// arrays, red and black, each row holding that colour's points in column order, so each
    /// half-sweep is a unit-stride loop over the other colour's array (shifted by a row, or by
    /// the row's parity for the left and right neighbours).
    case split
}

/// The check sweep's norm accumulator and how the team combines it.
public struct CheckReduction: Hashable, Sendable {
    /// `maxdiff` (in the element type) or `sum_sq` (in double).
    public var variable: String
    public var inDouble: Bool
    public var sharing: Sharing
    /// The sweep's function name: `sweep_maxdiff`, `sweep_l2diff`.
    public var function: String
}

public struct LoopPlan: Hashable, Sendable {
    public var vectorization: Vectorization
    public var vectorizationReason: String
    /// The `#pragma omp for` clauses of the row loop (openmp, hybrid); nil where the calling
    /// thread sweeps every row it is given (serial, mpi).
    public var worksharing: String?
    /// `tile`, one size per dimension (first dimension first): the sweep runs tile by tile, the
    /// tile loops collapsed into one parallel loop.
    public var tile: [Int]?
    /// The temporal blocking kinds the code carries (empty: whole sweeps only), and why.
    public var temporalKinds: [TemporalKind]
    public var temporalReason: String
    /// The check sweep's reduction, for `until` programs.
    public var check: CheckReduction?
    /// `order redblack`: each sweep is two colour half-sweeps in place (red, then black), each
    /// column loop starting at the row's first point of its colour and stepping by 2.
    public var colourHalfSweeps: Bool = false
    /// `order redblack`: how the plain (non-check) iterations run, and why. Check iterations
    /// always run as two half-sweeps, so the norm adds up in the same order as ever.
    public var colourPlan: ColourPlan = .halfSweeps
    public var colourPlanReason: String = ""
    /// A neumann or periodic side: the boundary statements run after every sweep (half-sweep),
    /// so the sweeps are whole ones, one at a time (Program.boundaryEachSweep says which).
    public var boundaryEachSweep: Bool = false
    /// Whether the grids are allocated so that their first updated column (HALO) starts a 64-byte
    /// line (st_alloc_aligned_grid), and why or why not.
    public var alignsFirstUpdatedColumn: Bool = false
    public var alignmentReason: String = ""

    public init(vectorization: Vectorization, vectorizationReason: String, worksharing: String?, tile: [Int]?,
                temporalKinds: [TemporalKind], temporalReason: String, check: CheckReduction?) {
        self.vectorization = vectorization
        self.vectorizationReason = vectorizationReason
        self.worksharing = worksharing
        self.tile = tile
        self.temporalKinds = temporalKinds
        self.temporalReason = temporalReason
        self.check = check
    }

    /// Whether the code has a sweep that one thread runs alone over its rows (bands).
    public var hasLoneSweep: Bool { temporalKinds.contains(.bands) }
    /// Whether the code runs its plain sweeps through the run-time plan (st_sweeps).
    public var usesRuntimePlan: Bool { !temporalKinds.isEmpty }
}
