// CPUBackend.swift: the `serial` and `openmp` targets: one C file, plain loops over row-major
// grids. The openmp target starts its thread team once, in one parallel region around the whole
// iteration loop; the sweeps inside share out rows with orphaned `omp for` loops carrying the
// schedule's clauses (SweepWriter). The serial target is the same program without the team.
// Buffers alternate (buffer[t % 2] holds iterate t), never copied; the norm is computed only on
// check iterations; the plain sweeps in between run as the run-time plan says (st_sweeps in
// runtime/stencil_sweeps.c: whole sweeps, tiles or bands, chosen by a cost model or `--plan`).

import StencilIR

public struct CPUBackend: Backend {
    public let openMP: Bool

    public init(openMP: Bool) { self.openMP = openMP }

    public var recipe: BuildRecipe {
        BuildRecipe(compilerRole: .cc,
                    flags: BuildRecipe.optimization + [openMP ? "-fopenmp" : "-fopenmp-simd"],
                    runtimeSources: ["stencil_runtime.c", "stencil_sweeps.c"], libraries: ["-lm"])
    }

    var target: String { openMP ? "openmp" : "serial" }

    public func emit(_ program: Program, options: EmitOptions) -> EmittedProgram {
        let recipe = self.recipe.adding(cflags: options.cflags)
        let writer = CodeWriter()
        let names = CNames(program)
        let host = HostCode(program: program, names: names, writer: writer)
        let sweeps = SweepWriter(program: program, names: names, writer: writer)

        var notes: [String] = []
        if openMP {
            notes.append("")
            notes.append("One parallel region around all iterations; its sweeps share rows (what Cython's prange would infer):")
            for variable in program.variables {
                notes.append("  \(variable.name): \(variable.sharing.rawValue)")
            }
        }
        host.header(target: target, options: options, recipe: recipe, notes: notes)
        writer.line("#include <float.h>")
        writer.line("#include <math.h>")
        if openMP { writer.line("#include <omp.h>") }
        writer.line("#include \"stencil_runtime.h\"")
        writer.blank()
        writer.line("enum { HALO = \(program.halo) }; /* largest offset read by the update */")
        writer.blank()
        sweeps.functions()
        writer.blank()
        mainFunction(program, host: host, sweeps: sweeps)
        return EmittedProgram(source: writer.text, recipe: recipe)
    }

    private func mainFunction(_ program: Program, host: HostCode, sweeps: SweepWriter) {
        let writer = host.writer
        let names = host.names
        let scalar = host.scalar
        writer.block("static int stencil_main(int argc, char **argv)") {
            host.params()
            host.gridSize()
            host.stoppingConstants()
            writer.blank()
            if program.isSystem {
                systemBuffers(program, host: host)
            } else {
                if program.redBlack {
                    writer.comment("Red-black order updates \(program.update.grid) in place: one grid, which buffer[0] and buffer[1] both name.")
                    writer.line("void *buffer[2];")
                    writer.line("buffer[0] = buffer[1] = \(host.gridAllocation(scalar));")
                } else {
                    writer.comment("buffer[k % 2] holds iterate k of \(program.update.grid): the two alternate, never copied.")
                    writer.line("void *buffer[2];")
                    writer.line("for (int k = 0; k < 2; ++k) buffer[k] = \(host.gridAllocation(scalar));")
                }
                for other in program.readOnlyGrids {
                    writer.line("\(scalar) *\(names[other.name]) = \(host.gridAllocation(scalar));")
                }
                let never = program.loops.boundaryEachSweep ? "" : ": boundary points never change"
                writer.comment(program.redBlack ? "Initial and boundary values in the order written\(never)."
                               : "Initial and boundary values in the order written, in both buffers\(never).")
                writer.block("for (int k = 0; k < \(program.redBlack ? 1 : 2); ++k)") {
                    host.fills(of: program.update.grid, into: "buffer[k]")
                }
                for other in program.readOnlyGrids {
                    host.fills(of: other.name, into: names[other.name])
                }
            }
            if program.loops.colourPlan == .split {
                writer.comment("The colour-split layout (loop plan: colour-plan split): red and black hold the grid's points by colour until the iterations end.")
                writer.line("const long half = (cols + 1) / 2;")
                writer.line("\(scalar) *red = st_alloc_grid(rows, half, sizeof(\(scalar))), *black = st_alloc_grid(rows, half, sizeof(\(scalar)));")
                writer.line("split_colours(buffer[0], red, black, rows, cols, half, 0);")
            }
            writer.line(sweeps.argsDeclaration(cols: "cols"))
            let loops = program.loops
            let alone = loops.hasLoneSweep ? "sweep_alone" : "NULL"
            // The elements in one of the run-time plan's rows: a row; in 3-D a plane (rows * cols).
            let rowSize = program.dimensions == 3 ? "rows * cols" : "cols"
            writer.line("const st_sweeper sweeper = { sweep, \(alone), &args, \(sweptRows(host)), cols, HALO, sizeof(\(scalar)), \(2 * program.updates.count + program.readOnlyGrids.count), \(rowSize) };")
            let mode = "ST_TEMPORAL_" + program.schedule.temporal.rawValue.uppercased()
            let team = openMP ? (program.schedule.numThreads.map(String.init) ?? "omp_get_max_threads()") : "1"
            if program.dimensions == 1 {
                writer.comment("Whole sweeps only (--plan may only say sweeps); the sweeper's rows are the first dimension's extent.")
                writer.line("const st_plan plan = st_whole_sweeps_plan(options.plan, \"\(wholeSweepsReason(program))\");")
            } else if program.redBlack {
                writer.comment("Red-black order runs whole iterations, red then black half-sweep (--plan may only say sweeps).")
                writer.line("const st_plan plan = st_whole_sweeps_plan(options.plan, \"red-black order: each half-sweep reads the whole of the one before it\");")
            } else if loops.boundaryEachSweep {
                writer.comment("A neumann or periodic side runs whole sweeps, the boundary statements after each (--plan may only say sweeps).")
                writer.line("const st_plan plan = st_whole_sweeps_plan(options.plan, \"a neumann or periodic side: the boundary changes after every sweep\");")
            } else {
                writer.comment("How the sweeps between checks run: --plan (stencilc tune's), else the cost model's.")
                writer.line("const st_plan plan = st_choose_plan(&sweeper, \(team), \(mode), options.plan, options.plan_source);")
            }
            writer.line("const double points = " + host.extentNames.map { "(double)(\($0) - 2 * HALO)" }.joined(separator: " * ") + ";")
            writer.blank()
            iterationLoop(program, host: host, sweeps: sweeps)
            writer.blank()
            let threads = openMP ? (program.schedule.numThreads.map(String.init) ?? "omp_get_max_threads()") : "1"
            let schedule = openMP ? "\"\(OpenMPClauses.summaryText(program.schedule))\"" : "\"\""
            host.summary(target: target, threads: threads, schedule: schedule)
            writer.line("summary.plan = plan;")
            if program.isSystem {
                writer.line("const \(SweepWriter.iterateType) *last = buffer[iterations % 2];")
                writer.line("const \(scalar) *field = last->\(names[program.update.grid]); /* the first updated grid */")
            } else {
                writer.line("const \(scalar) *field = buffer[iterations % 2];")
            }
            writer.line("if (options.output_path) st_write_npy(options.output_path, field, \(host.storageRows), cols, cols, sizeof(\(scalar)));")
            host.image("field")
            let finals = program.isSystem ? program.updates.map { "last->\(names[$0.grid])" } : ["field"]
            host.outputs(finals + program.readOnlyGrids.map { names[$0.name] })
            writer.line("st_print_summary(&summary, &options);")
            let buffers = program.isSystem ? (0..<2).flatMap { k in program.updates.map { "st_iterates[\(k)].\(names[$0.grid])" } }
                : program.loops.colourPlan == .split ? ["buffer[0]", "red", "black"]
                : program.redBlack ? ["buffer[0]"] : ["buffer[0]", "buffer[1]"]
            let all = buffers + program.readOnlyGrids.map { names[$0.name] }
            writer.line(all.map { "st_free_grid(\($0));" }.joined(separator: " "))
            writer.line("return 0;")
        }
        host.entryPoints()
    }

    /// The extent of the dimension the sweeps' row range runs over (the team shares it out): the
    /// rows in 2-D, the planes in 3-D, the only dimension in 1-D (SweepWriter).
    private func sweptRows(_ host: HostCode) -> String { host.extentNames[0] }

    /// A system's buffers: two iterates (st_iterate records) of every updated grid, each filled
    /// with the grid's initial and boundary values; `buffer[k % 2]` points to iterate k's record.
    private func systemBuffers(_ program: Program, host: HostCode) {
        let writer = host.writer, names = host.names, scalar = host.scalar
        let type = SweepWriter.iterateType
        writer.comment("A system of \(program.updates.count) grids: st_iterates[k % 2] holds iterate k of every updated grid, and buffer[k % 2] points to it: the two alternate, never copied.")
        writer.line("\(type) st_iterates[2];")
        writer.block("for (int k = 0; k < 2; ++k)") {
            for update in program.updates {
                writer.line("st_iterates[k].\(names[update.grid]) = \(host.gridAllocation(scalar));")
            }
        }
        writer.line("void *buffer[2] = { &st_iterates[0], &st_iterates[1] };")
        for other in program.readOnlyGrids {
            writer.line("\(scalar) *\(names[other.name]) = \(host.gridAllocation(scalar));")
        }
        writer.comment(program.loops.boundaryEachSweep
            ? "Initial and boundary values in the order written, in both iterates."
            : "Initial and boundary values in the order written, in both iterates: boundary points never change.")
        writer.block("for (int k = 0; k < 2; ++k)") {
            for update in program.updates {
                host.fills(of: update.grid, into: "st_iterates[k].\(names[update.grid])")
            }
        }
        for other in program.readOnlyGrids {
            host.fills(of: other.name, into: names[other.name])
        }
    }

    /// `#pragma omp ...` for the openmp target; nothing for serial.
    private func pragma(_ writer: CodeWriter, _ text: String) {
        if openMP { writer.line("#pragma omp \(text)") }
    }

    private func iterationLoop(_ program: Program, host: HostCode, sweeps: SweepWriter) {
        let writer = host.writer
        let sweepsCall = { (first: String, count: String) in "st_sweeps(&plan, &sweeper, \(first), \(count), buffer, scratch);" }
        // With a neumann or periodic side, the sweeps run here, one at a time, each followed by
        // the boundary statements (the run-time plan's drivers keep the boundary as it is).
        let plainSweeps = { (first: String, count: String) in
            guard program.loops.boundaryEachSweep else { writer.line(sweepsCall(first, count)); return }
            writer.block("for (long k = \(first); k < \(first) + (\(count)); ++k)") {
                self.sweepThenBoundary(program, host: host, function: "sweep", from: "buffer[k % 2]", to: "buffer[(k + 1) % 2]")
            }
        }
        let region = "parallel" + OpenMPClauses.regionClauses(program.schedule)
        switch program.stopping {
        case .steps:
            writer.line("const long chunk = 1000; /* sweeps between two progress lines */")
            writer.line("int stop = 0; /* Ctrl-C in library mode, read at progress points */")
            startClock(writer)
            pragma(writer, region)
            writer.block("") {
                allocateScratch(host: host, sweeps: sweeps)
                restartClockOnceTheTeamIsUp(writer)
                writer.block("for (long first = 0; first < steps; first += chunk)") {
                    plainSweeps("first", "chunk < steps - first ? chunk : steps - first")
                    pragma(writer, "master")
                    writer.line("st_progress(&options, first + chunk < steps ? first + chunk : steps, steps, NAN, points, start);")
                    pragma(writer, "single")
                    writer.line("stop = st_stop_requested();")
                    writer.line("const int halt = stop;")
                    pragma(writer, "barrier /* everyone has read stop before the next progress point sets it */")
                    writer.line("if (halt) break;")
                }
                freeScratch(host: host, sweeps: sweeps)
            }
            writer.line("const double seconds = st_seconds() - start;")
            joinColours(program, writer)
            writer.line("st_check_interrupted();")
            writer.line("const long iterations = steps;")
            writer.line("st_progress_done(&options);")
            writer.comment("No check iterations in a `steps` program: look for NaN/Inf once, at the end.")
            if program.isSystem {
                let counts = program.updates.map { "st_count_nonfinite(((const \(SweepWriter.iterateType) *)buffer[iterations % 2])->\(host.names[$0.grid]), \(host.storageRows), cols, sizeof(\(host.scalar)))" }
                writer.line("st_check_finite(" + counts.joined(separator: "\n                    + ") + ", iterations);")
            } else {
                writer.line("st_check_finite(st_count_nonfinite(buffer[iterations % 2], \(host.storageRows), cols, sizeof(\(host.scalar))), iterations);")
            }
        case .until(let norm, _, _, _, _):
            let check = program.loops.check!
            let arguments = "&args, HALO, \(sweptRows(host)) - HALO, HALO, cols - HALO, buffer[iteration % 2], buffer[(iteration + 1) % 2]"
            writer.line("long iterations = 0, nonfinite_seen = 0;")
            writer.line("double residual = NAN;")
            writer.line("int stop = 0; /* Ctrl-C in library mode, read at check sweeps */")
            startClock(writer)
            pragma(writer, region)
            writer.block("") {
                allocateScratch(host: host, sweeps: sweeps)
                restartClockOnceTheTeamIsUp(writer)
                writer.line("long iteration = 0; /* every thread counts the same sweeps */")
                writer.block("while (iteration < max_iterations)") {
                    writer.comment("The plain sweeps up to the next check, as the plan says, then one check sweep.")
                    writer.line("const long plain = every - 1 < max_iterations - iteration ? every - 1 : max_iterations - iteration;")
                    plainSweeps("iteration", "plain")
                    writer.line("iteration += plain;")
                    writer.line("if (iteration == max_iterations) break;")
                    pragma(writer, "single")
                    writer.block("") {
                        writer.line("\(check.variable) = 0;")
                        writer.line("nonfinite = 0;")
                        writer.line("stop = st_stop_requested();")
                    }
                    if program.loops.boundaryEachSweep {
                        sweepThenBoundary(program, host: host, function: check.function, from: "buffer[iteration % 2]",
                                          to: "buffer[(iteration + 1) % 2]")
                    } else {
                        writer.line("\(check.function)(\(arguments));")
                    }
                    writer.line("iteration += 1;")
                    let value = norm == .maxdiff ? "(double)maxdiff" : "sqrt(sum_sq)"
                    writer.line("const double norm = \(value);")
                    writer.line("const long bad = nonfinite;")
                    writer.line("const int halt = stop;")
                    if openMP {
                        writer.line("#pragma omp barrier /* everyone has read the team's norm before the next check resets it */")
                        writer.line("#pragma omp master")
                    }
                    writer.block("") {
                        writer.line("residual = norm;")
                        writer.line("nonfinite_seen = bad;")
                        writer.line("st_progress(&options, iteration, max_iterations, norm, points, start);")
                    }
                    writer.line("if (bad > 0 || norm < tolerance || halt) break;")
                }
                freeScratch(host: host, sweeps: sweeps)
                pragma(writer, "master")
                writer.line("iterations = iteration;")
            }
            writer.line("const double seconds = st_seconds() - start;")
            joinColours(program, writer)
            writer.line("st_progress_done(&options);")
            writer.line("st_check_interrupted();")
            writer.line("st_check_finite(nonfinite_seen, iterations);")
            writer.line("const int converged = residual < tolerance;")
        }
    }

    /// One sweep of `function` (red-black: its two half-sweeps) from `from` into `to` (over the
    /// first dimension's interior, as the runtime's sweepers do), each followed by the boundary
    /// statements (PlanBoundary). openmp: the team applies them, each neumann or periodic one
    /// split among the threads, the fixed ones by one thread; every statement ends in a barrier,
    /// so no thread starts the next statement or sweep before they are done.
    private func sweepThenBoundary(_ program: Program, host: HostCode, function: String, from: String, to: String) {
        let writer = host.writer
        let halves = program.redBlack ? SweepWriter.colours.map { "\(function)_\($0)" } : [function]
        // Each grid's statements on its own buffer of the new iterate (a system), or on `to`.
        let buffer = { (grid: String) in program.isSystem ? "((\(SweepWriter.iterateType) *)\(to))->\(host.names[grid])" : to }
        for half in halves {
            writer.line("\(half)(&args, HALO, \(sweptRows(host)) - HALO, HALO, cols - HALO, \(from), \(to));")
            if openMP {
                host.boundaryEachSweepByTheTeam(into: buffer)
            } else {
                host.boundaryEachSweep(into: buffer)
            }
        }
    }

    /// The colour-split layout's arrays back into the grid, once the iterations are over.
    private func joinColours(_ program: Program, _ writer: CodeWriter) {
        guard program.loops.colourPlan == .split else { return }
        writer.line("join_colours(buffer[0], red, black, rows, cols, half, 0); /* the field, in the grid's layout again */")
    }

    private func startClock(_ writer: CodeWriter) {
        writer.line(openMP ? "double start = st_seconds(); /* set again once the team is up */" : "const double start = st_seconds();")
    }

    /// `seconds` times the iterations alone: starting the team's threads (a few milliseconds at
    /// times, on a virtual machine whose idle cores sleep) and making their scratch grids is
    /// start-up. Only the master thread reads `start` in the region (progress lines).
    private func restartClockOnceTheTeamIsUp(_ writer: CodeWriter) {
        guard openMP else { return }
        writer.line("#pragma omp barrier /* every thread has started (and made its scratch grids): the iterations start now */")
        writer.line("#pragma omp master")
        writer.line("start = st_seconds();")
    }

    /// Each thread's two scratch grids, made in the region by the thread that uses them (only
    /// when the plan is bands: st_make_scratch leaves them NULL otherwise).
    private func allocateScratch(host: HostCode, sweeps: SweepWriter) {
        host.writer.line("void *scratch[2]; /* this thread's scratch grids (plan bands) */")
        host.writer.line("st_make_scratch(&plan, &sweeper, buffer[0], scratch);")
    }

    private func freeScratch(host: HostCode, sweeps: SweepWriter) {
        host.writer.line("st_free_scratch(scratch);")
    }
}
