// VectorRowWriter.swift: `sweep_row`, the plain update of one row's columns as 64-byte vectors,
// which the sweeps of the C targets call once per row (per tile row when tiled).
//
// Why not leave it to the compiler: its vectorized loop loads every neighbour of a strip
// separately, so a 5-point update costs four loads per strip, two of them unaligned by one
// element (with 64-byte vectors, each one splits across two cache lines), and a scalar remainder
// per row. Here each row of each grid the update reads is loaded once per strip, at aligned
// columns, and the left/right neighbours are lanes of that vector and the one beside it
// (ST_WINDOW), shifted in registers. Where rows are whole vectors and stores can be masked
// (AVX-512), the strips at a row's two ends are aligned too and store only their lanes in the
// column range (ST_STORE_LANES); elsewhere they load their neighbours directly, the last of them
// ending at the row's end, overlapping the one before (it writes the same values again); those
// cost 3 to 4 times an aligned strip, a quarter of a row at N=256. Lane by lane the operations are
// the scalar update's, in its order, so the results are the same bits (-ffp-contract=off keeps
// the compiler from fusing a multiply and an add in one form and not the other). Products are
// ST_MUL: a fused multiply-add of -0, which is the multiply's exact result but does not slow down
// tenfold when it underflows to a subnormal number, as x86's multiply does (stencil_runtime.h);
// a division by a power of two is the product with its reciprocal, as the compiler would make it.
//
// Only updates of + - * / on reads, params and literals qualify (no vector math library is
// assumed); anything else keeps the scalar loop.

import StencilIR

public struct VectorRowWriter {
    public let program: Program
    public let names: CNames
    public let writer: CodeWriter

    public init(program: Program, names: CNames, writer: CodeWriter) {
        self.program = program
        self.names = names
        self.writer = writer
    }

    var float32: Bool { program.elementType == .float32 }
    var scalar: String { float32 ? "float" : "double" }
    var vector: String { float32 ? "st_f32x16" : "st_f64x8" }
    var lanesName: String { float32 ? "ST_LANES_F32" : "ST_LANES_F64" }
    var lanes: Int { float32 ? 16 : 8 }
    var window: String { float32 ? "ST_WINDOW_F32" : "ST_WINDOW_F64" }
    var storeLanes: String { float32 ? "ST_STORE_LANES_F32" : "ST_STORE_LANES_F64" }

    /// Whether the update can be written as vectors: arithmetic only, at least one read (so the
    /// value is a vector), and no column offset wider than a strip.
    public static func applies(to program: Program) -> Bool {
        func arithmetic(_ e: IRExpr) -> Bool {
            switch e {
            case .constant, .param, .read: return true
            case .negate(let operand): return arithmetic(operand)
            case .binary(_, let left, let right): return arithmetic(left) && arithmetic(right)
            case .call: return false
            }
        }
        let lanes = program.elementType == .float32 ? 16 : 8
        let reads = program.update.value.reads
        return arithmetic(program.update.value) && !reads.isEmpty && reads.allSatisfy { abs($0.dCol) <= lanes }
    }

    /// Whether the vector code spells one of the update's products with ST_MUL (a product with a
    /// grid value, or a grid value divided by a power of two): asked of the printer itself.
    public static func fusesProducts(_ program: Program) -> Bool {
        let probe = CDialect(elementType: program.elementType, read: { _, _, _ in "v" }, param: { $0 },
                             product: { _, _ in "ST_MUL" })
        return CExprPrinter.print(program.update.value, probe).contains("ST_MUL")
    }

    /// One (grid, row offset) the update reads, with the column offsets it reads there.
    struct Row {
        let grid: String
        let dRow: Int
        var dCols: Set<Int>
        var left: Bool { dCols.contains { $0 < 0 } }
        var right: Bool { dCols.contains { $0 > 0 } }
    }

    var rows: [Row] {
        var result: [Row] = []
        for read in program.update.value.reads {
            if let k = result.firstIndex(where: { $0.grid == read.grid && $0.dRow == read.dRow }) {
                result[k].dCols.insert(read.dCol)
            } else {
                result.append(Row(grid: read.grid, dRow: read.dRow, dCols: [read.dCol]))
            }
        }
        return result
    }

    var base: SweepWriter { SweepWriter(program: program, names: names, writer: writer) }

    /// `sweep_row(i, col_begin, col_end, cols, grid, next, extras...)` as a worksharing loop calls it.
    public func call(row: String, colBegin: String, colEnd: String) -> String {
        "sweep_row(" + ([row, colBegin, colEnd, "cols", names[program.update.grid], names.next(program.update.grid)]
            + base.extraArguments).joined(separator: ", ") + ");"
    }

    /// `sweep_row_range(row_begin, row_end, col_begin, col_end, cols, grid, next, extras...)` as a
    /// sweep calls it.
    public func call(rowBegin: String, rowEnd: String, colBegin: String, colEnd: String) -> String {
        "sweep_row_range(" + ([rowBegin, rowEnd, colBegin, colEnd, "cols", names[program.update.grid], names.next(program.update.grid)]
            + base.extraArguments).joined(separator: ", ") + ");"
    }

    /// Vector code's dialect: reads are vectors, and so is every product with one (ST_MUL).
    func dialect(_ read: @escaping @Sendable (String, Int, Int) -> String) -> CDialect {
        let names = self.names
        let multiply = float32 ? "ST_MUL_F32" : "ST_MUL_F64"
        return CDialect(elementType: program.elementType, read: read, param: { names[$0] },
                        product: { "\(multiply)(\($0), \($1))" })
    }

    /// The vector local holding row `k` of the reads (`vec0`, `vec1_prev`, `vec1_next`).
    static func local(_ k: Int, _ suffix: String = "") -> String { "vec\(k)\(suffix)" }

    /// `sweep_row` (one row `i`: `range` false) or `sweep_row_range` (rows [row_begin, row_end)):
    /// the same code, the second with the row loop inside (`besideRowFunction`: after sweep_row,
    /// so its comment is short).
    public func function(range: Bool, besideRowFunction: Bool = false) {
        let i = names[program.update.rowIndex]
        let grid = names[program.update.grid]
        let next = names.next(program.update.grid)
        let rowParameters = range ? ["long row_begin", "long row_end"] : ["long \(i)"]
        let parameters = (rowParameters + ["long col_begin", "long col_end", "long cols", "const \(scalar) *restrict \(grid)",
                           "\(scalar) *restrict \(next)"] + base.extraParameters).joined(separator: ", ")
        let j = names[program.update.colIndex]
        let scalarDialect = base.dialect
        let names = self.names
        let vector = self.vector
        let direct = dialect { g, dRow, dCol in
            "ST_LOAD(\(vector), &\(names[g])[\(CExprPrinter.flatIndex(row: i, dRow, col: j, dCol, stride: "cols"))])"
        }
        let rows = self.rows
        let window = self.window
        let lanes = self.lanes
        let shifted = dialect { g, dRow, dCol in
            let k = rows.firstIndex { $0.grid == g && $0.dRow == dRow }!
            if dCol == 0 { return VectorRowWriter.local(k) }
            return dCol < 0
                ? "\(window)(\(VectorRowWriter.local(k, "_prev")), \(VectorRowWriter.local(k)), \(lanes + dCol))"
                : "\(window)(\(VectorRowWriter.local(k)), \(VectorRowWriter.local(k, "_next")), \(dCol))"
        }
        let value = program.update.value

        // The row loop of the range function; the one-row function has `i` as its parameter.
        let eachRow = { (body: () -> Void) in
            if range { self.writer.block("for (long \(i) = row_begin; \(i) < row_end; ++\(i))", body) } else { body() }
        }
        let multiply = float32 ? "ST_MUL_F32" : "ST_MUL_F64"
        if range && besideRowFunction {
            writer.comment("sweep_row over rows [row_begin, row_end), the row loop inside: where a sweep's rows are not shared out")
            writer.comment("row by row (band sweeps), one call for them all saves a call per row (8% at N=256); sweep_row stays the")
            writer.comment("worksharing loop's per-row call, which the row loop would make 15% dearer.")
        } else {
            writer.comment("\(program.sourceName):\(program.update.line)'s update on \(range ? "rows [row_begin, row_end)" : "row \(i)"), columns [col_begin, col_end), in strips of \(lanes) lanes (\(vector)):")
            writer.comment("the same operations in the same order as the scalar loop, so the same bits. Aligned strips load each row")
            writer.comment("they read once and take the left/right neighbours from that vector and the one beside it (\(window)).")
            writer.comment("The end strips are aligned too and store under a mask where rows are whole strips; elsewhere they load")
            writer.comment("every neighbour directly, the last one ending at the row's edge (overlapping the one before).")
            if VectorRowWriter.fusesProducts(program) {
                writer.comment("Products are \(multiply)(a, b): a * b + -0 as one fused multiply-add, the product's exact bits, which")
                writer.comment("unlike the multiply keeps full speed when it underflows to a subnormal number (a division by a power of")
                writer.comment("two is the product with its reciprocal: the same bits).")
            }
            writer.comment("Not inlined: inlined into an OpenMP parallel region, the compiler ran short of registers for this loop")
            writer.comment("and reloaded its shuffle constants every strip (about 1.2x slower on one thread, 1.35x on two).")
            if range { writer.comment("The row loop is inside: one call for a sweep's rows saves a call per row (8% at N=256).") }
        }
        writer.block("static __attribute__((__noinline__)) void \(range ? "sweep_row_range" : "sweep_row")(\(parameters))") {
            base.markUnusedGrid()
            writer.block("if (col_end - col_begin < \(lanesName))") {
                eachRow {
                    self.writer.block("for (long \(j) = col_begin; \(j) < col_end; ++\(j))") {
                        self.writer.line("\(next)[\(i) * cols + \(j)] = \(CExprPrinter.print(value, scalarDialect));")
                    }
                }
                writer.line("return;")
            }
            // A vector of one row the update reads, at column `column` of that row.
            let load = { (row: Row, column: String) in
                "ST_LOAD(\(vector), &\(names[row.grid])[\(CExprPrinter.flatIndex(row: i, row.dRow, col: column, 0, stride: "cols"))])"
            }
            // Vectors that roll from one strip to the next, declared before the strips (column `at`, and the
            // strip before it at column `before`).
            let rollingVectors = { (at: String, before: String) in
                for (k, row) in rows.enumerated() where row.left || row.right {
                    writer.line("/* \(row.grid), row \(CExprPrinter.offsetIndex(i, row.dRow)) */")
                    if row.left { writer.line("\(vector) \(VectorRowWriter.local(k, "_prev")) = \(load(row, before));") }
                    if row.right { writer.line("\(vector) \(VectorRowWriter.local(k)) = \(load(row, at));") }
                }
            }
            // One aligned strip at column `column` (the variable j holds it): its loads, the next strip's
            // vectors from column `after`, the store, and (unless it is the last) the roll to the next strip.
            let alignedStrip = { (after: String, store: (String) -> String, roll: Bool) in
                for (k, row) in rows.enumerated() {
                    if row.right {
                        writer.line("const \(vector) \(VectorRowWriter.local(k, "_next")) = \(load(row, after));")
                    } else {
                        writer.line("const \(vector) \(VectorRowWriter.local(k)) = \(load(row, j)); /* \(row.grid), row \(CExprPrinter.offsetIndex(i, row.dRow)) */")
                    }
                }
                writer.line(store(CExprPrinter.print(value, shifted)) + ";")
                guard roll else { return }
                for (k, row) in rows.enumerated() {
                    if row.left { writer.line("\(VectorRowWriter.local(k, "_prev")) = \(VectorRowWriter.local(k));") }
                    if row.right { writer.line("\(VectorRowWriter.local(k)) = \(VectorRowWriter.local(k, "_next"));") }
                }
            }
            let plainStore = { (value: String) in "ST_STORE(&\(next)[\(i) * cols + \(j)], \(value))" }
            let maskedStore = { (value: String) in
                "\(self.storeLanes)(&\(next)[\(i) * cols + \(j)], \(value), col_begin - \(j), col_end - \(j))"
            }

            writer.comment("Where rows are whole strips (and the vector unit stores lanes under a mask) every strip is aligned,")
            writer.comment("and the first and last store only their lanes in [col_begin, col_end). Their neighbours outside the")
            writer.comment("row are read (from the row's own strips, never outside the grid) but no stored lane uses them.")
            writer.block("if (ST_MASKED_STORES && cols % \(lanesName) == 0)") {
                writer.line("const long first = col_begin - col_begin % \(lanesName), last = (col_end - 1) - (col_end - 1) % \(lanesName);")
                eachRow {
                    rollingVectors("first", "(first > 0 ? first - \(lanesName) : first)")
                    writer.block("") {
                        writer.line("const long \(j) = first;")
                        alignedStrip("(first + \(lanesName) < cols ? first + \(lanesName) : first)", maskedStore, true)
                    }
                    writer.block("for (long \(j) = first + \(lanesName); \(j) < last; \(j) += \(lanesName))") {
                        alignedStrip("\(j) + \(lanesName)", plainStore, true)
                    }
                    writer.block("if (last > first)") {
                        writer.line("const long \(j) = last;")
                        alignedStrip("(last + \(lanesName) < cols ? last + \(lanesName) : last)", maskedStore, false)
                    }
                }
                writer.line("return;")
            }
            writer.comment("Otherwise: aligned strips where the strips beside them stay in the row, and direct ones at the ends.")
            eachRow {
                writer.line("long start, stop;")
                writer.line("st_aligned_strips(\(i), cols, col_begin, col_end, \(lanesName), &start, &stop);")
                let directStrip = { (from: String) in
                    writer.block("for (long strip = \(from); strip < \(from == "col_begin" ? "start" : "col_end"); strip += \(self.lanesName))") {
                        writer.line("const long \(j) = strip + \(self.lanesName) <= col_end ? strip : col_end - \(self.lanesName);")
                        writer.line("ST_STORE(&\(next)[\(i) * cols + \(j)], \(CExprPrinter.print(value, direct)));")
                    }
                }
                directStrip("col_begin")
                writer.block("if (start < stop)") {
                    rollingVectors("start", "start - \(lanesName)")
                    writer.block("for (long \(j) = start; \(j) < stop; \(j) += \(lanesName))") {
                        alignedStrip("\(j) + \(lanesName)", plainStore, true)
                    }
                }
                directStrip("stop")
            }
        }
    }
}
