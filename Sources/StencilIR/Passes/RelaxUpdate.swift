// RelaxUpdate.swift: Program -> Program with `relax OMEGA` folded into the update.
// LANGUAGE.md section 5: each update writes `OLD + OMEGA * (EXPR - OLD)`, evaluated in exactly
// that order in the grid's type, where OLD is the point's previous value. The update's tree is
// rewritten here, once, so every backend (serial, openmp, opencl, mpi, hybrid) prints the same
// arithmetic and gets the same bits. Without `relax`, or with the literal `relax 1`, the update is
// left untouched (existing programs keep their code and their bits). OLD is a read at offset 0:
// it adds nothing to the halo, and makes an update that did not read its own grid read it.

public func relaxUpdate(_ program: Program) -> Program {
    guard program.isRelaxed, let omega = program.relax else { return program }
    var result = program
    for (k, update) in program.updates.enumerated() {
        let old = IRExpr.read(grid: update.grid, offsets: Array(repeating: 0, count: program.dimensions))
        result.updates[k].value = .binary(.add, old, .binary(.multiply, omega, .binary(.subtract, update.value, old)))
    }
    return result
}
