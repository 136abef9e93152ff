// FrontendFuzzer.swift: libFuzzer entry point. Each input is a .st file: it goes through the
// lexer, parser and checks, and, when stencilc accepts it, through lowering and every backend
// this build has. Any trap (a crash) or a run past libFuzzer's -timeout (a hang) is a bug; add
// the reproducer to Tests/StencilFrontendTests/Inputs/corpus/ as a regression test.

import StencilDriver
import StencilFrontend
import StencilIR

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    let (checked, diagnostics) = Sema.check(SourceFile(name: "fuzz.st", bytes: bytes))
    _ = diagnostics.rendered()
    guard let checked else { return 0 }
    for target in Target.allCases {
        guard let program = try? Compilation.lower(checked, target: target, overrides: Schedule()) else { continue }
        _ = try? Compilation.emit(program, stem: "fuzz")
    }
    return 0
}

// SwiftPM links an executable's entry point as `<Target>_main`; hand it to libFuzzer's driver
// (libFuzzer's own main is then not linked).
@_silgen_name("LLVMFuzzerRunDriver")
func LLVMFuzzerRunDriver(_ argc: UnsafeMutablePointer<CInt>,
                         _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
                         _ callback: @convention(c) (UnsafePointer<UInt8>, Int) -> CInt) -> CInt

@_cdecl("FrontendFuzzer_main")
public func frontendFuzzerMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    var count = argc
    var arguments = argv
    return LLVMFuzzerRunDriver(&count, &arguments, fuzzOneInput)
}
