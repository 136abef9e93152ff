// CExprPrinter.swift: IR expressions -> C (or OpenCL C) source, as trees with the fewest
// parentheses that keep the IR's evaluation order. One printer for every backend, configured by a
// small Dialect value (how a grid read or a param is spelled, which math functions to call).

import StencilIR

public struct CDialect: Sendable {
    /// The element type arithmetic is done in: literals get its suffix, math functions its variant.
    public var elementType: ElementType
    /// How `grid[i + o1, j + o2, ...]` is spelled, from the read's offsets (first dimension first).
    public var read: @Sendable (_ grid: String, _ offsets: [Int]) -> String
    /// How a param is spelled (a local of the element type, or a cast of a host variable).
    public var param: @Sendable (_ name: String) -> String
    /// OpenCL C overloads fabs/fmin/...; C needs fabsf for float.
    public var overloadedMath: Bool
    /// How the point's global index along a dimension (0 the first) is spelled, as an
    /// integer expression; the printer casts it to the element type.
    public var index: @Sendable (_ dimension: Int) -> String = { $0 == 0 ? "i" : "j" }

    public init(elementType: ElementType, overloadedMath: Bool = false,
                read: @escaping @Sendable (String, [Int]) -> String,
                param: @escaping @Sendable (String) -> String) {
        self.elementType = elementType
        self.overloadedMath = overloadedMath
        self.read = read
        self.param = param
    }

    /// The C type of the element type.
    public var scalarType: String { elementType == .float32 ? "float" : "double" }

    /// A literal as written, made a literal of the element type: `4` -> `4.0f`, `1e-4` -> `1e-4f`.
    public func literal(_ text: String) -> String {
        var body = text
        if !body.contains(where: { $0 == "." || $0 == "e" || $0 == "E" }) { body += ".0" }
        if body.hasSuffix(".") { body += "0" }
        if body.hasPrefix(".") { body = "0" + body }
        return elementType == .float32 ? body + "f" : body
    }

    /// min and max are not C's fmin/fmax: those leave the sign of a tie between -0 and +0 to the
    /// implementation, and gcc's vector code, glibc and clang each pick differently (a program
    /// gave -0 with gcc and +0 with clang-14 at every point). st_min/st_max (stencil_runtime.h,
    /// and defined in OpenCL kernels) are fmin/fmax with the tie defined: the second operand.
    public func function(_ f: BuiltinFunction) -> String {
        let base: String
        switch f {
        case .abs: base = "fabs"
        case .min: base = "st_min"
        case .max: base = "st_max"
        case .sqrt: base = "sqrt"
        case .exp: base = "exp"
        case .sin: base = "sin"
        case .cos: base = "cos"
        }
        return elementType == .float32 && !overloadedMath ? base + "f" : base
    }
}

public enum CExprPrinter {
    public static func print(_ expr: IRExpr, _ dialect: CDialect) -> String {
        func sub(_ child: IRExpr, _ parent: IRExpr, right: Bool) -> String {
            let text = print(child, dialect)
            return IRPrinter.needsParentheses(child, under: parent, isRight: right) ? "(\(text))" : text
        }
        switch expr {
        case .constant(_, let text): return dialect.literal(text)
        case .param(let name): return dialect.param(name)
        case .read(let grid, let offsets): return dialect.read(grid, offsets)
        case .index(let dimension):
            let integer = dialect.index(dimension)
            let simple = integer.allSatisfy { $0.isLetter || $0.isNumber || $0 == "_" }
            return "(\(dialect.scalarType))" + (simple ? integer : "(\(integer))")
        case .negate(let operand): return "-" + sub(operand, expr, right: true)
        case .binary(let op, let left, let right):
            return "\(sub(left, expr, right: false)) \(op.rawValue) \(sub(right, expr, right: true))"
        case .call(let function, let arguments):
            return dialect.function(function) + "(" + arguments.map { print($0, dialect) }.joined(separator: ", ") + ")"
        }
    }

    /// `i`, `i - 1`, `j + 2`: an index plus a constant offset.
    public static func offsetIndex(_ index: String, _ delta: Int) -> String {
        delta == 0 ? index : delta > 0 ? "\(index) + \(delta)" : "\(index) - \(-delta)"
    }

    /// Row-major flat index of a point of a grid with any number of dimensions, for CPU code:
    /// 1-D `j + 1`, 2-D `(i - 1) * cols + j + 1` (flatIndex(row:...)), 3-D
    /// `(k - 1) * plane + i * cols + j + 1` (`plane` = rows * cols, a local of the sweep).
    public static func flatIndex(_ indices: [String], _ offsets: [Int]) -> String {
        switch indices.count {
        case 1: return offsetIndex(indices[0], offsets[0])
        case 2: return flatIndex(row: indices[0], offsets[0], col: indices[1], offsets[1], stride: "cols")
        default:
            func part(_ k: Int, _ stride: String) -> String {
                offsets[k] == 0 ? "\(indices[k]) * \(stride)" : "(\(offsetIndex(indices[k], offsets[k]))) * \(stride)"
            }
            return "\(part(0, "plane")) + \(part(1, "cols")) + \(offsetIndex(indices[2], offsets[2]))"
        }
    }

    /// Row-major flat index `(i - 1) * cols + j + 1` for CPU code.
    public static func flatIndex(row: String, _ dRow: Int, col: String, _ dCol: Int, stride: String) -> String {
        let rowPart = dRow == 0 ? "\(row) * \(stride)" : "(\(offsetIndex(row, dRow))) * \(stride)"
        return "\(rowPart) + \(offsetIndex(col, dCol))"
    }
}
