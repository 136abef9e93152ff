// Sema.swift: semantic checks on the AST. Front-end stage 3.
// Resolves every name, checks types, offsets, sizes, halo, stopping rule and schedule, and
// returns a CheckedStencil that lowering (StencilIR) may trust. Every problem a user can make is
// a diagnostic here; nothing after this stage reports user errors about the .st file.

/// An integer grid extent: a literal, or an integer param (overridable at run time).
public enum GridExtent: Sendable, Equatable, CustomStringConvertible {
    case literal(Int)
    case param(String)

    public var description: String {
        switch self {
        case .literal(let n): return String(n)
        case .param(let name): return name
        }
    }
}

public struct CheckedParam: Sendable {
    public let name: String
    public let value: Double
    public let isInteger: Bool
    public let line: Int
}

public struct CheckedGrid: Sendable {
    public let name: String
    public let type: ElementType
    /// One extent per dimension (1 to 3), first dimension first.
    public let extents: [GridExtent]
    public let line: Int
    /// The last two extents (a 1-D grid: 1 row).
    public var rows: GridExtent { extents.count >= 2 ? extents[extents.count - 2] : .literal(1) }
    public var cols: GridExtent { extents[extents.count - 1] }
}

public struct CheckedBoundary: Sendable {
    public let grid: String
    public let side: BoundarySide
    public let value: Expr
    public let line: Int
    /// fixed (value), neumann or periodic (value unused).
    public var kind: BoundaryKind = .fixed
    /// `boundary u[i, j]`: the index names the value may use ([] without brackets).
    public var indices: [String] = []
}

public enum CheckedStopping: Sendable {
    case steps(count: Expr, line: Int)
    case until(norm: Norm, epsilon: Expr, every: Expr?, max: Expr?, line: Int)
}

/// A stencil that passed every check.
public struct CheckedStencil: Sendable {
    public let fileName: String
    public let name: String
    public let params: [CheckedParam]
    public let grids: [CheckedGrid]
    public let boundaries: [CheckedBoundary]
    public let inits: [String: (value: Expr, line: Int, indices: [String])]
    /// The updates in the order written (several: a system); each writes a different grid.
    public let updates: [UpdateDecl]
    /// The first update (the only one of a one-grid stencil).
    public var update: UpdateDecl { updates[0] }
    /// `relax EXPR`'s factor, nil when the stencil has no `relax`.
    public let relax: Expr?
    /// `order redblack` (red-black Gauss-Seidel); false for the default `order jacobi`.
    public let redBlack: Bool
    public let stopping: CheckedStopping
    /// The grids `until NORM(...)` takes the change of, together; [] for `steps`.
    public let normGrids: [String]
    /// The general schedule block, and one per target.
    public let schedule: Schedule
    public let targetSchedules: [Target: Schedule]
    public let sourceLines: [Int: String]
    /// The source and the grid's extents as written, for a diagnostic that depends on the
    /// target (a dimension count a target does not support yet: CheckedStencil.targetError).
    public var source: SourceFile? = nil
    public var extentsRange: SourceRange? = nil
    /// The grids' number of dimensions (1, 2 or 3).
    public var dimensions: Int { grids.first?.extents.count ?? 2 }
}

public struct Sema {
    var diagnostics: DiagnosticEngine
    let file: SourceFile

    enum Symbol {
        case param(ParamDecl)
        case grid(GridDecl)
    }
    var symbols: [String: Symbol] = [:]
    var readGrids: Set<String> = []
    /// The `tile` and `workgroup` lines of every schedule block (checkScheduleSizes).
    var sizeLines: [ScheduleLine] = []
    /// The update's index names: used elsewhere without brackets, they get a hint.
    var updateIndexNames: [String] = []
    /// The parser dropped statements: do not report what may have been in them as missing.
    var incomplete = false

    /// Parses and checks a file: the checked stencil, or nil when there were errors.
    public static func check(_ file: SourceFile) -> (CheckedStencil?, DiagnosticEngine) {
        let (program, parseDiagnostics) = Parser.parse(file)
        var sema = Sema(diagnostics: parseDiagnostics, file: file)
        let checked = sema.check(program)
        return (sema.diagnostics.hasErrors ? nil : checked, sema.diagnostics)
    }

    func note(_ text: String, at range: SourceRange) -> Diagnostic {
        diagnostics.note(text, at: range)
    }

    mutating func check(_ program: SourceProgram) -> CheckedStencil? {
        incomplete = program.isIncomplete
        let (schedule, targetSchedules) = checkSchedules(program.schedules)
        guard let stencil = program.stencils.first else {
            if !incomplete {
                diagnostics.error(.noStencil, at: SourceRange(start: SourceLocation(offset: 0, line: 1, column: 1), length: 1))
            }
            return nil
        }
        for extra in program.stencils.dropFirst() {
            diagnostics.error(.duplicateStencil, at: extra.name.range, notes: [note("first stencil is here", at: stencil.name.range)])
        }
        return checkStencil(stencil, schedule: schedule, targetSchedules: targetSchedules)
    }
}

extension CheckedStencil {
    /// The rendered `FILE:LINE:COL: error:` for a target that cannot run this stencil's number of
    /// dimensions, or nil. The front end owns the message; the driver asks once the target is
    /// known (a flag may choose it).
    public func targetError(_ target: Target, supported: Set<Int>, detail: String = "") -> String? {
        guard !supported.contains(dimensions), let source, let range = extentsRange else { return nil }
        var engine = DiagnosticEngine(file: source)
        engine.error(.dimensionsNotOnTarget(dimensions, target: target.rawValue, detail: detail), at: range)
        return engine.rendered()
    }
}
