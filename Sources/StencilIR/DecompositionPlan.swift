// DecompositionPlan.swift: how the mpi and hybrid targets split a grid over ranks, as a value.
// (decomposition, ranks, grid size, halo) -> the process grid, each rank's block, its 8
// neighbours and the bytes it sends per halo exchange. The same arithmetic as
// runtime/stencil_mpi.c (stmpi_decompose, stmpi_split, stmpi_halo_create), so `stencilc
// explain` prints a rank count's plan without running MPI; the MPI tests check the two agree.

public struct DecompositionPlan: Hashable, Sendable {
    /// The 8 neighbour slots, in the runtime's order (STMPI_N ... STMPI_SE).
    public enum Side: Int, CaseIterable, Sendable {
        case north, south, west, east, northWest, northEast, southWest, southEast

        public var label: String {
            switch self {
            case .north: return "N"
            case .south: return "S"
            case .west: return "W"
            case .east: return "E"
            case .northWest: return "NW"
            case .northEast: return "NE"
            case .southWest: return "SW"
            case .southEast: return "SE"
            }
        }

        /// (row step, column step) in the process grid.
        var step: (Int, Int) {
            switch self {
            case .north: return (-1, 0)
            case .south: return (1, 0)
            case .west: return (0, -1)
            case .east: return (0, 1)
            case .northWest: return (-1, -1)
            case .northEast: return (-1, 1)
            case .southWest: return (1, -1)
            case .southEast: return (1, 1)
            }
        }
    }

    /// One rank's share.
    public struct Block: Hashable, Sendable {
        public var rank: Int
        /// Place in the process grid.
        public var processRow: Int
        public var processCol: Int
        /// Owned global rows and columns.
        public var rows: Range<Int>
        public var cols: Range<Int>
        /// Neighbour ranks by `Side.rawValue`; nil past the global edge (MPI_PROC_NULL).
        public var neighbours: [Int?]
        /// Bytes this rank sends (and receives) in one halo exchange of one buffer.
        public var haloBytes: Int
        /// Messages per exchange (one per neighbour, each way).
        public var messages: Int { neighbours.compactMap { $0 }.count }
        public var localRows: Int
        public var localCols: Int
    }

    public var decomposition: Decomposition
    public var ranks: Int
    public var rows: Int
    public var cols: Int
    public var halo: Int
    public var elementSize: Int
    /// The process grid: rows of ranks x columns of ranks.
    public var processRows: Int
    public var processCols: Int
    /// Indexed by rank (the Cartesian communicator is not reordered: rank = row * columns + col).
    public var blocks: [Block]

    /// "rows 4x1", "grid 2x2": what the run's summary calls it.
    public var description: String { "\(decomposition.rawValue) \(processRows)x\(processCols)" }

    /// The process grid for a rank count: P x 1 for rows; for grid, what MPI_Dims_create gives
    /// in two dimensions: the most nearly square factorization, larger factor first.
    /// (Open MPI 4.1 departs from this for a few counts, the first being 72: 12x6, not 9x8.)
    public static func processGrid(ranks: Int, decomposition: Decomposition) -> (rows: Int, cols: Int) {
        switch decomposition {
        case .rows:
            return (ranks, 1)
        case .grid:
            var small = 1
            var candidate = 1
            while candidate * candidate <= ranks {
                if ranks % candidate == 0 { small = candidate }
                candidate += 1
            }
            return (ranks / small, small)
        }
    }

    /// The block of `extent` items that part `k` of `parts` owns: the first extent % parts
    /// parts get one more item (stmpi_split).
    public static func split(_ extent: Int, parts: Int, index k: Int) -> Range<Int> {
        let base = extent / parts, extra = extent % parts
        let begin = k * base + min(k, extra)
        return begin..<(begin + base + (k < extra ? 1 : 0))
    }

    /// The plan, or the runtime's error message when a block would be thinner than the halo, or
    /// than twice the halo along `copyingAxes` (0: rows, 1: columns; the axes with neumann or
    /// periodic sides, whose sources stay in the blocks that own them: stmpi_decompose_sides).
    /// `row` names a row in the message: "plane" for a 3-D grid's slabs (stmpi_decompose_slabs).
    public static func make(decomposition: Decomposition, ranks: Int, rows: Int, cols: Int, halo: Int,
                            elementSize: Int, copyingAxes: Set<Int> = [],
                            row: String = "row") -> Result<DecompositionPlan, DecompositionError> {
        precondition(ranks >= 1, "a decomposition needs at least one rank")
        let (pr, pc) = processGrid(ranks: ranks, decomposition: decomposition)
        let need = (0..<2).map { max(halo, 1) * (copyingAxes.contains($0) ? 2 : 1) }
        switch decomposition {
        case .rows:
            if rows / pr < need[0] {
                return .failure(.split(rows, row, over: DecompositionError.plural(ranks, "rank"), need: need[0], halo: halo))
            }
        case .grid:
            let grid = "(process grid \(pr)x\(pc) for \(ranks) ranks)"
            if rows / pr < need[0] {
                return .failure(.split(rows, "row", over: "\(DecompositionError.plural(pr, "row")) of ranks \(grid)", need: need[0], halo: halo))
            }
            if cols / pc < need[1] {
                return .failure(.split(cols, "column", over: "\(DecompositionError.plural(pc, "column")) of ranks \(grid)", need: need[1], halo: halo))
            }
        }

        var blocks: [Block] = []
        for rank in 0..<ranks {
            let (r, c) = (rank / pc, rank % pc)
            let neighbours: [Int?] = Side.allCases.map { side in
                let (nr, nc) = (r + side.step.0, c + side.step.1)
                return nr >= 0 && nr < pr && nc >= 0 && nc < pc ? nr * pc + nc : nil
            }
            let rowRange = split(rows, parts: pr, index: r)
            let colRange = split(cols, parts: pc, index: c)
            // As stmpi_halo_create: north/south strips span the block's columns, widened into
            // the halo columns on a side without a west/east neighbour; corners are h x h.
            let h = halo
            let strip = colRange.count + (neighbours[Side.west.rawValue] == nil ? h : 0)
                + (neighbours[Side.east.rawValue] == nil ? h : 0)
            var elements = 0
            for side in Side.allCases where neighbours[side.rawValue] != nil {
                switch side {
                case .north, .south: elements += h * strip
                case .west, .east: elements += rowRange.count * h
                case .northWest, .northEast, .southWest, .southEast: elements += h * h
                }
            }
            blocks.append(Block(rank: rank, processRow: r, processCol: c, rows: rowRange, cols: colRange,
                                neighbours: neighbours, haloBytes: elements * elementSize,
                                localRows: rowRange.count + 2 * h, localCols: colRange.count + 2 * h))
        }
        return .success(DecompositionPlan(decomposition: decomposition, ranks: ranks, rows: rows, cols: cols,
                                          halo: halo, elementSize: elementSize, processRows: pr, processCols: pc,
                                          blocks: blocks))
    }
}

/// A grid too small for its rank count: the message the emitted program prints too.
public struct DecompositionError: Error, Hashable, Sendable {
    public var message: String

    public init(message: String) { self.message = message }

    /// The runtime's check_split message (runtime/stencil_mpi.c): `extent` items called `word`
    /// ("row", "column", "point", "plane") split over `over` ("4 ranks", "2 rows of ranks ...")
    /// leave a block thinner than `need`.
    static func split(_ extent: Int, _ word: String, over: String, need: Int, halo: Int) -> DecompositionError {
        DecompositionError(message: "cannot split \(extent) \(word)s over \(over): each block needs at least "
            + plural(need, word) + (halo > 0 ? " for halo \(halo)" : ""))
    }

    static func plural(_ n: Int, _ word: String) -> String { "\(n) \(word)\(n == 1 ? "" : "s")" }
}
