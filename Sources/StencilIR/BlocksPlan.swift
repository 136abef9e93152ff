// BlocksPlan.swift: how the mpi and hybrid targets split a 1-D grid, or a 3-D grid with
// `decompose grid`, over ranks, as a value: (ranks, extents, halo, diagonals) -> the
// D-dimensional process grid, each rank's block, its neighbours and the bytes it sends per halo
// exchange. The same arithmetic as runtime/stencil_mpi.c (stmpi_blocks_decompose,
// stmpi_blocks_halo_create), so `stencilc explain` and the driver's preflight know the plan
// without running MPI; the MPI tests check the two agree. 2-D grids and 3-D slabs:
// DecompositionPlan.

public struct BlocksPlan: Hashable, Sendable {
    public struct Block: Hashable, Sendable {
        public var rank: Int
        /// Place in the process grid, first dimension first.
        public var coords: [Int]
        /// Owned global range along each dimension.
        public var owned: [Range<Int>]
        /// Neighbours: the step along each dimension (-1, 0, 1) and the rank there; faces, and
        /// edges and corners when the plan exchanges diagonals.
        public var neighbours: [(steps: [Int], rank: Int)]
        /// Elements sent (and received) in one halo exchange of one buffer, times the element size.
        public var haloBytes: Int
        /// The local array: block plus halo along each dimension.
        public var local: [Int]
        public var messages: Int { neighbours.count }

        public static func == (a: Block, b: Block) -> Bool {
            a.rank == b.rank && a.coords == b.coords && a.owned == b.owned && a.haloBytes == b.haloBytes
                && a.local == b.local && a.neighbours.map(\.rank) == b.neighbours.map(\.rank)
                && a.neighbours.map(\.steps) == b.neighbours.map(\.steps)
        }

        public func hash(into hasher: inout Hasher) {
            hasher.combine(rank)
            hasher.combine(owned)
        }
    }

    public var decomposition: Decomposition
    public var ranks: Int
    public var extents: [Int]
    public var halo: Int
    public var elementSize: Int
    public var exchangesDiagonals: Bool
    public var processGrid: [Int]
    /// Indexed by rank (not reordered: row-major in the process grid, the last dimension fastest).
    public var blocks: [Block]

    public var dimensions: Int { extents.count }
    /// "grid 2x2x1", "rows 4": what the run's summary calls it (stmpi_blocks' description).
    public var description: String {
        "\(decomposition.rawValue) \(processGrid.map(String.init).joined(separator: "x"))"
    }

    /// What MPI_Dims_create gives: the factorization of `ranks` into `dimensions` factors that
    /// are as close to each other as possible, in non-increasing order. (Open MPI 4.1 departs
    /// from this for a few counts, as DecompositionPlan.processGrid says.)
    public static func processGrid(ranks: Int, dimensions: Int) -> [Int] {
        guard dimensions > 1 else { return [ranks] }
        var best: [Int]? = nil
        for first in (1...ranks).reversed() where ranks % first == 0 {
            let rest = processGrid(ranks: ranks / first, dimensions: dimensions - 1)
            guard rest[0] <= first else { continue }
            let candidate = [first] + rest
            if best == nil || candidate.max()! - candidate.min()! < best!.max()! - best!.min()! { best = candidate }
        }
        return best!
    }

    /// The names of the axes, for messages: "point"; "plane", "row", "column".
    public static func axisWord(_ axis: Int, dimensions: Int) -> String {
        dimensions == 1 ? "point" : Array(["plane", "row", "column"].suffix(dimensions))[axis]
    }

    /// The plan, or the runtime's error message when a block would be thinner than the halo, or
    /// than twice the halo along `copyingAxes` (the axes with neumann or periodic sides: a side's
    /// sources stay in the blocks that own them; stmpi_blocks_decompose_sides).
    public static func make(decomposition: Decomposition, ranks: Int, extents: [Int], halo: Int, elementSize: Int,
                            exchangesDiagonals: Bool, copyingAxes: Set<Int> = []) -> Result<BlocksPlan, DecompositionError> {
        precondition(ranks >= 1 && !extents.isEmpty, "a decomposition needs at least one rank and one dimension")
        let d = extents.count
        let dims = processGrid(ranks: ranks, dimensions: d)
        let gridText = dims.map(String.init).joined(separator: "x")
        for axis in 0..<d {
            let need = max(halo, 1) * (copyingAxes.contains(axis) ? 2 : 1)
            guard extents[axis] / dims[axis] < need else { continue }
            let word = axisWord(axis, dimensions: d)
            let over = d == 1 ? DecompositionError.plural(ranks, "rank")
                : "\(DecompositionError.plural(dims[axis], word)) of ranks (process grid \(gridText) for \(ranks) ranks)"
            return .failure(.split(extents[axis], word, over: over, need: need, halo: halo))
        }
        // Every step vector but all zeros, the first dimension's step slowest (the runtime's slot order).
        var steps: [[Int]] = [[]]
        for _ in 0..<d { steps = steps.flatMap { prefix in [-1, 0, 1].map { prefix + [$0] } } }
        steps.removeAll { step in step.allSatisfy { $0 == 0 } || (!exchangesDiagonals && step.filter { $0 != 0 }.count > 1) }

        var blocks: [Block] = []
        for rank in 0..<ranks {
            var coords = [Int](repeating: 0, count: d), rest = rank
            for axis in (0..<d).reversed() {
                coords[axis] = rest % dims[axis]
                rest /= dims[axis]
            }
            let owned = (0..<d).map { DecompositionPlan.split(extents[$0], parts: dims[$0], index: coords[$0]) }
            var neighbours: [(steps: [Int], rank: Int)] = []
            var elements = 0
            for step in steps {
                let there = zip(coords, step).map(+)
                guard zip(there, dims).allSatisfy({ $0 >= 0 && $0 < $1 }) else { continue }
                neighbours.append((step, there.enumerated().reduce(0) { $0 * dims[$1.offset] + $1.element }))
                // Along an axis without a step, the owned range widened into the halo at a global
                // edge (as the runtime sends it: a face spanning an axis is contiguous).
                elements += (0..<d).map { axis in
                    step[axis] != 0 ? halo : owned[axis].count + (coords[axis] == 0 ? halo : 0) + (coords[axis] == dims[axis] - 1 ? halo : 0)
                }.reduce(1, *)
            }
            blocks.append(Block(rank: rank, coords: coords, owned: owned, neighbours: neighbours,
                                haloBytes: halo == 0 ? 0 : elements * elementSize, local: owned.map { $0.count + 2 * halo }))
        }
        return .success(BlocksPlan(decomposition: decomposition, ranks: ranks, extents: extents, halo: halo,
                                   elementSize: elementSize, exchangesDiagonals: exchangesDiagonals,
                                   processGrid: dims, blocks: blocks))
    }
}
