// MPIBackend+Blocks.swift: what the mpi and hybrid targets print for each layout of the
// distribution plan (PlanDistribution), and the parts only blocks of a process grid need (a 3-D
// grid's `decompose grid`, a 1-D grid): the D-dimensional decomposition (runtime stmpi_blocks)
// and sweep_box, which sweeps one box of the rank's block with the program's own sweep function.

import StencilIR

extension MPIBackend {
    /// The header comment's lines on how ranks hold the grid, from the plan.
    static func layoutNotes(_ program: Program) -> [String] {
        let grid = program.update.grid
        let decompose = program.schedule.decompose.rawValue
        guard let plan = program.distribution else { return [] }
        switch plan.layout {
        case .rowsAndColumns:
            let rows = program.schedule.decompose == .rows
            let first = "Every rank holds its block of \(grid) (decompose \(decompose): "
                + (rows ? "block rows, P x 1" : "2-D blocks from MPI_Dims_create") + ") plus a halo HALO deep,"
            // Deep halos where the loop plan lets the run's plan choose them (PlanLoops: mpi's tiles).
            if !program.loops.temporalKinds.contains(.tiles) {
                return [first, "refreshed from its \(rows ? "2 neighbours" : "neighbours (up to 8)") \(program.redBlack ? "before each half-sweep" : "every sweep")"
                            + "; the deep interior is updated while the halos"]
            }
            return [first, "refreshed from its 2 neighbours every sweep, or every DEPTH sweeps where the run's plan deepens it",
                    "(tiles:DEPTH); the deep interior is updated while the halos"]
        case .slabs:
            return [
                "Every rank holds its slab of whole planes of \(grid) (decompose rows: P x 1 x 1) plus HALO planes of",
                "halo at each end, refreshed from its 2 neighbours every sweep; the deep interior is updated while the halos",
            ]
        case .blocks:
            let how = program.dimensions == 1 ? "the one dimension split over the ranks"
                : "\(program.dimensions)-D blocks from MPI_Dims_create"
            let parts = plan.exchangesDiagonals ? "faces, edges and corners: up to 26 neighbours, as the update reads diagonals"
                : "faces only: up to \(2 * program.dimensions) neighbours"
            return [
                "Every rank holds its block of \(grid) (decompose \(decompose): \(how)) plus a halo HALO deep,",
                "refreshed every sweep (\(parts)); the deep interior is updated while the halos",
            ]
        }
    }

    /// `stmpi_blocks_decompose(...)`: this rank's block of the grid.
    func decomposeBlocks(_ program: Program, host: HostCode) {
        let writer = host.writer
        let plan = program.distribution!
        let extents = host.extentNames.joined(separator: ", ")
        let kind = program.schedule.decompose == .rows ? "STMPI_ROWS" : "STMPI_GRID"
        writer.comment(program.dimensions == 1
            ? "This rank's block of the \(extents) points (both decompositions split the one dimension), with a halo HALO deep at each end."
            : "This rank's block of the \(host.extentNames.joined(separator: " x ")) grid in a 3-D process grid, with a halo HALO deep on every side.")
        let diagonals = plan.exchangesDiagonals ? "1 /* edges and corners too: \(plan.reason) */" : "0 /* faces only: \(plan.reason) */"
        writer.line("stmpi_blocks decomp;")
        guard !program.copyingAxes.isEmpty else {
            writer.line("stmpi_blocks_decompose(&decomp, \(program.dimensions), (const long[]){ \(extents) }, HALO, \(kind), \(diagonals));")
            return
        }
        let axes = 0..<program.dimensions
        let periodic = axes.map { program.periodicAxes.contains($0) ? "1" : "0" }.joined(separator: ", ")
        let copying = axes.map { program.copyingAxes.contains($0) ? "1" : "0" }.joined(separator: ", ")
        writer.comment("Neumann or periodic sides: periodic axes of the Cartesian topology, and the axes whose blocks must be 2 * HALO deep (first dimension first).")
        writer.line("stmpi_blocks_decompose_sides(&decomp, \(program.dimensions), (const long[]){ \(extents) }, HALO, \(kind), \(diagonals),")
        writer.line("                             (const int[]){ \(periodic) }, (const int[]){ \(copying) });")
    }

    /// `sweep_box`: one box of the rank's block (local indices) swept with `sweep_fn` (`sweep` or a
    /// check sweep; not named `sweep`, which would shadow the function of that name). A 3-D box's
    /// planes and columns are the sweep's ranges and its rows go in a copy of the args record; a
    /// 1-D box is the sweep's range.
    func sweepBoxFunction(_ program: Program, writer: CodeWriter) {
        let threeD = program.dimensions == 3
        writer.comment(threeD
            ? "Sweeps one box of this rank's block with `sweep_fn`: its planes and columns are the sweep's ranges, its rows go in a copy of the args record."
            : "Sweeps one box of this rank's block with `sweep_fn`: the points [box.lo[0], box.hi[0]).")
        writer.block("static void sweep_box(void (*sweep_fn)(const void *, long, long, long, long, const void *, void *), const sweep_args *args, stmpi_box box, const void *in, void *out)") {
            if threeD {
                writer.line("if (box.lo[0] >= box.hi[0] || box.lo[1] >= box.hi[1] || box.lo[2] >= box.hi[2]) return;")
                writer.line("sweep_args rows = *args;")
                writer.line("rows.middle_begin = box.lo[1];")
                writer.line("rows.middle_end = box.hi[1];")
                writer.line("sweep_fn(&rows, box.lo[0], box.hi[0], box.lo[2], box.hi[2], in, out);")
            } else {
                writer.line("if (box.lo[0] < box.hi[0]) sweep_fn(args, box.lo[0], box.hi[0], 0, 0, in, out);")
            }
        }
    }
}
