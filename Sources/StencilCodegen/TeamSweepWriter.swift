// TeamSweepWriter.swift: the sweeps of the serial and openmp targets, written to run inside ONE
// parallel region around the whole iteration loop (a thread team is started once, not once per
// sweep). Each sweep is a function whose row loop is an orphaned `#pragma omp for`: inside the
// region the team shares its rows, and its implicit barrier orders the sweeps. The serial target
// prints the same functions without pragmas.
//
// `sweeps` runs the plain sweeps between two checks, temporally blocked when the runtime's plan
// says so: rows are cut into tiles that advance several sweeps at a time, each step's rows
// shifted up by HALO (a skewed wavefront), so every point still reads its neighbours from exactly
// the previous sweep (results are bitwise those of whole sweeps) while the tile stays in cache.
// For grids that fit in the last-level cache the cost is the barrier after every sweep and that
// cache's bandwidth instead, and the openmp target with a plain static schedule can also run the
// sweeps in bands: each thread advances its own rows several sweeps between two barriers,
// recomputing the few rows beyond its band that those sweeps need from its neighbours
// (overlapped tiling), in private scratch grids, tile by tile so they stay in its own cache.

import StencilIR

public struct TeamSweepWriter {
    public let program: Program
    public let names: CNames
    public let writer: CodeWriter
    public let openMP: Bool
    /// Also write `sweeps` (whole-grid plain sweeps, temporally blocked): not for MPI ranks,
    /// which sweep their block in parts around a halo exchange every sweep.
    public let blockedSweeps: Bool

    public init(program: Program, names: CNames, writer: CodeWriter, openMP: Bool, blockedSweeps: Bool = true) {
        self.program = program
        self.names = names
        self.writer = writer
        self.openMP = openMP
        self.blockedSweeps = blockedSweeps
    }

    /// Whether `sweeps` can also run in bands (the plan decides at run time whether it does):
    /// only where each thread's rows are one contiguous band anyway, a plain `schedule(static)`.
    public var bandSweeps: Bool {
        openMP && blockedSweeps && program.schedule.kind == .static && program.schedule.chunksize == nil
    }

    var scalar: String { program.elementType == .float32 ? "float" : "double" }
    var grid: String { names[program.update.grid] }
    var next: String { names.next(program.update.grid) }
    var base: SweepWriter { SweepWriter(program: program, names: names, writer: writer) }

    /// The norm accumulator's name and how the team combines it, for `until` programs.
    public var norm: (variable: String, type: String, sharing: Sharing)? {
        guard case .until(let norm, _, _, _, _) = program.stopping else { return nil }
        switch norm {
        case .maxdiff: return ("maxdiff", scalar, .reductionMax)
        case .l2diff: return ("sum_sq", "double", .reductionSum)
        }
    }

    var extraParameters: [String] { base.extraParameters }
    var extraArguments: [String] { base.extraArguments }

    /// The same extras passed from `main`, params cast to the element type.
    public var extraArgumentsFromMain: [String] {
        let integers = Set(program.params.filter(\.isInteger).map(\.name))
        return program.readOnlyGrids.map { names[$0.name] } + program.update.value.params.map {
            integers.contains($0) || program.elementType == .float32 ? "(\(scalar))\(names[$0])" : names[$0]
        }
    }

    func pragma(_ reductions: [(Sharing, String)] = []) {
        guard openMP else { return }
        let collapse = program.schedule.tileRows != nil ? " collapse(2)" : ""
        writer.line("#pragma omp for \(OpenMPClauses.loopClauses(program.schedule, reductions: reductions))\(collapse)")
    }

    public func functions() {
        if let norm {
            let counter = "nonfinite"
            writer.comment(openMP
                ? "The check sweeps' results. File scope, so the whole team shares them: an orphaned `omp for reduction` needs shared variables."
                : "The check sweeps' results.")
            writer.line("static \(norm.type) \(norm.variable);")
            writer.line("static long \(counter); /* points that became NaN or Inf */")
            writer.blank()
        }
        let parameters = (["long row_begin", "long row_end", "long col_begin", "long col_end", "long cols",
                           "const \(scalar) *restrict \(grid)", "\(scalar) *restrict \(next)"] + extraParameters)
            .joined(separator: ", ")
        let value = CExprPrinter.print(program.update.value, base.dialect)
        base.rowFunctions(workshared: openMP, ranges: bandSweeps)
        writer.comment("\(program.sourceName):\(program.update.line)  \(IRPrinter.update(program.update))")
        writer.block("static void sweep(\(parameters))") {
            base.markUnusedGrid()
            pragma()
            base.updateLoops(workshared: openMP)
        }
        if bandSweeps {
            writer.blank()
            writer.comment("The same sweep by the calling thread alone (no worksharing): band sweeps give each thread its own rows.")
            writer.block("static void sweep_rows(\(parameters))") {
                base.markUnusedGrid()
                base.updateLoops(workshared: false)
            }
        }
        if let norm {
            writer.blank()
            writer.comment("The same sweep, also accumulating \(norm.variable == "maxdiff" ? "maxdiff" : "the sum of squared changes (in double)") and counting NaN/Inf: check iterations only.")
            writer.block("static void sweep_\(norm.variable == "maxdiff" ? "maxdiff" : "l2diff")(\(parameters))") {
                pragma([(norm.sharing, norm.variable), (.reductionSum, "nonfinite")])
                let limit = program.elementType == .float32 ? "FLT_MAX" : "DBL_MAX"
                base.loops { point in
                    writer.line("const \(scalar) next = \(value);")
                    if norm.variable == "maxdiff" {
                        writer.line("const \(scalar) change = \(base.dialect.function(.abs))(next - \(grid)[\(point)]);")
                        writer.line("\(next)[\(point)] = next;")
                        writer.line("maxdiff = change > maxdiff ? change : maxdiff;")
                        writer.line("nonfinite += !(change <= \(limit));")
                    } else {
                        writer.line("const double change = (double)next - (double)\(grid)[\(point)];")
                        writer.line("\(next)[\(point)] = next;")
                        writer.line("sum_sq += change * change;")
                        writer.line("nonfinite += !(change * change <= DBL_MAX);")
                    }
                }
            }
        }
        guard blockedSweeps else { return }
        writer.blank()
        sweepsFunction()
    }

    /// The parameters of `sweeps`, and the arguments `main` passes it.
    var sweepsParameters: [String] {
        ["long first", "long count", "long rows", "long cols", "\(scalar) *const buffer[2]"]
            + (bandSweeps ? ["\(scalar) *const scratch[2]"] : []) + extraParameters + ["const st_temporal *plan"]
    }
    public func sweepsCall(first: String, count: String) -> String {
        "sweeps(" + ([first, count, "rows", "cols", "buffer"] + (bandSweeps ? ["scratch"] : []) + extraArgumentsFromMain + ["&temporal"])
            .joined(separator: ", ") + ");"
    }

    /// `sweeps(first, count, ...)`: count plain sweeps from iteration `first`.
    func sweepsFunction() {
        let arguments = { (rowBegin: String, rowEnd: String, from: String, to: String) in
            ([rowBegin, rowEnd, "HALO", "cols - HALO", "cols", from, to] + extraArguments).joined(separator: ", ")
        }
        let whole = { (rowBegin: String, rowEnd: String) in
            arguments(rowBegin, rowEnd, "buffer[iteration % 2]", "buffer[(iteration + 1) % 2]")
        }
        if bandSweeps {
            bandSweepsFunction(arguments)
            writer.blank()
        }
        writer.comment("Sweeps first .. first+count-1 (buffer[iteration % 2] holds that iterate). Without a plan, whole sweeps one after the other;")
        writer.comment("with one, row tiles advance up to plan->depth sweeps each, shifted up by HALO rows per sweep, so a tile")
        writer.comment("reads only rows that hold the previous sweep's values and stays in cache while it advances.")
        writer.block("static void sweeps(\(sweepsParameters.joined(separator: ", ")))") {
            if bandSweeps {
                writer.block("if (plan->bands)") {
                    writer.line("sweeps_in_bands(" + (["first", "count", "rows", "cols", "buffer", "scratch"] + extraArguments + ["plan"]).joined(separator: ", ") + ");")
                    writer.line("return;")
                }
            }
            writer.block("if (plan->depth < 2 || count < 2)") {
                writer.block("for (long iteration = first; iteration < first + count; ++iteration)") {
                    writer.line("sweep(\(whole("HALO", "rows - HALO")));")
                }
                writer.line("return;")
            }
            writer.block("for (long block = first; block < first + count; block += plan->depth)") {
                writer.line("const long depth = plan->depth < first + count - block ? plan->depth : first + count - block;")
                writer.line("const long tiles = st_temporal_tiles(plan, rows, HALO, depth);")
                writer.block("for (long tile = 0; tile < tiles; ++tile)") {
                    writer.block("for (long step = 0; step < depth; ++step)") {
                        writer.line("const long iteration = block + step;")
                        writer.line("long row_begin, row_end;")
                        writer.line("st_temporal_rows(plan, rows, HALO, tiles, tile, step, &row_begin, &row_end);")
                        writer.line("if (row_begin < row_end) sweep(\(whole("row_begin", "row_end")));")
                    }
                }
            }
        }
    }

    /// `sweeps_in_bands`: the plain sweeps with one barrier per block of plan->depth sweeps. A
    /// block's first sweep reads the shared buffer, its last writes the thread's own rows of the
    /// other one (the depth is odd), and the sweeps between go to the thread's two scratch
    /// grids; every row a later sweep of the block reads is recomputed from exactly the previous
    /// sweep's values, so results stay bitwise. Within the band, row tiles advance the whole
    /// block in a skewed wavefront: sweep `step` of a tile covers the tile's rows shifted up by
    /// step * HALO, so it reads only rows the tile's previous sweep (or an earlier tile) wrote,
    /// and a scratch grid's rows are overwritten two sweeps later only once no sweep of this or
    /// a later tile reads them.
    func bandSweepsFunction(_ arguments: (String, String, String, String) -> String) {
        let parameters = ["long first", "long count", "long rows", "long cols", "\(scalar) *const buffer[2]", "\(scalar) *const scratch[2]"]
            + extraParameters + ["const st_temporal *plan"]
        writer.comment("Sweeps first .. first+count-1 in bands: each thread advances its own rows up to plan->depth sweeps between")
        writer.comment("two barriers instead of one sweep. A sweep of a block also recomputes the rows beyond the band that the")
        writer.comment("block's later sweeps read ((sweeps left) * HALO on each side), into the thread's private scratch grids, so")
        writer.comment("no thread waits for another within a block; only the block's last sweep writes the shared buffer, and")
        writer.comment("only the band. Row tiles of plan->tile_rows rows advance the whole block one after the other, each")
        writer.comment("sweep shifted up by HALO rows (a skewed wavefront), so a tile's rows stay in the thread's own cache.")
        writer.block("static void sweeps_in_bands(\(parameters.joined(separator: ", ")))") {
            writer.line("long band_begin, band_end;")
            writer.line("st_band_rows(rows, HALO, omp_get_num_threads(), omp_get_thread_num(), &band_begin, &band_end);")
            writer.block("for (long block = first; block < first + count; )") {
                writer.line("long depth = plan->depth < first + count - block ? plan->depth : first + count - block;")
                writer.line("depth -= depth % 2 == 0; /* odd: the last sweep writes the buffer the first did not read */")
                writer.line("const long top = band_begin - (depth - 1) * HALO > HALO ? band_begin - (depth - 1) * HALO : HALO;")
                writer.block("for (long tile = top; tile < band_end + (depth - 1) * HALO; tile += plan->tile_rows)") {
                    writer.block("for (long step = 0; step < depth; ++step)") {
                        writer.line("const long reach = (depth - 1 - step) * HALO; /* rows beyond the band that later sweeps read */")
                        writer.line("long row_begin = band_begin - reach > HALO ? band_begin - reach : HALO;")
                        writer.line("long row_end = band_end + reach < rows - HALO ? band_end + reach : rows - HALO;")
                        writer.line("if (tile > top && tile - step * HALO > row_begin) row_begin = tile - step * HALO;")
                        writer.line("if (tile + plan->tile_rows - step * HALO < row_end) row_end = tile + plan->tile_rows - step * HALO;")
                        writer.line("if (row_begin >= row_end) continue;")
                        writer.line("const \(scalar) *from = step == 0 ? buffer[block % 2] : scratch[(step - 1) % 2];")
                        writer.line("\(scalar) *to = step == depth - 1 ? buffer[(block + depth) % 2] : scratch[step % 2];")
                        writer.line("sweep_rows(\(arguments("row_begin", "row_end", "from", "to")));")
                    }
                }
                writer.line("block += depth;")
                writer.line("#pragma omp barrier /* the block's rows are all written before any thread reads its neighbours' */")
            }
        }
    }
}
