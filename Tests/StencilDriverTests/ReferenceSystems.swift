// ReferenceSystems.swift: the independent reference for systems (several updates, LANGUAGE.md
// section 5), written from the contract like Reference.swift and sharing no code with the
// compiler: one array per grid, every update computed from the previous iterate of every grid,
// then all swapped together. The norm of `until` is over the listed grids together: the largest
// absolute change, or the square root of the sum of all squared changes (summed point by point,
// each point's grids in the order of the updates, as the serial target does).

import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

struct ReferenceSystem<T: BinaryFloatingPoint> {
    var rows: Int
    var cols: Int
    var halo: Int
    /// Each updated grid's start value at every point (init, then its boundary statements).
    var start: [(_ i: Int, _ j: Int) -> T]
    /// Each update: the new value of its grid at (i, j) from the previous iterate of every grid
    /// (`g[k]` is grid k, row-major, `cols` wide).
    var updates: [(_ g: [[T]], _ i: Int, _ j: Int, _ cols: Int) -> T]
    /// The grids (indices into `updates`) the norm of `until` takes together.
    var normed: [Int]
    var stop: ReferenceStop
}

struct ReferenceSystemResult<T> {
    var fields: [[T]]
    var iterations: Int
    var converged: Bool
}

func referenceSolveSystem<T: BinaryFloatingPoint>(_ p: ReferenceSystem<T>) -> ReferenceSystemResult<T> {
    var grids: [[T]] = p.start.map { at in
        var g = [T](repeating: 0, count: p.rows * p.cols)
        for i in 0..<p.rows { for j in 0..<p.cols { g[i * p.cols + j] = at(i, j) } }
        return g
    }
    var next = grids
    func sweep() -> (maxChange: T, sumSquares: Double) {
        var maxChange: T = 0
        var sumSquares = 0.0
        for i in p.halo..<(p.rows - p.halo) {
            for j in p.halo..<(p.cols - p.halo) {
                for (k, update) in p.updates.enumerated() {
                    let value = update(grids, i, j, p.cols)
                    next[k][i * p.cols + j] = value
                    guard p.normed.contains(k) else { continue }
                    let old = grids[k][i * p.cols + j]
                    let change = (value - old).magnitude
                    if change > maxChange { maxChange = change }
                    let d = Double(value) - Double(old)
                    sumSquares += d * d
                }
            }
        }
        return (maxChange, sumSquares)
    }
    switch p.stop {
    case .steps(let count):
        for _ in 0..<count {
            _ = sweep()
            swap(&grids, &next)
        }
        return ReferenceSystemResult(fields: grids, iterations: count, converged: true)
    case .until(let l2, let epsilon, let every, let maximum):
        var iterations = 0
        while iterations < maximum {
            let (maxChange, sumSquares) = sweep()
            iterations += 1
            swap(&grids, &next)
            if iterations % every == 0 {
                let residual = l2 ? sumSquares.squareRoot() : Double(maxChange)
                if residual < epsilon { return ReferenceSystemResult(fields: grids, iterations: iterations, converged: true) }
            }
        }
        return ReferenceSystemResult(fields: grids, iterations: iterations, converged: false)
    }
}

/// One system of stencils/ (or of the tests' own inputs) at a test size: its grids in the order of
/// the updates and its hand-written reference.
struct ReferenceSystemCase: Sendable, CustomTestStringConvertible {
    let file: String
    let params: [String]
    let grids: [String]
    let solve: @Sendable () -> (fields: [String: [UInt8]], iterations: Int, converged: Bool)

    var testDescription: String { "\(file) \(params.joined(separator: " "))" }

    static func make<T: BinaryFloatingPoint>(_ file: String, _ params: [String], grids: [String],
                                             _ problem: @escaping @Sendable () -> ReferenceSystem<T>) -> ReferenceSystemCase
        where T.RawSignificand: FixedWidthInteger {
        ReferenceSystemCase(file: file, params: params, grids: grids) {
            let r = referenceSolveSystem(problem())
            var fields: [String: [UInt8]] = [:]
            for (name, field) in zip(grids, r.fields) { fields[name] = ReferenceSystemCase.bytes(field) }
            return (fields, r.iterations, r.converged)
        }
    }

    /// The case as a one-grid ReferenceCase: the first updated grid only.
    var firstGrid: ReferenceCase {
        let solve = self.solve, first = grids[0]
        return ReferenceCase(file: file, params: params) {
            let r = solve()
            return (r.fields[first]!, r.iterations, r.converged)
        }
    }

    static func bytes<T>(_ field: [T]) -> [UInt8] {
        field.flatMap { value in withUnsafeBytes(of: value) { Array($0) } }  // little-endian machines only, as the .npy files
    }
}

enum ReferenceSystems {
    static let all: [ReferenceSystemCase] = [wave(33, steps: 60), grayScott(37, steps: 200), coupled(29)]

    /// stencils/wave.st: leapfrog, w keeps the previous level; a Gaussian bump at rest.
    static func wave(_ n: Int, steps: Int) -> ReferenceSystemCase {
        .make("wave.st", ["N=\(n)", "T=\(steps)"], grids: ["u", "w"]) { () -> ReferenceSystem<Double> in
            let c = 0.25, s = 6.0, nd = Double(n)
            let bump = { (i: Int, j: Int) -> Double in
                if i == 0 || j == 0 || i == n - 1 || j == n - 1 { return 0 }  // boundary u/w { ... = 0 }
                let di = Double(i) - 0.35 * nd, dj = Double(j) - 0.4 * nd
                return Glibc.exp(-(di * di + dj * dj) / (2 * s * s))
            }
            return ReferenceSystem(rows: n, cols: n, halo: 1, start: [bump, bump],
                                   updates: [
                                       { g, i, j, c0 in
                                           let u = g[0], w = g[1]
                                           return 2 * u[i * c0 + j] - w[i * c0 + j]
                                               + c * (u[(i - 1) * c0 + j] + u[(i + 1) * c0 + j] + u[i * c0 + j - 1] + u[i * c0 + j + 1] - 4 * u[i * c0 + j])
                                       },
                                       { g, i, j, c0 in g[0][i * c0 + j] },
                                   ],
                                   normed: [], stop: .steps(steps))
        }
    }

    /// stencils/gray_scott.st: float32, the seed square written with positions.
    static func grayScott(_ n: Int, steps: Int) -> ReferenceSystemCase {
        let r: Float = 5
        return .make("gray_scott.st", ["N=\(n)", "T=\(steps)", "R=5"], grids: ["u", "v"]) { () -> ReferenceSystem<Float> in
            let du: Float = 0.16, dv: Float = 0.08, f: Float = 0.060, k: Float = 0.062
            let nf = Float(n)
            func seed(_ i: Int, _ j: Int) -> Float {
                let fi = Float(i), fj = Float(j)
                return Swift.max(0, Swift.min(1, r - Swift.max(Swift.abs(fi - nf / 2), Swift.abs(fj - nf / 2))))
            }
            return ReferenceSystem(rows: n, cols: n, halo: 1,
                                   start: [
                                       { i, j in 1 - Float(0.5) * seed(i, j) * (1 + Float(0.1) * Glibc.sinf(Float(0.9) * Float(i)) * Glibc.cosf(Float(1.3) * Float(j))) },
                                       { i, j in Float(0.25) * seed(i, j) * (1 + Float(0.1) * Glibc.cosf(Float(0.7) * Float(i)) * Glibc.sinf(Float(1.1) * Float(j))) },
                                   ],
                                   updates: [
                                       { g, i, j, c in
                                           let u = g[0], v = g[1], p = i * c + j
                                           let lap = u[p - c] + u[p + c] + u[p - 1] + u[p + 1] - 4 * u[p]
                                           return u[p] + du * lap - u[p] * v[p] * v[p] + f * (1 - u[p])
                                       },
                                       { g, i, j, c in
                                           let u = g[0], v = g[1], p = i * c + j
                                           let lap = v[p - c] + v[p + c] + v[p - 1] + v[p + 1] - 4 * v[p]
                                           return v[p] + dv * lap + u[p] * v[p] * v[p] - (f + k) * v[p]
                                       },
                                   ],
                                   normed: [], stop: .steps(steps))
        }
    }

    /// Tests/StencilDriverTests/Inputs/coupled_system.st: two coupled diffusions with a
    /// read-only coefficient given by positions, different index names in the two updates, and
    /// `until l2diff(b, a)`: the norm over both grids, listed in another order than the updates.
    static func coupled(_ n: Int) -> ReferenceSystemCase {
        .make(Repository.root + "/Tests/StencilDriverTests/Inputs/coupled_system.st", ["N=\(n)"], grids: ["a", "b"]) { () -> ReferenceSystem<Double> in
            let kAt = { (i: Int, j: Int) -> Double in 0.1 + 0.01 * Glibc.sin(Double(i)) * Glibc.cos(Double(j)) }
            return ReferenceSystem(rows: n, cols: n, halo: 1,
                                   start: [
                                       { i, j in j == 0 ? 0.5 : i == 0 ? 1 : 0 },   // top = 1, then left = 0.5
                                       { i, _ in i == n - 1 ? 2 : 0 },             // bottom = 2
                                   ],
                                   updates: [
                                       { g, i, j, c in
                                           let a = g[0], b = g[1], p = i * c + j
                                           return (a[p - c] + a[p + c] + a[p - 1] + a[p + 1] + kAt(i, j) * b[p]) / (4 + kAt(i, j))
                                       },
                                       { g, i, j, c in
                                           let a = g[0], b = g[1], p = i * c + j
                                           return (b[p - c] + b[p + c] + b[p - 1] + b[p + 1] + 0.5 * a[p] + 0.001 * Double(i)) / 4.5
                                       },
                                   ],
                                   normed: [1, 0], stop: .until(l2: true, epsilon: 1e-6, every: 3, max: 5000))
        }
    }
}
