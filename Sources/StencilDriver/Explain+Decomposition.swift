// Explain+Decomposition.swift: the mpi/hybrid part of `stencilc explain`: the decomposition
// plan (DecompositionPlan for 2-D grids and 3-D slabs, BlocksPlan for 1-D grids and 3-D
// process grids) for the schedule's rank count and the grid's size with --param
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
        if program.distribution?.layout == .blocks { return out + blocksText(program, params: params) }
        let slabs = program.dimensions == 3
        let sizeParams = program.updatedGrid.extents.compactMap { extent -> String? in
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
                                      halo: h, elementSize: elementSize, copyingAxes: MPILaunch.copyingAxes(program),
                                      row: MPILaunch.rowWord(program)) {
        case .failure(let error):
            return out + "  error: \(error.message): the run stops before iterating\n"
        case .success(let made):
            plan = made
        }
        // Slabs split the planes alone: only front/back wrap between ranks; a 3-D grid's periodic
        // rows or columns wrap within each slab's own planes.
        let split = slabs ? program.periodicAxes.filter { $0 == 0 } : program.periodicAxes
        let periodic = split.sorted().map { BlocksPlan.axisWord($0, dimensions: program.dimensions) + "s" }
        let topology = periodic.isEmpty ? "non-periodic MPI_Cart_create"
            : "MPI_Cart_create periodic along the \(periodic.joined(separator: " and "))"
        let inPlane = program.periodicAxes.subtracting(split).sorted().map { BlocksPlan.axisWord($0, dimensions: program.dimensions) + "s" }
        let how = (schedule.decompose == .rows ? "block rows, " : "MPI_Dims_create, ") + topology
        if slabs {
            out += "  process grid \(plan.processRows)x1x1 (slabs, \(topology)); the first planes % \(plan.processRows) slabs get one more plane\n"
            if !inPlane.isEmpty {
                out += "  periodic \(inPlane.joined(separator: " and ")) wrap within each slab's own planes: no message\n"
            }
        } else {
            out += "  process grid \(plan.processRows)x\(plan.processCols) (\(how)); the first rows % \(plan.processRows) block rows"
                + (plan.processCols > 1 ? " and cols % \(plan.processCols) block columns" : "") + " get one more\n"
        }
        out += allocationText(program)
        out += "\n"
        // A slab's "rows" are planes and its "columns" every point of a plane (front/back: the
        // slabs before and after it).
        let header = ["rank", "at", slabs ? "planes" : "rows", slabs ? "plane points" : "cols", "local array", "neighbours", "halo bytes"]
        var table: [[String]] = [header]
        for block in plan.blocks.prefix(listedRanks) {
            let neighbours = DecompositionPlan.Side.allCases.compactMap { side in
                block.neighbours[side.rawValue].map { "\(slabs ? (side == .north ? "front" : "back") : side.label)=\($0)" }
            }
            table.append([String(block.rank), slabs ? "(\(block.processRow),0,0)" : "(\(block.processRow),\(block.processCol))",
                          "[\(block.rows.lowerBound), \(block.rows.upperBound))",
                          "[\(block.cols.lowerBound), \(block.cols.upperBound))",
                          "\(block.localRows) x \(block.localCols)",
                          neighbours.isEmpty ? "none" : neighbours.joined(separator: " "),
                          String(block.haloBytes)])
        }
        out += tableText(table)
        if plan.blocks.count > listedRanks {
            out += "  ... \(plan.blocks.count - listedRanks) more ranks\n"
        }
        out += trailer(program, messages: plan.blocks.map(\.messages).reduce(0, +),
                       bytes: plan.blocks.map(\.haloBytes).reduce(0, +))
        return out
    }

    /// The rows of a table, columns padded, the last one not.
    private static func tableText(_ table: [[String]]) -> String {
        let widths = table[0].indices.map { column in table.map { $0[column].count }.max() ?? 0 }
        var out = ""
        for row in table {
            let cells = row.enumerated().map { column, text in
                column == row.count - 1 ? text : text.padding(toLength: widths[column], withPad: " ", startingAt: 0)
            }
            out += "  " + cells.joined(separator: "  ") + "\n"
        }
        return out
    }

    /// A 1-D grid, or a 3-D one with decompose grid: blocks of a D-dimensional process grid (BlocksPlan).
    private static func blocksText(_ program: Program, params: [String]) -> String {
        let schedule = program.schedule, h = program.halo, d = program.dimensions
        let grid = program.updatedGrid
        guard let extents = MPILaunch.extents(program, params: params), let distribution = program.distribution else { return "" }
        let sizeParams = grid.extents.compactMap { extent -> String? in
            if case .param(let name) = extent { return name } else { return nil }
        }.reduce(into: [String]()) { if !$0.contains($1) { $0.append($1) } }
        let sizeNote = sizeParams.isEmpty ? "" : " (\(sizeParams.map { "\($0) = \(value(of: $0, program, params))" }.joined(separator: ", ")); --param changes it)"
        var out = "  grid \(grid.name): \(extents.map(String.init).joined(separator: " x ")) \(program.elementType.rawValue)\(sizeNote), halo \(h), \(d)-D\n"
        let plan: BlocksPlan
        switch BlocksPlan.make(decomposition: schedule.decompose, ranks: schedule.ranks, extents: extents, halo: h,
                               elementSize: program.elementType == .float32 ? 4 : 8,
                               exchangesDiagonals: distribution.exchangesDiagonals, copyingAxes: program.copyingAxes) {
        case .failure(let error):
            return out + "  error: \(error.message): the run stops before iterating\n"
        case .success(let made):
            plan = made
        }
        let axes = (0..<d).map { BlocksPlan.axisWord($0, dimensions: d) + "s" }
        let gridText = plan.processGrid.map(String.init).joined(separator: "x")
        let periodic = program.periodicAxes.sorted().map { axes[$0] }
        let topology = periodic.isEmpty ? "non-periodic MPI_Cart_create" : "MPI_Cart_create periodic along the \(periodic.joined(separator: " and "))"
        out += "  process grid \(gridText) (" + (d == 1 ? "the one dimension split over the ranks, either decomposition" : "MPI_Dims_create") + ", \(topology)"
            + "); along each dimension the first extent % parts blocks get one more\n"
        out += "  halo exchange: \(distribution.exchangesDiagonals ? "faces, edges and corners" : "faces only") (\(distribution.reason))\n"
        out += allocationText(program) + "\n"
        let header = ["rank", "at"] + axes + ["local array", "neighbours", "halo bytes"]
        var table: [[String]] = [header]
        for block in plan.blocks.prefix(listedRanks) {
            table.append([String(block.rank), "(" + block.coords.map(String.init).joined(separator: ",") + ")"]
                + block.owned.map { "[\($0.lowerBound), \($0.upperBound))" }
                + [block.local.map(String.init).joined(separator: " x "),
                   block.neighbours.isEmpty ? "none" : "\(block.neighbours.count): " + block.neighbours.map { String($0.rank) }.joined(separator: " "),
                   String(block.haloBytes)])
        }
        out += tableText(table)
        if plan.blocks.count > listedRanks {
            out += "  ... \(plan.blocks.count - listedRanks) more ranks\n"
        }
        return out + trailer(program, messages: plan.blocks.map(\.messages).reduce(0, +),
                             bytes: plan.blocks.map(\.haloBytes).reduce(0, +),
                             datatypes: distribution.exchangesDiagonals ? "faces, edges and corners" : d == 1 ? "the ends" : "faces")
    }

    /// What each rank allocates, for every layout: two buffers of each updated grid.
    private static func allocationText(_ program: Program) -> String {
        "  each rank allocates only its block plus a halo \(program.halo) deep on every side (two buffers"
            + (program.isSystem ? " of each of the \(program.updates.count) updated grids)\n" : ")\n")
    }

    /// Messages and bytes per sweep, overlap, convergence and output: the same for every layout.
    private static func trailer(_ program: Program, messages oneGridMessages: Int, bytes oneGridBytes: Int,
                                datatypes: String = "columns and corners") -> String {
        var out = ""
        // A system exchanges the halo of every updated grid each sweep (read-only grids never).
        let grids = program.updates.count
        let totalBytes = oneGridBytes * grids
        let messages = oneGridMessages * grids
        out += "\n"
        out += "  per sweep: \(messages) messages, \(totalBytes) bytes in all (halo bytes: what a rank sends, and receives,\n"
        out += "  in one exchange\(grids > 1 ? " of one grid; a system exchanges each of its \(grids) updated grids" : ""); non-blocking, derived datatypes for \(datatypes))\n"
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
