// SweepWriter.swift: the sweep functions of the C targets (serial, openmp, and each rank's of
// mpi/hybrid), printed from the IR's loop plan (LoopPlan): the update over a rectangle of rows
// and columns, from one buffer into the other, as plain C loops.
// 1-D and 3-D grids: the sweep's row range is the range of the FIRST dimension (the one the team
// shares out and mpi splits into slabs: planes in 3-D, the only one in 1-D) and its column range
// that of the last; the middle dimension of a 3-D grid is swept whole ([HALO, rows - HALO)). A 3-D
// sweep's plane stride comes in the args record: rows * cols, or an MPI rank's local row length
// (its slab is stored as planes of rows * cols points plus a halo at each end: the sweep gets
// buffers that start at the plane's first point). A rank's block of a 3-D process grid (decompose
// grid) is swept box by box: its rows come in the args record (`middle_begin`, `middle_end`).
//
// Every sweep has the runtime's st_sweep_fn signature (runtime/stencil_sweeps.h), so that the
// run-time plan's drivers (whole sweeps, tiles, bands) call the program's own update:
//   sweep        the team shares the rows out (an orphaned `#pragma omp for` with the
//                schedule's clauses, inside the one parallel region around all iterations;
//                its implicit barrier ends the sweep); serial and mpi: one thread, no pragma.
//   sweep_alone  the calling thread sweeps all the rows it is given (bands), where the plan has
//                bands.
//   sweep_maxdiff / sweep_l2diff  the sweep fused with the norm, for check iterations.
// What a sweep reads besides its two buffers (the row length, read-only grids, params) comes in
// one `sweep_args` record. Where the boundary plan fuses left/right neumann/periodic statements
// (PlanBoundary's sides in the sweep), the serial/openmp sweeps apply them to each row right
// after its column loop, while the row is in cache; the runtime's st_copy_side_ring does the
// rows the sweep does not compute.

import StencilIR

public struct SweepWriter {
    public let program: Program
    public let names: CNames
    public let writer: CodeWriter

    public init(program: Program, names: CNames, writer: CodeWriter) {
        self.program = program
        self.names = names
        self.writer = writer
    }

    var loops: LoopPlan { program.loops }
    var scalar: String { program.elementType == .float32 ? "float" : "double" }
    var grid: String { names[program.update.grid] }
    var next: String { names.next(program.update.grid) }
    /// The loop indices, first dimension first.
    var indices: [String] { program.update.indices.map { names[$0] } }
    var dimensions: Int { program.dimensions }
    var row: String { indices[dimensions == 3 ? 1 : 0] }
    var col: String { indices[dimensions - 1] }
    /// A 3-D grid held in blocks of a process grid by MPI ranks (PlanDistribution): a sweep's
    /// rows are those of the box it is given (`middle_begin`, `middle_end` in the args record,
    /// which the rank's sweep_box sets), not all of them.
    var sweepsBoxRows: Bool { program.distribution?.layout == .blocks && dimensions == 3 }
    var readsOwnGrid: Bool { program.update.value.reads.contains { $0.grid == program.update.grid } }

    /// An MPI rank's sweep whose update uses the index names: the loop indices are local, so
    /// the block's global offset comes in the args record (`row_offset`, `col_offset`).
    var offsetsIndices: Bool {
        program.updates.contains { $0.value.usesIndex } && (program.schedule.target == .mpi || program.schedule.target == .hybrid)
    }

    /// Dialect inside a sweep: reads index the flat grid, params are locals of the element type,
    /// index names are the loop indices (on an MPI rank plus the block's offset: global indices).
    public var dialect: CDialect {
        let names = self.names
        let row = self.row, col = self.col, indices = self.indices
        var dialect = CDialect(elementType: program.elementType,
                               read: { grid, offsets in "\(names[grid])[\(CExprPrinter.flatIndex(indices, offsets))]" },
                               param: { names[$0] })
        if offsetsIndices && sweepsBoxRows {
            let offsets = ["plane_offset", "row_offset", "col_offset"]
            dialect.index = { "\(indices[$0]) + \(offsets[$0])" }  // blocks: every index is local
        } else if offsetsIndices && dimensions == 3 {
            dialect.index = { $0 == 0 ? "\(indices[0]) + row_offset" : indices[$0] }  // slabs: planes are local
        } else if offsetsIndices {
            dialect.index = { $0 == 0 ? "\(row) + row_offset" : "\(col) + col_offset" }
        } else {
            dialect.index = { indices[$0] }
        }
        return dialect
    }

    /// The check sweep's accumulator type.
    var checkType: String { loops.check?.inDouble == true ? "double" : scalar }

    /// Everything before `main`: the args record, the check's shared results, the sweeps.
    public func functions() {
        writer.comment("What a sweep reads besides its two buffers.")
        writer.block("typedef struct", trailer: " sweep_args;") {
            if sweepsBoxRows {
                writer.line("long cols, plane; /* the row and plane strides of the rank's block */")
                writer.line("long middle_begin, middle_end; /* the rows of the box swept */")
            } else if dimensions == 3 { writer.line("long rows, cols, plane; /* the extents of the last two dimensions; the plane stride */") }
            else { writer.line("long cols; /* row length */") }
            if offsetsIndices && sweepsBoxRows { writer.line("long plane_offset, row_offset, col_offset; /* global index of local index 0 */") }
            else if offsetsIndices { writer.line("long row_offset, col_offset; /* global index of local index 0 */") }
            if program.redBlack { writer.line("long parity; /* (global row + global col) - (local row + local col), mod 2: the colour of a point comes from its global indices */") }
            if loops.colourPlan == .split {
                writer.line("\(scalar) *red, *black; /* the colour-split layout: the grid's points by colour */")
                writer.line("long half; /* the split arrays' row length, (cols + 1) / 2 */")
            }
            for other in program.readOnlyGrids { writer.line("const \(scalar) *\(names[other.name]);") }
            for param in program.updateParams { writer.line("\(scalar) \(names[param]);") }
        }
        writer.blank()
        if let check = loops.check {
            writer.comment(loops.worksharing != nil
                ? "The check sweeps' results. File scope, so the whole team shares them: an orphaned `omp for reduction` needs shared variables."
                : "The check sweeps' results.")
            writer.line("static \(checkType) \(check.variable);")
            writer.line("static long nonfinite; /* points that became NaN or Inf */")
            writer.blank()
        }
        if program.isSystem {
            systemTypedef()
            systemFunctions()
            return
        }
        writer.comment("\(program.sourceName):\(program.update.line)  \(IRPrinter.update(program.update))")
        if program.redBlack {
            redBlackFunctions()
            return
        }
        sweepFunction("sweep", worksharing: loops.worksharing)
        if loops.hasLoneSweep {
            writer.blank()
            writer.comment("The same update, all the given rows by the calling thread: each thread's own band (plan bands).")
            sweepFunction("sweep_alone", worksharing: nil)
        }
        if let check = loops.check {
            writer.blank()
            writer.comment("The same update, also accumulating \(check.variable == "maxdiff" ? "maxdiff" : "the sum of squared changes (in double)") and counting NaN/Inf: check iterations only.")
            checkFunction(check)
        }
    }

    static let signature = "(const void *args, long row_begin, long row_end, long col_begin, long col_end, const void *in, void *out)"

    /// The locals every sweep unpacks: the row length, the buffers, read-only grids, params. A
    /// check sweep reads the old value even where the update does not (`readsOld`).
    func unpack(readsOld: Bool = false) {
        writer.line("const sweep_args *extra = args;")
        extents()
        unpackOffsets()
        if readsOwnGrid || readsOld { writer.line("const \(scalar) *restrict \(grid) = in;") } else { writer.line("(void)in;") }
        writer.line("\(scalar) *restrict \(next) = out;")
        for other in program.readOnlyGrids { writer.line("const \(scalar) *restrict \(names[other.name]) = extra->\(names[other.name]);") }
        for param in program.update.value.params { writer.line("const \(scalar) \(names[param]) = extra->\(names[param]);") }
    }

    func sweepFunction(_ name: String, worksharing: String?) {
        let value = CExprPrinter.print(hoisted.value, dialect)
        writer.block("static void \(name)\(Self.signature)") {
            unpack()
            hoistedLocals()
            loopNest(worksharing: worksharing, simd: loops.vectorization == .simd ? "" : nil, afterRow: sidesInRow) { point in
                writer.line("\(next)[\(point)] = \(value);")
            }
        }
    }

    /// The check sweeps' reduction clauses (on `omp for` and, where exact, `omp simd`).
    static func reductions(_ check: CheckReduction) -> String {
        "reduction(\(check.sharing == .reductionMax ? "max" : "+"): \(check.variable)) reduction(+: nonfinite)"
    }

    /// One point of a check sweep: the new value into `target` (the next buffer, or the grid
    /// itself in place), its change from the old value folded into the norm, NaN/Inf counted.
    func checkPoint(_ check: CheckReduction, value: String, point: String, into target: String, old: String? = nil) {
        let old = old ?? grid
        writer.line("const \(scalar) next = \(value);")
        if check.inDouble {
            writer.line("const double change = (double)next - (double)\(old)[\(point)];")
            writer.line("\(target)[\(point)] = next;")
            writer.line("sum_sq += change * change;")
            writer.line("nonfinite += !(change * change <= DBL_MAX);")
        } else {
            writer.line("const \(scalar) change = \(dialect.function(.abs))(next - \(old)[\(point)]);")
            writer.line("\(target)[\(point)] = next;")
            writer.line("maxdiff = change > maxdiff ? change : maxdiff;")
            writer.line("nonfinite += !(change <= \(program.elementType == .float32 ? "FLT_MAX" : "DBL_MAX"));")
        }
    }

    func checkFunction(_ check: CheckReduction) {
        let value = CExprPrinter.print(hoisted.value, dialect)
        let reductions = Self.reductions(check)
        writer.block("static void \(check.function)\(Self.signature)") {
            unpack(readsOld: true)
            hoistedLocals()
            // A max is exact in any order, so the column loop may still be vector code; a sum of
            // squares keeps the serial order within each row.
            loopNest(worksharing: loops.worksharing.map { "\($0) \(reductions)" },
                     simd: loops.vectorization == .simd && !check.inDouble ? reductions : nil, afterRow: sidesInRow) { point in
                checkPoint(check, value: value, point: point, into: next)
            }
        }
    }

    /// The update's invariant calls (IRExpr.invariantCalls), named `st_invariant_K`, and the
    /// update with them replaced.
    var hoisted: (locals: [(String, IRExpr)], value: IRExpr) {
        let named = program.update.value.invariantCalls.enumerated().map { ($0.element, "st_invariant_\($0.offset)") }
        return (named.map { ($0.1, $0.0) }, program.update.value.replacing(named))
    }

    /// `const T st_invariant_K = ...;`: computed once per call, before the loops.
    func hoistedLocals() {
        for (name, expr) in hoisted.locals {
            writer.line("const \(scalar) \(name) = \(CExprPrinter.print(expr, dialect)); /* the same at every point */")
        }
    }

    // MARK: Red-black order

    static let colours = ["red", "black"]

    /// `order redblack`: one buffer, updated in place (`in` and `out` are the same grid). Each
    /// half-sweep updates the points of one colour (red: global row + col even) and reads only
    /// points of the other colour and the point's own old value, so its points can be updated in
    /// any order, by any thread or rank, with the same bits. `sweep` (and the check sweep) is a
    /// whole iteration: the red half-sweep, then the black one (openmp: each ends at its `omp
    /// for`'s barrier); mpi/hybrid call the halves one by one, with a halo exchange before each.
    func redBlackFunctions() {
        let value = CExprPrinter.print(hoisted.value, dialect)
        let update = { (point: String) in writer.line("\(grid)[\(point)] = \(value);") }
        // mpi/hybrid call the half-sweeps themselves, a halo exchange before each.
        let wholeIterations = program.schedule.target == .serial || program.schedule.target == .openmp
        if wholeIterations && loops.colourPlan == .split {
            splitFunctions()
            return
        }
        if wholeIterations && loops.colourPlan == .fused {
            fusedIteration(update)
        } else {
            for (colour, name) in Self.colours.enumerated() {
                writer.comment("The \(name) half-sweep: points with (global row + col) \(colour == 0 ? "even" : "odd"), in place, every other column.")
                writer.block("static void sweep_\(name)\(Self.signature)") {
                    unpackInPlace()
                    hoistedLocals()
                    colourLoopNest(colour: colour, worksharing: loops.worksharing, simd: loops.vectorization == .simd ? "" : nil, body: update)
                }
                writer.blank()
            }
            if wholeIterations {
                writer.comment("One red-black iteration: the red half-sweep, then the black one.")
                writer.block("static void sweep\(Self.signature)") {
                    for name in Self.colours { writer.line("sweep_\(name)(args, row_begin, row_end, col_begin, col_end, in, out);") }
                }
            }
        }
        guard let check = loops.check else { return }
        let reductions = Self.reductions(check)
        for (colour, name) in Self.colours.enumerated() {
            writer.blank()
            writer.comment("The \(name) half-sweep, also accumulating \(check.variable == "maxdiff" ? "maxdiff" : "the sum of squared changes (in double)") and counting NaN/Inf: check iterations only.")
            writer.block("static void \(check.function)_\(name)\(Self.signature)") {
                unpackInPlace()
                hoistedLocals()
                colourLoopNest(colour: colour, worksharing: loops.worksharing.map { "\($0) \(reductions)" },
                               simd: loops.vectorization == .simd && !check.inDouble ? reductions : nil, body: { point in
                    checkPoint(check, value: value, point: point, into: grid)
                })
            }
        }
        // With neumann or periodic sides the iteration loop calls the halves itself, the boundary
        // statements after each: no whole check iteration to write (it would be unused).
        guard wholeIterations && !loops.boundaryEachSweep else { return }
        writer.blank()
        writer.comment("One red-black check iteration: the norm is the change over both half-sweeps (each point changes once).")
        writer.block("static void \(check.function)\(Self.signature)") {
            for name in Self.colours { writer.line("\(check.function)_\(name)(args, row_begin, row_end, col_begin, col_end, in, out);") }
        }
    }

    /// The loop plan's fused red-black iteration (ColourPlan.fused): one pass over the grid, red
    /// row r then black row r - HALO, in each thread's own band of rows (planes in 3-D); the
    /// black rows within HALO of the band's edges after a barrier.
    func fusedIteration(_ update: (String) -> Void) {
        let threaded = loops.worksharing != nil
        let (rows, row) = dimensions == 3 ? ("planes", "plane") : ("rows", "row")
        let simd: String? = loops.vectorization == .simd ? "" : nil
        writer.comment("One red-black iteration in one pass over memory (loop plan: colour-plan fused): red \(row) wave, then black \(row) wave - HALO, whose red neighbours (\(rows) wave - 2 * HALO to wave) are all new by then and whose black neighbours no red \(row) still to come reads. Each point reads what it reads in two half-sweeps: the same bits.")
        writer.block("static void sweep\(Self.signature)") {
            unpackInPlace()
            hoistedLocals()
            if threaded {
                writer.comment("This thread's band: a contiguous block of \(rows), as schedule(static) gives it. The black \(rows) within HALO of its edges read the neighbouring bands' red \(rows), which read them: they wait for the barrier.")
                writer.line("const long team = omp_get_num_threads(), thread = omp_get_thread_num();")
                writer.line("const long band_begin = row_begin + (row_end - row_begin) * thread / team;")
                writer.line("const long band_end = row_begin + (row_end - row_begin) * (thread + 1) / team;")
            } else {
                writer.comment("One band of all the \(rows): its first HALO black \(rows) run at the end, with its last HALO.")
                writer.line("const long band_begin = row_begin, band_end = row_end;")
            }
            writer.block("for (long wave = band_begin; wave < band_end; ++wave)") {
                writer.comment("Red \(row) wave, then black \(row) wave - HALO.")
                colourLoopNest(colour: 0, worksharing: nil, simd: simd, rows: ("wave", "wave + 1"), body: update)
                writer.block("if (wave - HALO >= band_begin + HALO)") {
                    colourLoopNest(colour: 1, worksharing: nil, simd: simd, rows: ("wave - HALO", "wave - HALO + 1"), body: update)
                }
            }
            if threaded { writer.line("#pragma omp barrier /* every band's red \(rows) are new */") }
            writer.line("const long first_end = band_begin + HALO < band_end ? band_begin + HALO : band_end;")
            writer.line("const long last_begin = band_end - HALO > first_end ? band_end - HALO : first_end;")
            colourLoopNest(colour: 1, worksharing: nil, simd: simd, rows: ("band_begin", "first_end"), body: update)
            colourLoopNest(colour: 1, worksharing: nil, simd: simd, rows: ("last_begin", "band_end"), body: update)
            if threaded { writer.line("#pragma omp barrier /* the next iteration's red \(rows) read these black ones */") }
        }
    }

    /// An MPI rank's global offsets, for the index names the updates use as values (`used`:
    /// their dimensions; the one update's by default): every dimension of a block of a process
    /// grid, the planes of a slab, the rows and columns of a 2-D block.
    func unpackOffsets(used: Set<Int>? = nil) {
        guard offsetsIndices else { return }
        let used = used ?? program.update.value.indexDimensions
        if sweepsBoxRows {
            for (axis, offset) in ["plane_offset", "row_offset", "col_offset"].enumerated() where used.contains(axis) {
                writer.line("const long \(offset) = extra->\(offset);")
            }
        } else if used.contains(0) { writer.line("const long row_offset = extra->row_offset;") }
        if used.contains(1) && dimensions == 2 { writer.line("const long col_offset = extra->col_offset;") }
    }

    /// The locals of a half-sweep: one grid, read and written in place (no `restrict`).
    func unpackInPlace() {
        writer.line("const sweep_args *extra = args;")
        extents()
        unpackOffsets()
        writer.line("const long parity = extra->parity;")
        writer.line("(void)in;")
        writer.line("\(scalar) *\(grid) = out; /* in place: the same grid as `in` */")
        for other in program.readOnlyGrids { writer.line("const \(scalar) *restrict \(names[other.name]) = extra->\(names[other.name]);") }
        for param in program.update.value.params { writer.line("const \(scalar) \(names[param]) = extra->\(names[param]);") }
    }

    /// The loops over the sweep's box, each column loop over the columns of one colour: from the
    /// first column of that colour (the parity of the other indices' sum decides it), stepping by 2.
    func colourLoopNest(colour: Int, worksharing: String?, simd: String?, rows: (String, String)? = nil,
                        body: (String) -> Void) {
        let others = indices.dropLast().joined(separator: " + ")
        boxLoops(worksharing: worksharing, simd: simd, step: 2, rows: rows,
                 firstColumn: { "\($0) + ((\(others.isEmpty ? "" : others + " + ")\($0) + parity\(colour == 0 ? "" : " + 1")) & 1)" },
                 body)
    }

    /// The loops over the sweep's box (tile by tile where the plan tiles); `simd` is the column
    /// loop's `#pragma omp simd` clauses ("" for none), nil for no pragma; `body` gets the flat
    /// index of the point.
    func loopNest(worksharing: String?, simd: String?, afterRow: (() -> Void)? = nil, _ body: (String) -> Void) {
        boxLoops(worksharing: worksharing, simd: simd, step: 1, firstColumn: { $0 }, afterRow: afterRow, body)
    }

    /// The left/right statements the sweep applies to each row it has just computed (PlanBoundary's
    /// sides in the sweep), in the order written: each reads only the row's interior, which the
    /// column loop has just written, so they give the bits they give after the sweep, while the
    /// row's lines are still in cache. nil: none (the sweep is only the update).
    var sidesInRow: (() -> Void)? {
        let fused = program.boundaryEachSweep.inSweep
        guard !fused.isEmpty else { return nil }
        let base = dimensions == 2 ? "\(row) * cols" : "\(indices[0]) * plane + \(row) * cols"
        let r = "\(next)[\(base) + "
        return { [writer, program] in
            for fill in fused {
                let (target, source): (String, String)
                switch (fill.kind, fill.side!) {
                case (.neumann, .left): (target, source) = ("st_layer", "HALO")
                case (.neumann, _): (target, source) = ("cols - HALO + st_layer", "cols - HALO - 1")
                case (.periodic, .left): (target, source) = ("st_layer", "st_layer + (cols - 2 * HALO)")
                default: (target, source) = ("cols - HALO + st_layer", "HALO + st_layer")
                }
                writer.line("for (long st_layer = 0; st_layer < HALO; ++st_layer) \(r)\(target)] = \(r)\(source)]; /* \(program.sourceName):\(fill.line) \(fill.side!.rawValue) = \(fill.expression) */")
            }
        }
    }

    /// Each dimension's range in a sweep, first dimension first: the first is the row range the
    /// sweep is given (the team's, an MPI rank's slab), the last the column range; the middle one
    /// of a 3-D grid is swept whole. A 1-D sweep's one dimension is its row range.
    var boxRanges: [(begin: String, end: String)] {
        switch dimensions {
        case 1: return [("row_begin", "row_end")]
        case 2: return [("row_begin", "row_end"), ("col_begin", "col_end")]
        default:
            // A rank's block of a 3-D process grid sweeps the rows of the box it is given.
            let middle = sweepsBoxRows ? ("extra->middle_begin", "extra->middle_end") : ("HALO", "rows - HALO")
            return [("row_begin", "row_end"), middle, ("col_begin", "col_end")]
        }
    }

    /// The tile loops' indices and each tile's end, per dimension (`tile 8 x 16 x 64` in 3-D:
    /// kk, ii, jj).
    var tileIndices: [(index: String, end: String)] {
        let all = [("kk", "tile_plane_end"), ("ii", "tile_row_end"), ("jj", "tile_col_end")]
        return Array(all.suffix(dimensions))
    }

    /// The loop nest itself. Without tiles: the loops of the first dimensions (the team's `omp
    /// for` on the outermost, collapsed with the next in 3-D as the plan says), then the column
    /// loop (`omp simd`); 1-D's one loop is both: `omp for simd`. With tiles: a loop per dimension
    /// over the tiles (the team's, all collapsed), then inside each tile the same loops over its
    /// points, clipped at the box's end so that sizes which do not divide the box work.
    /// `rows` replaces the first dimension's range (the fused red-black iteration's one plane).
    /// `afterRow` writes what follows each row's column loop (not with tiles).
    func boxLoops(worksharing: String?, simd: String?, step: Int, rows: (String, String)? = nil, firstColumn: (String) -> String,
                  afterRow: (() -> Void)? = nil, _ body: (String) -> Void) {
        var boxRanges = self.boxRanges
        if let rows { boxRanges[0] = (rows.0, rows.1) }
        let simdPragma = simd.map { "#pragma omp simd" + ($0.isEmpty ? "" : " \($0)") }
        let point = dimensions == 2 ? "\(row) * cols + \(col)" : CExprPrinter.flatIndex(indices, Array(repeating: 0, count: dimensions))
        let increment = step == 1 ? "++\(col)" : "\(col) += \(step)"
        func columns(_ begin: String, _ end: String, pragma: String?) {
            if let pragma { writer.line(pragma) }
            writer.block("for (long \(col) = \(firstColumn(begin)); \(col) < \(end); \(increment))") { body(point) }
        }
        // The loops of dimension d and those after it, each over its range.
        func points(_ d: Int, _ ranges: [(begin: String, end: String)], pragma: String?, afterRow: (() -> Void)? = nil) {
            if d == dimensions - 1 { columns(ranges[d].begin, ranges[d].end, pragma: pragma); return }
            writer.block("for (long \(indices[d]) = \(ranges[d].begin); \(indices[d]) < \(ranges[d].end); ++\(indices[d]))") {
                points(d + 1, ranges, pragma: pragma, afterRow: afterRow)
                if d == dimensions - 2 { afterRow?() }
            }
        }
        guard let tile = loops.tile, tile.count == dimensions else {
            if dimensions == 1, let worksharing {
                points(0, boxRanges, pragma: simd != nil ? "#pragma omp for simd \(worksharing)" : "#pragma omp for \(worksharing)")
                return
            }
            if let worksharing { writer.line("#pragma omp for \(worksharing)") }
            points(0, boxRanges, pragma: simdPragma, afterRow: afterRow)
            return
        }
        precondition(afterRow == nil, "sides in the sweep with tiles (PlanBoundary refuses them)")
        if let worksharing { writer.line("#pragma omp for \(worksharing)") }
        let tiles = tileIndices
        func tileLoops(_ d: Int) {
            guard d < dimensions else {
                for (k, t) in tiles.enumerated() {
                    let end = boxRanges[k].end
                    writer.line("const long \(t.end) = \(t.index) + \(tile[k]) < \(end) ? \(t.index) + \(tile[k]) : \(end);")
                }
                points(0, tiles.map { ($0.index, $0.end) }, pragma: simdPragma)
                return
            }
            let (index, range) = (tiles[d].index, boxRanges[d])
            writer.block("for (long \(index) = \(range.begin); \(index) < \(range.end); \(index) += \(tile[d]))") { tileLoops(d + 1) }
        }
        tileLoops(0)
    }

    /// The extents a sweep's flat indices need: 2-D the row length; 3-D also the middle extent
    /// and the plane size; 1-D none (the column range is the row range: unused).
    func extents() {
        switch dimensions {
        case 1: writer.line("(void)extra; (void)col_begin; (void)col_end; /* 1-D: the row range is the one dimension's */")
        case 2: writer.line("const long cols = extra->cols;")
        default:
            if sweepsBoxRows { writer.line("const long cols = extra->cols, plane = extra->plane;") }
            else { writer.line("const long rows = extra->rows, cols = extra->cols, plane = extra->plane;") }
        }
    }

    /// `sweep_args args = { ... };` in `main`: the row length `cols`, read-only grids, params
    /// converted to the element type.
    public func argsDeclaration(cols: String, parity: String = "0") -> String {
        let integers = Set(program.params.filter(\.isInteger).map(\.name))
        var fields = dimensions == 3 ? [".rows = rows, .cols = cols, .plane = \(cols == "cols" ? "rows * cols" : cols)"] : [".cols = \(cols)"]
        if sweepsBoxRows { fields = [".cols = decomp.local[2], .plane = decomp.local[1] * decomp.local[2]"] }
        if offsetsIndices && program.distribution?.layout == .blocks {
            let offsets = dimensions == 1 ? ["row_offset"] : ["plane_offset", "row_offset", "col_offset"]
            fields.append(offsets.enumerated().map { ".\($1) = decomp.lo[\($0)] - HALO" }.joined(separator: ", "))
        } else if offsetsIndices {
            fields.append(dimensions == 3 ? ".row_offset = decomp.r0 - HALO" : ".row_offset = decomp.r0 - decomp.halo, .col_offset = decomp.c0 - decomp.halo")
        }
        if program.redBlack { fields.append(".parity = \(parity)") }
        if loops.colourPlan == .split { fields.append(".red = red, .black = black, .half = half") }
        // A slab's sweeps index every grid from the first point of local plane 0, HALO points
        // past its block's start: read-only grids as the updated ones (`buffer[k] + HALO`).
        let past = program.distribution?.layout == .slabs ? " + HALO" : ""
        for other in program.readOnlyGrids { fields.append(".\(names[other.name]) = \(names[other.name])\(past)") }
        for param in program.updateParams {
            let value = integers.contains(param) || program.elementType == .float32 ? "(\(scalar))\(names[param])" : names[param]
            fields.append(".\(names[param]) = \(value)")
        }
        return "const sweep_args args = { \(fields.joined(separator: ", ")) };"
    }
}
