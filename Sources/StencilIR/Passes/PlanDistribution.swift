// PlanDistribution.swift: Program -> Program with `distribution` set: how the mpi and hybrid
// targets hold the grid over ranks (nil on the other targets). Backends print what it says.
//   2-D grids          blocks of rows x columns (decompose rows: P x 1), the 8 neighbours exchanged.
//   3-D, rows          slabs of whole planes: to the runtime each plane is one row of rows * cols
//                      points; only the 2 neighbouring slabs exist, so there are no diagonals.
//   3-D grid and 1-D   blocks of a D-dimensional Cartesian process grid (runtime stmpi_blocks):
//                      faces always; edges and corners only when the update reads a point that is
//                      off-axis (a read with two or more offsets not 0: a 27-point stencil does,
//                      a 7-point one does not), since no other halo cell of theirs is ever read.
// Every layout overlaps communication with the deep interior's update.

public struct DistributionPlan: Hashable, Sendable {
    public enum Layout: String, Hashable, Sendable {
        case rowsAndColumns = "2-D blocks"
        case slabs = "slabs of planes"
        case blocks = "blocks of a Cartesian process grid"
    }

    public var layout: Layout
    /// Edges and corners are exchanged as well as faces.
    public var exchangesDiagonals: Bool
    /// Why, in words, for `explain` and `--print-ir-after-all`.
    public var reason: String
}

extension Update {
    /// Some read has offsets on two or more dimensions: it reaches an edge or corner halo cell.
    public var readsDiagonals: Bool { value.reads.contains { read in read.offsets.filter { $0 != 0 }.count > 1 } }
}

public func planDistribution(_ program: Program) -> Program {
    var result = program
    guard program.schedule.target == .mpi || program.schedule.target == .hybrid else {
        result.distribution = nil
        return result
    }
    let diagonal = program.updates.contains(where: \.readsDiagonals)
    // A system's grids share the process grid: one update's diagonal read makes every exchange carry them.
    let reads = program.isSystem ? (diagonal ? "an update reads" : "the updates read") : "the update reads"
    switch (program.dimensions, program.schedule.decompose) {
    case (2, _):
        result.distribution = DistributionPlan(layout: .rowsAndColumns, exchangesDiagonals: true,
                                               reason: "a 2-D block exchanges with all 8 neighbours")
    case (3, .rows):
        result.distribution = DistributionPlan(layout: .slabs, exchangesDiagonals: false,
                                               reason: "a slab of whole planes has 2 neighbours")
    default:
        result.distribution = DistributionPlan(
            layout: .blocks, exchangesDiagonals: diagonal && program.dimensions > 1,
            reason: program.dimensions == 1 ? "a 1-D block has 2 neighbours"
                : diagonal ? "\(reads) off-axis neighbours (offsets on two or more dimensions)"
                : "\(reads) along the axes only")
    }
    return result
}
