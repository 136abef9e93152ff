// Sema+Schedule.swift: the schedule blocks. Each line is checked against the vocabulary; the
// general block and the per-target blocks are returned separately and layered later
// (general, then the target's, then command-line flags).

extension Sema {
    mutating func checkSchedules(_ blocks: [ScheduleBlock]) -> (Schedule, [Target: Schedule]) {
        var general: Schedule?
        var generalBlock: ScheduleBlock?
        var perTarget: [Target: Schedule] = [:]
        var perTargetBlocks: [Target: ScheduleBlock] = [:]
        for block in blocks {
            if let name = block.target {
                guard let target = Target(rawValue: name.name) else {
                    diagnostics.error(.unknownTarget(name.name), at: name.range)
                    continue
                }
                if let first = perTargetBlocks[target] {
                    diagnostics.error(.duplicateScheduleBlock(target.rawValue), at: block.range,
                                      notes: [note("first block is here", at: first.range)])
                    continue
                }
                perTargetBlocks[target] = block
                perTarget[target] = checkScheduleLines(block, allowsTarget: false)
            } else {
                if let first = generalBlock {
                    diagnostics.error(.duplicateScheduleBlock(""), at: block.range,
                                      notes: [note("first block is here", at: first.range)])
                    continue
                }
                generalBlock = block
                general = checkScheduleLines(block, allowsTarget: true)
            }
        }
        let base = general ?? Schedule()
        // chunksize with auto is an OpenMP error in whatever block each comes from.
        for target in Target.allCases {
            let merged = base.overridden(by: perTarget[target] ?? Schedule())
            if merged.kind == .auto, merged.chunksize != nil {
                let block = perTargetBlocks[target] ?? generalBlock
                if let block {
                    diagnostics.error(.chunkWithAuto(), at: block.range)
                    break
                }
            }
        }
        return (base, perTarget)
    }

    private mutating func checkScheduleLines(_ block: ScheduleBlock, allowsTarget: Bool) -> Schedule {
        var schedule = Schedule()
        var seen: [String: ScheduleLine] = [:]
        for line in block.lines {
            let key = line.key.name
            if let first = seen[key] {
                diagnostics.error(.duplicateStatement("schedule line '\(key)'"), at: line.key.range,
                                  notes: [note("first set here", at: first.key.range)])
                continue
            }
            seen[key] = line
            switch key {
            case "target":
                if !allowsTarget {
                    diagnostics.error(.targetInTargetBlock, at: line.key.range)
                } else if let word = word(line, expected: "serial, openmp, opencl, mpi or hybrid") {
                    if let target = Target(rawValue: word) { schedule.target = target }
                    else { diagnostics.error(.unknownTarget(word), at: valueRange(line)) }
                }
            case "schedule":
                if let word = word(line, expected: "static, dynamic, guided or auto") {
                    if let kind = ScheduleKind(rawValue: word) { schedule.kind = kind }
                    else { diagnostics.error(.badScheduleValue("schedule", word, expected: "static, dynamic, guided or auto"), at: valueRange(line)) }
                }
            case "decompose":
                if let word = word(line, expected: "rows or grid") {
                    if let decomposition = Decomposition(rawValue: word) { schedule.decompose = decomposition }
                    else { diagnostics.error(.badScheduleValue("decompose", word, expected: "rows or grid"), at: valueRange(line)) }
                }
            case "temporal":
                if let word = word(line, expected: "auto, on or off") {
                    if let mode = TemporalMode(rawValue: word) { schedule.temporal = mode }
                    else { diagnostics.error(.badScheduleValue("temporal", word, expected: "auto, on or off"), at: valueRange(line)) }
                }
            case "chunksize": schedule.chunksize = positive(line)
            case "num_threads": schedule.numThreads = positive(line)
            case "ranks": schedule.ranks = positive(line)
            case "tile": schedule.tile = sizes(line); sizeLines.append(line)
            case "workgroup": schedule.workgroup = sizes(line); sizeLines.append(line)
            default:
                diagnostics.error(.unknownScheduleLine(key), at: line.key.range)
            }
        }
        return schedule
    }

    private func valueRange(_ line: ScheduleLine) -> SourceRange {
        switch line.value {
        case .word(let w): return w.range
        case .number(let n): return n.range
        case .sizes(let sizes):
            let (first, last) = (sizes[0].range, sizes[sizes.count - 1].range)
            return SourceRange(start: first.start, length: last.start.offset + last.length - first.start.offset)
        }
    }

    private mutating func word(_ line: ScheduleLine, expected: String) -> String? {
        if case .word(let w) = line.value { return w.name }
        diagnostics.error(.badScheduleValue(line.key.name, describe(line.value), expected: expected), at: valueRange(line))
        return nil
    }

    private mutating func positive(_ line: ScheduleLine) -> Int? {
        let largest = Schedule.largest(line.key.name)
        if case .number(let n) = line.value, n.isInteger, let k = Int(exactly: n.value), k >= 1, k <= largest {
            return k
        }
        diagnostics.error(.badScheduleValue(line.key.name, describe(line.value), expected: "an integer from 1 to \(largest)"),
                          at: valueRange(line))
        return nil
    }

    /// `tile`/`workgroup`: one or more positive integer sizes (how many the grid needs is
    /// checkScheduleSizes's question, once the grid's dimensions are known).
    private mutating func sizes(_ line: ScheduleLine) -> [Int]? {
        let literals: [NumberLiteral]
        switch line.value {
        case .number(let n): literals = [n]
        case .sizes(let sizes): literals = sizes
        case .word: literals = []
        }
        let sizes = literals.compactMap { n in n.isInteger ? Int(exactly: n.value).flatMap { (1...Schedule.largestCount).contains($0) ? $0 : nil } : nil }
        if !literals.isEmpty && sizes.count == literals.count { return sizes }
        diagnostics.error(.badScheduleValue(line.key.name, describe(line.value), expected: "one positive integer size per dimension (A x B x C)"),
                          at: valueRange(line))
        return nil
    }

    func describe(_ value: ScheduleValue) -> String {
        switch value {
        case .word(let w): return w.name
        case .number(let n): return n.text
        case .sizes(let sizes): return sizes.map(\.text).joined(separator: " x ")
        }
    }
}

extension Sema {
    /// `tile` and `workgroup` take one size per dimension: `tile 64` on a 1-D grid, `tile 8 x 16
    /// x 64` on a 3-D one.
    mutating func checkScheduleSizes(dimensions: Int) {
        for line in sizeLines {
            let found: Int
            switch line.value {
            case .sizes(let sizes): found = sizes.count
            case .number: found = 1
            case .word: continue  // already refused
            }
            if found != dimensions {
                diagnostics.error(.wrongSizeCount(line.key.name, found: found, dimensions: dimensions), at: line.range)
            }
        }
    }
}
