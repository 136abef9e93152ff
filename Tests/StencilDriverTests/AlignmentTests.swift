// AlignmentTests.swift: the loop plan's `align` decision (PlanLoops): the CPU targets allocate
// every grid with its first updated column on a 64-byte line, and say so in the IR and in
// explain; opencl does not. The allocator itself is checked by runtime/tests/sweeps_check.c, and
// every numerical suite runs the aligned grids against the references. Loops are aligned too, by
// the build recipe.

import Foundation
import StencilDriver
import StencilFrontend
import StencilIR
import Testing

@Suite struct AlignmentTests {
    @Test func cpuTargetsAlignTheFirstUpdatedColumn() throws {
        for target in [Target.serial, .openmp, .mpi, .hybrid] {
            for stencil in ["jacobi.st", "heat3d.st", "wave.st", "rod.st"] {
                let compiled = try Compilation.compile(path: Repository.stencil(stencil), target: target, overrides: Schedule(), stem: "p")
                #expect(compiled.program.loops.alignsFirstUpdatedColumn, "\(stencil) \(target)")
                let first = stencil == "rod.st" ? "point HALO" : "column HALO"
                #expect(IRPrinter.program(compiled.program).contains("loops align HALO  -- \(first), the first updated one"))
                let source = try Compilation.emit(compiled.program, stem: "p").source
                let allocation = target == .mpi || target == .hybrid ? "alloc_local(&decomp, sizeof(" : "st_alloc_aligned_grid("
                let lines = source.split(separator: "\n").filter { $0.contains(allocation) }
                #expect(!lines.isEmpty && lines.allSatisfy { $0.contains(", HALO)") }, "\(stencil) \(target): \(lines)")
                #expect(!source.contains("st_alloc_grid(") || target == .mpi || target == .hybrid, "\(stencil) \(target): a grid left unaligned")
            }
        }
        let opencl = try Compilation.compile(path: Repository.stencil("jacobi.st"), target: .opencl, overrides: Schedule(), stem: "p")
        #expect(!opencl.program.loops.alignsFirstUpdatedColumn)
        #expect(!IRPrinter.program(opencl.program).contains("loops align"))
        #expect(!(try Compilation.emit(opencl.program, stem: "p").source.contains("st_alloc_aligned_grid")))
        let explained = try stencilc(["explain", Repository.stencil("jacobi.st")])
        #expect(explained.stdout.contains("  aligned: column HALO, the first updated one, starts a 64-byte line"), "\(explained.stdout)")
    }

    /// Every loop starts a 64-byte line too (the recipe's -falign-loops=64), on every target's
    /// build, and explain says so where it describes the vector code.
    @Test func everyBuildAlignsItsLoops() throws {
        for target in [Target.serial, .openmp, .mpi, .hybrid, .opencl] {
            let compiled = try Compilation.compile(path: Repository.stencil("jacobi.st"), target: target, overrides: Schedule(), stem: "p")
            let emitted = try Compilation.emit(compiled.program, stem: "p")
            #expect(emitted.recipe.flags.contains("-falign-loops=64"), "\(target): \(emitted.recipe.flags)")
            #expect(emitted.source.contains(" *   flags=\"") && emitted.source.contains("-falign-loops=64"), "\(target)")
        }
        let explained = try stencilc(["explain", Repository.stencil("jacobi.st"), "--target", "serial"])
        #expect(explained.stdout.contains("  code:    -falign-loops=64 in the build: every loop starts a 64-byte line"), "\(explained.stdout)")
    }
}
