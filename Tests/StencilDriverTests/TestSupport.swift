// TestSupport.swift: running emitted programs from tests, and reading what they write.

import Foundation
import StencilDriver
import StencilIR
import Testing

enum Repository {
    static let root: String = {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { url.deleteLastPathComponent() }
        return url.path
    }()

    /// An example of stencils/ by name, or any .st file by absolute path.
    static func stencil(_ name: String) -> String { name.hasPrefix("/") ? name : "\(root)/stencils/\(name)" }

    /// The `stencilc` executable built beside the test bundle.
    static var stencilc: String {
        let exe = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        var url = URL(fileURLWithPath: exe).deletingLastPathComponent()
        // swift-testing may run from inside the .xctest bundle folder.
        for _ in 0..<3 {
            let candidate = url.appendingPathComponent("stencilc").path
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
            url.deleteLastPathComponent()
        }
        return "\(root)/.build/debug/stencilc"
    }
}

/// A fresh temporary folder, removed by the caller.
func temporaryDirectory() throws -> URL {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("stencilc-test-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
}

/// What one run of an emitted program gave: its JSON summary and its final field.
struct RunOutcome {
    var summary: [String: Any]
    var field: NPYArray
    /// The grids asked for with `grids:` (--output NAME=FILE), by name.
    var fields: [String: NPYArray] = [:]

    var iterations: Int { summary["iterations"] as? Int ?? -1 }
    var converged: Bool { summary["converged"] as? Bool ?? false }
}

/// Compiles and runs `file` for a target, through the real launcher and build cache.
func runStencil(_ file: String, target: Target, params: [String] = [], schedule: Schedule = Schedule(),
                compiler: String? = nil, environment: [String: String] = [:], grids: [String] = [],
                inputs: [String] = [], maxIterations: Int? = nil) throws -> RunOutcome {
    let directory = try temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: directory) }
    let result = try Compilation.compile(path: Repository.stencil(file), target: target, overrides: schedule)
    var toolchain = try Toolchain.fromEnvironment(runtimeDirectory: "\(Repository.root)/runtime")
    if let compiler { toolchain.cc = compiler }
    let launcher = Launcher(builder: Builder(toolchain: toolchain, cache: BuildCache.defaultCache()))
    var options = RunOptions()
    options.params = params
    options.outputPath = directory.appendingPathComponent("field.npy").path
    options.inputs = inputs
    options.outputs = grids.map { "\($0)=" + directory.appendingPathComponent("grid_\($0).npy").path }
    options.json = true
    options.quiet = true
    options.environment = environment
    options.maxIterations = maxIterations
    let outcome = try launcher.run(result, stem: Compilation.defaultStem(file), options: options, capture: true)
    guard let object = try JSONSerialization.jsonObject(with: Data(outcome.output.utf8)) as? [String: Any] else {
        throw DriverError("no JSON summary in: \(outcome.output)")
    }
    let field = try NPYArray(contentsOf: options.outputPath!)
    var fields: [String: NPYArray] = [:]
    for grid in grids { fields[grid] = try NPYArray(contentsOf: directory.appendingPathComponent("grid_\(grid).npy").path) }
    return RunOutcome(summary: object, field: field, fields: fields)
}

/// A .npy array of <f4 or <f8 (1 to 3 dimensions), read by hand (the format is simple and fixed).
struct NPYArray: Equatable {
    var descr: String
    /// The full shape; `rows` x `cols` the array seen as 2-D (rows: the product of the other extents).
    var shape: [Int]
    var rows: Int
    var cols: Int
    /// The raw little-endian element bytes.
    var bytes: [UInt8]

    init(contentsOf path: String) throws {
        guard let data = FileManager.default.contents(atPath: path) else { throw DriverError("no file \(path)") }
        let all = [UInt8](data)
        guard all.count > 10, all[0] == 0x93, String(decoding: all[1..<6], as: UTF8.self) == "NUMPY" else {
            throw DriverError("\(path) is not a .npy file")
        }
        let headerLength = Int(all[8]) | Int(all[9]) << 8
        let header = String(decoding: all[10..<10 + headerLength], as: UTF8.self)
        func field(_ key: String, _ terminator: Character) -> String {
            guard let range = header.range(of: "'\(key)': ") else { return "" }
            return String(header[range.upperBound...].prefix { $0 != terminator })
        }
        descr = field("descr", ",").replacingOccurrences(of: "'", with: "")
        let shape = field("shape", ")").replacingOccurrences(of: "(", with: "").split(separator: ",")
            .compactMap { Int($0.trimmingCharacters(in: .whitespaces)) }
        guard (1...3).contains(shape.count), header.contains("'fortran_order': False") else {
            throw DriverError("unexpected .npy header: \(header)")
        }
        self.shape = shape
        rows = shape.dropLast().reduce(1, *)
        cols = shape[shape.count - 1]
        bytes = Array(all[(10 + headerLength)...])
        guard bytes.count == rows * cols * elementSize else { throw DriverError("truncated .npy data in \(path)") }
    }

    var elementSize: Int { descr == "<f8" ? 8 : 4 }

    var floats: [Float] {
        stride(from: 0, to: bytes.count, by: 4).map { k in
            Float(bitPattern: UInt32(bytes[k]) | UInt32(bytes[k + 1]) << 8 | UInt32(bytes[k + 2]) << 16 | UInt32(bytes[k + 3]) << 24)
        }
    }

    var doubles: [Double] {
        stride(from: 0, to: bytes.count, by: 8).map { k in
            var bits: UInt64 = 0
            for b in 0..<8 { bits |= UInt64(bytes[k + b]) << (8 * b) }
            return Double(bitPattern: bits)
        }
    }
}

/// A failing run shows the tool's own output (mpirun's reason, the compiler's errors) in the
/// test log, not only the one-line message.
extension DriverError: CustomTestStringConvertible {
    public var testDescription: String { toolOutput.isEmpty ? message : "\(message)\n\(toolOutput)" }
}

/// The last line of a command's output as a JSON object (a run's --json summary, tune's result).
func lastJSONObject(_ text: String) throws -> [String: Any] {
    let line = text.split(separator: "\n").last.map(String.init) ?? ""
    return try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any], "not JSON: \(text)")
}
