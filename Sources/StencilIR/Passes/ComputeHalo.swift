// ComputeHalo.swift: Program -> Program with `halo` set.
// The halo width is the largest absolute offset of any grid read in the update, in either
// direction: it decides which points are boundary (fixed) and how deep halos are exchanged.

public func computeHalo(_ program: Program) -> Program {
    var result = program
    result.halo = program.updates.flatMap(\.value.reads).flatMap { $0.offsets.map(abs) }.max() ?? 0
    return result
}
