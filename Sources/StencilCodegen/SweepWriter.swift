// SweepWriter.swift: the sweep functions of the C targets (serial, openmp, and the per-rank
// sweeps of mpi/hybrid). A sweep updates the points of one rectangle [row_begin, row_end) x
// [col_begin, col_end) of a row-major grid with `cols` columns; the launcher calls it on the
// whole interior, an MPI rank on its block's parts. The norm variant fuses the convergence
// norm into the same pass, so check iterations read the grid once.

import StencilIR

public struct SweepWriter {
    public let program: Program
    public let names: CNames
    public let writer: CodeWriter
    /// Clauses of `#pragma omp parallel for` given (reduction, variable); nil: no OpenMP.
    public let pragma: ((Sharing?, String) -> String)?

    public init(program: Program, names: CNames, writer: CodeWriter, pragma: ((Sharing?, String) -> String)?) {
        self.program = program
        self.names = names
        self.writer = writer
        self.pragma = pragma
    }

    var scalar: String { program.elementType == .float32 ? "float" : "double" }

    /// Dialect inside a sweep: reads index the flat grid, params are element-typed arguments.
    public var dialect: CDialect {
        let names = self.names
        let row = names[program.update.rowIndex]
        let col = names[program.update.colIndex]
        return CDialect(elementType: program.elementType,
                        read: { grid, dRow, dCol in
                            "\(names[grid])[\(CExprPrinter.flatIndex(row: row, dRow, col: col, dCol, stride: "cols"))]"
                        },
                        param: { names[$0] })
    }

    /// Params the update uses, passed to sweeps by value in the element type.
    var sweepParams: [String] { program.update.value.params }

    /// `sweep(...)`'s parameter list.
    var parameterList: String {
        let list = ["long row_begin", "long row_end", "long col_begin", "long col_end", "long cols",
                    "const \(scalar) *restrict \(names[program.update.grid])",
                    "\(scalar) *restrict \(names.next(program.update.grid))"]
        return (list + extraParameters).joined(separator: ", ")
    }

    /// A sweep's parameters after the two buffers: read-only grids, then the params it uses.
    public var extraParameters: [String] {
        program.readOnlyGrids.map { "const \(scalar) *restrict \(names[$0.name])" } + sweepParams.map { "const \(scalar) \(names[$0])" }
    }
    /// The same, as arguments passed on by a function that has them as parameters.
    public var extraArguments: [String] {
        program.readOnlyGrids.map { names[$0.name] } + sweepParams.map { names[$0] }
    }

    /// An update that does not read its own grid leaves that parameter unused (-Werror).
    func markUnusedGrid() {
        if !program.update.value.reads.contains(where: { $0.grid == program.update.grid }) {
            writer.line("(void)\(names[program.update.grid]);")
        }
    }

    /// Arguments of a call from `main`, for a rectangle.
    public func callArguments(rowBegin: String, rowEnd: String, colBegin: String, colEnd: String) -> String {
        var list = [rowBegin, rowEnd, colBegin, colEnd, "cols", names[program.update.grid], names.next(program.update.grid)]
        list += program.readOnlyGrids.map { names[$0.name] }
        let integers = Set(program.params.filter(\.isInteger).map(\.name))
        list += sweepParams.map {
            integers.contains($0) || program.elementType == .float32 ? "(\(scalar))\(names[$0])" : names[$0]
        }
        return list.joined(separator: ", ")
    }

    /// `sweep` and, for `until` programs, `sweep_maxdiff` / `sweep_l2diff`.
    public func sweepFunctions() {
        rowFunction()
        let comment = "\(program.sourceName):\(program.update.line)  \(IRPrinter.update(program.update))"
        writer.comment(comment)
        writer.block("static void sweep(\(parameterList))") {
            if let pragma {
                writer.line("#pragma omp parallel for \(pragma(nil, ""))" + (program.schedule.tileRows != nil ? " collapse(2)" : ""))
            }
            updateLoops()
        }
        guard case .until(let norm, _, _, _, _) = program.stopping else { return }
        writer.blank()
        let grid = names[program.update.grid]
        let next = names.next(program.update.grid)
        let value = CExprPrinter.print(program.update.value, dialect)
        switch norm {
        case .maxdiff:
            writer.comment("The same sweep, also returning maxdiff(\(program.update.grid)): run on check iterations only.")
            writer.block("static \(scalar) sweep_maxdiff(\(parameterList))") {
                writer.line("\(scalar) maxdiff = 0;")
                loopNest(reduction: (.reductionMax, "maxdiff")) { point in
                    writer.line("const \(scalar) next = \(value);")
                    writer.line("const \(scalar) change = \(dialect.function(.abs))(next - \(grid)[\(point)]);")
                    writer.line("\(next)[\(point)] = next;")
                    writer.line("maxdiff = change > maxdiff ? change : maxdiff;")
                }
                writer.line("return maxdiff;")
            }
        case .l2diff:
            writer.comment("The same sweep, also returning l2diff(\(program.update.grid)) (summed in double): run on check iterations only.")
            writer.block("static double sweep_l2diff(\(parameterList))") {
                writer.line("double sum_sq = 0;")
                loopNest(reduction: (.reductionSum, "sum_sq")) { point in
                    writer.line("const \(scalar) next = \(value);")
                    writer.line("const double change = (double)next - (double)\(grid)[\(point)];")
                    writer.line("\(next)[\(point)] = next;")
                    writer.line("sum_sq += change * change;")
                }
                writer.line("return sqrt(sum_sq);")
            }
        }
    }

    /// The loop nest over the rectangle, tiled when the schedule says so; `body` gets the flat
    /// index expression of the current point.
    func loopNest(reduction: (Sharing, String)?, body: (String) -> Void) {
        if let pragma {
            writer.line("#pragma omp parallel for \(pragma(reduction?.0, reduction?.1 ?? ""))"
                + (program.schedule.tileRows != nil ? " collapse(2)" : ""))
        }
        loops(body)
    }

    /// Whether plain sweeps call `sweep_row` (VectorRowWriter) for each row instead of a scalar
    /// column loop.
    public var vectorRows: Bool { VectorRowWriter.applies(to: program) }

    /// The plain update's loops: one `sweep_row` call per row (per tile row) where the update is
    /// vectorized, else the scalar loops. The caller writes any pragma.
    func updateLoops() {
        guard vectorRows else {
            let value = CExprPrinter.print(program.update.value, dialect)
            loops { point in writer.line("\(names.next(program.update.grid))[\(point)] = \(value);") }
            return
        }
        let rowWriter = VectorRowWriter(program: program, names: names, writer: writer)
        rowLoops { i, colBegin, colEnd in writer.line(rowWriter.call(row: i, colBegin: colBegin, colEnd: colEnd)) }
    }

    /// `sweep_row`, where plain sweeps call it.
    public func rowFunction() {
        guard vectorRows else { return }
        VectorRowWriter(program: program, names: names, writer: writer).function()
        writer.blank()
    }

    /// The loops alone (the caller writes any pragma).
    func loops(_ body: (String) -> Void) {
        let j = names[program.update.colIndex]
        rowLoops { i, colBegin, colEnd in
            writer.block("for (long \(j) = \(colBegin); \(j) < \(colEnd); ++\(j))") { body("\(i) * cols + \(j)") }
        }
    }

    /// The row loops over the rectangle, tiled when the schedule says so; `rowBody` gets the row
    /// index and the row's column range (the whole rectangle's, or one tile's).
    func rowLoops(_ rowBody: (_ row: String, _ colBegin: String, _ colEnd: String) -> Void) {
        let i = names[program.update.rowIndex]
        if let tileRows = program.schedule.tileRows, let tileCols = program.schedule.tileCols {
            writer.block("for (long ii = row_begin; ii < row_end; ii += \(tileRows))") {
                writer.block("for (long jj = col_begin; jj < col_end; jj += \(tileCols))") {
                    writer.line("const long tile_row_end = ii + \(tileRows) < row_end ? ii + \(tileRows) : row_end;")
                    writer.line("const long tile_col_end = jj + \(tileCols) < col_end ? jj + \(tileCols) : col_end;")
                    writer.block("for (long \(i) = ii; \(i) < tile_row_end; ++\(i))") { rowBody(i, "jj", "tile_col_end") }
                }
            }
        } else {
            writer.block("for (long \(i) = row_begin; \(i) < row_end; ++\(i))") { rowBody(i, "col_begin", "col_end") }
        }
    }
}
