// NPYFile.swift: reads the .npy files emitted programs write (--output), for `stencilc verify`:
// a 1-D, 2-D or 3-D C-order array of <f4 or <f8, NPY format 1.0. Anything else is an error,
// never a trap.

import Foundation

public struct NPYFile: Sendable, Equatable {
    /// `<f4` or `<f8`.
    public var descr: String
    /// The extents, the last varying fastest.
    public var shape: [Int]
    /// All but the last extent together (1 for a 1-D array), and the last.
    public var rows: Int { shape.dropLast().reduce(1, *) }
    public var cols: Int { shape.last ?? 0 }
    /// The raw little-endian element bytes, row-major.
    public var bytes: [UInt8]

    public var elementSize: Int { descr == "<f8" ? 8 : 4 }
    public var count: Int { rows * cols }

    public init(descr: String, rows: Int, cols: Int, bytes: [UInt8]) {
        self.init(descr: descr, shape: [rows, cols], bytes: bytes)
    }

    public init(descr: String, shape: [Int], bytes: [UInt8]) {
        self.descr = descr
        self.shape = shape
        self.bytes = bytes
    }

    /// `29 x 29 x 29`.
    public var shapeText: String { shape.map(String.init).joined(separator: " x ") }

    public init(contentsOf path: String) throws {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw DriverError("cannot read '\(path)'")
        }
        try self.init(bytes: [UInt8](data), name: path)
    }

    public init(bytes all: [UInt8], name: String = "the .npy data") throws {
        guard all.count >= 10, all[0] == 0x93, all[1...5].elementsEqual("NUMPY".utf8), all[6] == 1 else {
            throw DriverError("\(name) is not a version 1 .npy file")
        }
        let headerLength = Int(all[8]) | Int(all[9]) << 8
        guard all.count >= 10 + headerLength else { throw DriverError("\(name): truncated .npy header") }
        let header = String(decoding: all[10..<10 + headerLength], as: UTF8.self)
        func field(_ key: String, _ terminator: Character) -> String {
            guard let range = header.range(of: "'\(key)': ") else { return "" }
            return String(header[range.upperBound...].prefix { $0 != terminator })
        }
        let descr = field("descr", ",").replacingOccurrences(of: "'", with: "")
        let shape = field("shape", ")").replacingOccurrences(of: "(", with: "").split(separator: ",")
            .compactMap { Int($0.trimmingCharacters(in: .whitespaces)) }
        guard descr == "<f4" || descr == "<f8", (1...3).contains(shape.count), shape.allSatisfy({ $0 >= 0 }),
              header.contains("'fortran_order': False") else {
            throw DriverError("\(name): unexpected .npy header \(header.trimmingCharacters(in: .whitespacesAndNewlines))")
        }
        self.descr = descr
        self.shape = shape
        bytes = Array(all[(10 + headerLength)...])
        let count = shape.reduce(1) { $0.multipliedReportingOverflow(by: $1).partialValue }
        guard count.multipliedReportingOverflow(by: elementSize).partialValue == bytes.count else {
            throw DriverError("\(name): the data holds \(bytes.count) bytes, not \(shapeText) x \(elementSize)")
        }
    }

    /// Element `k` (row-major) as a Double, whatever the element type.
    public func value(at k: Int) -> Double {
        let base = k * elementSize
        if elementSize == 4 {
            var bits: UInt32 = 0
            for b in 0..<4 { bits |= UInt32(bytes[base + b]) << (8 * b) }
            return Double(Float(bitPattern: bits))
        }
        var bits: UInt64 = 0
        for b in 0..<8 { bits |= UInt64(bytes[base + b]) << (8 * b) }
        return Double(bitPattern: bits)
    }

    /// The largest magnitude of a finite element (0 for none).
    public var scale: Double {
        (0..<count).reduce(0.0) { largest, k in
            let v = value(at: k)
            return v.isFinite ? max(largest, abs(v)) : largest
        }
    }

    /// The largest absolute difference from `other` (same shape), NaN-aware: a NaN against a
    /// number, or NaN against NaN with other bits, is an infinite difference; identical bits are
    /// none. With `relative`, each difference is divided by max(1, |other's value|).
    public func largestDifference(from other: NPYFile, relative: Bool = false) -> Double {
        var largest = 0.0
        for k in 0..<min(count, other.count) {
            let a = value(at: k), b = other.value(at: k)
            let difference: Double
            if a.isNaN || b.isNaN {
                let same = a.isNaN && b.isNaN && bytes[k * elementSize..<(k + 1) * elementSize]
                    == other.bytes[k * other.elementSize..<(k + 1) * other.elementSize]
                difference = same ? 0 : .infinity
            } else if a == b {
                difference = 0  // Inf == Inf too
            } else {
                difference = relative ? abs(a - b) / max(1, abs(b)) : abs(a - b)
            }
            largest = max(largest, difference.isNaN ? .infinity : difference)
        }
        return largest
    }
}
