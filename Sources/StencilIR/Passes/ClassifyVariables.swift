// ClassifyVariables.swift: Program -> Program with `variables` set.
// What Cython's prange infers for a parallel loop, done for the sweep: loop indices and the
// per-point temporaries are private, grids are shared (read-only ones and the buffer written,
// each point written by exactly one iteration), params are firstprivate constants, and the
// convergence norm is a reduction (max for maxdiff, + for l2diff).

public func classifyVariables(_ program: Program) -> Program {
    var result = program
    var variables: [ClassifiedVariable] = []
    let update = program.update
    // 2-D: the row loop is the parallel one and the column loop the inner one (as ever); 1-D
    // and 3-D: the first dimension's loop is the parallel one.
    let whys: [String]
    switch update.indices.count {
    case 1: whys = ["index of the parallel loop: each thread walks its own points"]
    case 2: whys = ["row index of the parallel loop: each thread walks its own rows", "column index, declared inside the loop body"]
    default: whys = ["plane index of the parallel loop: each thread walks its own planes", "row index, declared inside the loop body",
                     "column index, declared inside the loop body"]
    }
    for (index, why) in zip(update.indices, whys) {
        variables.append(.init(name: index, sharing: .private, why: why))
    }
    let grid = update.grid
    if program.isSystem {
        for updated in program.updates {
            variables.append(.init(name: updated.grid, sharing: .shared,
                                   why: "read only in a sweep (the previous iterate of the system)"))
            variables.append(.init(name: updated.grid + "_next", sharing: .shared,
                                   why: "written in a sweep, each point by exactly one iteration: no race"))
        }
    } else if program.redBlack {
        variables.append(.init(name: grid, sharing: .shared,
                               why: "updated in place: a half-sweep writes each point of its colour once and reads only the other colour: no race"))
    } else {
        variables.append(.init(name: grid, sharing: .shared,
                               why: "read only in a sweep (the previous iterate)"))
        variables.append(.init(name: grid + "_next", sharing: .shared,
                               why: "written in a sweep, each point by exactly one iteration: no race"))
    }
    for other in program.readOnlyGrids {
        variables.append(.init(name: other.name, sharing: .shared, why: "read-only grid"))
    }
    for param in program.updateParams {
        variables.append(.init(name: param, sharing: .firstprivate,
                               why: "param: a run-time constant passed by value"))
    }
    if case .until(let norm, _, _, _, _) = program.stopping {
        switch norm {
        case .maxdiff:
            variables.append(.init(name: "maxdiff", sharing: .reductionMax,
                                   why: "largest |change| of a check sweep, combined with max"))
        case .l2diff:
            variables.append(.init(name: "sum_sq", sharing: .reductionSum,
                                   why: "sum of squared changes of a check sweep (in double), combined with +"))
        }
    }
    result.variables = variables
    return result
}
