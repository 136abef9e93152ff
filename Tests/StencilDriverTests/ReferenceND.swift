// ReferenceND.swift: the independent reference's boundary kinds and systems for grids of any
// number of dimensions (LANGUAGE.md section 5: "Dimensions", "Boundary kinds", "Systems"),
// written from the contract like Reference.swift and sharing no code with the compiler: points
// are index lists, the storage row-major (last index fastest), each statement visits every point
// of the grid and tests whether it lies in its strip.

import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// One boundary statement of a grid of any dimension, in the order written.
enum ReferenceStatementN<T> {
    case value(ReferenceSide, (_ point: [Int]) -> T)
    case neumann(ReferenceSide)
    case periodic(ReferenceSide)

    var side: ReferenceSide {
        switch self {
        case .value(let side, _), .neumann(let side), .periodic(let side): return side
        }
    }
    var copies: Bool {
        if case .value = self { return false }
        return true
    }
}

/// Row-major strides of `shape`.
func referenceStrides(_ shape: [Int]) -> [Int] {
    var strides = [Int](repeating: 1, count: shape.count)
    for k in stride(from: shape.count - 2, through: 0, by: -1) { strides[k] = strides[k + 1] * shape[k + 1] }
    return strides
}

/// The statements in order, each reading the field as the ones before left it. The side's axis is
/// counted from the last dimension; a point of the strip (the first or last h indices along it)
/// takes a value, or (neumann) the point whose index along the axis is h / extent-h-1, or
/// (periodic) the point extent-2h further in / back along it, its other indices the same.
func referenceApplyN<T>(_ statements: [ReferenceStatementN<T>], to u: inout [T], shape: [Int], h: Int) {
    let strides = referenceStrides(shape)
    let total = shape.reduce(1, *)
    for statement in statements {
        let side = statement.side
        let axis = shape.count - 1 - side.fromLast
        let n = shape[axis]
        for flat in 0..<total {
            let point = strides.enumerated().map { d, s in flat / s % shape[d] }
            let a = point[axis]
            guard side.isFirst ? a < h : a >= n - h else { continue }
            var source = point
            switch statement {
            case .value(_, let value):
                u[flat] = value(point)
                continue
            case .neumann: source[axis] = side.isFirst ? h : n - h - 1
            case .periodic: source[axis] = side.isFirst ? a + (n - 2 * h) : a - (n - 2 * h)
            }
            u[flat] = u[zip(source, strides).map { $0 * $1 }.reduce(0, +)]
        }
    }
}

/// A system of several updates on grids of any dimension: every update reads the previous iterate
/// of every grid; each updated grid's boundary statements run after its init and, when any of
/// them is neumann or periodic, again after every iteration.
struct ReferenceSystemN<T: BinaryFloatingPoint> {
    var shape: [Int]
    var halo: Int
    /// Each updated grid's init value at every point.
    var start: [(_ point: [Int]) -> T]
    /// Each updated grid's boundary statements, in the order written.
    var statements: [[ReferenceStatementN<T>]]
    /// Each update: the new value at `point`; `read(k, offsets)` is grid k's previous iterate at
    /// point + offsets.
    var updates: [(_ read: (Int, [Int]) -> T, _ point: [Int]) -> T]
    var normed: [Int]
    var stop: ReferenceStop
}

func referenceSolveSystemN<T: BinaryFloatingPoint>(_ p: ReferenceSystemN<T>) -> ReferenceSystemResult<T> {
    let d = p.shape.count, strides = referenceStrides(p.shape), total = p.shape.reduce(1, *)
    let points = (0..<total).map { flat in strides.enumerated().map { k, s in flat / s % p.shape[k] } }
    var grids: [[T]] = p.start.map { at in points.map(at) }
    for k in grids.indices { referenceApplyN(p.statements[k], to: &grids[k], shape: p.shape, h: p.halo) }
    let again = p.statements.map { $0.contains { $0.copies } ? $0 : [] }
    let interior = (0..<total).filter { flat in (0..<d).allSatisfy { points[flat][$0] >= p.halo && points[flat][$0] < p.shape[$0] - p.halo } }
    var next = grids
    func sweep() -> (maxChange: T, sumSquares: Double) {
        var maxChange: T = 0
        var sumSquares = 0.0
        next = grids
        for flat in interior {
            for (k, update) in p.updates.enumerated() {
                let value = update({ g, offsets in grids[g][flat + zip(offsets, strides).map { $0 * $1 }.reduce(0, +)] }, points[flat])
                next[k][flat] = value
                guard p.normed.contains(k) else { continue }
                let old = grids[k][flat]
                if (value - old).magnitude > maxChange { maxChange = (value - old).magnitude }
                let change = Double(value) - Double(old)
                sumSquares += change * change
            }
        }
        for k in next.indices { referenceApplyN(again[k], to: &next[k], shape: p.shape, h: p.halo) }
        return (maxChange, sumSquares)
    }
    switch p.stop {
    case .steps(let count):
        for _ in 0..<count { _ = sweep(); swap(&grids, &next) }
        return ReferenceSystemResult(fields: grids, iterations: count, converged: true)
    case .until(let l2, let epsilon, let every, let maximum):
        var iterations = 0
        while iterations < maximum {
            let (maxChange, sumSquares) = sweep()
            iterations += 1
            swap(&grids, &next)
            if iterations % every == 0, (l2 ? sumSquares.squareRoot() : Double(maxChange)) < epsilon {
                return ReferenceSystemResult(fields: grids, iterations: iterations, converged: true)
            }
        }
        return ReferenceSystemResult(fields: grids, iterations: iterations, converged: false)
    }
}

extension ReferenceSystemCase {
    static func makeN<T: BinaryFloatingPoint>(_ file: String, _ params: [String], grids: [String],
                                              _ problem: @escaping @Sendable () -> ReferenceSystemN<T>) -> ReferenceSystemCase
        where T.RawSignificand: FixedWidthInteger {
        ReferenceSystemCase(file: file, params: params, grids: grids) {
            let r = referenceSolveSystemN(problem())
            var fields: [String: [UInt8]] = [:]
            for (name, field) in zip(grids, r.fields) { fields[name] = ReferenceSystemCase.bytes(field) }
            return (fields, r.iterations, r.converged)
        }
    }
}

/// The 1-D and 3-D systems of Tests/StencilDriverTests/Inputs, transcribed by hand.
extension ReferenceSystems {
    static let dimensions: [ReferenceSystemCase] = [system3d, system1d]

    static let system3d = ReferenceSystemCase.makeN(Repository.root + "/Tests/StencilDriverTests/Inputs/system3d.st", [],
                                                    grids: ["u", "w"]) { () -> ReferenceSystemN<Float> in
        ReferenceSystemN(shape: [6, 7, 9], halo: 1,
                         start: [{ p in Float(0.1) * Float(p[0]) + Float(0.2) * Float(p[1]) - Float(0.05) * Float(p[2]) }, { _ in 1 }],
                         statements: [[.value(.front, { _ in 2 })], [.value(.back, { _ in 3 })]],
                         updates: [
                             { g, _ in
                                 (g(0, [-1, 0, 0]) + g(0, [1, 0, 0]) + g(0, [0, -1, 0]) + g(0, [0, 1, 0]) + g(0, [0, 0, -1]) + g(0, [0, 0, 1])
                                  + g(1, [0, 0, 0])) / 7
                             },
                             { g, _ in Float(0.5) * g(1, [0, 0, 0]) + Float(0.5) * g(0, [0, 0, 0]) },
                         ],
                         normed: [1, 0], stop: .until(l2: false, epsilon: 1e-4, every: 3, max: 500))
    }

    static let system1d = ReferenceSystemCase.makeN(Repository.root + "/Tests/StencilDriverTests/Inputs/system1d.st", [],
                                                    grids: ["a", "b"]) { () -> ReferenceSystemN<Double> in
        let c = { (x: Int) in 0.01 * Double(x) }  // the read-only grid: init c[x] = 0.01 * x
        return ReferenceSystemN(shape: [40], halo: 1,
                                start: [{ p in Glibc.cos(0.2 * Double(p[0])) }, { _ in 0.5 }],
                                statements: [[.value(.left, { _ in 1 }), .value(.right, { _ in 0 })], []],
                                updates: [
                                    { g, p in (g(0, [-1]) + g(0, [1]) + c(p[0]) * g(1, [0])) / (2 + c(p[0])) },
                                    { g, p in 0.5 * (g(1, [-1]) + g(1, [1])) + 0.001 * Double(p[0]) },
                                ],
                                normed: [0, 1], stop: .until(l2: true, epsilon: 1e-6, every: 4, max: 5000))
    }
}
