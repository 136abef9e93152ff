// PlanLoops.swift: Program -> Program with `loops` set: the loop-level plan every CPU backend
// prints (LoopPlan.swift). Decisions that depend on the machine and the grid's run-time size
// (whether to block in time, how deep, how tall a tile) are the run-time plan's; this pass
// decides which of them the code can make.

public func planLoops(_ program: Program) -> Program {
    var result = program
    let schedule = program.schedule
    let target = schedule.target
    let threaded = target == .openmp || target == .hybrid

    // A call on params alone is hoisted out of the loops.
    let calls = program.updates.flatMap(\.value.pointFunctions)
    var scalarOnly: [BuiltinFunction] = []
    for call in calls where [.exp, .sin, .cos].contains(call) && !scalarOnly.contains(call) { scalarOnly.append(call) }
    let vectorization: Vectorization = scalarOnly.isEmpty ? .simd : .compiler
    let vectorLoop = program.dimensions == 1 && (schedule.tile == nil || target == .opencl) ? "the one loop (openmp: omp for simd, the team's loop and the vector loop at once)" : "the column loop"
    let vectorReason = scalarOnly.isEmpty
        ? "omp simd on \(vectorLoop): plain contiguous loads and stores, which the C compiler vectorises for the ISA it builds for"
        : "plain column loop without omp simd: \(scalarOnly.map(\.rawValue).joined(separator: ", ")) have no vector form with the same bits"

    var worksharing: String? = nil
    if threaded {
        worksharing = schedule.chunksize.map { "schedule(\(schedule.kind.rawValue), \($0))" } ?? "schedule(\(schedule.kind.rawValue))"
        // Tiles: the team shares the tiles, every tile loop collapsed into one. 3-D without tiles:
        // planes and rows together (the row loop's bounds do not depend on the plane), so a grid
        // of few planes still keeps every thread busy. 1-D: one loop, nothing to collapse.
        let tiled = schedule.tile != nil && target != .opencl
        let collapsed = tiled ? program.dimensions : program.dimensions == 3 ? 2 : 1
        if collapsed > 1 { worksharing! += " collapse(\(collapsed))" }
    }

    var kinds: [TemporalKind] = []
    var reason: String
    switch target {
    case _ where program.dimensions == 1:
        reason = "whole sweeps: a 1-D grid is one row, and tiles and bands cut the first dimension of a 2-D or 3-D grid"
    case _ where !program.boundaryEachSweep.isEmpty && (target == .serial || target == .openmp):
        reason = "whole sweeps: a neumann or periodic side changes the boundary after every sweep, and tiles and bands advance several sweeps over a boundary that stays as it is"
    case _ where program.redBlack:
        reason = "whole sweeps: red-black order updates in place, red half-sweep then black, and a half-sweep must see the whole of the one before it"
    case .mpi where deepHalosBlocker(program) == nil:
        kinds.append(.tiles)
        reason = "the run-time plan chooses whole sweeps, each with one halo exchange (overlapped with the deep interior's update), or tiles: a halo DEPTH sweeps deep, exchanged once every DEPTH sweeps, and tiles of the rank's rows that advance those sweeps in the cache (the rows of the deep halo are recomputed by both neighbours)"
    case .mpi, .hybrid:
        reason = "whole sweeps: every sweep exchanges halos with the neighbouring ranks ("
            + (deepHalosBlocker(program) ?? "") + ")"
    case .opencl: reason = "whole sweeps: one kernel launch per sweep"
    case .serial, .openmp:
        if schedule.temporal == .off {
            reason = "whole sweeps: schedule says temporal off"
        } else if program.halo == 0 {
            reason = "whole sweeps: the update reads no neighbours"
        } else {
            kinds.append(.tiles)
            let bandable = target == .openmp && schedule.kind == .static && schedule.chunksize == nil
                && schedule.tile == nil && schedule.numThreads != 1 && !program.isSystem
            if bandable { kinds.append(.bands) }
            // Tiles only pass the two iterates through to the sweep, which for a system are records
            // of all its grids; bands copy one grid into each thread's scratch grids.
            reason = "the run-time plan chooses whole sweeps or " + kinds.map(\.rawValue).joined(separator: " or ")
                + (bandable ? "" : program.isSystem ? " (bands keep scratch copies of one grid, and a system updates several)"
                   : target == .serial ? " (bands need a team of threads)"
                   : " (bands need a plain static schedule without chunks or tiles, and 2 or more threads)")
            // 3-D: the plan's rows are planes. Its cost model bands them and never tiles them by
            // default (runtime/stencil_sweeps.c, measured in docs/performance.md).
            if program.dimensions == 3 {
                reason += "; 3-D: the plan cuts planes, bands by default (tiles of planes outgrow the caches: only with --plan, or temporal on where bands cannot run)"
            }
        }
    }

    var check: CheckReduction? = nil
    if case .until(let norm, _, _, _, _) = program.stopping {
        switch norm {
        case .maxdiff: check = CheckReduction(variable: "maxdiff", inDouble: false, sharing: .reductionMax, function: "sweep_maxdiff")
        case .l2diff: check = CheckReduction(variable: "sum_sq", inDouble: true, sharing: .reductionSum, function: "sweep_l2diff")
        }
    }
    result.loops = LoopPlan(vectorization: vectorization, vectorizationReason: vectorReason, worksharing: worksharing,
                            tile: target == .opencl ? nil : schedule.tile,
                            temporalKinds: kinds, temporalReason: reason, check: check)
    result.loops.colourHalfSweeps = program.redBlack
    if program.redBlack { (result.loops.colourPlan, result.loops.colourPlanReason) = colourPlan(program) }
    result.loops.boundaryEachSweep = !program.boundaryEachSweep.isEmpty
    (result.loops.alignsFirstUpdatedColumn, result.loops.alignmentReason) = alignment(target, dimensions: program.dimensions)
    return result
}

/// Why the plain sweeps cannot run deep halos (the mpi target's tiles, runtime/stencil_mpi.h's
/// stmpi_sweeps: a rank's block of whole rows advanced several sweeps after one exchange of a
/// halo that deep), or nil where they can. Every sweep between two exchanges must be the update
/// alone, on one grid's rows, which the block's tiles cut.
func deepHalosBlocker(_ program: Program) -> String? {
    let schedule = program.schedule
    if schedule.target != .mpi { return "deep halos are the mpi target's: its ranks' threads would share the deep halo's rows" }
    if schedule.temporal == .off { return "schedule says temporal off" }
    if program.halo < 1 { return "the update reads no neighbours" }
    if program.dimensions != 2 { return "deep halos cut a 2-D grid's rows; \(program.dimensions)-D grids exchange every sweep" }
    if schedule.decompose != .rows { return "deep halos need blocks of whole rows (decompose rows)" }
    if program.isSystem { return "deep halos advance one updated grid; a system updates several" }
    if program.redBlack { return "red-black order exchanges halos between its half-sweeps" }
    if !program.boundaryEachSweep.isEmpty { return "a neumann or periodic side changes the boundary after every sweep" }
    if !program.copyingAxes.isEmpty {
        return "a read-only grid's neumann or periodic side needs blocks at least 2 * HALO deep along its axis and, if periodic, a periodic axis of ranks: decompositions of their own"
    }
    return nil
}

/// Where the grids start. A vector loop over columns HALO.. with grids that start on a line
/// loads and stores vectors that begin HALO elements past a line: on AVX2 every other 32-byte
/// vector straddles two cache lines, on AVX-512 every one does, and a straddling store costs two.
/// Shifting the grid so that column HALO starts the line makes the stores and the loads of the
/// rows above and below whole lines wherever a row is a whole number of lines; only the loads
/// to the left and right stay shifted. Measured in docs/performance.md (Jacobi at N=256 and
/// 1024: faster at -march=native, AVX2; within the noise at x86-64-v2, whose 16-byte vectors
/// straddle a line a quarter as often).
func alignment(_ target: Target, dimensions: Int) -> (Bool, String) {
    if target == .opencl {
        return (false, "host grids only fill and receive the device's buffers, which the OpenCL driver places")
    }
    if dimensions == 1 {
        return (true, "point HALO, the first updated one, starts a 64-byte line in each grid: the vector loop's stores are whole, aligned vectors")
    }
    return (true, "column HALO, the first updated one, starts a 64-byte line in each grid: where a row is a whole number of lines, every row's vector stores and its loads of the \(dimensions == 3 ? "rows and planes around it" : "rows above and below") are whole, aligned vectors")
}

/// `order redblack`: whether the plain iterations fuse the two half-sweeps into one pass over
/// memory (ColourPlan.fused), and why or why not. Fusing changes only the order in which points
/// are updated, never what a point reads: a red point reads black points that no black update
/// has touched yet, a black point reads red points that are all new, so the bits are those of two
/// half-sweeps.
func colourPlan(_ program: Program) -> (ColourPlan, String) {
    let schedule = program.schedule
    let target = schedule.target
    if target != .serial && target != .openmp {
        return (.halfSweeps, target == .opencl ? "two half-sweeps: one kernel launch each"
                : "two half-sweeps: a halo exchange with the neighbouring ranks before each")
    }
    if program.dimensions == 1 {
        return (.halfSweeps, "two half-sweeps: in 1-D each half-sweep is itself the vector loop, and fusing them point by point would lose it")
    }
    if !program.boundaryEachSweep.isEmpty {
        return (.halfSweeps, "two half-sweeps: a neumann or periodic side runs the boundary statements between them")
    }
    if schedule.tile != nil {
        return (.halfSweeps, "two half-sweeps: the schedule's tile runs each half-sweep tile by tile")
    }
    if target == .openmp && (schedule.kind != .static || schedule.chunksize != nil) {
        return (.halfSweeps, "two half-sweeps: the fused pass gives each thread one contiguous band of rows, which needs schedule static without a chunk size")
    }
    if program.dimensions == 2 {
        return (.split, "the colour-split layout: after the fills the grid is kept as two arrays, red and black, each row holding its colour's points in column order, so each half-sweep is a unit-stride loop (vector code with whole loads and stores); it is joined back into the grid after the iterations. Check iterations run the same half-sweeps with the norm. Each point reads the values it reads in the grid, in the same order of operations, so the bits are the same")
    }
    let rows = program.dimensions == 3 ? "planes" : "rows"
    let row = program.dimensions == 3 ? "plane" : "row"
    return (.fused, "one pass over memory per iteration: \(target == .openmp ? "each thread takes one contiguous band of \(rows), and in it " : "")"
            + "red \(row) r, then black \(row) r - HALO, whose red neighbours are all new by then"
            + (target == .openmp ? "; the black \(rows) within HALO of a band's edge read the next band's red \(rows) and run after a barrier" : "; the first and last HALO black \(rows) at the end")
            + ". Each point reads the values it reads in two half-sweeps, so the bits are the same; check iterations run as two half-sweeps (the norm adds up in the same order)")
}
