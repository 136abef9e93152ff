// GenInterpreter.swift: the reference for the differential tests. Runs a GenProgram (the
// generator's own representation, not stencilc's AST or IR) exactly as LANGUAGE.md defines the
// language: fills in the order written (with a neumann or periodic side, again after every
// sweep or half-sweep, each updated grid of a system by its own lines), Jacobi sweeps over two
// buffers (with `order redblack`, red then black half-sweeps in place), arithmetic in the grid's
// type in the written order, glibc's math functions as the emitted C calls them, the norm on
// every K-th sweep. A correct compiler agrees with it bit for bit.

import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The element types, with C's spelling of each operation. min and max are the language's, as
/// LANGUAGE.md leaves them and stencil_runtime.h pins them down: fmin/fmax whose tie between -0
/// and +0 gives the second operand (C's fmin/fmax leave it open, and glibc, gcc's vector code and
/// clang differ; this interpreter found it when its glibc calls disagreed with gcc's output).
protocol GenScalar: BinaryFloatingPoint {
    /// A literal as C reads `TEXTf` (float32) or `TEXT` (float64): correctly rounded.
    static func literal(_ text: String) -> Self
    static func cSin(_ x: Self) -> Self
    static func cCos(_ x: Self) -> Self
    static func cExp(_ x: Self) -> Self
    static func cSqrt(_ x: Self) -> Self
    static func cFabs(_ x: Self) -> Self
    static func cFmin(_ a: Self, _ b: Self) -> Self
    static func cFmax(_ a: Self, _ b: Self) -> Self
    var littleEndianBytes: [UInt8] { get }
}

/// "4." and ".5" as C writes them ("4.0", "0.5"), then the value.
func numericValue(_ text: String) -> Double {
    Double(normalizedNumber(text))!
}

func normalizedNumber(_ text: String) -> String {
    var body = text
    if body.hasPrefix("-.") { body = "-0." + body.dropFirst(2) }
    if body.hasPrefix(".") { body = "0" + body }
    if body.hasSuffix(".") { body += "0" }
    return body
}

extension Float: GenScalar {
    static func literal(_ text: String) -> Float { Float(normalizedNumber(text))! }
    static func cSin(_ x: Float) -> Float { sinf(x) }
    static func cCos(_ x: Float) -> Float { cosf(x) }
    static func cExp(_ x: Float) -> Float { expf(x) }
    static func cSqrt(_ x: Float) -> Float { sqrtf(x) }
    static func cFabs(_ x: Float) -> Float { fabsf(x) }
    static func cFmin(_ a: Float, _ b: Float) -> Float { (a < b || b != b) ? a : b }
    static func cFmax(_ a: Float, _ b: Float) -> Float { (a > b || b != b) ? a : b }
    var littleEndianBytes: [UInt8] { withUnsafeBytes(of: bitPattern.littleEndian, Array.init) }
}

extension Double: GenScalar {
    static func literal(_ text: String) -> Double { Double(normalizedNumber(text))! }
    static func cSin(_ x: Double) -> Double { sin(x) }
    static func cCos(_ x: Double) -> Double { cos(x) }
    static func cExp(_ x: Double) -> Double { exp(x) }
    static func cSqrt(_ x: Double) -> Double { sqrt(x) }
    static func cFabs(_ x: Double) -> Double { fabs(x) }
    static func cFmin(_ a: Double, _ b: Double) -> Double { (a < b || b != b) ? a : b }
    static func cFmax(_ a: Double, _ b: Double) -> Double { (a > b || b != b) ? a : b }
    var littleEndianBytes: [UInt8] { withUnsafeBytes(of: bitPattern.littleEndian, Array.init) }
}

struct GenResult: Equatable {
    var iterations: Int
    var converged: Bool
    /// The final field of the updated grid, little-endian element bytes (what --output holds).
    var bytes: [UInt8]
    var allFinite: Bool
    /// As NPYFile counts them: every dimension but the last, and the last.
    var rows: Int
    var cols: Int
}

enum GenInterpreter {
    static func run(_ program: GenProgram) -> GenResult {
        program.isDouble ? run(program, as: Double.self) : run(program, as: Float.self)
    }

    /// A side's dimension and end: sides count from the last dimension (left/right the last,
    /// top/bottom the one before, front/back the one before that).
    static func side(_ name: String, dimensions n: Int) -> (dimension: Int, high: Bool) {
        switch name {
        case "left": return (n - 1, false)
        case "right": return (n - 1, true)
        case "top": return (n - 2, false)
        case "bottom": return (n - 2, true)
        case "front": return (n - 3, false)
        default: return (n - 3, true)
        }
    }

    static func run<T: GenScalar>(_ p: GenProgram, as _: T.Type) -> GenResult {
        let extents = p.updated.extents.map(p.extent)
        let n = extents.count
        // Row-major strides, the last index fastest.
        var strides = [Int](repeating: 1, count: n)
        for d in stride(from: n - 2, through: 0, by: -1) { strides[d] = strides[d + 1] * extents[d + 1] }
        let count = extents.reduce(1, *)
        func flat(_ point: [Int]) -> Int { zip(point, strides).reduce(0) { $0 + $1.0 * $1.1 } }
        /// Every point, in row-major order.
        let allPoints: [[Int]] = (0..<count).map { k in (0..<n).map { d in k / strides[d] % extents[d] } }
        let h = p.halo
        // A param is a double at run time (the runtime parses it with strtod) used in the
        // grid's type: (float)value.
        func param(_ name: String) -> T { T(p.value(of: name)) }

        // The point being updated: the update's index names as values, (float)i in C.
        var point = [Int](repeating: 0, count: n)
        func evaluate(_ e: GenExpr, _ read: (String, [Int]) -> T) -> T {
            switch e {
            case .index(let dimension): return T(point[dimension])
            case .number(let text): return T.literal(text)
            case .param(let name): return param(name)
            case .read(let g, let offsets): return read(g, offsets)
            case .negate(let x): return -evaluate(x, read)
            case .paren(let x): return evaluate(x, read)
            case .binary(let op, let l, let r):
                let a = evaluate(l, read), b = evaluate(r, read)
                switch op {
                case "+": return a + b
                case "-": return a - b
                case "*": return a * b
                default: return a / b
                }
            case .call(let f, let args):
                let values = args.map { evaluate($0, read) }
                switch f {
                case "abs": return T.cFabs(values[0])
                case "min": return T.cFmin(values[0], values[1])
                case "max": return T.cFmax(values[0], values[1])
                case "sqrt": return T.cSqrt(values[0])
                case "exp": return T.cExp(values[0])
                case "sin": return T.cSin(values[0])
                default: return T.cCos(values[0])
                }
            }
        }
        let noReads: (String, [Int]) -> T = { _, _ in fatalError("a fill value reads a grid") }

        // Fills: init over the whole grid (default 0), then the boundary strips, h deep, in order.
        var fields: [String: [T]] = [:]
        for grid in p.grids where grid.extents == p.updated.extents {
            // init NAME[i, j] / boundary NAME[i, j]: each point's value from its own indices.
            var values = [T](repeating: 0, count: count)
            for at in allPoints {
                point = at
                values[flat(at)] = grid.initial.map { evaluate($0, noReads) } ?? 0
            }
            applyBoundary(grid.boundary, to: &values)
            fields[grid.name] = values
        }
        // The boundary lines in the order written; neumann copies the layer h in along the side's
        // axis, periodic the point extent-2h further in (LANGUAGE.md section 5, "Boundary kinds").
        func applyBoundary(_ lines: [(side: String, value: GenExpr)], to values: inout [T]) {
            for (name, expression) in lines {
                let (d, high) = side(name, dimensions: n)
                for at in allPoints {
                    guard high ? at[d] >= extents[d] - h : at[d] < h else { continue }
                    point = at
                    var source = at
                    switch expression {
                    case .neumann: source[d] = high ? extents[d] - h - 1 : h
                    case .periodic: source[d] = high ? at[d] - (extents[d] - 2 * h) : at[d] + extents[d] - 2 * h
                    default:
                        values[flat(at)] = evaluate(expression, noReads)
                        continue
                    }
                    values[flat(at)] = values[flat(source)]
                }
            }
        }
        let interior = allPoints.filter { at in (0..<n).allSatisfy { at[$0] >= h && at[$0] < extents[$0] - h } }
        let name = p.updated.name
        var u = fields[name]!
        var next = u
        // With a neumann or periodic side, every line runs again after each sweep, on the new
        // iterate: the old one with its interior updated. In a system, each updated grid by its
        // own lines (LANGUAGE.md section 5): the coupled grid's too.
        func linesAgain(_ grid: GenGrid) -> [(side: String, value: GenExpr)] {
            grid.boundary.contains { $0.value.isBoundaryKind } ? grid.boundary : []
        }
        let again = linesAgain(p.updated)
        let coupledAgain = p.coupled.map { linesAgain(p.grids[$0.grid]) } ?? []

        /// One iteration: Jacobi, from `u` into `next`; red-black (LANGUAGE.md section 5): the red
        /// points (the sum of the indices even), then the black ones, in place in `u`, each
        /// point's change from its value before its own update (`sweep` then copies `u` into `next`).
        func sweep() -> (T, Double) {
            if !again.isEmpty && !p.redBlack { next = u }
            defer { if !p.redBlack { applyBoundary(again, to: &next) } }
            var maxdiff: T = 0
            var sumSquares = 0.0
            // A system's second grid: its new iterate from the previous one of every grid.
            let coupledName = p.coupled.map { p.grids[$0.grid].name }
            var coupledNext = coupledName.map { fields[$0]! } ?? []
            defer {
                if let coupledName {
                    applyBoundary(coupledAgain, to: &coupledNext)
                    fields[coupledName] = coupledNext
                }
            }
            for colour in p.redBlack ? [0, 1] : [-1] { // -1: Jacobi, every point
                for at in interior where colour < 0 || at.reduce(0, +) % 2 == colour {
                    point = at
                    let here = flat(at)
                    func read(_ g: String, _ offsets: [Int]) -> T {
                        let k = here + zip(offsets, strides).reduce(0) { $0 + $1.0 * $1.1 }
                        return g == name ? u[k] : fields[g]![k]
                    }
                    let written = evaluate(p.update, read)
                    if let coupled = p.coupled { coupledNext[here] = evaluate(coupled.value, read) }
                    let old = u[here]
                    // relax OMEGA (LANGUAGE.md section 5): OLD + OMEGA * (EXPR - OLD), in that order;
                    // the literal 1 leaves the update as written.
                    var value = written
                    if let relax = p.relax, relax != .number("1") {
                        value = old + evaluate(relax) { _, _ in 0 } * (written - old)
                    }
                    let change = T.cFabs(value - old)
                    maxdiff = change > maxdiff ? change : change == change ? maxdiff : T.infinity
                    let d = Double(value) - Double(old)
                    sumSquares += d * d
                    if colour < 0 { next[here] = value } else { u[here] = value }
                }
                if colour >= 0 { applyBoundary(again, to: &u) } // red-black: after each half-sweep
            }
            if p.redBlack { next = u }
            return (maxdiff, sumSquares)
        }

        var iterations = 0
        var converged = true
        switch p.stop {
        case .steps(let count):
            for _ in 0..<p.count(count) {
                _ = sweep()
                swap(&u, &next)
                iterations += 1
            }
        case .until(let l2, let epsilon, let every, let maximum):
            let tolerance = p.params.contains { $0.name == epsilon } ? p.value(of: epsilon) : numericValue(epsilon)
            let k = every.map(p.count) ?? 1
            let cap = maximum.map(p.count) ?? 1_000_000
            converged = false
            while iterations < cap {
                let (maxdiff, sumSquares) = sweep()
                iterations += 1
                swap(&u, &next)
                if iterations % k == 0 {
                    let residual = l2 ? sumSquares.squareRoot() : Double(maxdiff)
                    if residual < tolerance { converged = true; break }
                }
            }
        }
        return GenResult(iterations: iterations, converged: converged, bytes: u.flatMap(\.littleEndianBytes),
                         allFinite: u.allSatisfy(\.isFinite), rows: count / extents[n - 1], cols: extents[n - 1])
    }
}
