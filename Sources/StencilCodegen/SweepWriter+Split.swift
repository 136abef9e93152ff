// SweepWriter+Split.swift: red-black order in the colour-split layout (the loop plan's
// colour-plan split, 2-D serial and openmp). Between the fills and the output the updated grid
// lives in two arrays, `red` and `black`: point (i, j), of colour (i + j + parity) & 1, is at
// [i * half + j / 2] of its colour's array (half = (cols + 1) / 2). In row i the points of
// colour c are at columns j = 2 * k + off with off = (i + parity + c) & 1, so a half-sweep is a
// unit-stride loop over k, and every neighbour, of the other colour, is the other array's
// element at row i + di and index k + floor((off + dj) / 2): whole vector loads and stores, no
// shuffles. A point reads the same values, in the same order of operations, as in the grid.

import StencilIR

extension SweepWriter {
    /// Inside a split half-sweep: reads of the updated grid from `own` (the point itself) and
    /// `other` (its neighbours, the other colour), read-only grids from their own flat arrays at
    /// column 2 * k + off, index names as global indices.
    var splitDialect: CDialect {
        let names = self.names, row = self.row, updated = program.update.grid
        var dialect = CDialect(elementType: program.elementType, read: { grid, offsets in
            let rowTerm = offsets[0] == 0 ? row : "(\(row) \(offsets[0] > 0 ? "+" : "-") \(abs(offsets[0])))"
            guard grid == updated else {
                let dj = offsets[1]
                return "\(names[grid])[\(rowTerm) * cols + 2 * k + off\(dj == 0 ? "" : dj > 0 ? " + \(dj)" : " - \(-dj)")]"
            }
            if offsets.allSatisfy({ $0 == 0 }) { return "own[\(row) * half + k]" }
            // floor((off + dj) / 2) with off 0 or 1: dj / 2 for even dj, off + (dj - 1) / 2 for odd.
            let dj = offsets[1]
            let shift = dj % 2 == 0 ? dj / 2 : (dj - 1) / 2
            let column = (dj % 2 == 0 ? "k" : "k + off") + (shift == 0 ? "" : shift > 0 ? " + \(shift)" : " - \(-shift)")
            return "other[\(rowTerm) * half + \(column)]"
        }, param: { names[$0] })
        dialect.index = { $0 == 0 ? row : "(2 * k + off)" }
        return dialect
    }

    var splitValue: String {
        CExprPrinter.print(hoisted.value, splitDialect)
    }

    func splitFunctions() {
        let colourOf = "((i + j + parity) & 1)"
        writer.comment("The colour-split layout (loop plan: colour-plan split): point (i, j) is at [i * half + j / 2] of its colour's array.")
        writer.block("static void split_colours(const \(scalar) *grid, \(scalar) *red, \(scalar) *black, long rows, long cols, long half, long parity)") {
            writer.line("for (long i = 0; i < rows; ++i)")
            writer.line("    for (long j = 0; j < cols; ++j) (\(colourOf) ? black : red)[i * half + j / 2] = grid[i * cols + j];")
        }
        writer.blank()
        writer.comment("Back into the grid, after the iterations.")
        writer.block("static void join_colours(\(scalar) *grid, const \(scalar) *red, const \(scalar) *black, long rows, long cols, long half, long parity)") {
            writer.line("for (long i = 0; i < rows; ++i)")
            writer.line("    for (long j = 0; j < cols; ++j) grid[i * cols + j] = (\(colourOf) ? black : red)[i * half + j / 2];")
        }
        writer.blank()
        let value = splitValue
        let simd: String? = loops.vectorization == .simd ? "" : nil
        for (colour, name) in Self.colours.enumerated() {
            writer.comment("The \(name) half-sweep: \(name) points, from the \(Self.colours[1 - colour]) ones, unit stride in the split layout.")
            writer.block("static void sweep_\(name)\(Self.signature)") {
                unpackSplit(colour: colour)
                hoistedLocals()
                splitLoop(colour: colour, worksharing: loops.worksharing, simd: simd) { point in writer.line("own[\(point)] = \(value);") }
            }
            writer.blank()
        }
        writer.comment("One red-black iteration: the red half-sweep, then the black one.")
        writer.block("static void sweep\(Self.signature)") {
            for name in Self.colours { writer.line("sweep_\(name)(args, row_begin, row_end, col_begin, col_end, in, out);") }
        }
        guard let check = loops.check else { return }
        let reductions = Self.reductions(check)
        for (colour, name) in Self.colours.enumerated() {
            writer.blank()
            writer.comment("The \(name) half-sweep, also accumulating \(check.variable == "maxdiff" ? "maxdiff" : "the sum of squared changes (in double)") and counting NaN/Inf: check iterations only.")
            writer.block("static void \(check.function)_\(name)\(Self.signature)") {
                unpackSplit(colour: colour)
                hoistedLocals()
                splitLoop(colour: colour, worksharing: loops.worksharing.map { "\($0) \(reductions)" },
                          simd: loops.vectorization == .simd && !check.inDouble ? reductions : nil) { point in
                    checkPoint(check, value: value, point: point, into: "own", old: "own")
                }
            }
        }
        writer.blank()
        writer.comment("One red-black check iteration: the norm is the change over both half-sweeps (each point changes once).")
        writer.block("static void \(check.function)\(Self.signature)") {
            for name in Self.colours { writer.line("\(check.function)_\(name)(args, row_begin, row_end, col_begin, col_end, in, out);") }
        }
    }

    /// The locals of a split half-sweep: its colour's array (`own`), the other's, read-only grids, params.
    func unpackSplit(colour: Int) {
        writer.line("const sweep_args *extra = args;")
        if !program.readOnlyGrids.isEmpty { writer.line("const long cols = extra->cols;") }
        writer.line("const long half = extra->half, parity = extra->parity;")
        writer.line("(void)in; (void)out; /* the split arrays stand for the grid */")
        writer.line("\(scalar) *restrict own = extra->\(Self.colours[colour]);")
        // An update that reads no neighbour of its own grid reads nothing of the other colour.
        let readsNeighbours = program.update.value.reads.contains { $0.grid == program.update.grid && $0.offsets.contains { $0 != 0 } }
        if readsNeighbours { writer.line("const \(scalar) *restrict other = extra->\(Self.colours[1 - colour]);") }
        for other in program.readOnlyGrids { writer.line("const \(scalar) *restrict \(names[other.name]) = extra->\(names[other.name]);") }
        for param in program.update.value.params { writer.line("const \(scalar) \(names[param]) = extra->\(names[param]);") }
    }

    /// The rows, and in each the colour's points of columns [col_begin, col_end) as k from
    /// k_begin to k_end (column 2 * k + off).
    func splitLoop(colour: Int, worksharing: String?, simd: String?, _ body: (String) -> Void) {
        if let worksharing { writer.line("#pragma omp for \(worksharing)") }
        writer.block("for (long \(row) = row_begin; \(row) < row_end; ++\(row))") {
            writer.line("const long off = (\(row) + parity\(colour == 0 ? "" : " + 1")) & 1; /* this row's points of the colour: columns 2 * k + off */")
            writer.line("const long k_begin = (col_begin + ((col_begin + off) & 1)) / 2, k_end = (col_end - off + 1) / 2;")
            if let simd { writer.line("#pragma omp simd" + (simd.isEmpty ? "" : " \(simd)")) }
            writer.block("for (long k = k_begin; k < k_end; ++k)") { body("\(row) * half + k") }
        }
    }
}
