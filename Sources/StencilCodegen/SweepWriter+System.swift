// SweepWriter+System.swift: the sweep functions of a system (several updates, LANGUAGE.md
// section 5) for the C targets. One loop nest computes every update at each point: the grids
// are read from one iterate and written to the other, so each update sees the previous iterate
// of every grid, whatever the order of the statements in the loop body.
//
// The runtime's drivers (st_sweeps: whole sweeps, tiles) pass one `in` and one `out` pointer per
// sweep; for a system these point to an `st_iterate` record holding every updated grid's buffer
// of that iterate, so the drivers need not know how many grids there are.

import StencilIR

extension SweepWriter {
    /// The record type of one iterate of the system.
    static let iterateType = "st_iterate"

    /// `typedef struct { float *u; float *v; } st_iterate;`
    func systemTypedef() {
        writer.comment("One iterate of the system: a buffer of every updated grid. A sweep reads one iterate and writes the other.")
        writer.block("typedef struct", trailer: " \(Self.iterateType);") {
            for update in program.updates { writer.line("\(scalar) *\(names[update.grid]);") }
        }
        writer.blank()
    }

    /// Grids whose previous iterate a system sweep reads: those the updates read, and for a
    /// check sweep also the grids of the norm (their change is new - old).
    func systemGridsRead(check: Bool) -> [String] {
        let read = Set(hoistedSystem.values.flatMap { $0.reads.map(\.grid) } + (check ? program.normGrids : []))
        return program.updates.map(\.grid).filter { read.contains($0) }
    }

    /// The locals of a system sweep: the row length, every updated grid's two buffers (from the
    /// `in` and `out` iterates), the read-only grids, the params.
    func systemUnpack(check: Bool) {
        writer.line("const sweep_args *extra = args;")
        extents()
        unpackOffsets(used: program.updates.reduce(into: Set<Int>()) { $0.formUnion($1.value.indexDimensions) })
        let read = systemGridsRead(check: check)
        if read.isEmpty { writer.line("(void)in;") }
        for grid in read {
            writer.line("const \(scalar) *restrict \(names[grid]) = ((const \(Self.iterateType) *)in)->\(names[grid]);")
        }
        for update in program.updates {
            writer.line("\(scalar) *restrict \(names.next(update.grid)) = ((\(Self.iterateType) *)out)->\(names[update.grid]);")
        }
        for other in program.readOnlyGrids { writer.line("const \(scalar) *restrict \(names[other.name]) = extra->\(names[other.name]);") }
        for param in program.updateParams { writer.line("const \(scalar) \(names[param]) = extra->\(names[param]);") }
    }

    /// The invariant calls of all the updates (each once), and every update with them replaced.
    var hoistedSystem: (locals: [(String, IRExpr)], values: [IRExpr]) {
        var calls: [IRExpr] = []
        for call in program.updates.flatMap(\.value.invariantCalls) where !calls.contains(call) { calls.append(call) }
        let named = calls.enumerated().map { ($0.element, "st_invariant_\($0.offset)") }
        return (named.map { ($0.1, $0.0) }, program.updates.map { $0.value.replacing(named) })
    }

    func systemHoistedLocals() {
        for (name, expr) in hoistedSystem.locals {
            writer.line("const \(scalar) \(name) = \(CExprPrinter.print(expr, dialect)); /* the same at every point */")
        }
    }

    /// The DSL lines of the system, as a comment each.
    func systemComments() {
        for update in program.updates {
            writer.comment("\(program.sourceName):\(update.line)  \(IRPrinter.update(update))")
        }
    }

    /// `sweep` (and `sweep_maxdiff` / `sweep_l2diff`) of a system: one loop nest, every update
    /// at each point.
    func systemFunctions() {
        systemComments()
        let values = hoistedSystem.values.map { CExprPrinter.print($0, dialect) }
        writer.block("static void sweep\(Self.signature)") {
            systemUnpack(check: false)
            systemHoistedLocals()
            loopNest(worksharing: loops.worksharing, simd: loops.vectorization == .simd ? "" : nil) { point in
                for (update, value) in zip(program.updates, values) {
                    writer.line("\(names.next(update.grid))[\(point)] = \(value);")
                }
            }
        }
        guard let check = loops.check else { return }
        writer.blank()
        let normed = program.normGrids.map { "'\($0)'" }.joined(separator: ", ")
        writer.comment("The same updates, also accumulating \(check.variable == "maxdiff" ? "maxdiff" : "the sum of squared changes (in double)") over \(normed) and counting NaN/Inf: check iterations only.")
        let reductions = Self.reductions(check)
        writer.block("static void \(check.function)\(Self.signature)") {
            systemUnpack(check: true)
            systemHoistedLocals()
            loopNest(worksharing: loops.worksharing.map { "\($0) \(reductions)" },
                     simd: loops.vectorization == .simd && !check.inDouble ? reductions : nil) { point in
                for (update, value) in zip(program.updates, values) {
                    if program.normGrids.contains(update.grid) {
                        // The new value, its change folded into the norm, NaN/Inf counted.
                        writer.block("") {
                            checkPoint(check, value: value, point: point, into: names.next(update.grid), old: names[update.grid])
                        }
                    } else {
                        writer.line("\(names.next(update.grid))[\(point)] = \(value);")
                    }
                }
            }
        }
    }
}
