// AST.swift: the syntax tree the parser builds, exactly as written, with a source range on
// every node (chibicc's lesson: locations from day one). Sema checks it; StencilIR lowers it.

public struct Identifier: Hashable, Sendable {
    public let name: String
    public let range: SourceRange
}

public struct NumberLiteral: Hashable, Sendable {
    public let text: String
    public let value: Double
    /// Written without '.', 'e' or 'E': may size a grid or count iterations.
    public var isInteger: Bool { !text.contains(where: { $0 == "." || $0 == "e" || $0 == "E" }) }
    /// The largest integer a param or count may hold: 2^53, past which a double (what the
    /// runtime keeps params in) skips integers. runtime/stencil_runtime.c's set_param checks
    /// `--param` against the same 2^53.
    public static let largestInteger = 1 << 53
    /// An integer literal past `largestInteger` (read from the text: 2^53 + 1 rounds to 2^53 as a double).
    public var isTooLargeForInteger: Bool { isInteger && (Int(text).map { $0 > Self.largestInteger } ?? true) }
    public let range: SourceRange
}

public enum UnaryOperator: String, Sendable { case negate = "-" }

public enum BinaryOperator: String, Sendable, CaseIterable {
    case add = "+", subtract = "-", multiply = "*", divide = "/"
}

public struct Expr: Hashable, Sendable {
    public indirect enum Kind: Hashable, Sendable {
        case number(NumberLiteral)
        case name(Identifier)
        /// GRID[INDEX, ...]: one index expression per dimension (`u[i-1, j]`, `u[k, i, j+1]`).
        case read(grid: Identifier, indices: [Expr])
        case unary(UnaryOperator, Expr)
        case binary(BinaryOperator, Expr, Expr)
        case call(Identifier, [Expr])
        /// ( EXPR ): kept so the printer can show the user's own grouping.
        case parenthesized(Expr)
    }

    public let kind: Kind
    public let range: SourceRange
    /// Height of the tree (a leaf is 1). The parser refuses trees taller than its limit, so
    /// every recursive pass downstream has a bounded stack.
    public let height: Int

    public init(_ kind: Kind, range: SourceRange) {
        self.kind = kind
        self.range = range
        switch kind {
        case .number, .name: height = 1
        case .read(_, let indices): height = 1 + (indices.map(\.height).max() ?? 0)
        case .unary(_, let operand), .parenthesized(let operand): height = 1 + operand.height
        case .binary(_, let left, let right): height = 1 + max(left.height, right.height)
        case .call(_, let arguments): height = 1 + (arguments.map(\.height).max() ?? 0)
        }
    }
}

public struct ParamDecl: Sendable {
    public let name: Identifier
    public let value: NumberLiteral
    public let negative: Bool
    public let range: SourceRange
}

public struct GridDecl: Sendable {
    public let name: Identifier
    public let elementType: Identifier
    /// One extent per dimension, as written (`[N]`, `[N, M]`, `[P, N, M]`).
    public let extents: [Expr]
    /// The brackets and what is between them.
    public let extentsRange: SourceRange
    public let range: SourceRange
}

public struct BoundaryAssignment: Sendable {
    public let side: Identifier
    /// The value as written; for `neumann` and `periodic`, the word itself (a name).
    public let value: Expr
    public var kind: BoundaryKind = .fixed
}

public struct BoundaryDecl: Sendable {
    public let grid: Identifier
    /// `boundary u[i, j] { ... }`: the index names the side values may use (nil without brackets).
    public var indices: [Identifier]? = nil
    public let assignments: [BoundaryAssignment]
    public let range: SourceRange
}

public struct InitDecl: Sendable {
    public let grid: Identifier
    /// `init u[i, j] = ...`: the index names the value may use (nil without brackets).
    public var indices: [Identifier]? = nil
    public let value: Expr
    public let range: SourceRange
}

public struct UpdateDecl: Sendable {
    public let grid: Identifier
    /// One index name per dimension (`u[i, j]`, `u[k, i, j]`, `u[j]`).
    public let indices: [Identifier]
    public let value: Expr
    public let range: SourceRange
}

public struct UntilDecl: Sendable {
    public let norm: Identifier
    /// The grids whose change the norm takes together (`maxdiff(u, v)`), at least one.
    public let grids: [Identifier]
    /// The first grid listed.
    public var grid: Identifier { grids[0] }
    public let epsilon: Expr
    public let every: Expr?
    public let max: Expr?
    public let range: SourceRange
}

public struct StepsDecl: Sendable {
    public let count: Expr
    public let range: SourceRange
}

/// `relax EXPR`: each update writes OLD + EXPR * (value - OLD).
public struct RelaxDecl: Sendable {
    public let factor: Expr
    public let range: SourceRange
}

/// `order jacobi|redblack`: the order in which an iteration updates the points.
public struct OrderDecl: Sendable {
    public let order: Identifier
    public let range: SourceRange
}

public enum Statement: Sendable {
    case param(ParamDecl)
    case grid(GridDecl)
    case boundary(BoundaryDecl)
    case initial(InitDecl)
    case update(UpdateDecl)
    case until(UntilDecl)
    case steps(StepsDecl)
    case relax(RelaxDecl)
    case order(OrderDecl)
}

public struct StencilDecl: Sendable {
    public let name: Identifier
    public let statements: [Statement]
    public let range: SourceRange
}

/// One value on a schedule line: a word, a number, or sizes `A x B` / `A x B x C` (two or more).
public enum ScheduleValue: Sendable, Equatable {
    case word(Identifier)
    case number(NumberLiteral)
    case sizes([NumberLiteral])
}

public struct ScheduleLine: Sendable {
    public let key: Identifier
    public let value: ScheduleValue
    public let range: SourceRange
}

/// `schedule { ... }` (target nil) or `schedule TARGET { ... }`.
public struct ScheduleBlock: Sendable {
    public let target: Identifier?
    public let lines: [ScheduleLine]
    public let range: SourceRange
}

/// A whole .st file.
public struct SourceProgram: Sendable {
    public let stencils: [StencilDecl]
    public let schedules: [ScheduleBlock]
    /// Some statements were dropped by error recovery, so "missing X" is not worth reporting.
    public var isIncomplete = false

    public init(stencils: [StencilDecl], schedules: [ScheduleBlock]) {
        self.stencils = stencils
        self.schedules = schedules
    }
}
