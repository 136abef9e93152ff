// MPIBackend.swift: the `mpi` and `hybrid` targets: one C file that every rank runs. Each rank
// holds only its block of the grid plus a halo of the stencil's width (runtime/stencil_mpi.*
// decomposes, exchanges and gathers). Each sweep starts the halo exchange, updates the deep
// interior (which reads no halo cell) while the messages travel, waits, then updates the frame
// around it; norms and NaN counts are combined with MPI_Allreduce on check iterations only.
// `hybrid` is the same program with an OpenMP team per rank, started once in one parallel region
// around the iterations as the openmp target does (SweepWriter's orphaned `omp for` sweeps);
// the master thread alone calls MPI (MPI_THREAD_FUNNELED).

import StencilIR

public struct MPIBackend: Backend {
    /// OpenMP threads inside each rank (the hybrid target).
    public let hybrid: Bool

    public init(hybrid: Bool) { self.hybrid = hybrid }

    public var recipe: BuildRecipe {
        BuildRecipe(compilerRole: .mpicc,
                    flags: BuildRecipe.optimization + [hybrid ? "-fopenmp" : "-fopenmp-simd"],
                    runtimeSources: ["stencil_runtime.c", "stencil_sweeps.c", "stencil_mpi.c"], libraries: ["-lm"])
    }

    var target: String { hybrid ? "hybrid" : "mpi" }

    public func emit(_ program: Program, options: EmitOptions) -> EmittedProgram {
        let recipe = self.recipe.adding(cflags: options.cflags)
        let writer = CodeWriter()
        let names = CNames(program)
        let host = HostCode(program: program, names: names, writer: writer)
        let sweeps = SweepWriter(program: program, names: names, writer: writer)
        var notes = [""] + Self.layoutNotes(program) + [
            "travel. `stencilc explain \(program.sourceName) --target \(target) --ranks P` prints the plan.",
        ]
        if hybrid {
            notes.append("Open MPI binds each rank to one core, so each would run one thread: give a rank T threads with")
            notes.append("`mpirun -np \(program.schedule.ranks) --bind-to none -x OMP_NUM_THREADS=T` (as `stencilc run` does; add")
            notes.append("`-x OMP_WAIT_POLICY=passive` where ranks x T exceed the cores, or idle threads spin on a partner's core).")
            notes.append("")
            notes.append("One parallel region per rank around all iterations; its sweeps share rows (what Cython's prange would infer):")
            for variable in program.variables {
                notes.append("  \(variable.name): \(variable.sharing.rawValue)")
            }
        }
        host.header(target: target, options: options, recipe: recipe, notes: notes,
                    launch: "mpirun -np \(program.schedule.ranks) ")
        writer.line("#include <float.h>")
        writer.line("#include <math.h>")
        if hybrid { writer.line("#include <omp.h>") }
        writer.line("#include \"stencil_mpi.h\"")
        writer.blank()
        writer.line("enum { HALO = \(program.halo) }; /* largest offset read by the update */")
        writer.blank()
        sweeps.functions()
        writer.blank()
        if host.rankBlocks {
            sweepBoxFunction(program, writer: writer)
            writer.blank()
        }
        mainFunction(program, host: host, sweeps: sweeps)
        return EmittedProgram(source: writer.text, recipe: recipe)
    }

    private func mainFunction(_ program: Program, host: HostCode, sweeps: SweepWriter) {
        let writer = host.writer
        let deep = program.loops.usesRuntimePlan
        let names = host.names
        let scalar = host.scalar
        let mpiType = program.elementType == .float32 ? "MPI_FLOAT" : "MPI_DOUBLE"
        let kind = program.schedule.decompose == .rows ? "STMPI_ROWS" : "STMPI_GRID"
        let haloCreate = host.mpiRuntime("halo_create")
        writer.block("int main(int argc, char **argv)") {
            writer.comment("Until stmpi_decompose every rank checks the same arguments and sizes; only rank 0 prints.")
            writer.line("stmpi_init(&argc, &argv, \(hybrid ? "STMPI_FUNNELED" : "STMPI_SINGLE"));")
            host.params()
            host.gridSize()
            host.stoppingConstants()
            writer.blank()
            if !deep {
                // As the serial and openmp targets do: a plan this program cannot run is an error,
                // before anything is allocated, not ignored.
                writer.comment("Whole sweeps only (--plan or STENCILC_PLAN may only say sweeps).")
                writer.line("const st_plan plan = stmpi_whole_sweeps_plan(options.plan, \"\(wholeSweepsReason(program))\");")
            }
            if host.rankBlocks {
                decomposeBlocks(program, host: host)
            } else if program.dimensions == 3 {
                writer.comment("This rank's slab of planes, with HALO planes of halo at each end: to the runtime each plane is one row of rows * cols points.")
                writer.line("stmpi_decomp decomp;")
                if program.copyingAxes.contains(0) {
                    let periodic = program.periodicAxes.contains(0) ? 1 : 0
                    writer.comment("Neumann or periodic front/back: across the slabs (periodic: a periodic axis of ranks), every slab at least 2 * HALO planes; the other sides are within each plane.")
                    writer.line("stmpi_decompose_slabs(&decomp, planes, rows * cols, HALO, \(periodic), 1);")
                } else {
                    writer.line("stmpi_decompose_slabs(&decomp, planes, rows * cols, HALO, 0, 0);")
                }
            } else {
                writer.line("stmpi_decomp decomp;")
                if deep {
                    writer.comment("How the sweeps between checks run: --plan, else the cost model for a rank's block in its share of the node's last-level cache (runtime/stencil_sweeps.h): whole sweeps, or tiles with a halo as deep as their sweeps.")
                    writer.line("const st_sweeper shape = { sweep, sweep, NULL, rows, cols, HALO, sizeof(\(scalar)), \(2 + program.readOnlyGrids.count), cols };")
                    writer.line("const st_plan plan = stmpi_rank_plan(&shape, rows, ST_TEMPORAL_\(program.schedule.temporal.rawValue.uppercased()), options.plan, options.plan_source); /* rank 0's, on every rank */")
                    writer.comment("This rank's block of whole rows, with a halo HALO deep on every side, or HALO times the plan's depth.")
                    writer.line("stmpi_decompose_deep(&decomp, rows, cols, HALO, plan.kind == ST_PLAN_TILES ? plan.depth : 1);")
                } else if program.copyingAxes.isEmpty {
                    writer.comment("This rank's block of the rows x cols grid, with a halo HALO deep on every side.")
                    writer.line("stmpi_decompose(&decomp, rows, cols, HALO, \(kind));")
                } else {
                    let periodic = (0..<2).map { program.periodicAxes.contains($0) ? "1" : "0" }.joined(separator: ", ")
                    let copying = (0..<2).map { program.copyingAxes.contains($0) ? "1" : "0" }.joined(separator: ", ")
                    writer.comment("This rank's block of the rows x cols grid, with a halo HALO deep on every side.")
                    writer.comment("Neumann or periodic sides: periodic axes (rows, columns) of the Cartesian topology, and the axes whose blocks must be 2 * HALO deep.")
                    writer.line("stmpi_decompose_sides(&decomp, rows, cols, HALO, \(kind), (const int[2]){ \(periodic) }, (const int[2]){ \(copying) });")
                }
            }
            if !host.rankBlocks { writer.line("const long local_cols = decomp.local_cols;") }
            if program.isSystem {
                systemBlocks(program, host: host, mpiType: mpiType)
            } else {
                if program.redBlack {
                    writer.comment("Red-black order updates \(program.update.grid) in place: one block, which buffer[0] and buffer[1] both name, and one halo exchange.")
                    writer.line("\(scalar) *buffer[2];")
                    writer.line("buffer[0] = buffer[1] = \(host.gridAllocation(scalar, local: true));")
                } else {
                    writer.comment("buffer[k % 2] holds iterate k of \(program.update.grid), exchange[k % 2] its halo exchange (persistent requests).")
                    writer.line(deep ? "void *buffer[2];" : "\(scalar) *buffer[2];")
                    writer.line("for (int k = 0; k < 2; ++k) buffer[k] = \(host.gridAllocation(scalar, local: true));")
                }
                for other in program.readOnlyGrids {
                    writer.line("\(scalar) *\(names[other.name]) = \(host.gridAllocation(scalar, local: true));")
                }
                writer.comment("Initial and boundary values in the order written, from global coordinates, on the part of the grid this rank holds (halo included).")
                writer.block("for (int k = 0; k < \(program.redBlack ? 1 : 2); ++k)") {
                    host.fills(of: program.update.grid, into: "buffer[k]", decomposition: "&decomp")
                }
                readOnlyGridFills(program, host: host)
                if program.redBlack {
                    writer.line("stmpi_halo *exchange[2];")
                    writer.line("exchange[0] = exchange[1] = \(haloCreate)(&decomp, buffer[0], \(mpiType));")
                } else {
                    writer.line("stmpi_halo *exchange[2] = { \(haloCreate)(&decomp, buffer[0], \(mpiType)), \(haloCreate)(&decomp, buffer[1], \(mpiType)) };")
                }
            }
            if host.rankBlocks {
                writer.comment("The updated points of the block: the deep interior reads no halo cell, the \(2 * program.dimensions) frame boxes do.")
                writer.line("const stmpi_box interior = stmpi_blocks_interior(&decomp);")
                writer.line("stmpi_box frame[2 * STMPI_MAX_DIMS];")
                writer.line("stmpi_blocks_frame(&decomp, frame);")
                // Every index of a block is local: global = local + lo - HALO along each axis.
                let parity = (0..<program.dimensions).map { "decomp.lo[\($0)]" }.joined(separator: " + ")
                writer.line(sweeps.argsDeclaration(cols: "cols", parity: "(\(parity) - \(program.dimensions) * HALO) & 1"))
            } else {
                // Deep halos: stmpi_sweeps runs the plain sweeps; only a check sweep is written here.
                let fixedSteps: Bool = { if case .steps = program.stopping { return true } else { return false } }()
                if !deep || !fixedSteps {
                    writer.comment("The updated points of the block: the deep interior reads no halo cell, the 4 frame strips do.")
                    writer.line("const stmpi_rect interior = stmpi_interior(&decomp);")
                    writer.line("stmpi_rect frame[4];")
                    writer.line("stmpi_frame(&decomp, frame);")
                }
                // The colour's parity: global index sum minus local index sum, mod 2 (a slab's rows and
                // columns are global; its planes are local: plane p is global p + r0 - HALO).
                writer.line(sweeps.argsDeclaration(cols: "local_cols", parity: program.dimensions == 3 ? "(decomp.r0 - HALO) & 1" : "(decomp.r0 + decomp.c0) & 1"))
                if deep {
                    writer.line("const st_sweeper sweeper = { sweep, sweep, &args, decomp.local_rows, local_cols, HALO, sizeof(\(host.scalar)), \(2 + program.readOnlyGrids.count), local_cols };")
                }
            }
            writer.line("const double points = " + host.extentNames.map { "(double)(\($0) - 2 * HALO)" }.joined(separator: " * ") + ";")
            writer.blank()
            iterationLoop(program, host: host, sweeps: sweeps)
            writer.blank()
            let threads = hybrid ? (program.schedule.numThreads.map(String.init) ?? "omp_get_max_threads()") : "1"
            let schedule = hybrid ? "\"\(OpenMPClauses.summaryText(program.schedule))\"" : "\"\""
            host.summary(target: target, threads: threads, ranks: "decomp.size", schedule: schedule,
                         decomposition: "decomp.description")
            writer.line("summary.plan = plan;")
            writer.comment("Gathered to rank 0 only now, after the iterations.")
            let finals = program.isSystem ? program.updates.map { "st_iterates[iterations % 2].\(names[$0.grid])" } : ["buffer[iterations % 2]"]
            writer.line("\(host.mpiRuntime("write_field"))(&decomp, options.output_path, options.image_path, \(finals[0]), \(mpiType));")
            host.outputs(finals + program.readOnlyGrids.map { names[$0.name] }, decomposition: "&decomp", mpiType: mpiType)
            writer.line("\(host.mpiRuntime("print_summary"))(&decomp, &summary, &options);")
            if program.isSystem {
                let exchanges = (0..<2).flatMap { k in program.updates.indices.map { "stmpi_halo_free(exchange[\(k)][\($0)]);" } }
                writer.line(exchanges.joined(separator: " "))
            } else {
                writer.line(program.redBlack ? "stmpi_halo_free(exchange[0]);" : "stmpi_halo_free(exchange[0]); stmpi_halo_free(exchange[1]);")
            }
            let buffers = program.isSystem ? (0..<2).flatMap { k in program.updates.map { "st_iterates[\(k)].\(names[$0.grid])" } }
                : program.redBlack ? ["buffer[0]"] : ["buffer[0]", "buffer[1]"]
            let all = buffers + program.readOnlyGrids.map { names[$0.name] }
            writer.line(all.map { "st_free_grid(\($0));" }.joined(separator: " "))
            writer.line("\(host.mpiRuntime("decomp_free"))(&decomp);")
            writer.line("return stmpi_finalize();")
        }
    }

    /// A system's blocks: two iterates (st_iterate records) of every updated grid's block, each
    /// filled with the grid's initial and boundary values, and a halo exchange for each.
    private func systemBlocks(_ program: Program, host: HostCode, mpiType: String) {
        let writer = host.writer, names = host.names, scalar = host.scalar
        let type = SweepWriter.iterateType
        let count = program.updates.count
        let slabs = program.dimensions == 3 && !host.rankBlocks
        let haloCreate = host.mpiRuntime("halo_create")
        writer.comment("A system of \(count) grids: st_iterates[k % 2] holds iterate k of every updated grid's block\(slabs ? "" : ", and buffer[k % 2] points to it"); exchange[k % 2][g] is the halo exchange of grid g in it (persistent requests).")
        writer.line("\(type) st_iterates[2];")
        writer.line("stmpi_halo *exchange[2][\(count)];")
        writer.block("for (int k = 0; k < 2; ++k)") {
            for update in program.updates {
                writer.line("st_iterates[k].\(names[update.grid]) = \(host.gridAllocation(scalar, local: true));")
            }
        }
        if !slabs { writer.line("void *buffer[2] = { &st_iterates[0], &st_iterates[1] };") }
        if slabs {
            writer.comment("The sweeps of a slab get each grid from the first point of local plane 0, HALO points past its block's start: slab[k % 2] holds those pointers of iterate k.")
            writer.line("\(type) st_slab_iterates[2];")
            writer.block("for (int k = 0; k < 2; ++k)") {
                for update in program.updates {
                    writer.line("st_slab_iterates[k].\(names[update.grid]) = st_iterates[k].\(names[update.grid]) + HALO;")
                }
            }
            writer.line("void *slab[2] = { &st_slab_iterates[0], &st_slab_iterates[1] };")
        }
        for other in program.readOnlyGrids {
            writer.line("\(scalar) *\(names[other.name]) = \(host.gridAllocation(scalar, local: true));")
        }
        writer.comment("Initial and boundary values in the order written, from global coordinates, on the part of the grid this rank holds (halo included).")
        writer.block("for (int k = 0; k < 2; ++k)") {
            for update in program.updates {
                host.fills(of: update.grid, into: "st_iterates[k].\(names[update.grid])", decomposition: "&decomp")
            }
            for (g, update) in program.updates.enumerated() {
                writer.line("exchange[k][\(g)] = \(haloCreate)(&decomp, st_iterates[k].\(names[update.grid]), \(mpiType));")
            }
        }
        readOnlyGridFills(program, host: host)
    }

    /// The read-only grids' fills, once, on the part each rank holds (single updates and systems).
    private func readOnlyGridFills(_ program: Program, host: HostCode) {
        let writer = host.writer, names = host.names
        for other in program.readOnlyGrids {
            writer.comment("\(other.name) never changes: its halo is filled here, never exchanged.")
            host.fills(of: other.name, into: names[other.name], decomposition: "&decomp")
            if program.fills.contains(where: { $0.grid == other.name && $0.copies }) {
                writer.comment("Its neumann/periodic sides set only the points each rank owns: one exchange brings them to the halos.")
                writer.block("") {
                    writer.line("stmpi_halo *once = \(host.mpiRuntime("halo_create"))(&decomp, \(names[other.name]), \(host.mpiType));")
                    writer.line("stmpi_halo_exchange(once);")
                    writer.line("stmpi_halo_free(once);")
                }
            }
        }
    }

    /// `#pragma omp ...` for hybrid; nothing for mpi.
    private func pragma(_ writer: CodeWriter, _ text: String) {
        if hybrid { writer.line("#pragma omp \(text)") }
    }

    /// One sweep of the block with `function`: exchange started (master), deep interior,
    /// exchange finished (master), barrier, the frame. stmpi_sweep_begin/end bracket it: the
    /// runtime's overlap timers and STENCILC_MPI_OVERLAP=compare count sweeps, not exchanges (a
    /// system makes one per grid, red-black one per half).
    private func blockSweep(_ writer: CodeWriter, host: HostCode, sweeps: SweepWriter, function: String) {
        pragma(writer, "master")
        writer.line("stmpi_sweep_begin();")
        if sweeps.program.redBlack {
            // Red-black: each half-sweep reads the other colour's newest values, the halo's too.
            for colour in SweepWriter.colours {
                writer.comment("The \(colour) half-sweep, after its own halo exchange.")
                halfSweep(writer, host: host, function: "\(function)_\(colour)", grids: 1, slabs: sweeps.program.dimensions == 3)
            }
        } else {
            halfSweep(writer, host: host, function: function, grids: sweeps.program.updates.count, slabs: sweeps.program.dimensions == 3)
        }
        pragma(writer, "master")
        writer.line("stmpi_sweep_end();")
    }

    /// A sweep of the block. A system exchanges the halo of each of its `grids`, all started
    /// before the deep interior: each exchange uses the same tags (the side), and MPI matches
    /// messages between two ranks in the order they were started, which is the same on every rank.
    /// `slabs`: a 3-D grid's rank sweeps the rectangle's planes (its rows to the runtime), every
    /// row and column of them; the buffers it gets start at the first point of local plane 0.
    private func halfSweep(_ writer: CodeWriter, host: HostCode, function: String, grids: Int, slabs: Bool) {
        let program = host.program
        func call(_ rect: String) -> String {
            if host.rankBlocks {
                return "sweep_box(\(function), &args, \(rect), buffer[iteration % 2], buffer[(iteration + 1) % 2]);"
            }
            guard slabs else {
                let arguments = ["&args", "\(rect).i0", "\(rect).i1", "\(rect).j0", "\(rect).j1",
                                 "buffer[iteration % 2]", "buffer[(iteration + 1) % 2]"]
                return "\(function)(\(arguments.joined(separator: ", ")));"
            }
            let iterates = grids > 1 ? ["slab[iteration % 2]", "slab[(iteration + 1) % 2]"]
                : ["buffer[iteration % 2] + HALO", "buffer[(iteration + 1) % 2] + HALO"]
            let arguments = ["&args", "\(rect).i0", "\(rect).i1", "HALO", "cols - HALO"] + iterates
            return "if (\(rect).j0 < \(rect).j1) \(function)(\(arguments.joined(separator: ", ")));"
        }
        pragma(writer, "master")
        if grids > 1 {
            writer.line("for (int k = 0; k < \(grids); ++k) stmpi_halo_begin(exchange[iteration % 2][k]); /* every grid's halo cells travel while the deep interior is updated */")
        } else {
            writer.line("stmpi_halo_begin(exchange[iteration % 2]); /* halo cells travel while the deep interior is updated */")
        }
        writer.line(call("interior"))
        pragma(writer, "master")
        writer.line(grids > 1 ? "for (int k = 0; k < \(grids); ++k) stmpi_halo_end(exchange[iteration % 2][k]);"
                    : "stmpi_halo_end(exchange[iteration % 2]);")
        pragma(writer, "barrier /* the halo has arrived before the frame reads it */")
        writer.line("for (int k = 0; k < \(host.rankBlocks ? 2 * program.dimensions : 4); ++k) \(call("frame[k]"))")
        guard program.loops.boundaryEachSweep else { return }
        // The boundary statements on the points this rank owns; the next sweep's halo exchange
        // brings them to the neighbours (stmpi_copy_side). MPI calls come from the master only.
        pragma(writer, "master")
        writer.block("") {
            if program.isSystem {
                // Each grid's statements on its own block of the new iterate.
                host.boundaryEachSweep(into: { "st_iterates[(iteration + 1) % 2].\(host.names[$0])" }, decomposition: "&decomp")
            } else {
                host.boundaryEachSweep(into: "buffer[(iteration + 1) % 2]", decomposition: "&decomp")
            }
        }
        pragma(writer, "barrier /* the boundary is set before any thread reads it */")
    }

    private func iterationLoop(_ program: Program, host: HostCode, sweeps: SweepWriter) {
        let writer = host.writer
        let deep = program.loops.usesRuntimePlan
        let region = "parallel" + OpenMPClauses.regionClauses(program.schedule)
        switch program.stopping {
        case .steps:
            writer.line("long iterations = 0;")
            writer.line("stmpi_barrier();")
            writer.line("const double start = st_seconds();")
            pragma(writer, region)
            writer.block("") {
                writer.line(hybrid ? "long iteration = 0; /* every thread counts the same sweeps */" : "long iteration = 0;")
                writer.block("while (iteration < steps)") {
                    if deep {
                        writer.comment("1000 sweeps at a time (the progress line's), as the plan says.")
                        writer.line("const long count = steps - iteration < 1000 ? steps - iteration : 1000;")
                        writer.line("stmpi_sweeps(&plan, &decomp, &sweeper, iteration, count, buffer, exchange);")
                        writer.line("iteration += count;")
                    } else {
                        blockSweep(writer, host: host, sweeps: sweeps, function: "sweep")
                        writer.line("iteration += 1;")
                    }
                    writer.block("if (iteration % 1000 == 0 && decomp.rank == 0)") {
                        pragma(writer, "master")
                        writer.line("st_progress(&options, iteration, steps, NAN, points, start);")
                    }
                }
                pragma(writer, "master")
                writer.line("iterations = iteration;")
            }
            writer.comment("The slowest rank's time.")
            writer.line("const double seconds = stmpi_allreduce_max(st_seconds() - start);")
            writer.line("st_progress_done(&options);")
            writer.comment("No check iterations in a `steps` program: look for NaN/Inf once, at the end.")
            if program.isSystem {
                let counts = program.updates.map { "\(host.mpiRuntime("count_nonfinite"))(&decomp, st_iterates[iterations % 2].\(host.names[$0.grid]), sizeof(\(host.scalar)))" }
                writer.line("stmpi_check_finite(" + counts.joined(separator: "\n                       + ") + ", iterations);")
            } else {
                writer.line("stmpi_check_finite(\(host.mpiRuntime("count_nonfinite"))(&decomp, buffer[iterations % 2], sizeof(\(host.scalar))), iterations);")
            }
        case .until(let norm, _, _, _, _):
            let check = program.loops.check!
            writer.line("long iterations = 0, nonfinite_seen = 0;")
            writer.line("double residual = NAN;")
            writer.line("stmpi_barrier();")
            writer.line("const double start = st_seconds();")
            pragma(writer, region)
            writer.block("") {
                writer.line(hybrid ? "long iteration = 0; /* every thread counts the same sweeps */" : "long iteration = 0;")
                if deep {
                    deepUntilLoop(program, host: host, sweeps: sweeps, norm: norm, check: check)
                } else {
                writer.block("while (iteration < max_iterations)") {
                    writer.comment("Only every `every`-th sweep computes the norm and combines it over the ranks.")
                    writer.line("const int check = (iteration + 1) % every == 0;")
                    writer.block("if (check)") {
                        pragma(writer, "single")
                        writer.block("") {
                            writer.line("\(check.variable) = 0;")
                            writer.line("nonfinite = 0;")
                        }
                        blockSweep(writer, host: host, sweeps: sweeps, function: check.function)
                        pragma(writer, "master")
                        writer.block("") {
                            switch norm {
                            case .maxdiff: writer.line("residual = stmpi_allreduce_max(maxdiff);")
                            case .l2diff: writer.line("residual = sqrt(stmpi_allreduce_sum(sum_sq));")
                            }
                            writer.line("nonfinite_seen = stmpi_allreduce_count(nonfinite);")
                            writer.line("if (decomp.rank == 0) st_progress(&options, iteration + 1, max_iterations, residual, points, start);")
                        }
                        pragma(writer, "barrier /* every thread sees the ranks' verdict */")
                    }
                    writer.block("else") {
                        blockSweep(writer, host: host, sweeps: sweeps, function: "sweep")
                    }
                    writer.line("iteration += 1;")
                    writer.line("if (check && (nonfinite_seen > 0 || residual < tolerance)) break;")
                }
                }
                pragma(writer, "master")
                writer.line("iterations = iteration;")
            }
            writer.comment("The slowest rank's time.")
            writer.line("const double seconds = stmpi_allreduce_max(st_seconds() - start);")
            writer.line("st_progress_done(&options);")
            writer.line("stmpi_check_finite(nonfinite_seen, iterations);")
            writer.line("const int converged = residual < tolerance;")
        }
    }

    /// The `until` loop of a program with the mpi target's run-time plan (deep halos): the plain
    /// sweeps up to the next check as the plan says (stmpi_sweeps), then one check sweep as ever.
    private func deepUntilLoop(_ program: Program, host: HostCode, sweeps: SweepWriter, norm: Norm, check: CheckReduction) {
        let writer = host.writer
        writer.block("while (iteration < max_iterations)") {
            writer.comment("The plain sweeps up to the next check, as the plan says, then one check sweep, whose norm is combined over the ranks.")
            writer.line("const long plain = every - 1 < max_iterations - iteration ? every - 1 : max_iterations - iteration;")
            writer.line("stmpi_sweeps(&plan, &decomp, &sweeper, iteration, plain, buffer, exchange);")
            writer.line("iteration += plain;")
            writer.line("if (iteration == max_iterations) break;")
            writer.line("\(check.variable) = 0;")
            writer.line("nonfinite = 0;")
            blockSweep(writer, host: host, sweeps: sweeps, function: check.function)
            switch norm {
            case .maxdiff: writer.line("residual = stmpi_allreduce_max(maxdiff);")
            case .l2diff: writer.line("residual = sqrt(stmpi_allreduce_sum(sum_sq));")
            }
            writer.line("nonfinite_seen = stmpi_allreduce_count(nonfinite);")
            writer.line("if (decomp.rank == 0) st_progress(&options, iteration + 1, max_iterations, residual, points, start);")
            writer.line("iteration += 1;")
            writer.line("if (nonfinite_seen > 0 || residual < tolerance) break;")
        }
    }
}
