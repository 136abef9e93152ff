// Reference.swift: an independent reference for the numerical tests, written by hand from the
// language contract (LANGUAGE.md), sharing no code with the compiler: plain Swift loops over two
// arrays. Each program of stencils/ is transcribed below with the same evaluation order, in the
// same precision, calling glibc's math functions as the emitted C does; so a correct compiler
// must agree with it bit for bit.

import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Sides count from the last dimension (LANGUAGE.md section 5): left/right the columns, top/bottom
/// the rows, front/back the planes.
enum ReferenceSide {
    case top, bottom, left, right, front, back

    /// 0 for the last dimension, 1 for the one before it, 2 for the one before that.
    var fromLast: Int {
        switch self {
        case .left, .right: return 0
        case .top, .bottom: return 1
        case .front, .back: return 2
        }
    }
    var isFirst: Bool { self == .left || self == .top || self == .front }
}

enum ReferenceStop {
    case steps(Int)
    case until(l2: Bool, epsilon: Double, every: Int, max: Int)
}

/// One boundary statement in the order written (LANGUAGE.md section 5, "Boundary kinds").
enum ReferenceStatement<T> {
    case value(ReferenceSide, (_ i: Int, _ j: Int) -> T)
    case neumann(ReferenceSide)
    case periodic(ReferenceSide)

    var copies: Bool {
        if case .value = self { return false }
        return true
    }
}

struct ReferenceProblem<T: BinaryFloatingPoint> {
    var rows: Int
    var cols: Int
    var halo: Int
    var initial: T
    /// In the order written: later ones overwrite earlier ones.
    var boundary: [(ReferenceSide, T)]
    /// Other (read-only) grids: all of this value (their init).
    var readOnly: T = 0
    /// `init f[i, j] = ...`: the read-only grid's value at each point (replaces `readOnly`).
    var readOnlyAt: ((_ i: Int, _ j: Int) -> T)? = nil
    /// `boundary u[i, j] { SIDE = ... }`: sides whose values depend on the point, applied after
    /// `boundary` in the order written.
    var boundaryAt: [(ReferenceSide, (_ i: Int, _ j: Int) -> T)] = []
    /// The new value at (i, j), from the previous iterate `u` (row-major, `cols` wide).
    var update: (_ u: [T], _ f: T, _ i: Int, _ j: Int, _ cols: Int) -> T
    var stop: ReferenceStop
    /// `order redblack` (LANGUAGE.md section 5): in place, the red points (i + j even) first, then
    /// the black ones, each from the field as it stands.
    var redBlack = false

    // 1-D and 3-D grids (referenceSolveN): set `shape`, and `updateAt` instead of `update`.
    /// The extents, first dimension first; nil: [rows, cols] (referenceSolve's 2-D loops).
    var shape: [Int]? = nil
    /// `init u[k, i, j] = ...`: the start value at each point (replaces `initial`).
    var initialAtPoint: ((_ point: [Int]) -> T)? = nil
    /// The new value at `point`; `read(offsets)` is the previous iterate at point + offsets.
    var updateAt: ((_ read: ([Int]) -> T, _ point: [Int]) -> T)? = nil
    /// 1-D and 3-D boundary statements with kinds, in the order written (ReferenceND.swift):
    /// applied after `boundary`; with a neumann or periodic one, all of them again after every
    /// sweep (red-black: every half-sweep).
    var statementsAtPoint: [ReferenceStatementN<T>] = []
    /// `init u[i, j] = ...`: the start value of each point (replaces `initial`).
    var initialAt: ((_ i: Int, _ j: Int) -> T)? = nil
    /// The boundary statements with kinds, in the order written (used instead of `boundary` and
    /// `boundaryAt` when not empty). With a neumann or periodic one, ALL of them are applied again
    /// after every sweep (red-black: every half-sweep), as the contract says.
    var statements: [ReferenceStatement<T>] = []
}

extension ReferenceProblem {
    /// A 1-D or 3-D problem (any number of dimensions, in fact): one update closure over points.
    static func grid(_ shape: [Int], halo: Int, initial: T = 0, initialAt: ((_ point: [Int]) -> T)? = nil,
                     boundary: [(ReferenceSide, T)], statements: [ReferenceStatementN<T>] = [], stop: ReferenceStop,
                     redBlack: Bool = false, update: @escaping (_ read: ([Int]) -> T, _ point: [Int]) -> T) -> ReferenceProblem {
        ReferenceProblem(rows: shape.count >= 2 ? shape[shape.count - 2] : 1, cols: shape[shape.count - 1], halo: halo,
                         initial: initial, boundary: boundary, update: { _, _, _, _, _ in 0 }, stop: stop,
                         redBlack: redBlack, shape: shape, initialAtPoint: initialAt, updateAt: update,
                         statementsAtPoint: statements)
    }
}

/// The contract's iteration for a grid of any number of dimensions, written as plainly as the 2-D
/// one below: row-major storage (last index fastest), the points visited in that order; the halo
/// is the same on every side; red is an even sum of the indices.
func referenceSolveN<T: BinaryFloatingPoint>(_ p: ReferenceProblem<T>) -> ReferenceResult<T> {
    let shape = p.shape!, d = shape.count, update = p.updateAt!
    var strides = [Int](repeating: 1, count: d)
    for k in stride(from: d - 2, through: 0, by: -1) { strides[k] = strides[k + 1] * shape[k + 1] }
    let total = shape.reduce(1, *)
    func point(_ flat: Int) -> [Int] {
        var rest = flat
        return strides.map { s in defer { rest %= s }; return rest / s }
    }
    let points = (0..<total).map(point)
    var u = points.map { p.initialAtPoint?($0) ?? p.initial }
    for (side, value) in p.boundary {
        let axis = d - 1 - side.fromLast
        for (flat, at) in points.enumerated() where side.isFirst ? at[axis] < p.halo : at[axis] >= shape[axis] - p.halo {
            u[flat] = value
        }
    }
    referenceApplyN(p.statementsAtPoint, to: &u, shape: shape, h: p.halo)
    let again = p.statementsAtPoint.contains { $0.copies } ? p.statementsAtPoint : []
    let interior = (0..<total).filter { flat in (0..<d).allSatisfy { points[flat][$0] >= p.halo && points[flat][$0] < shape[$0] - p.halo } }
    var next = u
    func value(_ flat: Int) -> T {
        update({ offsets in u[flat + zip(offsets, strides).map { $0 * $1 }.reduce(0, +)] }, points[flat])
    }
    func sweep() -> (maxChange: T, sumSquares: Double) {
        var maxChange: T = 0
        var sumSquares = 0.0
        func account(_ new: T, _ old: T) {
            if (new - old).magnitude > maxChange { maxChange = (new - old).magnitude }
            let change = Double(new) - Double(old)
            sumSquares += change * change
        }
        if p.redBlack {
            for colour in 0..<2 {
                for flat in interior where points[flat].reduce(0, +) % 2 == colour {
                    let new = value(flat)
                    account(new, u[flat])
                    u[flat] = new
                }
                referenceApplyN(again, to: &u, shape: shape, h: p.halo)
            }
            next = u
        } else {
            // The new iterate is the old one with its interior updated (the statements then run on it).
            if !again.isEmpty { next = u }
            for flat in interior {
                let new = value(flat)
                account(new, u[flat])
                next[flat] = new
            }
            referenceApplyN(again, to: &next, shape: shape, h: p.halo)
        }
        return (maxChange, sumSquares)
    }
    var iterations = 0
    switch p.stop {
    case .steps(let count):
        for _ in 0..<count { _ = sweep(); swap(&u, &next) }
        return ReferenceResult(field: u, iterations: count, converged: true)
    case .until(let l2, let epsilon, let every, let maximum):
        while iterations < maximum {
            let (maxChange, sumSquares) = sweep()
            iterations += 1
            swap(&u, &next)
            if iterations % every == 0, (l2 ? sumSquares.squareRoot() : Double(maxChange)) < epsilon {
                return ReferenceResult(field: u, iterations: iterations, converged: true)
            }
        }
        return ReferenceResult(field: u, iterations: iterations, converged: false)
    }
}

/// Whether (i, j) lies in the strip of `side`, `h` deep.
func referenceInStrip(_ side: ReferenceSide, _ i: Int, _ j: Int, rows: Int, cols: Int, h: Int) -> Bool {
    switch side {
    case .top: return i < h
    case .bottom: return i >= rows - h
    case .left: return j < h
    case .right: return j >= cols - h
    case .front, .back: return false  // a 2-D grid has no planes (Sema refuses them)
    }
}

/// The boundary statements in the order written, each reading the field as the ones before left
/// it: a fixed value, or (neumann) the point at index h / extent-h-1 along the side's axis, or
/// (periodic) the point extent-2h further in / back along it.
func referenceApply<T>(_ statements: [ReferenceStatement<T>], to u: inout [T], rows: Int, cols: Int, h: Int) {
    for statement in statements {
        for i in 0..<rows {
            for j in 0..<cols {
                switch statement {
                case .value(let side, let value):
                    if referenceInStrip(side, i, j, rows: rows, cols: cols, h: h) { u[i * cols + j] = value(i, j) }
                case .neumann(let side):
                    guard referenceInStrip(side, i, j, rows: rows, cols: cols, h: h) else { continue }
                    switch side {
                    case .top: u[i * cols + j] = u[h * cols + j]
                    case .bottom: u[i * cols + j] = u[(rows - h - 1) * cols + j]
                    case .left: u[i * cols + j] = u[i * cols + h]
                    case .right: u[i * cols + j] = u[i * cols + cols - h - 1]
                    case .front, .back: break
                    }
                case .periodic(let side):
                    guard referenceInStrip(side, i, j, rows: rows, cols: cols, h: h) else { continue }
                    switch side {
                    case .top: u[i * cols + j] = u[(i + rows - 2 * h) * cols + j]
                    case .bottom: u[i * cols + j] = u[(i - (rows - 2 * h)) * cols + j]
                    case .left: u[i * cols + j] = u[i * cols + j + cols - 2 * h]
                    case .right: u[i * cols + j] = u[i * cols + j - (cols - 2 * h)]
                    case .front, .back: break
                    }
                }
            }
        }
    }
}

struct ReferenceResult<T> {
    var field: [T]
    var iterations: Int
    var converged: Bool
}

/// Jacobi iteration exactly as LANGUAGE.md section 2 defines it.
func referenceSolve<T: BinaryFloatingPoint>(_ p: ReferenceProblem<T>) -> ReferenceResult<T> {
    if p.shape != nil { return referenceSolveN(p) }
    var u = [T](repeating: p.initial, count: p.rows * p.cols)
    if let at = p.initialAt {
        for i in 0..<p.rows { for j in 0..<p.cols { u[i * p.cols + j] = at(i, j) } }
    }
    referenceApply(p.statements, to: &u, rows: p.rows, cols: p.cols, h: p.halo)
    // With a neumann or periodic side, every statement runs again after each (half-)sweep.
    let again = p.statements.contains { $0.copies } ? p.statements : []
    let sides = p.boundary.map { side, value in (side, { (_: Int, _: Int) in value }) } + p.boundaryAt
    for (side, value) in sides {
        for i in 0..<p.rows {
            for j in 0..<p.cols {
                let inStrip: Bool
                switch side {
                case .top: inStrip = i < p.halo
                case .bottom: inStrip = i >= p.rows - p.halo
                case .left: inStrip = j < p.halo
                case .right: inStrip = j >= p.cols - p.halo
                case .front, .back: inStrip = false  // a 2-D grid has no planes (Sema refuses them)
                }
                if inStrip { u[i * p.cols + j] = value(i, j) }
            }
        }
    }
    var f = [T](repeating: p.readOnly, count: p.rows * p.cols)
    if let at = p.readOnlyAt {
        for i in 0..<p.rows { for j in 0..<p.cols { f[i * p.cols + j] = at(i, j) } }
    }
    var next = u
    func redBlackSweep() -> (maxChange: T, sumSquares: Double) {
        var maxChange: T = 0
        var sumSquares = 0.0
        for colour in 0..<2 {
            for i in p.halo..<(p.rows - p.halo) {
                for j in p.halo..<(p.cols - p.halo) where (i + j) % 2 == colour {
                    let value = p.update(u, p.readOnly, i, j, p.cols)
                    let old = u[i * p.cols + j]
                    let change = (value - old).magnitude
                    if change > maxChange { maxChange = change }
                    let d = Double(value) - Double(old)
                    sumSquares += d * d
                    u[i * p.cols + j] = value
                }
            }
            referenceApply(again, to: &u, rows: p.rows, cols: p.cols, h: p.halo)
        }
        next = u
        return (maxChange, sumSquares)
    }
    func sweep() -> (maxChange: T, sumSquares: Double) {
        if p.redBlack { return redBlackSweep() }
        // The new iterate is the old one with its interior updated (the statements then run on it).
        if !again.isEmpty { next = u }
        var maxChange: T = 0
        var sumSquares = 0.0
        for i in p.halo..<(p.rows - p.halo) {
            for j in p.halo..<(p.cols - p.halo) {
                let value = p.update(u, f[i * p.cols + j], i, j, p.cols)
                let old = u[i * p.cols + j]
                let change = (value - old).magnitude
                if change > maxChange { maxChange = change }
                let d = Double(value) - Double(old)
                sumSquares += d * d
                next[i * p.cols + j] = value
            }
        }
        referenceApply(again, to: &next, rows: p.rows, cols: p.cols, h: p.halo)
        return (maxChange, sumSquares)
    }
    switch p.stop {
    case .steps(let count):
        for _ in 0..<count {
            _ = sweep()
            swap(&u, &next)
        }
        return ReferenceResult(field: u, iterations: count, converged: true)
    case .until(let l2, let epsilon, let every, let maximum):
        var iterations = 0
        while iterations < maximum {
            let (maxChange, sumSquares) = sweep()
            iterations += 1
            swap(&u, &next)
            if iterations % every == 0 {
                let residual = l2 ? sumSquares.squareRoot() : Double(maxChange)
                if residual < epsilon { return ReferenceResult(field: u, iterations: iterations, converged: true) }
            }
        }
        return ReferenceResult(field: u, iterations: iterations, converged: false)
    }
}

/// One program of stencils/ at a test size: its params and its hand-written reference.
struct ReferenceCase: Sendable {
    let file: String
    let params: [String]
    let solve: @Sendable () -> (bytes: [UInt8], iterations: Int, converged: Bool)

    var testDescription: String { "\(file) \(params.joined(separator: " "))" }

    static func float32(_ file: String, _ params: [String], _ problem: @escaping @Sendable () -> ReferenceProblem<Float>) -> ReferenceCase {
        ReferenceCase(file: file, params: params) {
            let r = referenceSolve(problem())
            return (r.field.flatMap { withUnsafeBytes(of: $0.bitPattern.littleEndian, Array.init) }, r.iterations, r.converged)
        }
    }

    static func float64(_ file: String, _ params: [String], _ problem: @escaping @Sendable () -> ReferenceProblem<Double>) -> ReferenceCase {
        ReferenceCase(file: file, params: params) {
            let r = referenceSolve(problem())
            return (r.field.flatMap { withUnsafeBytes(of: $0.bitPattern.littleEndian, Array.init) }, r.iterations, r.converged)
        }
    }
}


/// Every program in stencils/, transcribed by hand.
enum ReferencePrograms {
    static let all: [ReferenceCase] = [
        jacobi(40),
        // Systems (ReferenceSystems.swift): here their first grid, as `--output F.npy` writes it.
        ReferenceSystems.wave(33, steps: 60).firstGrid,
        ReferenceSystems.grayScott(37, steps: 200).firstGrid,
        .float32("weighted_jacobi.st", ["N=48", "omega=0.7"]) {
            let w = Float(0.7)
            return ReferenceProblem(rows: 48, cols: 48, halo: 1, initial: 0.5,
                                    boundary: [(.top, 1), (.bottom, 1), (.left, 0), (.right, 0)],
                                    update: { u, _, i, j, c in
                                        (1 - w) * u[i * c + j] + w * (u[(i - 1) * c + j] + u[(i + 1) * c + j] + u[i * c + j - 1] + u[i * c + j + 1]) / 4
                                    },
                                    stop: .until(l2: true, epsilon: 1e-3, every: 50, max: 100000))
        },
        // relax omega: OLD + omega * (EXPR - OLD), in that order, in float32 (LANGUAGE.md section 5).
        .float32("damped_jacobi.st", ["N=40", "omega=0.6"]) {
            let w = Float(0.6)
            return ReferenceProblem(rows: 40, cols: 40, halo: 1, initial: 0,
                                    boundary: [(.top, 100), (.left, 75), (.right, 50), (.bottom, 0)],
                                    update: { u, _, i, j, c in
                                        let old = u[i * c + j]
                                        let jacobi = (u[(i - 1) * c + j] + u[(i + 1) * c + j] + u[i * c + j - 1] + u[i * c + j + 1]) / 4
                                        return old + w * (jacobi - old)
                                    },
                                    stop: .until(l2: false, epsilon: 1e-4, every: 1000, max: 1_000_000))
        },
        jacobiSOR(41),
        jacobiSOR(40),
        insulated(37),
        channelPeriodic(rows: 41, cols: 70, sweeps: 200),
        ninePoint(33),
        heat(37),
        poisson64(24),
        .float32("wide_halo.st", ["N=31"]) {
            ReferenceProblem(rows: 31, cols: 31, halo: 2, initial: 0,
                             boundary: [(.top, 10), (.bottom, -10), (.left, 0), (.right, 0)],
                             update: { u, _, i, j, c in
                                 let near = u[(i - 1) * c + j] + u[(i + 1) * c + j] + u[i * c + j - 1] + u[i * c + j + 1]
                                 let far = 2 * near + u[(i - 2) * c + j] + u[(i + 2) * c + j] + u[i * c + j - 2] + u[i * c + j + 2]
                                 // The language's max/min (stencil_runtime.h): fmax/fmin, a tie gives the second operand.
                                 let inner = (10 < far / 12 || far / 12 != far / 12) ? 10 : far / 12
                                 return (-10 > inner || inner != inner) ? -10 : inner
                             },
                             stop: .until(l2: false, epsilon: 1e-4, every: 20, max: 200000))
        },
        sourceTerm(37),
        .float32("channel.st", ["sweeps=150"]) {
            ReferenceProblem(rows: 64, cols: 500, halo: 1, initial: 0,
                             boundary: [(.left, 1), (.right, 0), (.top, 0.25), (.bottom, 0.25)],
                             update: { t, _, y, x, c in
                                 let sum = t[(y - 1) * c + x] + t[(y + 1) * c + x] + t[y * c + x - 1] + t[y * c + x + 1]
                                 return 0.25 * sum + 0.001 * Glibc.sinf(t[y * c + x]) * Glibc.fabsf(Glibc.cosf(t[y * c + x - 1]))
                             },
                             stop: .steps(150))
        },
    ]

    /// Sizes wide enough for several whole vectors per row and a remainder, which the small
    /// sizes above never reach: rows that start at every alignment (odd widths), rows that all
    /// start aligned (a multiple of 16), float64's 8 lanes.
    /// Programs with a neumann or periodic side: whole sweeps only (no tiles or bands), the
    /// boundary statements after each (BoundaryKindsTests checks that other plans are refused).
    static let boundaryEachSweep: Set<String> = ["insulated.st", "channel_periodic.st"]
    /// Examples of several updates: no band plans (they keep scratch copies of one grid).
    static let systems: Set<String> = ["wave.st", "gray_scott.st"]

    /// insulated.st: neumann on three sides, a fixed bottom that varies along it, written last.
    static func insulated(_ n: Int) -> ReferenceCase {
        .float32("insulated.st", ["N=\(n)"]) {
            let nf = Float(n)
            return ReferenceProblem(rows: n, cols: n, halo: 1, initial: 0, boundary: [],
                                    update: { u, _, i, j, c in
                                        (u[(i - 1) * c + j] + u[(i + 1) * c + j] + u[i * c + j - 1] + u[i * c + j + 1]) / 4
                                    },
                                    stop: .until(l2: false, epsilon: 1e-3, every: 100, max: 100000),
                                    statements: [.neumann(.left), .neumann(.right), .neumann(.top),
                                                 .value(.bottom, { _, j in 50 + 50 * Glibc.cosf(Float(3.14159265) * Float(j) / (nf - 1)) })])
        }
    }

    /// channel_periodic.st: periodic left and right, a fixed top, a neumann bottom; the start
    /// value and the source depend on position.
    static func channelPeriodic(rows: Int, cols: Int, sweeps: Int) -> ReferenceCase {
        .float32("channel_periodic.st", ["ROWS=\(rows)", "COLS=\(cols)", "sweeps=\(sweeps)"]) {
            let r = Float(0.2), width = Float(cols)
            return ReferenceProblem(rows: rows, cols: cols, halo: 1, initial: 0, boundary: [],
                                    update: { u, _, i, j, c in
                                        let sum = u[(i - 1) * c + j] + u[(i + 1) * c + j] + u[i * c + j - 1] + u[i * c + j + 1]
                                        let flow = u[i * c + j] + r * (sum - 4 * u[i * c + j])
                                        return flow + Float(0.002) * (1 + Glibc.sinf(Float(6.2831853) * Float(j) / width))
                                    },
                                    stop: .steps(sweeps),
                                    initialAt: { i, j in
                                        let di = Float(i) - 48, dj = Float(j) - 60
                                        return 100 * Glibc.expf(-(di * di + dj * dj) / 200)
                                    },
                                    statements: [.periodic(.left), .periodic(.right), .value(.top, { _, _ in 0 }), .neumann(.bottom)])
        }
    }

    static let wide: [ReferenceCase] = [jacobi(67), jacobi(50), ninePoint(70), heat(64), poisson64(41)]

    /// jacobi_sor.st: red-black SOR with omega = 2 / (1 + sin(pi / (N - 1))), in float64 as the C
    /// evaluates it (N converted to double), OLD + omega * (EXPR - OLD).
    static func jacobiSOR(_ n: Int) -> ReferenceCase {
        .float64("jacobi_sor.st", ["N=\(n)"]) {
            let w = 2.0 / (1.0 + Glibc.sin(3.141592653589793 / (Double(n) - 1.0)))
            return ReferenceProblem(rows: n, cols: n, halo: 1, initial: 0,
                                    boundary: [(.top, 100), (.left, 75), (.right, 50), (.bottom, 0)],
                                    update: { u, _, i, j, c in
                                        let old = u[i * c + j]
                                        let jacobi = (u[(i - 1) * c + j] + u[(i + 1) * c + j] + u[i * c + j - 1] + u[i * c + j + 1]) / 4
                                        return old + w * (jacobi - old)
                                    },
                                    stop: .until(l2: false, epsilon: 1e-6, every: 100, max: 1_000_000), redBlack: true)
        }
    }

    static func jacobi(_ n: Int) -> ReferenceCase {
        .float32("jacobi.st", ["N=\(n)"]) {
            ReferenceProblem(rows: n, cols: n, halo: 1, initial: 0,
                             boundary: [(.top, 100), (.left, 75), (.right, 50), (.bottom, 0)],
                             update: { u, _, i, j, c in (u[(i - 1) * c + j] + u[(i + 1) * c + j] + u[i * c + j - 1] + u[i * c + j + 1]) / 4 },
                             stop: .until(l2: false, epsilon: 1e-4, every: 1000, max: 1_000_000))
        }
    }

    static func ninePoint(_ n: Int) -> ReferenceCase {
        .float32("nine_point.st", ["N=\(n)"]) {
            ReferenceProblem(rows: n, cols: n, halo: 1, initial: 0,
                             boundary: [(.top, 1), (.left, 0.5), (.right, 0.5), (.bottom, 0)],
                             update: { u, _, i, j, c in
                                 let cross = u[(i - 1) * c + j] + u[(i + 1) * c + j] + u[i * c + j - 1] + u[i * c + j + 1]
                                 let sum = 4 * cross + u[(i - 1) * c + j - 1] + u[(i - 1) * c + j + 1] + u[(i + 1) * c + j - 1] + u[(i + 1) * c + j + 1]
                                 return sum / 20
                             },
                             stop: .until(l2: false, epsilon: 1e-5, every: 100, max: 500000))
        }
    }

    static func heat(_ n: Int) -> ReferenceCase {
        .float32("heat.st", ["N=\(n)", "steps_count=300"]) {
            let r = Float(0.2)
            return ReferenceProblem(rows: n, cols: n, halo: 1, initial: 20,
                                    boundary: [(.left, 100), (.top, 0), (.bottom, 0), (.right, 0)],
                                    update: { u, _, i, j, c in
                                        u[i * c + j] + r * (u[(i - 1) * c + j] + u[(i + 1) * c + j] + u[i * c + j - 1] + u[i * c + j + 1] - 4 * u[i * c + j])
                                    },
                                    stop: .steps(300))
        }
    }

    /// Positions in expressions: the update's indices as float32 values, a top side that varies
    /// along it, a read-only coefficient given point by point. Glibc's float functions, as the
    /// emitted C calls them, in the written order.
    static func sourceTerm(_ n: Int) -> ReferenceCase {
        .float32("source_term.st", ["N=\(n)", "sweeps=300"]) {
            let r = Float(0.2)
            let nf = Float(n)
            return ReferenceProblem(rows: n, cols: n, halo: 1, initial: 0,
                                    boundary: [],
                                    readOnlyAt: { i, j in
                                        1 + Float(0.25) * Glibc.cosf(Float(0.2) * Float(i)) * Glibc.cosf(Float(0.2) * Float(j))
                                    },
                                    boundaryAt: [
                                        (.top, { _, j in 100 * Glibc.sinf(Float(3.14159265) * Float(j) / (nf - 1)) }),
                                        (.bottom, { _, _ in 0 }), (.left, { _, _ in 0 }), (.right, { _, _ in 0 }),
                                    ],
                                    update: { u, k, i, j, c in
                                        let sum = u[(i - 1) * c + j] + u[(i + 1) * c + j] + u[i * c + j - 1] + u[i * c + j + 1]
                                        let flow = r * k * (sum - 4 * u[i * c + j])
                                        return u[i * c + j] + flow + Float(0.001) * Float(i) * Glibc.sinf(Float(0.1) * Float(j))
                                    },
                                    stop: .steps(300))
        }
    }

    static func poisson64(_ n: Int) -> ReferenceCase {
        .float64("poisson64.st", ["N=\(n)"]) {
            let h2 = 0.0001
            return ReferenceProblem(rows: n, cols: n, halo: 1, initial: 0,
                                    boundary: [(.top, Glibc.sqrt(2.0)), (.bottom, -1), (.left, Glibc.exp(-1.0)), (.right, 0)],
                                    readOnly: 250,
                                    update: { u, f, i, j, c in
                                        (u[(i - 1) * c + j] + u[(i + 1) * c + j] + u[i * c + j - 1] + u[i * c + j + 1] + h2 * f) / 4
                                    },
                                    stop: .until(l2: true, epsilon: 1e-7, every: 10, max: 400000))
        }
    }
}

/// The 1-D and 3-D programs of stencils/, transcribed by hand (DimensionsTests runs them on every
/// target that takes their dimension; they are not in `all`, whose tests are 2-D).
extension ReferencePrograms {
    static let dimensions: [ReferenceCase] = [heat3d(12), heat3d(17), laplace3d(14), rod(101), duct3d(planes: 12, n: 9)]

    static func heat3d(_ n: Int) -> ReferenceCase {
        .float32("heat3d.st", ["N=\(n)", "steps_count=40"]) {
            let r = Float(0.15)
            return .grid([n, n, n], halo: 1, initial: 20,
                         boundary: [(.front, 100), (.back, 0), (.top, 0), (.bottom, 0), (.left, 0), (.right, 0)],
                         stop: .steps(40)) { u, _ in
                u([0, 0, 0]) + r * (u([-1, 0, 0]) + u([1, 0, 0]) + u([0, -1, 0]) + u([0, 1, 0]) + u([0, 0, -1]) + u([0, 0, 1])
                                     - 6 * u([0, 0, 0]))
            }
        }
    }

    static func laplace3d(_ n: Int) -> ReferenceCase {
        .float64("laplace3d.st", ["N=\(n)"]) {
            .grid([n, n, n], halo: 1,
                  boundary: [(.front, 0), (.back, 0), (.bottom, 0), (.left, 0), (.right, 0), (.top, 100)],
                  stop: .until(l2: false, epsilon: 1e-4, every: 10, max: 20000)) { u, _ in
                (u([-1, 0, 0]) + u([1, 0, 0]) + u([0, -1, 0]) + u([0, 1, 0]) + u([0, 0, -1]) + u([0, 0, 1])) / 6
            }
        }
    }

    /// stencils/duct3d.st: periodic front/back, a neumann floor, in the order written.
    static func duct3d(planes: Int, n: Int) -> ReferenceCase {
        .float32("duct3d.st", ["P=\(planes)", "N=\(n)", "sweeps=30"]) {
            let r = Float(0.15)
            return .grid([planes, n, n], halo: 1,
                         initialAt: { p in
                             let d = Float(p[0]) - 12
                             return 20 + 60 * Glibc.expf(-(d * d) / 20)
                         },
                         boundary: [],
                         statements: [.periodic(.front), .periodic(.back), .value(.left, { _ in 20 }), .value(.right, { _ in 20 }),
                                      .neumann(.bottom), .value(.top, { _ in 0 })],
                         stop: .steps(30)) { u, _ in
                u([0, 0, 0]) + r * (u([-1, 0, 0]) + u([1, 0, 0]) + u([0, -1, 0]) + u([0, 1, 0]) + u([0, 0, -1]) + u([0, 0, 1])
                                     - 6 * u([0, 0, 0]))
            }
        }
    }

    static func rod(_ n: Int) -> ReferenceCase {
        .float64("rod.st", ["N=\(n)", "steps_count=300"]) {
            let r = 0.4
            return .grid([n], halo: 1, initialAt: { x in 50 + 50 * Glibc.sin(Double(x[0]) / 40) },
                         boundary: [(.left, 100), (.right, 0)], stop: .steps(300)) { u, _ in
                u([0]) + r * (u([-1]) - 2 * u([0]) + u([1]))
            }
        }
    }
}
