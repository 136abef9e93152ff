// OpenCLBackend.swift: the `opencl` target: a host C file that embeds the OpenCL C program of
// OpenCLKernels (so the binary runs from any directory) plus, in emit mode, that program as a
// `.cl` file beside it. All OpenCL boilerplate (device choice, build log, error names, work-group
// checks) is in runtime/stencil_opencl.*; the host file holds only the problem: fills, buffers,
// kernel arguments and the iteration loop. Both iterates live on the device and swap by kernel
// argument; check iterations bring back one scalar; the grid comes back once, at the end.

import StencilIR

public struct OpenCLBackend: Backend {
    public init() {}

    public var recipe: BuildRecipe {
        BuildRecipe(compilerRole: .cc, flags: BuildRecipe.optimization,
                    runtimeSources: ["stencil_runtime.c", "stencil_opencl.c"], libraries: ["-lOpenCL", "-lm"])
    }

    public func emit(_ program: Program, options: EmitOptions) -> EmittedProgram {
        let recipe = self.recipe.adding(cflags: options.cflags)
        let writer = CodeWriter()
        let names = CNames(program)
        let host = HostCode(program: program, names: names, writer: writer)
        let kernels = OpenCLKernels(program: program, names: names, stem: options.stem)
        let kernelSource = kernels.source()

        host.header(target: "opencl", options: options, recipe: recipe, notes: [
            "Choose the device with --device INDEX, P:D or a name substring (or STENCILC_DEVICE);",
            "`stencilc devices` lists them. The kernels are in kernel_source below (\(options.stem).cl).",
        ])
        writer.line("#include <math.h>")
        writer.line("#include <stdio.h>")
        writer.line("#include \"stencil_opencl.h\"")
        writer.line("#include \"stencil_runtime.h\"")
        writer.blank()
        writer.line("enum { HALO = \(program.halo) }; /* largest offset read by the update */")
        writer.blank()
        writer.comment("The OpenCL C program (\(options.stem).cl), built at run time for the chosen device.")
        writer.line("static const char kernel_source[] =")
        writer.indented {
            let lines = kernelSource.split(separator: "\n", omittingEmptySubsequences: false).dropLast()
            for (index, text) in lines.enumerated() {
                writer.line("\"\(cStringBody(String(text)))\\n\"" + (index == lines.count - 1 ? ";" : ""))
            }
        }
        writer.blank()
        mainFunction(program, host: host, kernels: kernels)
        return EmittedProgram(source: writer.text, extras: [EmittedFile(suffix: ".cl", contents: kernelSource)],
                              recipe: recipe)
    }

    /// Text inside a C string literal.
    private func cStringBody(_ text: String) -> String {
        var out = ""
        for character in text {
            switch character {
            case "\\": out += "\\\\"
            case "\"": out += "\\\""
            case "\t": out += "\\t"
            default: out.append(character)
            }
        }
        return out
    }

    /// The launch of a sweep kernel over the interior: a 1-D, 2-D or 3-D NDRange.
    private func enqueue(_ program: Program, _ kernel: String, _ name: String) -> String {
        switch program.dimensions {
        case 1: return "stcl_enqueue_1d(&env, \(kernel), \(name), stcl_round_up((size_t)interior_cols, wg.cols), wg.cols);"
        case 2: return "stcl_enqueue_2d(&env, \(kernel), \(name), interior_rows, interior_cols, wg);"
        default: return "stcl_enqueue_3d(&env, \(kernel), \(name), interior_planes, interior_rows, interior_cols, wg);"
        }
    }

    private func mainFunction(_ program: Program, host: HostCode, kernels: OpenCLKernels) {
        let writer = host.writer
        let names = host.names
        let scalar = host.scalar
        let grid = names[program.update.grid]
        let others = program.readOnlyGrids.map { names[$0.name] }
        writer.block("static int stencil_main(int argc, char **argv)") {
            host.params()
            host.gridSize()
            host.stoppingConstants()
            writer.comment("One kernel launch per sweep: --plan may only say sweeps.")
            writer.line("const st_plan plan = st_whole_sweeps_plan(options.plan, \"\(wholeSweepsReason(program))\");")
            writer.blank()
            writer.comment("Initial and boundary values in the order written; both device iterates start from this grid.")
            for update in program.updates {
                writer.line("\(scalar) *\(names[update.grid]) = st_alloc_grid(\(host.storageRows), cols, sizeof(\(scalar)));")
                host.fills(of: update.grid, into: names[update.grid])
            }
            for other in program.readOnlyGrids {
                writer.line("\(scalar) *\(names[other.name]) = st_alloc_grid(\(host.storageRows), cols, sizeof(\(scalar)));")
                host.fills(of: other.name, into: names[other.name])
            }
            writer.blank()
            setUp(program, host: host, kernels: kernels)
            writer.blank()
            iterationLoop(program, host: host, kernels: kernels)
            writer.blank()
            if program.isSystem {
                writer.comment("The grids come back once, at the end.")
                for (g, update) in program.updates.enumerated() {
                    writer.line("stcl_read(&env, buffers[current][\(g)], bytes, \(names[update.grid]));")
                }
            } else {
                writer.comment("The grid comes back once, at the end.")
                writer.line("stcl_read(&env, buffers[current], bytes, \(grid));")
            }
            if case .steps = program.stopping {
                writer.comment("No check iterations in a `steps` program: look for NaN/Inf once, at the end.")
                let counts = program.updates.map { "st_count_nonfinite(\(names[$0.grid]), \(host.storageRows), cols, sizeof(\(scalar)))" }
                writer.line("st_check_finite(" + counts.joined(separator: "\n                    + ") + ", iterations);")
            }
            writer.line("char schedule[64];")
            switch program.dimensions {
            case 1: writer.line("snprintf(schedule, sizeof schedule, \"workgroup %zu\", wg.cols);")
            case 2: writer.line("snprintf(schedule, sizeof schedule, \"workgroup %zux%zu\", wg.rows, wg.cols);")
            default: writer.line("snprintf(schedule, sizeof schedule, \"workgroup %zux%zux%zu\", stcl_workgroup_depth(wg), wg.rows, wg.cols);")
            }
            host.summary(target: "opencl", threads: "1", schedule: "schedule", device: "stcl_device_description(&env)")
            writer.line("summary.plan = plan;")
            writer.line("if (options.output_path) st_write_npy(options.output_path, \(grid), \(host.storageRows), cols, cols, sizeof(\(scalar)));")
            host.image(grid)
            let updated = program.updates.map { names[$0.grid] }
            host.outputs(updated + others)
            writer.line("st_print_summary(&summary, &options);")
            writer.line("stcl_release(&env);")
            writer.line((updated + others).map { "st_free_grid(\($0));" }.joined(separator: " "))
            writer.line("return 0;")
        }
        host.entryPoints()
    }

    /// The device, the program, the work-group, the buffers and the arguments that never change.
    private func setUp(_ program: Program, host: HostCode, kernels: OpenCLKernels) {
        let writer = host.writer
        let names = host.names
        let scalar = host.scalar
        let grid = names[program.update.grid]
        writer.comment("The device (--device, else STENCILC_DEVICE, else the first GPU, else the first device).")
        writer.line("stcl_env env;")
        writer.line("stcl_init(&env, options.device);")
        if program.elementType == .float64 {
            writer.line("stcl_require_fp64(&env, \"\(program.sourceName)\");")
        }
        if kernels.sumDependsOnDevice {
            writer.comment("l2diff sums change^2 in double, as the C targets do, where the device has fp64; else in float.")
            writer.line("const size_t norm_size = env.has_fp64 ? sizeof(double) : sizeof(float);")
            writer.line("cl_program program = stcl_build_program(&env, kernel_source, env.has_fp64 ? \"-DST_SUM_DOUBLE\" : NULL);")
        } else {
            if kernels.norm != nil {
                writer.line("const size_t norm_size = sizeof(\(scalar)); /* the norm's accumulator */")
            }
            writer.line("cl_program program = stcl_build_program(&env, kernel_source, NULL);")
        }
        writer.line("cl_kernel sweep_kernel = stcl_create_kernel(&env, program, \"\(kernels.sweepName)\");")
        if let norm = kernels.norm {
            writer.line("cl_kernel check_kernel = stcl_create_kernel(&env, program, \"\(kernels.checkName(norm))\");")
            writer.line("cl_kernel reduce_kernel = stcl_create_kernel(&env, program, \"\(kernels.reduceName(norm))\");")
        }
        writer.blank()
        writer.comment("One work-item per interior point; work-groups of the schedule's size, else the device's default.")
        switch program.dimensions {
        case 1:
            writer.line("const long interior_rows = 1, interior_cols = cols - 2 * HALO; /* a 1-D NDRange: one row of work-groups */")
            writer.line("const double points = (double)interior_cols;")
        case 2:
            writer.line("const long interior_rows = rows - 2 * HALO, interior_cols = cols - 2 * HALO;")
            writer.line("const double points = (double)interior_rows * (double)interior_cols;")
        default:
            writer.line("const long interior_planes = planes - 2 * HALO, interior_rows = rows - 2 * HALO, interior_cols = cols - 2 * HALO;")
            writer.line("const double points = (double)interior_planes * (double)interior_rows * (double)interior_cols;")
        }
        let sweepKernels = kernels.norm == nil ? "sweep_kernel" : "sweep_kernel, check_kernel"
        let sweepCount = kernels.norm == nil ? 1 : 2
        writer.line("const cl_kernel sweep_kernels[] = { \(sweepKernels) };")
        if let sizes = program.schedule.workgroup, let cols = sizes.last {
            // One size per dimension (checked); a 1-D NDRange is one row of work-groups.
            let rows = sizes.count == 2 ? sizes[0] : sizes.count == 3 ? sizes[1] : 1
            writer.line("const stcl_workgroup wg = { .rows = \(rows), .cols = \(cols)\(sizes.count == 3 ? ", .planes = \(sizes[0])" : "") };")
            let localBytes = kernels.norm == nil ? "0" : "norm_size"
            writer.line("stcl_check_workgroup(&env, sweep_kernels, \(sweepCount), wg, \(localBytes), \"workgroup \(IRPrinter.sizes(sizes)) of the schedule\");")
        } else {
            writer.line("const stcl_workgroup wg = stcl_default_workgroup(&env, sweep_kernels, \(sweepCount), interior_rows, interior_cols);")
        }
        writer.blank()
        writer.line("const size_t bytes = (size_t)\(program.dimensions == 3 ? "planes * (size_t)rows" : host.storageRows) * (size_t)cols * sizeof(\(scalar));")
        if program.isSystem {
            let count = program.updates.count
            writer.comment("buffers[k][g]: iterate k of updated grid g (\(program.updates.map(\.grid).joined(separator: ", "))); buffers[current] is the current iterate of every grid.")
            let one = program.updates.map { "stcl_create_buffer(&env, bytes, \(names[$0.grid]))" }.joined(separator: ", ")
            writer.line("cl_mem buffers[2][\(count)] = { { \(one) },")
            writer.line("                          { \(one) } };")
        } else if program.redBlack {
            writer.comment("Red-black order updates in place: one device grid, which buffers[0] and buffers[1] both name.")
            writer.line("cl_mem buffers[2];")
            writer.line("buffers[0] = buffers[1] = stcl_create_buffer(&env, bytes, \(grid));")
        } else {
            writer.line("cl_mem buffers[2] = { stcl_create_buffer(&env, bytes, \(grid)), stcl_create_buffer(&env, bytes, \(grid)) };")
        }
        for other in program.readOnlyGrids {
            let name = names[other.name]
            writer.line("cl_mem \(name)_buffer = stcl_create_buffer(&env, bytes, \(name));")
        }
        if kernels.norm != nil {
            writer.line(program.dimensions == 3 ? "const size_t groups = stcl_group_count_3d(interior_planes, interior_rows, interior_cols, wg);"
                                                : "const size_t groups = stcl_group_count(interior_rows, interior_cols, wg);")
            writer.line("const size_t reduce_size = stcl_reduction_size(&env, reduce_kernel);")
            writer.line(program.redBlack
                ? "cl_mem partial = stcl_create_buffer(&env, 2 * groups * norm_size, NULL); /* the red half-sweep's, then the black one's */"
                : "cl_mem partial = stcl_create_buffer(&env, groups * norm_size, NULL);")
            writer.line("cl_mem result = stcl_create_buffer(&env, norm_size, NULL);")
            writer.line("const cl_int no_points = 0;")
            writer.line("cl_mem nonfinite = stcl_create_buffer(&env, sizeof(cl_int), &no_points); /* NaN/Inf points seen */")
        }
        if !program.boundaryEachSweep.isEmpty {
            writer.comment("The boundary statements after every sweep: one boundary_side launch each, in the order written.")
            writer.line("cl_kernel boundary_kernel = stcl_create_kernel(&env, program, \"boundary_side\");")
            let fixed = program.boundaryEachSweep.statements.filter { !$0.copies }
            if !fixed.isEmpty {
                writer.comment("The fixed ones' values, computed here once: the device copies them, so they have the host's bits.")
                writer.line("cl_mem boundary_values[\(fixed.count)];")
                for (k, fill) in fixed.enumerated() {
                    writer.block("") {
                        writer.line("\(scalar) *side_values = st_alloc_grid(\(host.storageRows), cols, sizeof(\(scalar)));")
                        host.apply([fill], into: "side_values")
                        writer.line("boundary_values[\(k)] = stcl_create_buffer(&env, bytes, side_values);")
                        writer.line("st_free_grid(side_values);")
                    }
                }
            }
        }
        writer.blank()
        writer.comment(program.isSystem
            ? "Arguments that never change. Arguments 2 to \(kernels.firstFixedArgument - 1), the two iterates of each grid, are set at each launch: the swap."
            : "Arguments that never change. Arguments 2 and 3, the two iterates, are set at each launch: the swap.")
        writer.line("const cl_long rows_arg = \(program.dimensions == 1 ? "1" : "rows"), cols_arg = cols\(program.dimensions == 3 ? ", planes_arg = planes" : "");\(program.dimensions == 1 ? " /* 1-D: the kernels do not read rows */" : "")")
        let integers = Set(program.params.filter(\.isInteger).map(\.name))
        let updateParams = program.updateParams
        for param in updateParams {
            let name = names[param]
            let needsCast = integers.contains(param) || program.elementType == .float32
            writer.line("const \(scalar) \(name)_arg = \(needsCast ? "(\(scalar))" : "")\(name);")
        }
        var kernelNames = ["sweep_kernel"]
        if kernels.norm != nil { kernelNames.append("check_kernel") }
        writer.block("for (int k = 0; k < \(kernelNames.count); ++k)") {
            writer.line("STCL_ARG(sweep_kernels[k], 0, rows_arg);")
            writer.line("STCL_ARG(sweep_kernels[k], 1, cols_arg);")
            var index = kernels.firstFixedArgument
            for other in program.readOnlyGrids {
                writer.line("STCL_ARG(sweep_kernels[k], \(index), \(names[other.name])_buffer);")
                index += 1
            }
            for param in updateParams {
                writer.line("STCL_ARG(sweep_kernels[k], \(index), \(names[param])_arg);")
                index += 1
            }
            if let planes = kernels.planesArgument { writer.line("STCL_ARG(sweep_kernels[k], \(planes), planes_arg);") }
        }
        if kernels.norm != nil {
            let first = kernels.partialArgument
            writer.line("STCL_ARG(check_kernel, \(first), partial);")
            writer.line("STCL_ARG(check_kernel, \(first + 1), nonfinite);")
            writer.line("STCL_LOCAL_ARG(check_kernel, \(first + 2), stcl_workgroup_items(wg) * norm_size);")
            writer.line(program.redBlack ? "const cl_int count = (cl_int)(2 * groups); /* both half-sweeps' partials */" : "const cl_int count = (cl_int)groups;")
            writer.line("STCL_ARG(reduce_kernel, 0, count);")
            writer.line("STCL_ARG(reduce_kernel, 1, partial);")
            writer.line("STCL_ARG(reduce_kernel, 2, result);")
            writer.line("STCL_LOCAL_ARG(reduce_kernel, 3, reduce_size * norm_size);")
        }
        writer.blank()
        writer.line("/* Warm-up, outside the timing: drivers that compile for each work-group size (PoCL) do so at")
        writer.line(" * the first launch. A sweep from buffers[0] into buffers[1] is what the first iteration does")
        writer.line(" * again, so launching each kernel once here changes nothing. */")
        let colourIndex = { (kernel: String) -> Int in
            kernels.firstFixedArgument + program.readOnlyGrids.count + updateParams.count
        }
        if program.redBlack {
            writer.comment("Red-black: the warm-up launches have colour 2, which updates no point (the grid is updated in place).")
            writer.line("const cl_int no_colour = 2;")
            for kernel in kernelNames { writer.line("STCL_ARG(\(kernel), \(colourIndex(kernel)), no_colour);") }
        }
        writer.block("for (int k = 0; k < \(kernelNames.count); ++k)") {
            if program.isSystem {
                for g in program.updates.indices {
                    writer.line("STCL_ARG(sweep_kernels[k], \(2 + 2 * g), buffers[0][\(g)]);")
                    writer.line("STCL_ARG(sweep_kernels[k], \(3 + 2 * g), buffers[1][\(g)]);")
                }
            } else {
                writer.line("STCL_ARG(sweep_kernels[k], 2, buffers[0]);")
                writer.line("STCL_ARG(sweep_kernels[k], 3, buffers[1]);")
            }
            writer.line(enqueue(program, "sweep_kernels[k]", "\"warm-up\""))
        }
        if kernels.norm != nil {
            writer.line("stcl_enqueue_1d(&env, reduce_kernel, \"warm-up\", reduce_size, reduce_size);")
        }
        if !program.boundaryEachSweep.isEmpty {
            writer.comment("The boundary statements again on the initial grid: they leave it as it is.")
            boundaryLaunches(program, writer, grid: { g in program.isSystem ? "buffers[0][\(g)]" : "buffers[0]" })
        }
        writer.line("stcl_finish(&env);")
    }

    private func iterationLoop(_ program: Program, host: HostCode, kernels: OpenCLKernels) {
        let writer = host.writer
        let scalar = host.scalar
        let colourIndex = { (kernel: String) -> String in
            let first = kernels.firstFixedArgument + program.readOnlyGrids.count + program.updateParams.count
            return String(first)
        }
        let launch = { (kernel: String, name: String) in
            if program.isSystem {
                for g in program.updates.indices {
                    writer.line("STCL_ARG(\(kernel), \(2 + 2 * g), buffers[current][\(g)]);")
                    writer.line("STCL_ARG(\(kernel), \(3 + 2 * g), buffers[1 - current][\(g)]);")
                }
            } else {
                writer.line("STCL_ARG(\(kernel), 2, buffers[current]);")
                writer.line("STCL_ARG(\(kernel), 3, buffers[1 - current]);")
            }
            if program.redBlack {
                writer.comment("Red-black: the red half-sweep, then the black one, in place (the queue runs them in order).")
                writer.block("for (cl_int colour = 0; colour < 2; ++colour)") {
                    writer.line("STCL_ARG(\(kernel), \(colourIndex(kernel)), colour);")
                    writer.line(enqueue(program, kernel, name))
                    self.boundaryLaunches(program, writer, grid: { _ in "buffers[current]" })
                }
            } else {
                writer.line(enqueue(program, kernel, name))
                self.boundaryLaunches(program, writer, grid: { g in program.isSystem ? "buffers[1 - current][\(g)]" : "buffers[1 - current]" })
            }
        }
        switch program.stopping {
        case .steps:
            writer.line("long iterations = 0;")
            writer.line("int current = 0; /* buffers[current] holds the current iterate */")
            writer.line("const double start = st_seconds();")
            writer.block("while (iterations < steps)") {
                launch("sweep_kernel", "\"\(kernels.sweepName)\"")
                writer.line("current = 1 - current; /* the new iterate becomes current */")
                writer.line("iterations += 1;")
                writer.block("if (iterations % 1000 == 0)") {
                    writer.line("stcl_finish(&env); /* a progress line that counts finished sweeps */")
                    writer.line("st_progress(&options, iterations, steps, NAN, points, start);")
                    writer.line("if (st_stop_requested()) break; /* Ctrl-C in library mode */")
                }
            }
            writer.line("stcl_finish(&env);")
            writer.line("const double seconds = st_seconds() - start;")
            writer.line("st_progress_done(&options);")
            writer.line("if (st_stop_requested()) stcl_release(&env);")
            writer.line("st_check_interrupted();")
        case .until(let norm, _, _, _, _):
            writer.line("long iterations = 0;")
            writer.line("cl_int nonfinite_seen = 0;")
            writer.line("double residual = NAN;")
            writer.line("int current = 0; /* buffers[current] holds the current iterate */")
            writer.line("const double start = st_seconds();")
            writer.block("while (iterations < max_iterations)") {
                writer.comment("Only every `every`-th sweep computes the norm: the others skip that work.")
                writer.line("const int check = (iterations + 1) % every == 0;")
                writer.line("const cl_kernel kernel = check ? check_kernel : sweep_kernel;")
                launch("kernel", "check ? \"\(kernels.checkName(norm))\" : \"\(kernels.sweepName)\"")
                writer.line("iterations += 1;")
                writer.line("current = 1 - current; /* the new iterate becomes current */")
                writer.block("if (check)") {
                    writer.line("stcl_enqueue_1d(&env, reduce_kernel, \"\(kernels.reduceName(norm))\", reduce_size, reduce_size);")
                    if kernels.sumDependsOnDevice {
                        writer.line("double norm = 0; /* the scalars that come back: the sum in double, or in float */")
                        writer.block("if (norm_size == sizeof(double))") {
                            writer.line("stcl_read(&env, result, sizeof norm, &norm);")
                        }
                        writer.block("else") {
                            writer.line("float sum;")
                            writer.line("stcl_read(&env, result, sizeof sum, &sum);")
                            writer.line("norm = sum;")
                        }
                    } else {
                        writer.line("\(scalar) norm;")
                        writer.line("stcl_read(&env, result, sizeof norm, &norm); /* the scalars that come back */")
                    }
                    writer.line("stcl_read(&env, nonfinite, sizeof nonfinite_seen, &nonfinite_seen);")
                    writer.line(norm == .maxdiff ? "residual = (double)norm;" : "residual = sqrt((double)norm);")
                    writer.line("st_progress(&options, iterations, max_iterations, residual, points, start);")
                    writer.line("if (st_stop_requested()) break; /* Ctrl-C in library mode */")
                    writer.line("if (nonfinite_seen > 0 || residual < tolerance) break;")
                }
            }
            writer.line("stcl_finish(&env);")
            writer.line("const double seconds = st_seconds() - start;")
            writer.line("st_progress_done(&options);")
            writer.line("if (st_stop_requested()) stcl_release(&env);")
            writer.line("st_check_interrupted();")
            writer.line("st_check_finite(nonfinite_seen, iterations);")
            writer.line("const int converged = residual < tolerance;")
        }
    }

    /// The boundary statements after a sweep (PlanBoundary), on the device grid `grid`: nothing
    /// for a stencil whose sides are all fixed. `grid(g)`: the device buffer of update g's grid.
    private func boundaryLaunches(_ program: Program, _ writer: CodeWriter, grid buffer: (Int) -> String) {
        var fixed = 0
        let extentNames = Array(["planes", "rows", "cols"].suffix(program.dimensions))
        let extents = "\(program.dimensions), (const long[]){ \(extentNames.joined(separator: ", ")) }"
        for fill in program.boundaryEachSweep.statements {
            let (side, kind) = HostCode.sideConstants(fill)
            let grid = buffer(program.updates.firstIndex { $0.grid == fill.grid } ?? 0)
            let values = fill.copies ? grid : "boundary_values[\(fixed)]"
            if !fill.copies { fixed += 1 }
            writer.line("stcl_boundary_side(&env, boundary_kernel, \(grid), \(values), \(side), \(kind), \(extents), HALO); /* \(program.sourceName):\(fill.line) \(fill.side!.rawValue) = \(fill.expression) */")
        }
    }
}
