// ProgramGenerator.swift: random *valid* stencil programs for the differential tests, in a
// representation of their own (GenProgram) that shares nothing with the compiler's AST or IR:
// it prints itself as .st text, and GenInterpreter.swift runs it. Programs use every operator and
// function, halos 1-3, both element types, both stopping rules, odd and non-square sizes,
// read-only and unused grids, params (integer, real, negative, overridden at run time), names
// that collide with C (keywords, libc and runtime symbols, generated locals), schedule blocks,
// `relax`, and `order redblack` where the update allows it.
// Values stay finite: every subexpression has a bound, divisions are by numbers bounded away
// from zero, sqrt sees only non-negative arguments, exp only bounded ones, and the update is
// clamped, so a NaN or Inf can never make a comparison meaningless.

import Foundation

/// An expression of a generated program.
extension GenExpr {
    /// `SIDE = neumann` / `SIDE = periodic`: the words, printed as names (never a generated name:
    /// neither is in the name pools).
    static var neumann: GenExpr { .param("neumann") }
    static var periodic: GenExpr { .param("periodic") }
    var isBoundaryKind: Bool { self == .neumann || self == .periodic }
}

indirect enum GenExpr: Hashable {
    /// A non-negative literal as written ("0.25", "3", ".5", "2.", "1e-2").
    case number(String)
    case param(String)
    /// grid[i + d0, j + d1, ...]: one offset per dimension, first dimension first.
    case read(String, [Int])
    case negate(GenExpr)
    case binary(Character, GenExpr, GenExpr)
    case call(String, [GenExpr])
    /// The update's index name of a dimension (0 the first) as a value.
    case index(Int)
    /// Parentheses the user wrote: no meaning, printed as written.
    case paren(GenExpr)

    var children: [GenExpr] {
        switch self {
        case .number, .param, .read, .index: return []
        case .negate(let e), .paren(let e): return [e]
        case .binary(_, let l, let r): return [l, r]
        case .call(_, let args): return args
        }
    }

    func replacingChildren(_ new: [GenExpr]) -> GenExpr {
        switch self {
        case .number, .param, .read, .index: return self
        case .negate: return .negate(new[0])
        case .paren: return .paren(new[0])
        case .binary(let op, _, _): return .binary(op, new[0], new[1])
        case .call(let f, _): return .call(f, new)
        }
    }

    /// Every subexpression, this one first.
    var subexpressions: [GenExpr] { [self] + children.flatMap(\.subexpressions) }

    var reads: [(String, [Int])] {
        if case .read(let g, let offsets) = self { return [(g, offsets)] }
        return children.flatMap(\.reads)
    }

    var params: Set<String> {
        if case .param(let p) = self { return [p] }
        return children.reduce(into: Set<String>()) { $0.formUnion($1.params) }
    }

    var size: Int { 1 + children.map(\.size).reduce(0, +) }
}

enum GenExtent: Hashable {
    case literal(Int)
    case param(String)
}

enum GenStop: Hashable {
    case steps(GenCount)
    case until(l2: Bool, epsilon: String, every: GenCount?, max: GenCount?)
}

/// An iteration count: a literal or an integer param.
enum GenCount: Hashable {
    case literal(Int)
    case param(String)
}

struct GenParam: Hashable {
    var name: String
    /// As written after `=`: "3", "-0.5", "2.5e-1".
    var text: String
    var isInteger: Bool { !text.contains { $0 == "." || $0 == "e" || $0 == "E" } }
}

struct GenGrid: Hashable {
    var name: String
    /// One extent per dimension, first dimension first.
    var extents: [GenExtent]
    var initial: GenExpr?
    var boundary: [(side: String, value: GenExpr)]
    /// `init NAME[i, j]` / `boundary NAME[i, j]` (the update's index names): fill values may use
    /// `.index`.
    var positional = false

    static func == (a: GenGrid, b: GenGrid) -> Bool {
        a.name == b.name && a.extents == b.extents && a.initial == b.initial && a.positional == b.positional
            && a.boundary.map(\.side) == b.boundary.map(\.side) && a.boundary.map(\.value) == b.boundary.map(\.value)
    }

    func hash(into hasher: inout Hasher) { hasher.combine(name) }
}

struct GenProgram {
    var name: String
    var isDouble: Bool
    var params: [GenParam]
    /// grids[0] is the updated grid.
    var grids: [GenGrid]
    /// The update's index names, one per dimension (1-D, 2-D or 3-D).
    var indices: [String]
    var update: GenExpr
    var stop: GenStop
    /// `--param NAME=VALUE` given at run time.
    var overrides: [String: String]
    /// Lines of an optional general schedule block ("schedule dynamic", "tile 3 x 5").
    var schedule: [String]
    /// Statements are written in this order (declarations may come after their use).
    var shuffleSeed: UInt64
    /// `relax FACTOR` (nil: none): a literal in (0, 1], so the relaxed value stays within the
    /// bounds of the old value and the update's.
    var relax: GenExpr? = nil
    /// `order redblack` (LANGUAGE.md section 5): only where legal, every read of the updated
    /// grid at the point itself or an odd number of steps away (`redBlackLegal`).
    var redBlack = false
    /// A system (LANGUAGE.md section 5): a second update, of read-only grid `grids[grid]`, read
    /// like any grid by both updates, each from the previous iterate (nil: one update).
    var coupled: (grid: Int, value: GenExpr)? = nil

    /// Whether `order redblack` may be asked for: the update reads the updated grid only at the
    /// point itself or an odd number of steps away (the sum of the absolute offsets).
    var redBlackLegal: Bool {
        update.reads.allSatisfy { read in
            let steps = read.1.map(abs).reduce(0, +)
            return read.0 != updated.name || steps == 0 || steps % 2 == 1
        }
    }

    var updated: GenGrid { grids[0] }
    var typeName: String { isDouble ? "float64" : "float32" }

    /// The largest offset of any read, in either update of a system.
    var halo: Int { (update.reads + (coupled?.value.reads ?? [])).map { $0.1.map(abs).max() ?? 0 }.max() ?? 0 }
    var dimensions: Int { indices.count }

    /// The run-time value of a param (an override, else its default).
    func value(of param: String) -> Double {
        if let text = overrides[param] { return Double(text)! }
        return Double(params.first { $0.name == param }!.text)!
    }

    func extent(_ e: GenExtent) -> Int {
        switch e {
        case .literal(let n): return n
        case .param(let p): return Int(value(of: p))
        }
    }

    func count(_ c: GenCount) -> Int {
        switch c {
        case .literal(let n): return n
        case .param(let p): return Int(value(of: p))
        }
    }

    var overrideArguments: [String] { overrides.keys.sorted().map { "\($0)=\(overrides[$0]!)" } }

    // MARK: Printing

    /// The program as a .st file.
    var text: String {
        var rng = SplitMix(state: shuffleSeed)
        var statements: [String] = []
        for p in params { statements.append("param \(p.name) = \(p.text)") }
        for g in grids {
            statements.append("grid \(g.name): \(typeName)[\(g.extents.map(extentText).joined(separator: ", "))]")
        }
        for g in grids {
            let target = g.positional ? "\(g.name)[\(indices.joined(separator: ", "))]" : g.name
            if let initial = g.initial { statements.append("init \(target) = \(print(initial))") }
            if !g.boundary.isEmpty {
                let separator = Bool.random(using: &rng) ? "\n        " : "; "
                let body = g.boundary.map { "\($0.side) = \(print($0.value))" }.joined(separator: separator)
                statements.append(separator == "; " ? "boundary \(target) { \(body) }" : "boundary \(target) {\n        \(body)\n    }")
            }
        }
        statements.append("update \(updated.name)[\(indices.joined(separator: ", "))] = \(print(update))")
        if let coupled { statements.append("update \(grids[coupled.grid].name)[\(indices.joined(separator: ", "))] = \(print(coupled.value))") }
        if let relax { statements.append("relax \(print(relax))") }
        if redBlack { statements.append("order redblack") }
        switch stop {
        case .steps(let count): statements.append("steps \(countText(count))")
        case .until(let l2, let epsilon, let every, let maximum):
            var line = "until \(l2 ? "l2diff" : "maxdiff")(\(updated.name)) < \(epsilon)"
            if let every { line += " every \(countText(every))" }
            if let maximum { line += " max \(countText(maximum))" }
            statements.append(line)
        }
        // Declarations may follow their uses: shuffle all but keep the order of fills of one
        // grid (boundary lines of one grid stay in one statement).
        statements.shuffle(using: &rng)
        // A system's first update written is the one `--output F.npy` writes: the main one.
        if coupled != nil {
            let updates = statements.indices.filter { statements[$0].hasPrefix("update ") }
            if !statements[updates[0]].hasPrefix("update \(updated.name)[") { statements.swapAt(updates[0], updates[1]) }
        }
        var out = "# generated by the differential tests\nstencil \(name) {\n"
        for statement in statements { out += "    \(statement)\n" }
        out += "}\n"
        if !schedule.isEmpty {
            out += "schedule {\n" + schedule.map { "    \($0)\n" }.joined() + "}\n"
        }
        return out
    }

    func extentText(_ e: GenExtent) -> String {
        switch e {
        case .literal(let n): return String(n)
        case .param(let p): return p
        }
    }

    func countText(_ c: GenCount) -> String {
        switch c {
        case .literal(let n): return String(n)
        case .param(let p): return p
        }
    }

    /// DSL text with the parentheses the tree needs (and the ones written as `.paren`).
    func print(_ e: GenExpr) -> String {
        func precedence(_ e: GenExpr) -> Int {
            switch e {
            case .binary(let op, _, _): return op == "+" || op == "-" ? 1 : 2
            case .negate: return 3
            case .number, .param, .read, .call, .paren, .index: return 4
            }
        }
        func sub(_ child: GenExpr, _ parentPrecedence: Int, right: Bool) -> String {
            let p = precedence(child)
            let needs = right ? p <= parentPrecedence : p < parentPrecedence
            return needs ? "(\(print(child)))" : print(child)
        }
        switch e {
        case .number(let text): return text
        case .param(let name): return name
        case .index(let dimension): return indices[dimension]
        case .read(let grid, let offsets): return "\(grid)[\(zip(indices, offsets).map(index).joined(separator: ", "))]"
        case .negate(let operand):
            // `-(...)` for anything weaker than a unary minus; `- -x` would also parse.
            return "-" + (precedence(operand) < 3 ? "(\(print(operand)))" : print(operand))
        case .binary(let op, let l, let r):
            let p = precedence(e)
            return "\(sub(l, p, right: false)) \(op) \(sub(r, p, right: true))"
        case .call(let f, let args): return "\(f)(\(args.map(print).joined(separator: ", ")))"
        case .paren(let inner): return "(\(print(inner)))"
        }
    }

    func index(_ name: String, _ offset: Int) -> String {
        // Several spellings the language allows: i, i+1, i - 2, (i), (i + 1), i+0.
        // (Swift's hashValue changes per process: the spelling must not.)
        let style = (name.unicodeScalars.reduce(0) { $0 + Int($1.value) } + offset + 8) % 4
        if offset == 0 { return style == 3 ? "(\(name))" : name }
        let op = offset > 0 ? "+" : "-"
        switch style {
        case 0: return "\(name)\(op)\(abs(offset))"
        case 1: return "\(name) \(op) \(abs(offset))"
        case 2: return "(\(name) \(op) \(abs(offset)))"
        default: return "\(name)\(op) \(abs(offset))"
        }
    }
}

/// A tiny deterministic generator (tests must not flake): SplitMix64.
struct SplitMix: RandomNumberGenerator {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9e37_79b9_7f4a_7c15
        var z = state
        z = (z ^ (z >> 30)) &* 0xbf58_476d_1ce4_e5b9
        z = (z ^ (z >> 27)) &* 0x94d0_49bb_1331_11eb
        return z ^ (z >> 31)
    }
}

/// Builds random valid programs from a seed.
struct ProgramGenerator {
    var rng: SplitMix

    init(seed: UInt64) { rng = SplitMix(state: seed) }

    /// Names that C, the runtime or the emitted code already use, DSL words, and plain ones.
    static let hostileNames = [
        "int", "double", "main", "sweep", "next", "rows", "cols", "st_tmp", "_x", "__y", "MPI_Comm", "float4", "size_t",
        "NAN", "INFINITY", "HALO", "residual", "change", "buffers", "k", "swap", "iterations", "omp_x", "cl_mem",
        "clFinish", "u_next", "int__next", "int_", "printf", "errno", "params", "options", "maxdiff", "sum_sq",
        "tolerance", "every", "max", "steps", "param", "grid", "update", "until", "init", "boundary", "top", "left",
        "stencil", "schedule", "float32", "l2diff", "sin", "exp", "abs", "EOF", "stdout", "restrict", "kernel",
        "global", "linux", "summary", "start", "seconds", "argv", "st", "cl", "dsl_st_tmp", "HUGE_VAL", "FP_NAN",
        "isnan", "fminf", "bool", "true", "I", "complex", "nullptr", "uint8_t", "x", "y", "plain", "iteration",
        "first", "count", "temporal", "norm", "bad", "frame", "buffer", "f_buffer", "omega_arg", "snprintf",
        "atomic_inc", "decomp", "env", "wg", "current", "result", "partial", "plan", "depth", "tiles",
    ]
    static let plainNames = ["u", "v", "w", "f", "g", "a", "b", "c", "phi", "rho", "T", "src", "omega", "alpha", "beta", "N", "M", "K"]

    mutating func chance(_ p: Double) -> Bool { Double.random(in: 0..<1, using: &rng) < p }
    mutating func pick<T>(_ items: [T]) -> T { items[Int.random(in: 0..<items.count, using: &rng)] }
    mutating func int(_ range: ClosedRange<Int>) -> Int { Int.random(in: range, using: &rng) }

    /// Unique names for one program.
    var used: Set<String> = []
    mutating func freshName(hostile: Double = 0.35) -> String {
        while true {
            let name = chance(hostile) ? pick(Self.hostileNames) : pick(Self.plainNames) + (chance(0.3) ? String(int(0...9)) : "")
            if !used.contains(name) { used.insert(name); return name }
        }
    }

    mutating func program() -> GenProgram {
        used = []
        let isDouble = chance(0.4)
        let halo = pick([1, 1, 1, 2, 2, 3])
        let name = freshName(hostile: 0.5)
        var params: [GenParam] = []
        var overrides: [String: String] = [:]

        // Dimensions: mostly 2-D, some 1-D and 3-D (LANGUAGE.md section 5).
        let dimensions = pick([2, 2, 2, 2, 2, 1, 3, 3])
        // Sizes: literals or integer params (sometimes overridden to another odd size); 3-D grids
        // small, 1-D ones long.
        let minimum = 2 * halo + 1
        let spread = [1: 30, 2: 8, 3: 4][dimensions]!
        func size() -> Int { int(minimum...(minimum + spread)) }
        var extents: [GenExtent] = []
        for _ in 0..<dimensions { extents.append(.literal(size())) }
        if chance(0.5) {
            let p = freshName()
            params.append(GenParam(name: p, text: String(size())))
            extents[0] = .param(p)
            for d in 1..<dimensions where chance(0.5) { extents[d] = .param(p) }
            if chance(0.3) { overrides[p] = String(size()) }
        }
        if dimensions > 1, case .literal = extents[dimensions - 1], chance(0.3) {
            let p = freshName()
            params.append(GenParam(name: p, text: String(size())))
            extents[dimensions - 1] = .param(p)
        }

        // Real params for expressions: positive, negative, integer; some overridden.
        var valueParams: [(String, Double)] = []
        for _ in 0..<int(0...3) {
            let p = freshName()
            var text = pick(["0.5", "0.25", "1.5", "2", "3", "0.1", "-0.75", "-2", "1e-1", "2.5E-1", ".5", "4.", "7"])
            params.append(GenParam(name: p, text: text))
            var bound = abs(Double(text.hasPrefix(".") ? "0" + text : text.hasSuffix(".") ? text + "0" : text)!)
            if chance(0.25) {
                text = pick(["0.3", "-1.25", "0.6", "2.75", "5"])
                // An integer param keeps an integer value.
                if params.last!.isInteger { text = pick(["1", "3", "-4", "6"]) }
                overrides[p] = text
                bound = max(bound, abs(Double(text)!))
            }
            valueParams.append((p, bound))
        }
        // Size params are values too.
        for extent in extents {
            if case .param(let p) = extent, !valueParams.contains(where: { $0.0 == p }) {
                valueParams.append((p, Double(minimum + spread)))
            }
        }
        params.shuffle(using: &rng)

        // Grids: the updated one, 0-2 read-only ones, sometimes an unused one.
        var grids = [GenGrid(name: freshName(), extents: extents, initial: nil, boundary: [])]
        for _ in 0..<pick([0, 0, 1, 1, 2]) {
            grids.append(GenGrid(name: freshName(), extents: extents, initial: nil, boundary: []))
        }
        let readable = grids.map(\.name)
        var unused: GenGrid?
        if chance(0.1) {
            // 1-D and 3-D: every grid of a stencil has the same extents.
            let own: [GenExtent] = dimensions == 2 ? [.literal(int(3...6)), .literal(int(3...6))] : extents
            unused = GenGrid(name: freshName(), extents: own, initial: nil, boundary: [])
        }

        let bound = pick([1.0, 10.0, 100.0])
        var builder = ExpressionBuilder(rng: rng, grids: readable, halo: halo, dimensions: dimensions, fieldBound: bound,
                                        params: valueParams.map { ($0.0, abs($0.1)) })
        // Fills: values of params and numbers within the field bound.
        for k in grids.indices {
            if chance(0.7) { grids[k].initial = builder.fillValue(bound: bound) }
            let sides = [1: ["left", "right", "left"], 2: ["top", "bottom", "left", "right", "top", "left"],
                         3: ["front", "back", "top", "bottom", "left", "right", "front"]][dimensions]!
            for side in sides.shuffled(using: &builder.rng).prefix(int(0...5)) {
                grids[k].boundary.append((side, builder.fillValue(bound: bound)))
            }
        }
        // Boundary kinds on the updated grid (LANGUAGE.md section 5): some sides neumann, and with
        // halo 1 (a periodic axis needs an interior of h, which every size here has then) a
        // periodic pair, in a random place among the other lines. 2-D here, from this stream as
        // it always was (every seed keeps its program); 1-D and 3-D below, from a stream of
        // their own (`drawKinds`).
        if dimensions == 2 && builder.chance(0.3) {
            for b in grids[0].boundary.indices where builder.chance(0.5) { grids[0].boundary[b].value = GenExpr.neumann }
            if halo == 1 && builder.chance(0.5) {
                let pair = builder.pick([("left", "right"), ("top", "bottom")])
                for side in [pair.0, pair.1] {
                    let at = Int.random(in: 0...grids[0].boundary.count, using: &builder.rng)
                    grids[0].boundary.insert((side, GenExpr.periodic), at: at)
                }
            }
        }
        // Positions: some grids' fills vary with the point (a fill value times sin or cos of an
        // index, so within the same bound).
        for k in grids.indices where builder.chance(0.3) {
            grids[k].positional = true
            func vary(_ e: GenExpr) -> GenExpr {
                .binary("*", e, .call(builder.pick(["sin", "cos"]), [.index(builder.pick(Array(0..<dimensions)))]))
            }
            if let initial = grids[k].initial, builder.chance(0.7) { grids[k].initial = vary(initial) }
            for b in grids[k].boundary.indices where !grids[k].boundary[b].value.isBoundaryKind && builder.chance(0.6) {
                grids[k].boundary[b].value = vary(grids[k].boundary[b].value)
            }
        }
        if var u = unused {
            u.initial = builder.fillValue(bound: bound)
            grids.append(u)
        }

        // The update: a random expression, made to reach the halo, clamped to the bound.
        var (value, _) = builder.expression(depth: int(1...4))
        if value.reads.map({ $0.1.map(abs).max() ?? 0 }).max() != halo {
            let far = builder.haloRead()
            value = .binary(builder.pick(["+", "-", "*"]), value, far)
        }
        let clampText = bound == 1 ? "1" : bound == 10 ? "10" : "100"
        let clamped: GenExpr = builder.chance(0.5)
            ? .call("max", [.negate(.number(clampText)), .call("min", [.number(clampText), value])])
            : .call("min", [.call("max", [value, .negate(.number(clampText))]), .number(clampText)])
        rng = builder.rng

        // Stopping rule: few sweeps; counts literal or params.
        func count(_ range: ClosedRange<Int>) -> GenCount {
            if chance(0.3) {
                let p = freshName()
                params.append(GenParam(name: p, text: String(int(range))))
                if chance(0.3) { overrides[p] = String(int(range)) }
                return .param(p)
            }
            return .literal(int(range))
        }
        let stop: GenStop
        if chance(0.4) {
            stop = .steps(count(1...12))
        } else {
            var epsilon = pick(["1e-3", "0.5", "1e-6", "0.01", "2.5", "1E-2"])
            if chance(0.2) {
                let p = freshName()
                params.append(GenParam(name: p, text: pick(["0.001", "0.2", "1e-5"])))
                epsilon = p
            }
            stop = .until(l2: chance(0.5), epsilon: epsilon, every: chance(0.7) ? count(1...4) : nil,
                          max: count(1...15))
        }

        var schedule: [String] = []
        if chance(0.3) {
            if chance(0.5) { schedule.append("schedule \(pick(["static", "dynamic", "guided"]))") }
            if chance(0.4) { schedule.append("chunksize \(int(1...4))") }
            if chance(0.3) { schedule.append("tile " + (0..<dimensions).map { _ in String(int(1...5)) }.joined(separator: " x ")) }
            if chance(0.3) { schedule.append("num_threads \(int(1...3))") }
            if chance(0.2) { schedule.append("target \(pick(["serial", "openmp"]))") }
        }

        var program = GenProgram(name: name, isDouble: isDouble, params: params, grids: grids,
                                 indices: [], update: clamped, stop: stop, overrides: overrides,
                                 schedule: schedule, shuffleSeed: rng.next())
            .withIndices((0..<dimensions).map { _ in indexName() })
        // relax, chosen from the shuffle seed's top bits so the random stream (and so every
        // other choice) is the same as without it: a quarter relaxed, one in 16 with `relax 1`.
        let relaxChoices: [GenExpr?] = [.number("0.5"), .number("0.75"), .number(".9"), .number("1")]
        let bits = Int(program.shuffleSeed >> 60)
        program.relax = bits < relaxChoices.count ? relaxChoices[bits] : nil
        // order redblack, from the next four bits (the same stream again): a quarter of the
        // programs where it is legal (SOR where they are relaxed too).
        program.redBlack = program.redBlackLegal && (program.shuffleSeed >> 56) & 0xF < 4
        // 1-D and 3-D: boundary kinds on the updated grid as in 2-D (a third of the programs),
        // drawn from a stream of their own after everything else, so the rest of the program is
        // as it was without them.
        var kinds = SplitMix(state: program.shuffleSeed ^ 0x51DE_5EED)
        if dimensions != 2 && Double.random(in: 0..<1, using: &kinds) < 0.3 {
            program.drawKinds(onGrid: 0, using: &kinds)
        }
        // A system, from the next four bits, its update drawn from a stream of its own (so the
        // rest of the program is as without it): a quarter of the programs with a read-only grid
        // and neither red-black (one update only) nor relax. Either grid may have neumann or
        // periodic sides (SystemKindsTests): the main grid's as drawn above, the coupled grid's
        // drawn from the system's stream after its update.
        let couplable = (1..<grids.count).filter { readable.contains(grids[$0].name) }
        if (program.shuffleSeed >> 52) & 0xF < 4, !program.redBlack, program.relax == nil, let k = couplable.first {
            var second = ExpressionBuilder(rng: SplitMix(state: program.shuffleSeed ^ 0x5EED_C0DE), grids: readable, halo: halo, dimensions: dimensions,
                                           fieldBound: bound, params: valueParams.map { ($0.0, abs($0.1)) })
            let (value, _) = second.expression(depth: 1 + Int(program.shuffleSeed % 3))
            let clamp = GenExpr.number(clampText)
            program.coupled = (k, .call("max", [.negate(clamp), .call("min", [clamp, value])]))
            if second.chance(0.4) { program.drawKinds(onGrid: k, using: &second.rng) }
        }
        return program
    }

    mutating func indexName() -> String {
        // Index names must not be params or grids; any other word will do.
        while true {
            let name = pick(["i", "j", "y", "x", "r", "c", "row", "col", "ii", "jj", "k", "main", "int", "sin", "n", "m"])
            if !used.contains(name) { used.insert(name); return name }
        }
    }
}

extension GenProgram {
    /// The sides of each dimension, first dimension first: front/back, top/bottom, left/right
    /// (sides count from the last dimension).
    var sidePairs: [(String, String)] { Array([("front", "back"), ("top", "bottom"), ("left", "right")].suffix(dimensions)) }

    /// The least run-time extent along an axis with periodic sides: an interior of at least h
    /// points (LANGUAGE.md section 5; the runtime's st_check_periodic refuses less).
    var leastPeriodicExtent: Int { 3 * halo }

    /// Whether some grid has a periodic side along `axis`.
    func isPeriodic(axis: Int) -> Bool { hasSide(axis: axis) { $0 == .periodic } }

    /// Whether some grid has a neumann or periodic side (along `axis`; along any when nil).
    func copies(axis: Int? = nil) -> Bool { hasSide(axis: axis) { $0.isBoundaryKind } }

    func hasSide(axis: Int?, _ kind: (GenExpr) -> Bool) -> Bool {
        let sides = axis.map { [sidePairs[$0].0, sidePairs[$0].1] }
        return grids.contains { $0.boundary.contains { kind($0.value) && sides?.contains($0.side) != false } }
    }

    /// Neumann and periodic sides on grid `k` (LANGUAGE.md section 5): each of its lines made
    /// neumann by a coin toss, and by another a periodic pair on an axis long enough for one
    /// (`leastPeriodicExtent`, at the run-time extent), each side in a random place among the
    /// other lines.
    mutating func drawKinds(onGrid k: Int, using rng: inout SplitMix) {
        for b in grids[k].boundary.indices where Bool.random(using: &rng) { grids[k].boundary[b].value = .neumann }
        let axes = (0..<dimensions).filter { extent(grids[k].extents[$0]) >= leastPeriodicExtent }
        guard Bool.random(using: &rng), let axis = axes.randomElement(using: &rng) else { return }
        for side in [sidePairs[axis].0, sidePairs[axis].1] {
            grids[k].boundary.insert((side, .periodic), at: Int.random(in: 0...grids[k].boundary.count, using: &rng))
        }
    }

    func withIndices(_ names: [String]) -> GenProgram {
        var copy = self
        copy.indices = names
        return copy
    }
}

/// Random expressions with a bound on their magnitude, so nothing overflows or becomes NaN.
struct ExpressionBuilder {
    var rng: SplitMix
    let grids: [String]
    let halo: Int
    /// The grids' dimensions: one offset per dimension in every read.
    var dimensions = 2
    let fieldBound: Double
    /// Params usable in expressions, with a bound on their magnitude (default and override).
    let params: [(String, Double)]
    /// The largest magnitude a subexpression may have.
    let limit = 1e6

    mutating func chance(_ p: Double) -> Bool { Double.random(in: 0..<1, using: &rng) < p }
    mutating func pick<T>(_ items: [T]) -> T { items[Int.random(in: 0..<items.count, using: &rng)] }

    static let numbers = ["0.25", "0.5", "1", "2", "3", "4", "0.125", ".5", "2.", "1e-1", "1.5E0", "10", "0.3", "7"]

    mutating func number() -> (GenExpr, Double) {
        let text = pick(Self.numbers)
        return (.number(text), Double(text.hasPrefix(".") ? "0" + text : text.hasSuffix(".") ? text + "0" : text)!)
    }

    mutating func read() -> (GenExpr, Double) {
        let grid = pick(grids)
        var offsets: [Int] = []
        for _ in 0..<dimensions { offsets.append(Int.random(in: -halo...halo, using: &rng)) }
        return (.read(grid, offsets), fieldBound)
    }

    /// A read at the halo's distance in one direction.
    mutating func haloRead() -> GenExpr {
        let d = chance(0.5) ? halo : -halo
        var offsets: [Int] = []
        for _ in 0..<dimensions { offsets.append(Int.random(in: -halo...halo, using: &rng)) }
        offsets[dimensions == 2 ? (chance(0.5) ? 0 : 1) : Int.random(in: 0..<dimensions, using: &rng)] = d
        return .read(pick(grids), offsets)
    }

    mutating func leaf(allowReads: Bool) -> (GenExpr, Double) {
        let roll = Double.random(in: 0..<1, using: &rng)
        if allowReads && roll < 0.55 { return read() }
        // Positions: the update's index names as values (sizes stay below 16).
        if allowReads && roll < 0.6 { return (.index(pick(Array(0..<dimensions))), 16) }
        if !params.isEmpty && roll < 0.75 {
            let (name, bound) = pick(params)
            return (.param(name), bound)
        }
        return number()
    }

    /// Whether a subexpression depends on run-time values (a read or a param): sin, cos and exp
    /// of constants are left out, since the C compiler may fold them with a correctly rounded
    /// library while the program calls glibc at run time.
    static func isVariable(_ e: GenExpr) -> Bool {
        switch e {
        case .read, .param, .index: return true
        case .number: return false
        default: return e.children.contains(where: isVariable)
        }
    }

    /// A random expression of depth at most `depth` and its bound.
    mutating func expression(depth: Int, allowReads: Bool = true) -> (GenExpr, Double) {
        if depth <= 0 || chance(0.2) { return leaf(allowReads: allowReads) }
        for _ in 0..<8 {
            switch Int.random(in: 0..<12, using: &rng) {
            case 0, 1:
                let (l, bl) = expression(depth: depth - 1, allowReads: allowReads)
                let (r, br) = expression(depth: depth - 1, allowReads: allowReads)
                let op: Character = chance(0.5) ? "+" : "-"
                if bl + br <= limit { return (.binary(op, l, r), bl + br) }
            case 2, 3:
                let (l, bl) = expression(depth: depth - 1, allowReads: allowReads)
                let (r, br) = expression(depth: depth - 1, allowReads: allowReads)
                if bl * br <= limit { return (.binary("*", l, r), bl * br) }
            case 4:
                let (l, bl) = expression(depth: depth - 1, allowReads: allowReads)
                let (d, least) = denominator(depth: depth - 1, allowReads: allowReads)
                if bl / least <= limit { return (.binary("/", l, d), bl / least) }
            case 5:
                let (e, b) = expression(depth: depth - 1, allowReads: allowReads)
                return (.negate(e), b)
            case 6:
                let (e, b) = expression(depth: depth - 1, allowReads: allowReads)
                return (.call("abs", [e]), b)
            case 7:
                let (l, bl) = expression(depth: depth - 1, allowReads: allowReads)
                let (r, br) = expression(depth: depth - 1, allowReads: allowReads)
                return (.call(chance(0.5) ? "min" : "max", [l, r]), max(bl, br))
            case 8:
                let (e, b) = expression(depth: depth - 1, allowReads: allowReads)
                // sqrt of something never negative.
                switch Int.random(in: 0..<3, using: &rng) {
                case 0: return (.call("sqrt", [.call("abs", [e])]), b.squareRoot())
                case 1: return (.call("sqrt", [.call("max", [e, .number("0")])]), b.squareRoot())
                default:
                    if b * b <= limit { return (.call("sqrt", [.binary("*", e, e)]), b) }
                }
            case 9:
                let (e, b) = expression(depth: depth - 1, allowReads: allowReads)
                guard Self.isVariable(e) else { continue }
                // exp of something at most 10.
                if b <= 10 { return (.call("exp", [e]), exp(b)) }
                if chance(0.5) { return (.call("exp", [.negate(.call("abs", [e]))]), 1) }
                return (.call("exp", [.call("min", [e, .number("2")])]), exp(2))
            case 10:
                let (e, _) = expression(depth: depth - 1, allowReads: allowReads)
                guard Self.isVariable(e) else { continue }
                return (.call(chance(0.5) ? "sin" : "cos", [e]), 1)
            default:
                let (e, b) = expression(depth: depth - 1, allowReads: allowReads)
                return (.paren(e), b)
            }
        }
        return leaf(allowReads: allowReads)
    }

    /// A divisor and the least magnitude it can have (never near zero).
    mutating func denominator(depth: Int, allowReads: Bool) -> (GenExpr, Double) {
        switch Int.random(in: 0..<5, using: &rng) {
        case 0:
            let text = pick(["2", "4", "0.5", "3", "1.25", "8"])
            return (.number(text), Double(text)!)
        case 1:
            let (e, _) = expression(depth: depth, allowReads: allowReads)
            return (.paren(.binary("+", .call("abs", [e]), .number("1"))), 1)
        case 2:
            let (e, _) = expression(depth: depth, allowReads: allowReads)
            return (.call("max", [.call("abs", [e]), .number("0.5")]), 0.5)
        case 3:
            let (e, _) = expression(depth: depth, allowReads: allowReads)
            guard Self.isVariable(e) else { return (.number("2"), 2) }
            return (.paren(.binary("+", .call("cos", [e]), .number("2"))), 1)
        default:
            let (e, b) = expression(depth: depth, allowReads: allowReads)
            guard Self.isVariable(e), b <= 5 else { return (.number("4"), 4) }
            return (.call("exp", [e]), exp(-b))
        }
    }

    /// An init or boundary value: params and numbers only, within the field bound.
    mutating func fillValue(bound: Double) -> GenExpr {
        let (e, b) = expression(depth: Int.random(in: 0...2, using: &rng), allowReads: false)
        if b <= bound { return e }
        return .call("min", [.number(bound == 1 ? "1" : bound == 10 ? "10" : "100"), .call("max", [e, .negate(.number("1"))])])
    }
}
