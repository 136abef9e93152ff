// DiagnosticTests.swift: `-verify`-style tests. Each file in Inputs/diagnostics/ puts its
// expectations on the offending line as `# expected-error {{text}}` (or expected-warning);
// the test fails on a missing diagnostic and on an unexpected one.

import Foundation
import StencilFrontend
import Testing

enum Inputs {
    static let directory: String = {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Inputs").path
    }()

    static var diagnosticFiles: [String] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: "\(directory)/diagnostics")) ?? []
        return names.filter { $0.hasSuffix(".st") }.sorted()
    }

    static func file(_ relative: String) throws -> SourceFile {
        let bytes = try Data(contentsOf: URL(fileURLWithPath: "\(directory)/\(relative)"))
        return SourceFile(name: relative, bytes: [UInt8](bytes))
    }
}

struct Expectation: Hashable, CustomStringConvertible {
    let line: Int
    let severity: Severity
    let text: String
    var description: String { "line \(line): expected-\(severity.rawValue) {{\(text)}}" }
}

/// The `expected-KIND {{TEXT}}` comments of a file.
func expectations(in file: SourceFile) -> [Expectation] {
    var result: [Expectation] = []
    var line = 0
    for text in String(decoding: file.bytes, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false) {
        line += 1
        var rest = Substring(text)
        while let marker = rest.range(of: "expected-") {
            rest = rest[marker.upperBound...]
            guard let open = rest.range(of: "{{"), let close = rest.range(of: "}}") else { break }
            let kind = String(rest[..<open.lowerBound]).trimmingCharacters(in: .whitespaces)
            guard let severity = Severity(rawValue: kind) else { break }
            result.append(Expectation(line: line, severity: severity, text: String(rest[open.upperBound..<close.lowerBound])))
            rest = rest[close.upperBound...]
        }
    }
    return result
}

@Suite struct DiagnosticTests {
    @Test(arguments: Inputs.diagnosticFiles)
    func diagnosticsMatchExpectations(_ name: String) throws {
        let file = try Inputs.file("diagnostics/\(name)")
        let (_, engine) = Sema.check(file)
        var unmatched = expectations(in: file)
        #expect(!unmatched.isEmpty, "\(name) has no expectations")
        for diagnostic in engine.diagnostics {
            let line = diagnostic.location.line
            if let index = unmatched.firstIndex(where: {
                $0.line == line && $0.severity == diagnostic.severity && diagnostic.message.contains($0.text)
            }) {
                unmatched.remove(at: index)
            } else {
                Issue.record("unexpected \(diagnostic.severity.rawValue) at \(name):\(line):\(diagnostic.location.column): \(diagnostic.message)")
            }
        }
        for missing in unmatched {
            Issue.record("missing diagnostic in \(name): \(missing)")
        }
    }

    /// The exact rendering: FILE:LINE:COL, the id, the source line, a caret with tildes, notes.
    @Test func renderedFormatIsExact() {
        let file = SourceFile(name: "demo.st", text: """
            stencil demo {
                grid u: float32[8, 8]
                update u[i, j] = (u[i-1, j] + v[i+1, j]) / 2
                steps 10
            }
            """)
        let (checked, engine) = Sema.check(file)
        #expect(checked == nil)
        #expect(engine.rendered() == """
            demo.st:3:35: error: unknown grid 'v' [unknown-grid]
                update u[i, j] = (u[i-1, j] + v[i+1, j]) / 2
                                              ^

            """)
    }

    @Test func caretsCountCharactersAndLongLinesShowAWindow() {
        // The column counts bytes ('é' is two); the caret stands under the character.
        let accented = SourceFile(name: "a.st", text: "stencil a {\n    steps 1 ; é @\n}\n")
        let (_, first) = Sema.check(accented)
        #expect(first.rendered().hasPrefix("""
            a.st:2:15: error: unexpected character 'é' [unexpected-character]
                steps 1 ; é @
                          ^
            a.st:2:18: error: unexpected character '@' [unexpected-character]
                steps 1 ; é @
                            ^

            """), "\(first.rendered())")
        // A 5000-character line shows 240 characters around the spot, cut with "...".
        let wide = SourceFile(name: "w.st", text: "stencil w {\n" + String(repeating: " ", count: 3000) + "@" + String(repeating: " ", count: 2000) + "\n}\n")
        let (_, second) = Sema.check(wide)
        let lines = second.rendered().split(separator: "\n", omittingEmptySubsequences: false)
        #expect(lines[0] == "w.st:2:3001: error: unexpected character '@' [unexpected-character]")
        #expect(lines[1].count == 3 + 240 + 3 && lines[1].hasPrefix("...") && lines[1].hasSuffix("..."), "\(lines[1].count)")
        #expect(lines[2] == String(repeating: " ", count: 103) + "^")
    }

    @Test func aBinaryFileIsOneError() {
        let file = SourceFile(name: "b.st", bytes: [0x7f, 0x45, 0x4c, 0x46, 0x02, 0x01, 0x01, 0x00, 0x00, 0x0a, 0xff, 0x00])
        let (checked, engine) = Sema.check(file)
        #expect(checked == nil)
        #expect(engine.diagnostics.count == 1)
        #expect(engine.rendered().hasPrefix("b.st:1:8: error: this is not a text file (it holds a NUL byte here)"), "\(engine.rendered())")
    }

    @Test func aByteOrderMarkIsNotText() {
        let file = SourceFile(name: "bom.st", bytes: [0xEF, 0xBB, 0xBF] + Array("stencil b {\n    grid u: float32[8]\n    update u[i] = (u[i-1] + u[i+1]) / 2\n    steps 2\n}\n".utf8))
        let (checked, engine) = Sema.check(file)
        #expect(checked != nil, "\(engine.rendered())")
        let bad = SourceFile(name: "bom.st", bytes: [0xEF, 0xBB, 0xBF] + Array("stencil 1 {\n}\n".utf8))
        let (_, errors) = Sema.check(bad)
        // Columns count the mark's 3 bytes; the caret, which counts characters, leaves it out.
        #expect(errors.rendered().hasPrefix("bom.st:1:12: error: "), "\(errors.rendered())")
        #expect(errors.rendered().contains("stencil 1 {\n        ^\n"), "\(errors.rendered())")
    }

    @Test func everyKindOfLineEndEndsALine() {
        let lines = ["stencil e {", "    grid u: float32[8]", "    update u[i] = (u[i-1] + u[i+1]) / 2", "    steps 2", "}", ""]
        for end in ["\n", "\r\n", "\r"] {
            let (checked, engine) = Sema.check(SourceFile(name: "e.st", text: lines.joined(separator: end)))
            #expect(checked != nil, "\(engine.rendered())")
            // An error on line 3 is reported on line 3, its text shown without the line end.
            let bad = lines.enumerated().map { $0.offset == 2 ? "    update u[i] = v[i]" : $0.element }
            let (_, errors) = Sema.check(SourceFile(name: "e.st", text: bad.joined(separator: end)))
            #expect(errors.rendered().hasPrefix("e.st:3:19: error: "), "\(errors.rendered())")
            #expect(errors.rendered().contains("\n    update u[i] = v[i]\n                  ^\n"), "\(errors.rendered())")
        }
    }

    @Test func duplicateShowsNoteAtFirstDeclaration() {
        let file = SourceFile(name: "dup.st", text: "stencil d {\n    param N = 4\n    param N = 5\n    grid u: float32[N, N]\n    update u[i, j] = u[i, j]\n    steps 1\n}\n")
        let (_, engine) = Sema.check(file)
        #expect(engine.rendered() == """
            dup.st:3:11: error: 'N' is already declared [duplicate-declaration]
                param N = 5
                      ^
            dup.st:2:11: note: first declared here
                param N = 4
                      ^

            """)
    }

    /// Systems: two updates of one grid, and a norm over a grid no update writes, rendered whole.
    @Test func systemErrorsRenderWithCaretAndNote() {
        let file = SourceFile(name: "sys.st", text: "stencil s {\n    grid u: float32[8, 8]\n    grid v: float32[8, 8]\n    grid f: float32[8, 8]\n    update u[i, j] = v[i, j] + f[i, j]\n    update u[i, j] = u[i, j]\n    until maxdiff(u, f) < 1e-3\n}\n")
        let (_, engine) = Sema.check(file)
        #expect(engine.rendered() == """
            sys.st:6:12: error: grid 'u' has two updates; each update of a system writes a different grid [grid-updated-twice]
                update u[i, j] = u[i, j]
                       ^
            sys.st:5:5: note: first update of 'u' is here
                update u[i, j] = v[i, j] + f[i, j]
                ^~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~
            sys.st:7:22: error: 'until' must test the updated grid 'u', not 'f' [norm-grid]
                until maxdiff(u, f) < 1e-3
                                 ^

            """)
    }

    @Test func caretUnderlinesWholeToken() {
        let file = SourceFile(name: "t.st", text: "stencil t {\n  grid u: float16[4, 4]\n}\n")
        let (_, engine) = Sema.check(file)
        #expect(engine.rendered().contains("  grid u: float16[4, 4]\n          ^~~~~~~\n"))
    }

    @Test func validProgramHasNoDiagnostics() throws {
        let file = SourceFile(name: "ok.st", text: """
            stencil ok {
                param N = 64; param w = 0.5
                grid u: float64[N, 2 ]
                update u[y, x] = w * (u[y - 1, x] +
                                      u[y + 1, x])
                until l2diff(u) < 1e-6 every 10 max 1000
            }
            schedule { target serial }
            """.replacingOccurrences(of: "[N, 2 ]", with: "[N, N]").replacingOccurrences(of: "{ target serial }", with: "{\n target serial\n}"))
        let (checked, engine) = Sema.check(file)
        #expect(engine.diagnostics.isEmpty, "\(engine.rendered())")
        #expect(checked?.name == "ok")
        #expect(checked?.schedule.target == .serial)
    }
}
