// DiagnosticMessages.swift: the catalogue of every message the front end can print.
// One place per phase (lexer, parser, sema), each with a stable id shown as `[id]`, so tests,
// docs and users can refer to a message without matching its wording.

/// A message with its stable id.
public struct DiagnosticMessage: Sendable, Equatable {
    public let id: String
    public let text: String

    public init(id: String, _ text: String) {
        self.id = id
        self.text = text
    }
}

// MARK: - Lexer

extension DiagnosticMessage {
    static func unexpectedCharacter(_ text: String) -> Self {
        .init(id: "unexpected-character", "unexpected character \(text)")
    }
    static let binaryFile = DiagnosticMessage(id: "binary-file", "this is not a text file (it holds a NUL byte here): a .st program is ASCII or UTF-8 text")
    static func invalidByte(_ byte: UInt8) -> Self {
        .init(id: "invalid-byte", "invalid byte 0x\(String(byte, radix: 16, uppercase: true)) (a .st file is ASCII or UTF-8 text)")
    }
    static func malformedNumber(_ text: String) -> Self {
        .init(id: "malformed-number", "malformed number '\(text)'")
    }
}

// MARK: - Parser

extension DiagnosticMessage {
    static func expected(_ what: String, found: String) -> Self {
        .init(id: "expected", "expected \(what), found \(found)")
    }
    static func expectedStatement(_ found: String, in block: String) -> Self {
        .init(id: "expected-statement", "expected a statement of \(block), found \(found)")
    }
    static let expectedStencil = DiagnosticMessage(
        id: "expected-stencil", "a program is 'stencil NAME { ... }' optionally followed by 'schedule { ... }'")
    static let nestingTooDeep = DiagnosticMessage(
        id: "nesting-too-deep", "expression nested too deeply (more than \(Parser.maximumDepth) levels)")
    static let expressionTooLong = DiagnosticMessage(
        id: "expression-too-long", "expression too long (more than \(Parser.tallestExpression) operations in a chain); split it with a param or a second update")
    static func unknownType(_ name: String) -> Self {
        .init(id: "unknown-type", "unknown element type '\(name)'; expected float32 or float64")
    }
    static func unknownSide(_ name: String) -> Self {
        .init(id: "unknown-side", "unknown boundary side '\(name)'; expected top, bottom, left, right, front or back")
    }
    static func unknownNorm(_ name: String) -> Self {
        .init(id: "unknown-norm", "unknown norm '\(name)'; expected maxdiff or l2diff")
    }
    static func unknownScheduleLine(_ name: String) -> Self {
        .init(id: "unknown-schedule-line",
              "unknown schedule line '\(name)'; expected target, schedule, chunksize, num_threads, tile, workgroup, ranks, decompose or temporal")
    }
}

// MARK: - Sema

extension DiagnosticMessage {
    static func duplicateDeclaration(_ name: String) -> Self {
        .init(id: "duplicate-declaration", "'\(name)' is already declared")
    }
    static func duplicateStatement(_ what: String) -> Self {
        .init(id: "duplicate-statement", "duplicate \(what)")
    }
    static let duplicateStencil = DiagnosticMessage(
        id: "duplicate-stencil", "a file holds one stencil block")
    static func unknownGrid(_ name: String) -> Self {
        .init(id: "unknown-grid", "unknown grid '\(name)'")
    }
    static func unknownName(_ name: String) -> Self {
        .init(id: "unknown-name", "unknown name '\(name)'")
    }
    static func notAGrid(_ name: String) -> Self {
        .init(id: "not-a-grid", "'\(name)' is a param, not a grid; only grids can be indexed")
    }
    static func gridWithoutIndex(_ name: String) -> Self {
        .init(id: "grid-without-index", "grid '\(name)' must be read at an index, as \(name)[i, j]")
    }
    static func unknownFunction(_ name: String) -> Self {
        .init(id: "unknown-function", "unknown function '\(name)'; expected abs, min, max, sqrt, exp, sin or cos")
    }
    static func wrongArgumentCount(_ name: String, expected: Int, got: Int) -> Self {
        .init(id: "argument-count", "'\(name)' takes \(expected) argument\(expected == 1 ? "" : "s"), got \(got)")
    }
    static func nonConstantOffset(_ index: String) -> Self {
        .init(id: "non-constant-offset",
              "a grid is read at constant offsets of the indices: expected '\(index)', '\(index) + 1', '\(index) - 2' and so on, with integer literals")
    }
    static func wrongIndex(expected: String, found: String, axis: String) -> Self {
        .init(id: "wrong-index", "the \(axis) index is '\(expected)', found '\(found)'")
    }
    static func indexOutsideRead(_ name: String) -> Self {
        .init(id: "index-outside-read", "index '\(name)' can only be used inside a grid read such as u[\(name), ...]")
    }
    static func unboundIndex(_ name: String, in what: String) -> Self {
        .init(id: "unbound-index",
              "index '\(name)' is not bound in \(what): name the indices after the grid, as in init u[i, j] = ... or boundary u[i, j] { ... }")
    }
    static func wrongIndexCount(statement: String, grid: String, found: Int, dimensions: Int) -> Self {
        .init(id: "wrong-index-count",
              "\(statement) \(grid)[...] names \(found) \(found == 1 ? "index" : "indices"); grid '\(grid)' has \(dimensions) \(dimensions == 1 ? "dimension" : "dimensions"), so it takes \(dimensions) index \(dimensions == 1 ? "name" : "names"), as in \(grid)[\(["k", "i", "j"].suffix(dimensions).joined(separator: ", "))]")
    }
    static func gridReadNotAllowed(_ context: String) -> Self {
        .init(id: "grid-read-not-allowed", "a grid cannot be read in \(context); it is a value of params and numbers")
    }
    static let sameIndexNames = DiagnosticMessage(
        id: "same-index-names", "the row and column indices need two different names")
    static func indexShadows(_ name: String) -> Self {
        .init(id: "index-shadows", "index name '\(name)' is already a param or grid")
    }
    static let missingUpdate = DiagnosticMessage(
        id: "missing-update", "the stencil has no 'update GRID[i, j] = EXPR'")
    static let missingGrid = DiagnosticMessage(
        id: "missing-grid", "the stencil declares no grid")
    static let missingStopping = DiagnosticMessage(
        id: "missing-stopping-rule", "no stopping rule: add 'steps T' or 'until maxdiff(GRID) < EPS'")
    static let bothStoppingRules = DiagnosticMessage(
        id: "two-stopping-rules", "a stencil has exactly one stopping rule: 'steps' or 'until', not both")
    static func normOfOtherGrid(_ name: String, updated: [String]) -> Self {
        let list = updated.map { "'\($0)'" }.joined(separator: ", ")
        return .init(id: "norm-grid", updated.count == 1
            ? "'until' must test the updated grid \(list), not '\(name)'"
            : "'until' must test updated grids (\(list)); no update writes '\(name)'")
    }
    static func normGridTwice(_ name: String) -> Self {
        .init(id: "norm-grid-twice", "grid '\(name)' is listed twice in the norm")
    }
    static func gridUpdatedTwice(_ name: String) -> Self {
        .init(id: "grid-updated-twice", "grid '\(name)' has two updates; each update of a system writes a different grid")
    }
    static func redblackSystem(_ count: Int) -> Self {
        .init(id: "redblack-system", "'order redblack' needs exactly one update, and this stencil has \(count): red-black order updates one grid in place; a system runs in Jacobi order")
    }
    static func gridSize(_ what: String) -> Self {
        .init(id: "grid-size", "a grid size is a positive integer literal or an integer param; \(what)")
    }
    static func paramNotInteger(_ name: String, _ value: String, use: String) -> Self {
        .init(id: "param-not-integer", "param '\(name)' = \(value) cannot \(use): it is not an integer")
    }
    static func periodicTooSmall(grid: String, extent: Int, axis: String, halo: Int) -> Self {
        .init(id: "periodic-too-small",
              "grid \(grid) has \(extent) \(axis): periodic sides of halo \(halo) need at least \(3 * halo) (an interior of at least \(halo))")
    }
    static func haloTooLarge(halo: Int, grid: String, extents: [Int]) -> Self {
        .init(id: "halo-too-large",
              "halo \(halo) is too large for grid '\(grid)' of \(extents.map(String.init).joined(separator: " x ")): it needs at least \(extents.map { _ in String(2 * halo + 1) }.joined(separator: " x ")) points")
    }
    static func shapeMismatch(_ grid: String, shape: String, updated: String, updatedShape: String) -> Self {
        .init(id: "shape-mismatch", "grid '\(grid)' is \(shape) but the updated grid '\(updated)' is \(updatedShape); grids read together must have the same shape")
    }
    static func positiveInteger(_ what: String) -> Self {
        .init(id: "positive-integer", "\(what) must be a positive integer")
    }
    static func positiveNumber(_ what: String) -> Self {
        .init(id: "positive-number", "\(what) must be a positive number or a param")
    }
    static func badScheduleValue(_ key: String, _ value: String, expected: String) -> Self {
        .init(id: "bad-schedule-value", "'\(value)' is not a valid \(key); expected \(expected)")
    }
    static func duplicateScheduleBlock(_ target: String) -> Self {
        .init(id: "duplicate-schedule", "duplicate schedule block\(target.isEmpty ? "" : " for '\(target)'")")
    }
    static func chunkWithAuto() -> Self {
        .init(id: "chunk-with-auto", "chunksize cannot be combined with schedule auto (OpenMP leaves auto's chunks to the runtime)")
    }
    static func readOnlyGridUpdated(_ name: String) -> Self {
        .init(id: "update-grid", "'update' writes a grid; '\(name)' is not one")
    }
    static func periodicOneSide(_ side: String, opposite: String) -> Self {
        .init(id: "periodic-one-side", "'\(side) = periodic' without '\(opposite) = periodic': periodic is allowed only on both sides of an axis")
    }
    static func boundarySideTwice(_ side: String) -> Self {
        .init(id: "boundary-side-twice", "boundary side '\(side)' is set twice; the later value wins")
    }
    static func unusedGrid(_ name: String) -> Self {
        .init(id: "unused-grid", "grid '\(name)' is never read or updated")
    }
    static func numberOutOfRange(_ text: String, _ type: String, _ why: String) -> Self {
        .init(id: "number-out-of-range", "'\(text)' cannot be a \(type) number: \(why)")
    }
    static func relaxReadsGrid(_ name: String) -> Self {
        .init(id: "relax-reads-grid",
              "'relax' cannot read grid '\(name)': the relaxation factor is a value of numbers and params, the same at every point")
    }
    static func relaxUsesIndex(_ name: String) -> Self {
        .init(id: "relax-uses-index",
              "'relax' cannot use index '\(name)': the relaxation factor is a value of numbers and params, the same at every point")
    }
    static func unknownOrder(_ name: String) -> Self {
        .init(id: "unknown-order", "unknown order '\(name)': expected jacobi or redblack")
    }
    static func redblackEvenRead(_ read: String, _ sum: Int) -> Self {
        .init(id: "redblack-even-read",
              "'order redblack' cannot read '\(read)': it is \(sum) steps away, an even number, so it has the point's own colour; red-black order needs reads of the updated grid at the point itself or an odd number of steps away (the 5-point stencil)")
    }
    static func integerOverflow(_ text: String) -> Self {
        .init(id: "integer-too-large", "'\(text)' is too large: integers go up to 2^53 (9007199254740992), the largest a double holds exactly")
    }
}

extension DiagnosticMessage {
    static let noStencil = DiagnosticMessage(id: "no-stencil", "the file holds no 'stencil NAME { ... }' block")
    static func typeMismatch(_ grid: String, _ type: String, updated: String, _ updatedType: String) -> Self {
        .init(id: "type-mismatch", "grid '\(grid)' is \(type) but the updated grid '\(updated)' is \(updatedType); grids read together must have the same element type")
    }
    static let targetInTargetBlock = DiagnosticMessage(
        id: "target-in-target-block", "a 'schedule TARGET { ... }' block applies to one target and cannot set 'target'")
    static func unknownTarget(_ name: String) -> Self {
        .init(id: "unknown-target", "unknown target '\(name)'; expected serial, openmp, opencl, mpi or hybrid")
    }
}

// MARK: - Dimensions (LANGUAGE.md section 5)

extension DiagnosticMessage {
    static func tooManyDimensions(_ count: Int) -> Self {
        .init(id: "too-many-dimensions", "a grid has 1, 2 or 3 dimensions; this one has \(count)")
    }
    static func dimensionMismatch(_ grid: String, _ count: Int, other: String, _ otherCount: Int) -> Self {
        .init(id: "dimension-mismatch",
              "grid '\(grid)' has \(count) \(count == 1 ? "dimension" : "dimensions") but grid '\(other)' has \(otherCount); all grids of a stencil have the same dimensions and extents")
    }
    static func wrongReadIndexCount(_ grid: String, found: Int, dimensions: Int) -> Self {
        .init(id: "wrong-index-count",
              "grid '\(grid)' has \(dimensions) \(dimensions == 1 ? "dimension" : "dimensions"), so it takes \(dimensions) \(dimensions == 1 ? "index" : "indices"); found \(found)")
    }
    static func sideNotInGrid(_ side: String, grid: String, dimensions: Int, sides: [String]) -> Self {
        .init(id: "side-not-in-grid",
              "a \(dimensions)-D grid has no side '\(side)' (grid '\(grid)' has \(sides.joined(separator: ", ")))")
    }
    static func wrongSizeCount(_ line: String, found: Int, dimensions: Int) -> Self {
        .init(id: "wrong-size-count",
              "'\(line)' takes one size per dimension: \(dimensions) for this \(dimensions)-D grid, found \(found)")
    }
        static func dimensionsNotOnTarget(_ dimensions: Int, target: String, detail: String) -> Self {
        .init(id: "dimensions-not-on-target", "\(dimensions)-D grids are not yet supported on target \(target)\(detail)")
    }
}
