// CNames.swift: DSL names -> C identifiers that cannot collide.
// A .st name is spliced into C only through this table: one that is a C or OpenCL keyword, a
// libc/runtime/OpenMP/MPI/OpenCL symbol or macro, one of the emitted program's own locals, or
// that would clash with a name a backend derives (`u_next`, `f_buffer`, `omega_arg`) gets a
// trailing underscore (`int` -> `int_`);
// one in a namespace that a trailing underscore cannot leave (`st_x`, `MPI_x`, `_x`, `__x`) gets
// the prefix `dsl_` (`st_x` -> `dsl_st_x`). Text that is not an identifier (a file name) goes
// into comments only through `commentText`.

import StencilIR

public struct CNames: Sendable {
    private var table: [String: String] = [:]

    public init(_ program: Program) {
        var taken = CNames.reserved
        // Backends derive names from a DSL name's C name: the updated grid's second buffer
        // `u_next`, the opencl host's device buffer of a read-only grid `f_buffer` and kernel
        // argument of a param `omega_arg`. A derived name is taken with its owner, and an owner
        // whose derived name is taken moves (grid `int` -> `int_` with `int__next`, so a param
        // named `int__next` moves too). Grids first, so they keep their names.
        let updated = program.grids.filter(\.isUpdated).map(\.name)
        let others = program.grids.filter { !$0.isUpdated }.map(\.name)
        let params = program.params.map(\.name)
        func derived(_ name: String) -> [String] {
            updated.contains(name) ? ["_next"] : others.contains(name) ? ["_buffer"] : params.contains(name) ? ["_arg"] : []
        }
        let names = updated + others + params + program.update.indices
        for name in names where table[name] == nil {
            let suffixes = derived(name)
            // A reserved prefix stays reserved however many underscores follow: such names get
            // the prefix dsl_, the renamed names' own namespace (no name keeps it as written).
            var candidate = CNames.isReservedPrefix(name) || name.hasPrefix("dsl_")
                    || suffixes.contains { CNames.isReservedPrefix(name + $0) }
                ? "dsl_" + name : name
            while taken.contains(candidate) || CNames.isReservedSuffix(candidate)
                    || suffixes.contains(where: { taken.contains(candidate + $0) }) {
                candidate += "_"
            }
            for suffix in suffixes { taken.insert(candidate + suffix) }
            taken.insert(candidate)
            table[name] = candidate
        }
    }

    /// The C identifier of a DSL name.
    public subscript(_ name: String) -> String { table[name] ?? name }

    /// The second buffer of the updated grid.
    public func next(_ grid: String) -> String { self[grid] + "_next" }

    /// Text made safe inside a C block comment: no `*/` (it would end the comment and splice the
    /// rest as code), no `/*`, no control characters or line breaks. The IR's `sourceName` is
    /// already made so by Lowering; backends pass any other outside text through here.
    public static func commentText(_ text: String) -> String { Lowering.commentSafe(text) }

    /// Whether a name may not be spliced into C as it is (a keyword, a symbol or macro of the
    /// headers, a generated local, or a reserved namespace): such a name is always renamed.
    public static func isReserved(_ name: String) -> Bool {
        reserved.contains(name) || isReservedPrefix(name) || isReservedSuffix(name)
    }

    /// Namespaces of the implementation, the runtime and the libraries: no trailing underscore
    /// leaves them, so names in them get a prefix.
    static func isReservedPrefix(_ name: String) -> Bool {
        let prefixes = ["st_", "ST_", "stmpi_", "STMPI_", "stcl_", "STCL_", "omp_", "OMP_", "kmp_", "MPI_", "MPIX_", "mpi_",
                        "PMPI_", "OMPI_", "ompi_", "OPAL_", "opal_", "cl_", "CL_", "__", "pthread_", "PTHREAD_",
                        "PLATFORM_", "INT", "UINT", "PTRDIFF_", "SIZE_", "WCHAR_", "WINT_", "SIG_", "FP_", "MATH_",
                        "HUGE_", "MPIO_", "STENCIL_"]
        if prefixes.contains(where: name.hasPrefix) { return true }
        // Leading underscores belong to the implementation (and to intrinsics macros: _mm_...).
        if name.hasPrefix("_") { return true }
        // OpenCL API functions: clSetKernelArg, clFinish, ...
        if name.hasPrefix("cl"), let third = name.dropFirst(2).first, third.isUppercase { return true }
        // The macros OpenCL C's compiler predefines (M_PI, FLT_MAX, CLK_LOCAL_MEM_FENCE, ...).
        let macroPrefixes = ["M_", "FLT_", "DBL_", "CLK_", "INT_", "UINT_", "LONG_", "CHAR_", "FP_"]
        // OpenCL C's atomic functions (atomic_inc, atom_add, ...).
        if name.hasPrefix("atomic_") || name.hasPrefix("atom_") { return true }
        if macroPrefixes.contains(where: name.hasPrefix) { return true }
        return false
    }

    /// POSIX reserves names ending in `_t` (types: size_t, float_t, cl_mem's friends); OpenCL C
    /// has vector types such as float4 and uchar16: both are left by a trailing underscore.
    static func isReservedSuffix(_ name: String) -> Bool {
        if name.hasSuffix("_t") { return true }
        // vec0, vec1_prev, ...: once the vector code's locals; still taken, so emitted names stay as they were.
        if name.hasPrefix("vec"), let digits = name.dropFirst(3).split(separator: "_").first,
           !digits.isEmpty, digits.allSatisfy(\.isNumber) { return true }
        for base in ["char", "uchar", "short", "ushort", "int", "uint", "long", "ulong", "half", "float", "double", "bool"] {
            guard name.hasPrefix(base) else { continue }
            let rest = name.dropFirst(base.count)
            if ["2", "3", "4", "8", "16"].contains(String(rest)) { return true }
            // OpenCL matrix-like spellings (float2x2) are reserved words as well.
            if let x = rest.firstIndex(of: "x"), ["2", "3", "4", "8", "16"].contains(String(rest[..<x])) { return true }
        }
        return false
    }

    /// C11, C23 and OpenCL C keywords, libc and math names and macros the emitted code can see,
    /// and the locals and functions every backend emits. The tests check every identifier of
    /// every golden file and every macro of the headers the emitted code includes against this.
    static let reserved: Set<String> = [
        // C11 keywords, C23 keywords, GNU keywords and predefined macros
        "auto", "break", "case", "char", "const", "continue", "default", "do", "double", "else", "enum",
        "extern", "float", "for", "goto", "if", "inline", "int", "long", "register", "restrict", "return",
        "short", "signed", "sizeof", "static", "struct", "switch", "typedef", "union", "unsigned", "void",
        "volatile", "while", "bool", "true", "false", "asm", "typeof", "typeof_unqual", "nullptr", "constexpr",
        "static_assert", "thread_local", "alignas", "alignof", "noreturn", "complex", "imaginary", "I",
        "linux", "unix", "i386", "defined",
        // OpenCL C
        "kernel", "global", "local", "constant", "private", "read_only", "write_only", "read_write",
        "half", "uint", "uchar", "ushort", "ulong", "size_t", "ptrdiff_t", "intptr_t", "uintptr_t",
        "get_global_id", "get_local_id", "get_group_id", "get_local_size", "get_global_size", "barrier",
        "float2", "float4", "float8", "float16", "double2", "double4", "int2", "int4",
        "get_num_groups", "get_global_offset", "get_work_dim", "mem_fence", "event_t", "sampler_t",
        "image1d_t", "image1d_array_t", "image1d_buffer_t", "image2d_t", "image2d_array_t", "image3d_t",
        "pipe", "complex", "imaginary", "quad", "uniform", "vec_step", "MAXFLOAT", "HUGE_VAL",
        "HUGE_VALF", "ENDIAN_LITTLE", "cl_khr_fp64", "mad", "fma", "clamp", "mix", "select", "native_sin",
        "native_cos", "snprintf", "sprintf", "sizeof",
        // libc, math, and macros
        "main", "NULL", "EOF", "errno", "stdin", "stdout", "stderr", "printf", "fprintf", "puts", "exit",
        "abort", "free", "malloc", "calloc", "realloc", "memcpy", "memset", "assert", "isnan", "isinf",
        "isfinite", "isnormal", "signbit", "fpclassify", "isgreater", "isgreaterequal", "isless", "islessequal",
        "islessgreater", "isunordered", "math_errhandling", "offsetof", "alloca", "INFINITY", "NAN", "abs",
        "fabs", "fabsf", "fmin", "fminf", "fmax", "fmaxf", "sqrt", "sqrtf", "exp", "expf", "sin", "sinf",
        "cos", "cosf", "pow", "powf", "floor", "ceil", "round", "min", "max", "time", "clock", "signal",
        "raise", "remove", "rename", "fopen", "fclose", "system", "environ", "optarg", "index", "y0", "y1",
        "yn", "j0", "j1", "jn", "gamma", "log", "exp2", "getenv", "EXIT_SUCCESS", "EXIT_FAILURE", "RAND_MAX",
        "MB_CUR_MAX", "BYTE_ORDER", "BIG_ENDIAN", "LITTLE_ENDIAN", "PDP_ENDIAN", "NFDBITS", "FD_SETSIZE",
        "FD_SET", "FD_CLR", "FD_ISSET", "FD_ZERO", "WNOHANG", "WUNTRACED", "WCONTINUED", "WEXITED", "WNOWAIT",
        "WSTOPPED", "WEXITSTATUS", "WIFCONTINUED", "WIFEXITED", "WIFSIGNALED", "WIFSTOPPED", "WSTOPSIG",
        "WTERMSIG", "OPEN_MPI", "HAVE_DOUBLE__COMPLEX", "HAVE_FLOAT__COMPLEX", "HAVE_LONG_DOUBLE__COMPLEX",
        "THIS_FUNCTION_WAS_REMOVED_IN_MPI30", "THIS_SYMBOL_WAS_REMOVED_IN_MPI30",
        "be16toh", "be32toh", "be64toh", "htobe16", "htobe32", "htobe64", "htole16", "htole32", "htole64",
        "le16toh", "le32toh", "le64toh",
        // locals and functions of the emitted programs
        "argc", "argv", "params", "options", "planes", "plane", "rows", "cols", "halo", "HALO", "iterations", "converged",
        "residual", "tolerance", "every", "max_iterations", "steps", "step", "check", "start", "seconds",
        "summary", "swap", "buffers", "buffer", "k", "next", "change", "maxdiff", "sum_sq", "sweep",
        "sweep_maxdiff", "sweep_l2diff", "fill", "row_begin", "row_end", "col_begin", "col_end",
        "thread_count", "ranks", "rank", "decomp", "exchange", "device", "queue", "context", "program",
        "kernel_source", "sweep_kernel", "check_kernel", "reduce_kernel", "sweep_kernels", "env", "wg",
        "boundary_kernel", "boundary_values", "side_values", "boundary_side", "once", "slab",
        "bytes", "groups", "reduce_size", "partial", "result", "current", "schedule",
        "interior_planes", "interior_rows", "interior_cols", "rows_arg", "cols_arg", "lane", "group_size", "contribution",
        "acc", "scratch", "reduce_maxdiff", "reduce_l2diff", "no_points", "norm_size", "sum",
        "local_rows", "local_cols", "tile", "kk", "ii", "jj", "tid", "tile_plane_end", "tile_row_end", "tile_col_end",
        "sweeps", "iteration", "first", "count", "block", "depth", "tiles", "plan", "temporal", "points",
        "sweep_alone", "sweep_red", "sweep_black", "sweep_maxdiff_red", "sweep_maxdiff_black", "sweep_l2diff_red", "sweep_l2diff_black", "parity", "colour", "no_colour", "sweep_args", "args", "extra", "in", "out", "sweeper", "shape", "scratch",
        "stencil_main", "stencil_entry", "io", "halt", "stop", "from", "to", "strip", "last",
        "field", "chunk", "norm", "bad", "nonfinite", "nonfinite_seen",
        "interior", "frame", "plain", "row_offset", "col_offset", "held",
        "team", "thread", "band_begin", "band_end", "wave", "first_end", "last_begin",
        "red", "black", "half", "off", "own", "other", "k_begin", "k_end", "split_colours", "join_colours",
        "grid", "box", "sweep_box", "sweep_fn", "middle_begin", "middle_end", "planes_arg",
    ]
}
