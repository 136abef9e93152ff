// Explain+Decomposition.swift: the mpi/hybrid part of `stencilc explain`: the decomposition
// plan (DecompositionPlan) for the schedule's rank count and the grid's size with --param
// overrides: the process grid, each rank's block, neighbours and halo bytes per exchange.

import StencilIR

extension Explain {
    /// Ranks listed one per line; a larger run shows the first ones and a summary.
    static let listedRanks = 16

    public static func decompositionText(_ program: Program, params: [String] = []) -> String {
        let schedule = program.schedule
        let h = program.halo
        let elementSize = program.elementType == .float32 ? 4 : 8
        var out = "MPI decomposition (\(schedule.ranks) rank\(schedule.ranks == 1 ? "" : "s"), decompose \(schedule.decompose.rawValue))\n"
        guard let (rows, cols) = MPILaunch.gridSize(program, params: params) else {
            return out + "  the grid's size is not known before run time: pass --param to see the plan\n"
        }
        let sizeParams = [program.updatedGrid.rows, program.updatedGrid.cols].compactMap { extent -> String? in
            if case .param(let name) = extent { return name } else { return nil }
        }
        let uniqueParams = sizeParams.reduce(into: [String]()) { if !$0.contains($1) { $0.append($1) } }
        let sizeNote = uniqueParams.isEmpty ? "" : " (\(uniqueParams.map { "\($0) = \(value(of: $0, program, params))" }.joined(separator: ", ")); --param changes it)"
        if program.dimensions == 3 {
            out += "  grid \(program.updatedGrid.name): \(program.updatedGrid.shapeText) \(program.elementType.rawValue)\(sizeNote), halo \(h): 3-D, split into\n"
            out += "  slabs of whole planes (decompose rows); below, each plane is one row of rows x cols = \(cols) points,\n"
            out += "  and a halo exchange sends HALO whole planes to each neighbouring slab\n"
        } else {
            out += "  grid \(program.updatedGrid.name): \(rows) x \(cols) \(program.elementType.rawValue)\(sizeNote), halo \(h)\n"
        }
        let plan: DecompositionPlan
        switch DecompositionPlan.make(decomposition: schedule.decompose, ranks: schedule.ranks, rows: rows, cols: cols,
                                      halo: h, elementSize: elementSize) {
        case .failure(let error):
            return out + "  error: \(error.message): the run stops before iterating\n"
        case .success(let made):
            plan = made
        }
        let how = schedule.decompose == .rows ? "block rows" : "MPI_Dims_create, non-periodic MPI_Cart_create"
        out += "  process grid \(plan.processRows)x\(plan.processCols) (\(how)); the first rows % \(plan.processRows) block rows"
            + (plan.processCols > 1 ? " and cols % \(plan.processCols) block columns" : "") + " get one more\n"
        out += "  each rank allocates only its block plus a halo \(h) deep on every side (two buffers"
            + (program.isSystem ? " of each of the \(program.updates.count) updated grids)\n" : ")\n")
        out += "\n"
        let header = ["rank", "at", "rows", "cols", "local array", "neighbours", "halo bytes"]
        var table: [[String]] = [header]
        for block in plan.blocks.prefix(listedRanks) {
            let neighbours = DecompositionPlan.Side.allCases.compactMap { side in
                block.neighbours[side.rawValue].map { "\(side.label)=\($0)" }
            }
            table.append([String(block.rank), "(\(block.processRow),\(block.processCol))",
                          "[\(block.rows.lowerBound), \(block.rows.upperBound))",
                          "[\(block.cols.lowerBound), \(block.cols.upperBound))",
                          "\(block.localRows) x \(block.localCols)",
                          neighbours.isEmpty ? "none" : neighbours.joined(separator: " "),
                          String(block.haloBytes)])
        }
        let widths = header.indices.map { column in table.map { $0[column].count }.max() ?? 0 }
        for row in table {
            let cells = row.enumerated().map { column, text in
                column == row.count - 1 ? text : text.padding(toLength: widths[column], withPad: " ", startingAt: 0)
            }
            out += "  " + cells.joined(separator: "  ") + "\n"
        }
        if plan.blocks.count > listedRanks {
            out += "  ... \(plan.blocks.count - listedRanks) more ranks\n"
        }
        // A system exchanges the halo of every updated grid each sweep (read-only grids never).
        let grids = program.updates.count
        let totalBytes = plan.blocks.map(\.haloBytes).reduce(0, +) * grids
        let messages = plan.blocks.map(\.messages).reduce(0, +) * grids
        out += "\n"
        out += "  per sweep: \(messages) messages, \(totalBytes) bytes in all (halo bytes: what a rank sends, and receives,\n"
        out += "  in one exchange\(grids > 1 ? " of one grid; a system exchanges each of its \(grids) updated grids" : ""); non-blocking, derived datatypes for columns and corners)\n"
        out += "  overlap: each rank starts the exchange, updates the deep interior (h away from every\n"
        out += "  neighbour), then waits and updates the frame; STENCILC_MPI_OVERLAP=0 turns overlap off\n"
        switch program.stopping {
        case .steps:
            break
        case .until(let norm, _, _, _, _):
            let combine = norm == .maxdiff ? "MPI_MAX of the ranks' maxdiff" : "MPI_SUM of the ranks' sums of squares, then the square root"
            out += "  convergence: MPI_Allreduce (\(combine)) on check sweeps only\n"
        }
        out += "  output: blocks gathered to rank 0 after the last sweep; rank 0 prints the summary\n"
        return out
    }

    private static func value(of name: String, _ program: Program, _ params: [String]) -> String {
        for assignment in params.reversed() {
            let parts = assignment.split(separator: "=", maxSplits: 1).map(String.init)
            if parts.count == 2, parts[0] == name { return parts[1] }
        }
        return program.params.first { $0.name == name }.map { IRPrinter.format($0.defaultValue) } ?? "?"
    }
}
