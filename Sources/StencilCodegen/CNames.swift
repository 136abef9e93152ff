// CNames.swift: DSL names -> C identifiers that cannot collide.
// A .st name is spliced into C only through this table: one that is a C or OpenCL keyword, a
// libc/runtime/OpenMP/MPI symbol, one of the emitted program's own locals, or that would clash
// with a generated `_next` buffer gets a trailing underscore (`int` -> `int_`).

import StencilIR

public struct CNames: Sendable {
    private var table: [String: String] = [:]

    public init(_ program: Program) {
        var taken = CNames.reserved
        // Generated buffer names first: `u_next` belongs to grid `u`.
        for grid in program.grids where grid.isUpdated {
            taken.insert(grid.name + "_next")
        }
        // The opencl host names a read-only grid's device buffer `f_buffer` and a param's kernel
        // argument `omega_arg`.
        for grid in program.grids where !grid.isUpdated {
            taken.insert(grid.name + "_buffer")
        }
        for param in program.params {
            taken.insert(param.name + "_arg")
        }
        let names = program.params.map(\.name) + program.grids.map(\.name)
            + [program.update.rowIndex, program.update.colIndex]
        for name in names where table[name] == nil {
            // A reserved prefix stays reserved however many underscores follow: prefix those.
            var candidate = CNames.isReservedPrefix(name) ? "v_" + name : name
            while taken.contains(candidate) { candidate += "_" }
            taken.insert(candidate)
            table[name] = candidate
        }
    }

    /// The C identifier of a DSL name.
    public subscript(_ name: String) -> String { table[name] ?? name }

    /// The second buffer of the updated grid.
    public func next(_ grid: String) -> String { self[grid] + "_next" }

    static func isReservedPrefix(_ name: String) -> Bool {
        let prefixes = ["st_", "ST_", "stmpi_", "stcl_", "omp_", "MPI_", "mpi_", "cl_", "CL_", "__", "pthread_"]
        if prefixes.contains(where: name.hasPrefix) { return true }
        // _Uppercase is reserved to the implementation in C.
        if name.hasPrefix("_"), let second = name.dropFirst().first, second.isUppercase { return true }
        // OpenCL C's vector types (float4, uchar16, ...) and the macros its compiler predefines
        // (M_PI, FLT_MAX, CLK_LOCAL_MEM_FENCE, ...).
        let macroPrefixes = ["M_", "FLT_", "DBL_", "CLK_", "INT_", "UINT_", "LONG_", "CHAR_", "FP_"]
        if macroPrefixes.contains(where: name.hasPrefix) { return true }
        let scalars = ["char", "uchar", "short", "ushort", "int", "uint", "long", "ulong", "float", "double", "half", "bool"]
        for scalar in scalars where name.hasPrefix(scalar) {
            if ["2", "3", "4", "8", "16"].contains(String(name.dropFirst(scalar.count))) { return true }
        }
        return false
    }

    /// C11 and OpenCL C keywords, libc and math names the emitted code uses, and the locals and
    /// functions every backend emits.
    static let reserved: Set<String> = [
        // C11 keywords
        "auto", "break", "case", "char", "const", "continue", "default", "do", "double", "else", "enum",
        "extern", "float", "for", "goto", "if", "inline", "int", "long", "register", "restrict", "return",
        "short", "signed", "sizeof", "static", "struct", "switch", "typedef", "union", "unsigned", "void",
        "volatile", "while", "bool", "true", "false", "asm", "typeof",
        // OpenCL C
        "kernel", "global", "local", "constant", "private", "read_only", "write_only", "read_write",
        "half", "uint", "uchar", "ushort", "ulong", "size_t", "ptrdiff_t", "intptr_t", "uintptr_t",
        "get_global_id", "get_local_id", "get_group_id", "get_local_size", "get_global_size", "barrier",
        "float2", "float4", "float8", "float16", "double2", "double4", "int2", "int4",
        "get_num_groups", "get_global_offset", "get_work_dim", "mem_fence", "event_t", "sampler_t",
        "image1d_t", "image1d_array_t", "image1d_buffer_t", "image2d_t", "image2d_array_t", "image3d_t",
        "pipe", "complex", "imaginary", "quad", "uniform", "vec_step", "MAXFLOAT", "HUGE_VAL",
        "HUGE_VALF", "ENDIAN_LITTLE", "cl_khr_fp64",
        // libc, math, and macros
        "main", "NULL", "EOF", "errno", "stdin", "stdout", "stderr", "printf", "fprintf", "puts", "exit",
        "abort", "free", "malloc", "calloc", "realloc", "memcpy", "memset", "assert", "isnan", "isinf",
        "isfinite", "INFINITY", "NAN", "abs", "fabs", "fabsf", "fmin", "fminf", "fmax", "fmaxf", "sqrt",
        "sqrtf", "exp", "expf", "sin", "sinf", "cos", "cosf", "pow", "powf", "floor", "ceil", "round",
        "min", "max", "time", "clock", "signal", "raise", "remove", "rename", "fopen", "fclose", "system",
        "environ", "optarg", "index", "y0", "y1", "yn", "j0", "j1", "jn", "gamma", "log", "exp2",
        // locals and functions of the emitted programs
        "argc", "argv", "params", "options", "rows", "cols", "halo", "HALO", "iterations", "converged",
        "residual", "tolerance", "every", "max_iterations", "steps", "step", "check", "start", "seconds",
        "summary", "swap", "buffers", "buffer", "k", "next", "change", "maxdiff", "sum_sq", "sweep",
        "sweep_maxdiff", "sweep_l2diff", "fill", "row_begin", "row_end", "col_begin", "col_end",
        "thread_count", "ranks", "rank", "decomp", "exchange", "device", "queue", "context", "program",
        "kernel_source", "sweep_kernel", "check_kernel", "reduce_kernel", "sweep_kernels", "env", "wg",
        "bytes", "groups", "reduce_size", "partial", "result", "current", "schedule",
        "interior_rows", "interior_cols", "rows_arg", "cols_arg", "lane", "group_size", "contribution",
        "acc", "scratch", "reduce_maxdiff", "reduce_l2diff", "no_points",
        "local_rows", "local_cols", "tile", "ii", "jj", "tid", "tile_row_end", "tile_col_end",
        "sweeps", "iteration", "first", "count", "block", "depth", "tiles", "plan", "temporal", "points",
        "field", "chunk", "norm", "bad", "nonfinite", "nonfinite_seen", "st_temporal",
        "interior", "frame",
    ]
}
