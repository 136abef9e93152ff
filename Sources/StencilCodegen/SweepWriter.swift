// SweepWriter.swift: what the sweep functions of the C targets (serial, openmp, and the per-rank
// sweeps of mpi/hybrid; TeamSweepWriter writes them) share: the scalar dialect, the parameters,
// and the loops of a plain sweep. A sweep updates the points of one rectangle [row_begin, row_end)
// x [col_begin, col_end) of a row-major grid with `cols` columns; the launcher calls it on the
// whole interior, an MPI rank on its block's parts.

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

    /// Whether plain sweeps call `sweep_row` (VectorRowWriter) for each row instead of a scalar
    /// column loop.
    public var vectorRows: Bool { VectorRowWriter.applies(to: program) }

    /// The plain update's loops where the update is vectorized: one `sweep_row_range` call per
    /// tile, or for the whole rectangle; when the caller's pragma shares the rows out (`workshared`,
    /// untiled), the row loop calling `sweep_row` per row. Else the scalar loops. The caller writes
    /// any pragma.
    func updateLoops(workshared: Bool) {
        guard vectorRows else {
            let value = CExprPrinter.print(program.update.value, dialect)
            loops { point in writer.line("\(names.next(program.update.grid))[\(point)] = \(value);") }
            return
        }
        let rowWriter = VectorRowWriter(program: program, names: names, writer: writer)
        if let tileRows = program.schedule.tileRows, let tileCols = program.schedule.tileCols {
            tileLoops(tileRows, tileCols) {
                writer.line(rowWriter.call(rowBegin: "ii", rowEnd: "tile_row_end", colBegin: "jj", colEnd: "tile_col_end"))
            }
        } else if workshared {
            let i = names[program.update.rowIndex]
            writer.block("for (long \(i) = row_begin; \(i) < row_end; ++\(i))") {
                writer.line(rowWriter.call(row: i, colBegin: "col_begin", colEnd: "col_end"))
            }
        } else {
            writer.line(rowWriter.call(rowBegin: "row_begin", rowEnd: "row_end", colBegin: "col_begin", colEnd: "col_end"))
        }
    }

    /// The vector row functions the plain sweeps call: `sweep_row` where a worksharing loop
    /// (`workshared`, untiled) calls it per row, `sweep_row_range` where anything calls a range
    /// (`ranges`: tiles, a sweep without worksharing, band sweeps).
    public func rowFunctions(workshared: Bool, ranges: Bool) {
        guard vectorRows else { return }
        let rowWriter = VectorRowWriter(program: program, names: names, writer: writer)
        let tiled = program.schedule.tileRows != nil
        if workshared && !tiled {
            rowWriter.function(range: false)
            writer.blank()
        }
        if ranges || tiled || !workshared {
            rowWriter.function(range: true, besideRowFunction: workshared && !tiled)
            writer.blank()
        }
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
            tileLoops(tileRows, tileCols) {
                writer.block("for (long \(i) = ii; \(i) < tile_row_end; ++\(i))") { rowBody(i, "jj", "tile_col_end") }
            }
        } else {
            writer.block("for (long \(i) = row_begin; \(i) < row_end; ++\(i))") { rowBody(i, "col_begin", "col_end") }
        }
    }

    /// The two tile loops over the rectangle; `tileBody` sees the tile [ii, tile_row_end) x
    /// [jj, tile_col_end).
    func tileLoops(_ tileRows: Int, _ tileCols: Int, _ tileBody: () -> Void) {
        writer.block("for (long ii = row_begin; ii < row_end; ii += \(tileRows))") {
            writer.block("for (long jj = col_begin; jj < col_end; jj += \(tileCols))") {
                writer.line("const long tile_row_end = ii + \(tileRows) < row_end ? ii + \(tileRows) : row_end;")
                writer.line("const long tile_col_end = jj + \(tileCols) < col_end ? jj + \(tileCols) : col_end;")
                tileBody()
            }
        }
    }
}
