/* stencil_runtime.c: see stencil_runtime.h. Plain C11 plus POSIX (clock_gettime, rename). */
#define _POSIX_C_SOURCE 200809L
#define _XOPEN_SOURCE 700 /* realpath */

#include "stencil_runtime.h"

#include <errno.h>
#include <math.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#ifdef _OPENMP
#include <omp.h>
#endif

/* ---- errors ----------------------------------------------------------------------------- */

static const char *program_name = "stencil";

/* Library mode (st_library_call): the caller's I/O and where st_fatal returns to. */
static st_memory_io *library_io;
static jmp_buf library_return;
enum { LIBRARY_GRIDS = 64 };
static void *library_grids[LIBRARY_GRIDS]; /* grids allocated during the call, freed on error */

void st_set_program_name(const char *name) { if (name && *name) program_name = name; }
const char *st_program_name(void) { return program_name; }

/* st_try: where st_fatal returns to instead of exiting, and the message's buffer. */
static jmp_buf *catching;
static char *caught;
static size_t caught_size;

int st_try(void (*body)(void *), void *context, char *error, size_t error_size)
{
    jmp_buf here;
    jmp_buf *outer = catching;
    char *outer_text = caught;
    size_t outer_size = caught_size;
    catching = &here;
    caught = error;
    caught_size = error_size;
    if (error_size) error[0] = '\0';
    volatile int failed = 0;
    if (setjmp(here)) failed = 1;
    else body(context);
    catching = outer;
    caught = outer_text;
    caught_size = outer_size;
    return failed;
}

void st_fatal(const char *format, ...)
{
    va_list args;
    if (catching) {
        if (caught_size) {
            va_start(args, format);
            vsnprintf(caught, caught_size, format, args);
            va_end(args);
        }
        longjmp(*catching, 1);
    }
    if (library_io) {
        if (library_io->error && library_io->error_size) {
            va_start(args, format);
            vsnprintf(library_io->error, library_io->error_size, format, args);
            va_end(args);
        }
        longjmp(library_return, 1);
    }
    fflush(stdout);
    fprintf(stderr, "%s: error: ", program_name);
    va_start(args, format);
    vfprintf(stderr, format, args);
    va_end(args);
    fputc('\n', stderr);
    exit(1);
}

/* ---- run-time parameters and options ------------------------------------------------------ */

static void print_usage(const st_param *params, int count)
{
    printf("usage: %s [--param NAME=VALUE]... [--input GRID=FILE.npy]... [--output FILE.npy] [--output GRID=FILE.npy]... [--image FILE.png] [--max-iterations K] [--plan SPEC] [--device D (opencl)] [--json] [--quiet]\n", program_name);
    if (count > 0) printf("params (defaults):\n");
    for (int k = 0; k < count; ++k) {
        if (params[k].kind == ST_INTEGER) printf("  %s = %.0f (integer)\n", params[k].name, params[k].value);
        else printf("  %s = %.17g\n", params[k].name, params[k].value);
    }
}

/* NAME=VALUE: finds the param and parses the value strictly (the whole text is a number). */
static void set_param(const char *assignment, st_param *params, int count)
{
    const char *equals = strchr(assignment, '=');
    if (!equals || equals == assignment)
        st_fatal("--param expects NAME=VALUE, got '%s'", assignment);
    size_t name_length = (size_t)(equals - assignment);
    for (int k = 0; k < count; ++k) {
        if (strlen(params[k].name) != name_length || strncmp(params[k].name, assignment, name_length) != 0)
            continue;
        const char *text = equals + 1;
        char *end = NULL;
        errno = 0;
        double value = strtod(text, &end);
        /* Decimal only: strtod also reads hexadecimal ("0x10"), "inf" and "nan". */
        if (*text == '\0' || *end != '\0' || strspn(text, "0123456789+-.eE") != strlen(text))
            st_fatal("param %s: '%s' is not a number", params[k].name, text);
        if ((errno == ERANGE && fabs(value) > 1) || !isfinite(value))
            st_fatal("param %s: '%s' is out of range (a double's, about 1.8e308)", params[k].name, text);
        if (params[k].kind == ST_INTEGER && value != floor(value))
            st_fatal("param %s is an integer; '%s' is not", params[k].name, text);
        /* 2^53, the largest integer a double holds exactly; the front end checks the same
         * (NumberLiteral.largestInteger). */
        if (params[k].kind == ST_INTEGER && fabs(value) > ldexp(1.0, 53))
            st_fatal("param %s: '%s' is too large: integers go up to 2^53 (9007199254740992)", params[k].name, text);
        params[k].value = value;
        return;
    }
    char message[1024];
    size_t used = (size_t)snprintf(message, sizeof message, "unknown param '%.*s'", (int)name_length, assignment);
    if (count > 0) {
        used += (size_t)snprintf(message + used, used < sizeof message ? sizeof message - used : 0, " (params:");
        for (int k = 0; k < count; ++k)
            used += (size_t)snprintf(message + used, used < sizeof message ? sizeof message - used : 0, " %s", params[k].name);
        snprintf(message + used, used < sizeof message ? sizeof message - used : 0, ")");
    }
    st_fatal("%s", message);
}

/* Whether `text` starts with an identifier followed by '=' (NAME=FILE). */
static int is_grid_assignment(const char *text)
{
    const char *p = text;
    if (!((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') || *p == '_')) return 0;
    while ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '_') ++p;
    return *p == '=';
}

/* NAME=FILE for --input and --output, appended to `list`. */
static void add_grid_file(const char *option, const char *value, st_grid_file *list, int *count)
{
    if (!is_grid_assignment(value))
        st_fatal("%s expects GRID=FILE.npy (a grid name, '=', a file), got '%s'", option, value);
    const char *equals = strchr(value, '=');
    if (equals[1] == '\0') st_fatal("%s %s: no file after '='", option, value);
    if (*count >= ST_MAX_GRID_FILES) st_fatal("too many %s options (at most %d)", option, ST_MAX_GRID_FILES);
    list[*count].argument = value;
    list[*count].grid_length = (size_t)(equals - value);
    list[*count].path = equals + 1;
    *count += 1;
}

void st_parse_args(int argc, char **argv, st_param *params, int param_count, st_options *options)
{
    /* A launcher that starts us from a thread blocking signals passes that mask on: Ctrl-C and
     * SIGTERM would stay pending forever. A stencil program always stops on them. */
    sigset_t stop_signals;
    sigemptyset(&stop_signals);
    sigaddset(&stop_signals, SIGINT);
    sigaddset(&stop_signals, SIGTERM);
    sigaddset(&stop_signals, SIGHUP);
    sigprocmask(SIG_UNBLOCK, &stop_signals, NULL);
    memset(options, 0, sizeof *options);
    if (argc > 0 && argv[0]) {
        const char *slash = strrchr(argv[0], '/');
        st_set_program_name(slash ? slash + 1 : argv[0]);
    }
    for (int a = 1; a < argc; ++a) {
        const char *arg = argv[a];
        const char *value = NULL;
        /* Options that take a value accept both "--opt VALUE" and "--opt=VALUE". */
        const char *valued[] = { "--param", "--output", "--image", "--device", "--max-iterations", "--plan", "--plan-source",
                                 "--input" };
        int matched = -1;
        for (int k = 0; k < 8; ++k) {
            size_t n = strlen(valued[k]);
            if (strncmp(arg, valued[k], n) == 0 && (arg[n] == '\0' || arg[n] == '=')) {
                matched = k;
                if (arg[n] == '=') value = arg + n + 1;
                else if (a + 1 < argc) value = argv[++a];
                else st_fatal("%s needs a value", valued[k]);
                break;
            }
        }
        switch (matched) {
        case 0: set_param(value, params, param_count); continue;
        case 1:
            /* --output GRID=FILE names a grid; a plain path is the updated grid, as always. */
            if (is_grid_assignment(value)) add_grid_file("--output", value, options->outputs, &options->output_count);
            else options->output_path = value;
            continue;
        case 7: add_grid_file("--input", value, options->inputs, &options->input_count); continue;
        case 2: options->image_path = value; continue;
        case 3: options->device = value; continue;
        case 4: {
            char *end = NULL;
            errno = 0;
            long cap = strtol(value, &end, 10);
            if (*value == '\0' || *end != '\0' || errno == ERANGE || cap < 1)
                st_fatal("--max-iterations expects a positive integer, got '%s'", value);
            options->max_iterations = cap;
            continue;
        }
        case 5: options->plan = value; continue;
        case 6: options->plan_source = value; continue;
        default: break;
        }
        if (strcmp(arg, "--json") == 0) options->json = 1;
        else if (strcmp(arg, "--quiet") == 0) options->quiet = 1;
        else if (strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0) { print_usage(params, param_count); exit(0); }
        else st_fatal("unknown argument '%s' (try --help)", arg);
    }
}

long st_cap_iterations(const st_options *options, long limit)
{
    return options->max_iterations > 0 && options->max_iterations < limit ? options->max_iterations : limit;
}

void st_check_grid(const char *grid, long rows, long cols, int halo)
{
    long need = 2L * halo + 1;
    if (rows < need || cols < need)
        st_fatal("grid %s is %ld x %ld, but a stencil of halo %d needs at least %ld x %ld points",
                 grid, rows, cols, halo, need, need);
    if ((double)rows * (double)cols * 8.0 > (double)SIZE_MAX / 4)
        st_fatal("grid %s is %ld x %ld: too large to allocate", grid, rows, cols);
}

/* The shape st_check_shape recorded (shape_dimensions 0: none, a grid is rows x cols). */
static int shape_dimensions = 0;
static long shape_extents[3];

/* "64 x 64 x 64" (separator " x ") or "(64, 64, 64)" / "(64,)" (NumPy's tuple). */
static void format_shape(char *text, size_t size, int dimensions, const long *shape, int tuple)
{
    size_t used = (size_t)snprintf(text, size, "%s", tuple ? "(" : "");
    for (int k = 0; k < dimensions && used < size; ++k)
        used += (size_t)snprintf(text + used, size - used, "%s%ld", k ? (tuple ? ", " : " x ") : "", shape[k]);
    if (tuple && used < size) snprintf(text + used, size - used, dimensions == 1 ? ",)" : ")");
}

void st_check_shape(const char *grid, int dimensions, const long *shape, int halo)
{
    if (dimensions < 1 || dimensions > 3) st_fatal("grid %s has %d dimensions; 1 to 3 are supported", grid, dimensions);
    long need = 2L * halo + 1;
    double total = 8.0;
    char text[128], needed[128];
    long minimum[3] = { need, need, need };
    format_shape(text, sizeof text, dimensions, shape, 0);
    format_shape(needed, sizeof needed, dimensions, minimum, 0);
    for (int k = 0; k < dimensions; ++k) {
        if (shape[k] < need)
            st_fatal("grid %s is %s, but a stencil of halo %d needs at least %s points", grid, text, halo, needed);
        total *= (double)shape[k];
    }
    if (total > (double)SIZE_MAX / 4) st_fatal("grid %s is %s: too large to allocate", grid, text);
    shape_dimensions = dimensions;
    for (int k = 0; k < dimensions; ++k) shape_extents[k] = shape[k];
}

/* The shape of a rows x cols array as files and the summary show it: the recorded one when it
 * has that many elements, else (rows, cols). Returns the number of dimensions. */
static int grid_shape(long rows, long cols, long shape[3])
{
    double product = 1;
    for (int k = 0; k < shape_dimensions; ++k) product *= (double)shape_extents[k];
    if (shape_dimensions > 0 && product == (double)rows * (double)cols) {
        for (int k = 0; k < shape_dimensions; ++k) shape[k] = shape_extents[k];
        return shape_dimensions;
    }
    shape[0] = rows;
    shape[1] = cols;
    return 2;
}

void st_check_positive(const char *what, long value)
{
    if (value < 1) st_fatal("%s must be at least 1, got %ld", what, value);
}

void st_check_tolerance(double tolerance)
{
    if (!(tolerance > 0)) st_fatal("the tolerance must be a positive number, got %g: no run could converge", tolerance);
}

/* ---- grids ------------------------------------------------------------------------------- */

/* The block is allocated one line longer than the grid and the grid starts `shift` bytes into
 * it (shift < ST_GRID_ALIGN), so st_free_grid finds the block's start by rounding the grid's
 * address down to a line. */
static void *alloc_shifted(long rows, long cols, size_t elem_size, size_t shift)
{
    size_t bytes = (size_t)rows * (size_t)cols * elem_size;
    size_t rounded = (bytes + ST_GRID_ALIGN - 1) / ST_GRID_ALIGN * ST_GRID_ALIGN;
    char *block = aligned_alloc(ST_GRID_ALIGN, rounded + ST_GRID_ALIGN);
    if (!block) st_fatal("out of memory allocating a %ld x %ld grid (%zu bytes)", rows, cols, bytes);
    void *grid = block + shift;
    memset(grid, 0, bytes);
    if (library_io)
        for (int k = 0; k < LIBRARY_GRIDS; ++k)
            if (!library_grids[k]) { library_grids[k] = grid; break; }
    return grid;
}

void *st_alloc_aligned_grid(long rows, long cols, size_t elem_size, long aligned_col)
{
    const size_t offset = (size_t)(aligned_col > 0 ? aligned_col : 0) * elem_size % ST_GRID_ALIGN;
    return alloc_shifted(rows, cols, elem_size, (ST_GRID_ALIGN - offset) % ST_GRID_ALIGN);
}

void *st_alloc_grid(long rows, long cols, size_t elem_size) { return alloc_shifted(rows, cols, elem_size, 0); }

/* The block a grid from alloc_shifted lies in. */
static void free_block(void *grid)
{
    if (grid) free((void *)((uintptr_t)grid / ST_GRID_ALIGN * ST_GRID_ALIGN));
}

void st_free_grid(void *grid)
{
    if (!grid) return;
    if (library_io)
        for (int k = 0; k < LIBRARY_GRIDS; ++k)
            if (library_grids[k] == grid) { library_grids[k] = NULL; break; }
    free_block(grid);
}

static void clip(long *lo, long *hi, long limit)
{
    if (*lo < 0) *lo = 0;
    if (*hi > limit) *hi = limit;
}

void st_fill_f32(float *grid, long rows, long cols, long r0, long r1, long c0, long c1, float value)
{
    clip(&r0, &r1, rows);
    clip(&c0, &c1, cols);
    for (long i = r0; i < r1; ++i)
        for (long j = c0; j < c1; ++j) grid[i * cols + j] = value;
}

void st_fill_f64(double *grid, long rows, long cols, long r0, long r1, long c0, long c1, double value)
{
    clip(&r0, &r1, rows);
    clip(&c0, &c1, cols);
    for (long i = r0; i < r1; ++i)
        for (long j = c0; j < c1; ++j) grid[i * cols + j] = value;
}

/* ---- neumann and periodic sides ---------------------------------------------------------- */

long st_side_source(long p, long extent, long h, int first, int kind)
{
    if (kind == ST_NEUMANN) return first ? h : extent - h - 1;
    return first ? p + (extent - 2 * h) : p - (extent - 2 * h);
}

st_strip st_side_strip(int dimensions, const long *extents, int side)
{
    const int from_last = side == ST_LEFT || side == ST_RIGHT ? 0 : side == ST_TOP || side == ST_BOTTOM ? 1 : 2;
    const int axis = dimensions - 1 - from_last;
    if (axis < 0) st_fatal("internal error: side %d of a %d-D grid", side, dimensions);
    st_strip strip = { 1, extents[axis], 1, side == ST_LEFT || side == ST_TOP || side == ST_FRONT, axis };
    for (int d = 0; d < axis; ++d) strip.outer *= extents[d];
    for (int d = axis + 1; d < dimensions; ++d) strip.inner *= extents[d];
    return strip;
}

/* One strip: along the axis, h slices of `inner` points each, in blocks [o0, o1) of `outer`. */
static void copy_strip(char *g, st_strip s, long h, size_t e, int kind, long o0, long o1)
{
    const long slice_bytes = s.inner * (long)e, block_bytes = s.extent * slice_bytes;
    const long p0 = s.first ? 0 : s.extent - h;
    for (long o = o0; o < o1; ++o) {
        char *block = g + o * block_bytes;
        if (s.inner > 1) {
            /* Whole slices (periodic: h neighbouring slices from h neighbouring ones one period
             * away): contiguous copies. */
            if (kind == ST_PERIODIC) {
                memcpy(block + p0 * slice_bytes, block + st_side_source(p0, s.extent, h, s.first, kind) * slice_bytes,
                       (size_t)(h * slice_bytes));
            } else {
                for (long p = p0; p < p0 + h; ++p)
                    memcpy(block + p * slice_bytes, block + st_side_source(p, s.extent, h, s.first, kind) * slice_bytes,
                           (size_t)slice_bytes);
            }
            continue;
        }
        /* Single points (a side across the last axis: h points in each row): typed copies, as a
         * memcpy call per row would cost more than the copy. */
        if (e == sizeof(float)) {
            float *r = (float *)block;
            for (long p = p0; p < p0 + h; ++p) r[p] = r[st_side_source(p, s.extent, h, s.first, kind)];
        } else if (e == sizeof(double)) {
            double *r = (double *)block;
            for (long p = p0; p < p0 + h; ++p) r[p] = r[st_side_source(p, s.extent, h, s.first, kind)];
        } else {
            for (long p = p0; p < p0 + h; ++p)
                memcpy(block + p * (long)e, block + st_side_source(p, s.extent, h, s.first, kind) * (long)e, e);
        }
    }
}

/* The calling thread's share [*o0, *o1) of a strip's `outer` blocks, split as a static schedule
 * splits rows: all of them without OpenMP. */
static void thread_share(long outer, long *o0, long *o1)
{
#ifdef _OPENMP
    const long team = omp_get_num_threads(), thread = omp_get_thread_num();
    *o0 = outer * thread / team;
    *o1 = outer * (thread + 1) / team;
#else
    *o0 = 0;
    *o1 = outer;
#endif
}

/* A left/right strip's blocks [o0, o1) (one per row) but only those on the ring: rows with some
 * index before the last in [0, h) or [extent - h, extent). The others are the rows the sweep
 * computes, which applied the statement itself (the fused form, PlanBoundary). */
static void copy_strip_ring(char *g, st_strip s, int dimensions, const long *extents, long h, size_t e, int kind,
                            long o0, long o1)
{
    const long rows = extents[dimensions - 2], planes = dimensions == 3 ? extents[0] : 1;
    for (long o = o0; o < o1;) {
        const long plane = o / rows, row = o % rows;
        const int interior = row >= h && row < rows - h && (dimensions == 2 || (plane >= h && plane < planes - h));
        if (!interior) {
            copy_strip(g, s, h, e, kind, o, o + 1);
            ++o;
        } else {
            o = plane * rows + rows - h; /* past this plane's interior rows */
        }
    }
}

/* Every form of st_copy_side: `ring`, only the ring rows of a left/right strip (2-D and 3-D);
 * `team`, only the calling thread's share of the strip's blocks, then the team's barrier (the
 * statement is whole before the next one, or the next sweep, reads it). */
static void copy_side(void *grid, int dimensions, const long *extents, int halo, size_t e, int side, int kind, int ring,
                      int team)
{
    if (ring && ((side != ST_LEFT && side != ST_RIGHT) || dimensions < 2))
        st_fatal("internal error: st_copy_side_ring of side %d of a %d-D grid (left/right of 2-D/3-D only)", side, dimensions);
    const st_strip strip = st_side_strip(dimensions, extents, side);
    long o0 = 0, o1 = strip.outer;
    if (team) thread_share(strip.outer, &o0, &o1);
    if (ring) copy_strip_ring(grid, strip, dimensions, extents, halo, e, kind, o0, o1);
    else copy_strip(grid, strip, halo, e, kind, o0, o1);
#ifdef _OPENMP
    if (team) {
#pragma omp barrier
    }
#endif
}

void st_copy_side_nd(void *grid, int dimensions, const long *extents, int halo, size_t elem_size, int side, int kind)
{
    copy_side(grid, dimensions, extents, halo, elem_size, side, kind, 0, 0);
}

void st_copy_side(void *grid, long rows, long cols, int halo, size_t elem_size, int side, int kind)
{
    copy_side(grid, 2, (const long[]){ rows, cols }, halo, elem_size, side, kind, 0, 0);
}

void st_copy_side_nd_team(void *grid, int dimensions, const long *extents, int halo, size_t elem_size, int side, int kind)
{
    copy_side(grid, dimensions, extents, halo, elem_size, side, kind, 0, 1);
}

void st_copy_side_team(void *grid, long rows, long cols, int halo, size_t elem_size, int side, int kind)
{
    copy_side(grid, 2, (const long[]){ rows, cols }, halo, elem_size, side, kind, 0, 1);
}

void st_copy_side_ring_nd(void *grid, int dimensions, const long *extents, int halo, size_t elem_size, int side, int kind)
{
    copy_side(grid, dimensions, extents, halo, elem_size, side, kind, 1, 0);
}

void st_copy_side_ring(void *grid, long rows, long cols, int halo, size_t elem_size, int side, int kind)
{
    copy_side(grid, 2, (const long[]){ rows, cols }, halo, elem_size, side, kind, 1, 0);
}

void st_copy_side_ring_nd_team(void *grid, int dimensions, const long *extents, int halo, size_t elem_size, int side, int kind)
{
    copy_side(grid, dimensions, extents, halo, elem_size, side, kind, 1, 1);
}

void st_copy_side_ring_team(void *grid, long rows, long cols, int halo, size_t elem_size, int side, int kind)
{
    copy_side(grid, 2, (const long[]){ rows, cols }, halo, elem_size, side, kind, 1, 1);
}

void st_check_periodic(const char *grid, const char *axis, long extent, int halo)
{
    if (extent - 2L * halo < halo)
        st_fatal("grid %s has %ld %s: periodic sides of halo %d need at least %ld (an interior of at least %d)",
                 grid, extent, axis, halo, 3L * halo, halo);
}

/* ---- input and output files of grids ---------------------------------------------------- */

/* Whether a --input/--output names grid `name`. */
static int names_grid(const st_grid_file *file, const char *name)
{
    return strlen(name) == file->grid_length && strncmp(file->argument, name, file->grid_length) == 0;
}

static int grid_index(const char *const *grids, int grid_count, const st_grid_file *file)
{
    for (int k = 0; k < grid_count; ++k)
        if (names_grid(file, grids[k])) return k;
    return -1;
}

static void unknown_grid(const char *option, const st_grid_file *file, const char *const *grids, int grid_count)
{
    char message[1024];
    size_t used = (size_t)snprintf(message, sizeof message, "%s %s: no grid '%.*s' in this program (grids:", option,
                                   file->argument, (int)file->grid_length, file->argument);
    for (int k = 0; k < grid_count; ++k)
        used += (size_t)snprintf(message + used, used < sizeof message ? sizeof message - used : 0, " %s", grids[k]);
    snprintf(message + used, used < sizeof message ? sizeof message - used : 0, ")");
    st_fatal("%s", message);
}

static int memory_grid_index(const char *const *grids, int grid_count, const char *name)
{
    for (int k = 0; k < grid_count; ++k)
        if (strcmp(grids[k], name) == 0) return k;
    return -1;
}

static void check_memory_grids(const char *const *grids, int grid_count, int updated, long rows, long cols,
                               size_t elem_size)
{
    st_memory_io *io = library_io;
    const st_memory_grid *lists[2] = { io->inputs, io->outputs };
    const int counts[2] = { io->input_count, io->output_count };
    const char *options[2] = { "inputs", "outputs" };
    for (int l = 0; l < 2; ++l)
        for (int k = 0; k < counts[l]; ++k) {
            if (memory_grid_index(grids, grid_count, lists[l][k].grid) >= 0) continue;
            char message[1024];
            size_t used = (size_t)snprintf(message, sizeof message, "%s: no grid '%s' in this program (grids:",
                                           options[l], lists[l][k].grid);
            for (int g = 0; g < grid_count; ++g)
                used += (size_t)snprintf(message + used, used < sizeof message ? sizeof message - used : 0, " %s", grids[g]);
            snprintf(message + used, used < sizeof message ? sizeof message - used : 0, ")");
            st_fatal("%s", message);
        }
    if (io->describe) {
        io->rows = rows;
        io->cols = cols;
        io->dimensions = grid_shape(rows, cols, io->shape);
        io->elem_size = (long)elem_size;
        /* Copies, as many and as long as the program's: `grids` may be main's own array. */
        static char **described;
        static int described_count;
        for (int g = 0; g < described_count; ++g) free(described[g]);
        free(described);
        described = NULL;
        described_count = 0;
        described = calloc((size_t)(grid_count > 0 ? grid_count : 1), sizeof *described);
        if (!described) st_fatal("out of memory describing the grids");
        for (int g = 0; g < grid_count; ++g) {
            const size_t length = strlen(grids[g]) + 1;
            described[g] = malloc(length);
            if (!described[g]) st_fatal("out of memory describing the grids");
            memcpy(described[g], grids[g], length);
            described_count = g + 1;
        }
        io->grid_count = grid_count;
        io->grids = (const char *const *)described;
        io->updated_count = updated > 0 ? updated : 1;
        longjmp(library_return, 3); /* nothing is allocated yet */
    }
}

void st_check_grid_files(const st_options *options, const char *const *grids, int grid_count,
                         long rows, long cols, size_t elem_size)
{
    if (library_io) check_memory_grids(grids, grid_count, options->updated_grids, rows, cols, elem_size);
    for (int k = 0; k < options->input_count; ++k) {
        const st_grid_file *input = &options->inputs[k];
        if (grid_index(grids, grid_count, input) < 0) unknown_grid("--input", input, grids, grid_count);
        for (int e = 0; e < k; ++e)
            if (options->inputs[e].grid_length == input->grid_length &&
                strncmp(options->inputs[e].argument, input->argument, input->grid_length) == 0)
                st_fatal("--input gives grid '%.*s' twice (%s and %s)", (int)input->grid_length, input->argument,
                         options->inputs[e].argument, input->argument);
    }
    for (int k = 0; k < options->output_count; ++k)
        if (grid_index(grids, grid_count, &options->outputs[k]) < 0)
            unknown_grid("--output", &options->outputs[k], grids, grid_count);
    for (int k = 0; k < options->input_count; ++k) {
        char what[512];
        snprintf(what, sizeof what, "--input %s", options->inputs[k].argument);
        st_check_npy(what, options->inputs[k].path, rows, cols, elem_size);
    }
}

/* The text after `'KEY':` (or `"KEY":`) in a .npy header dict, spaces skipped; NULL if absent. */
static const char *npy_value(const char *header, const char *key)
{
    size_t n = strlen(key);
    for (const char *p = header; (p = strstr(p, key)) != NULL; p += n) {
        if (p == header || (p[-1] != '\'' && p[-1] != '"') || p[n] != p[-1]) continue;
        const char *q = p + n + 1;
        while (*q == ' ' || *q == '\t') ++q;
        if (*q != ':') continue;
        ++q;
        while (*q == ' ' || *q == '\t') ++q;
        return q;
    }
    return NULL;
}

long st_check_npy(const char *what, const char *path, long rows, long cols, size_t elem_size)
{
    FILE *file = fopen(path, "rb");
    if (!file) st_fatal("%s: cannot open '%s': %s", what, path, strerror(errno));
    unsigned char preamble[12];
    size_t got = fread(preamble, 1, 10, file);
    if (got < 10 && ferror(file)) {
        int saved = errno;
        fclose(file);
        st_fatal("%s: cannot read '%s': %s", what, path, strerror(saved));
    }
    if (got < 10 || memcmp(preamble, "\x93NUMPY", 6) != 0) {
        fclose(file);
        st_fatal("%s: '%s' is not a .npy file (it does not start with \\x93NUMPY)", what, path);
    }
    int major = preamble[6], minor = preamble[7];
    unsigned long header_length;
    long offset;
    if (major == 1) {
        header_length = (unsigned long)preamble[8] | (unsigned long)preamble[9] << 8;
        offset = 10;
    } else if (major == 2 || major == 3) {
        if (fread(preamble + 10, 1, 2, file) != 2) {
            fclose(file);
            st_fatal("%s: '%s' is not a .npy file (its header is cut short)", what, path);
        }
        header_length = (unsigned long)preamble[8] | (unsigned long)preamble[9] << 8 |
                        (unsigned long)preamble[10] << 16 | (unsigned long)preamble[11] << 24;
        offset = 12;
    } else {
        fclose(file);
        st_fatal("%s: '%s' is .npy format version %d.%d; versions 1.0, 2.0 and 3.0 are read", what, path, major, minor);
    }
    if (header_length > (1UL << 24)) {
        fclose(file);
        st_fatal("%s: '%s' is not a .npy file (a header of %lu bytes)", what, path, header_length);
    }
    char *header = malloc(header_length + 1);
    if (!header) st_fatal("out of memory");
    if (fread(header, 1, header_length, file) != header_length) {
        fclose(file);
        st_fatal("%s: '%s' is not a .npy file (its header is cut short)", what, path);
    }
    header[header_length] = '\0';
    offset += (long)header_length;

    /* descr: a quoted string for a simple dtype; anything else (a list: structured) is not ours. */
    const char *expected_descr = elem_size == 4 ? "<f4" : "<f8";
    const char *expected_type = elem_size == 4 ? "float32" : "float64";
    char descr[64] = "";
    const char *value = npy_value(header, "descr");
    if (!value) st_fatal("%s: '%s' is not a .npy file (no 'descr' in its header)", what, path);
    if (*value == '\'' || *value == '"') {
        const char *end = strchr(value + 1, *value);
        size_t n = end ? (size_t)(end - value - 1) : 0;
        if (n >= sizeof descr) n = sizeof descr - 1;
        memcpy(descr, value + 1, n);
        descr[n] = '\0';
    } else {
        snprintf(descr, sizeof descr, "(a structured dtype)");
    }
    /* On a little-endian machine NumPy also accepts '=' and '|'-less spellings; it writes '<'. */
    char normal[64];
    snprintf(normal, sizeof normal, "%s", descr);
    if (normal[0] == '=') normal[0] = '<';
    int descr_ok = strcmp(normal, expected_descr) == 0;

    value = npy_value(header, "fortran_order");
    if (!value) st_fatal("%s: '%s' is not a .npy file (no 'fortran_order' in its header)", what, path);
    if (strncmp(value, "True", 4) == 0)
        st_fatal("%s: fortran_order True (the array is in Fortran, column-major, order); expected False: "
                 "only C order is read (numpy.ascontiguousarray gives a C-order copy)", what);
    if (strncmp(value, "False", 5) != 0)
        st_fatal("%s: '%s' is not a .npy file (fortran_order is neither True nor False)", what, path);

    value = npy_value(header, "shape");
    if (!value || *value != '(') st_fatal("%s: '%s' is not a .npy file (no 'shape' tuple in its header)", what, path);
    long shape[16];
    int dimensions = 0;
    const char *p = value + 1;
    const int shape_length = (int)strcspn(value, ")") + (value[strcspn(value, ")")] == ')'); /* up to its ')' */
    for (;;) {
        while (*p == ' ' || *p == '\t') ++p;
        if (*p == ')') break;
        char *end = NULL;
        errno = 0;
        long extent = strtol(p, &end, 10);
        if (end == p || errno == ERANGE || extent < 0 || dimensions == 16)
            st_fatal("%s: '%s' is not a .npy file (its shape '%.*s' is not a tuple of sizes)", what, path, shape_length < 40 ? shape_length : 40, value);
        shape[dimensions++] = extent;
        p = end;
        if (*p == 'L') ++p; /* Python 2 longs */
        while (*p == ' ' || *p == '\t') ++p;
        if (*p == ',') ++p;
        else if (*p != ')')
            st_fatal("%s: '%s' is not a .npy file (its shape '%.*s' is not a tuple of sizes)", what, path, shape_length < 40 ? shape_length : 40, value);
    }
    long expected_shape[3];
    int expected_dimensions = grid_shape(rows, cols, expected_shape);
    int shape_ok = dimensions == expected_dimensions;
    for (int k = 0; shape_ok && k < dimensions; ++k) shape_ok = shape[k] == expected_shape[k];
    char expected[128];
    format_shape(expected, sizeof expected, expected_dimensions, expected_shape, 1);
    if (!shape_ok || !descr_ok) {
        char found[256] = "(";
        for (int k = 0; k < dimensions; ++k) {
            size_t used = strlen(found);
            snprintf(found + used, sizeof found - used, "%s%ld", k ? ", " : "", shape[k]);
        }
        strncat(found, dimensions == 1 ? ",)" : ")", sizeof found - strlen(found) - 1);
        if (!shape_ok && !descr_ok)
            st_fatal("%s: shape %s and dtype %s, expected shape %s and dtype %s (%s)", what, found, descr,
                     expected, expected_descr, expected_type);
        if (!shape_ok) st_fatal("%s: shape %s, expected %s", what, found, expected);
        st_fatal("%s: dtype %s, expected %s (%s)", what, descr, expected_descr, expected_type);
    }
    free(header);

    /* All the data there? (Only a regular file tells its size.) */
    struct stat info;
    if (fstat(fileno(file), &info) == 0 && S_ISREG(info.st_mode)) {
        double need = (double)rows * (double)cols * (double)elem_size;
        double have = (double)info.st_size - (double)offset;
        if (have < need)
            st_fatal("%s: truncated data: %.0f bytes after the header, expected %.0f (%ld x %ld x %zu)", what,
                     have < 0 ? 0.0 : have, need, rows, cols, elem_size);
    }
    fclose(file);
    return offset;
}

void st_read_npy_block(const char *what, const char *path, long rows, long cols, size_t elem_size,
                       long r0, long r1, long c0, long c1, void *dest, long dest_stride)
{
    long offset = st_check_npy(what, path, rows, cols, elem_size);
    FILE *file = fopen(path, "rb");
    if (!file) st_fatal("%s: cannot open '%s': %s", what, path, strerror(errno));
    size_t width = (size_t)(c1 - c0);
    char *out = dest;
    for (long i = r0; i < r1 && width > 0; ++i) {
        off_t at = (off_t)offset + ((off_t)i * (off_t)cols + (off_t)c0) * (off_t)elem_size;
        int ok = fseeko(file, at, SEEK_SET) == 0 &&
                 fread(out + (size_t)(i - r0) * (size_t)dest_stride * elem_size, elem_size, width, file) == width;
        if (!ok) {
            int saved = errno;
            int short_read = !ferror(file);
            fclose(file);
            if (short_read) st_fatal("%s: truncated data: row %ld is missing", what, i);
            st_fatal("%s: cannot read '%s': %s", what, path, strerror(saved));
        }
    }
    fclose(file);
}

const st_grid_file *st_input_for(const st_options *options, const char *grid)
{
    for (int k = 0; k < options->input_count; ++k)
        if (names_grid(&options->inputs[k], grid)) return &options->inputs[k];
    return NULL;
}

int st_read_input(const st_options *options, const char *grid, void *data, long rows, long cols,
                  size_t elem_size)
{
    if (library_io) {
        for (int k = 0; k < library_io->input_count; ++k)
            if (strcmp(library_io->inputs[k].grid, grid) == 0) {
                memcpy(data, library_io->inputs[k].data, (size_t)rows * (size_t)cols * elem_size);
                return 1;
            }
    }
    const st_grid_file *input = st_input_for(options, grid);
    if (!input) return 0;
    char what[512];
    snprintf(what, sizeof what, "--input %s", input->argument);
    st_read_npy_block(what, input->path, rows, cols, elem_size, 0, rows, 0, cols, data, cols);
    return 1;
}

void st_write_outputs(const st_options *options, const char *const *grids, const void *const *data,
                      int grid_count, long rows, long cols, size_t elem_size)
{
    if (library_io)
        for (int k = 0; k < library_io->output_count; ++k) {
            int index = memory_grid_index(grids, grid_count, library_io->outputs[k].grid);
            if (index >= 0) memcpy(library_io->outputs[k].data, data[index], (size_t)rows * (size_t)cols * elem_size);
        }
    for (int k = 0; k < options->output_count; ++k) {
        int index = grid_index(grids, grid_count, &options->outputs[k]);
        if (index < 0) unknown_grid("--output", &options->outputs[k], grids, grid_count);
        st_write_npy(options->outputs[k].path, data[index], rows, cols, cols, elem_size);
    }
}

/* ---- plans ------------------------------------------------------------------------------- */

/* In the runtime, not stencil_sweeps.c: the opencl target, which links no sweep drivers, uses it too. */
st_plan st_whole_sweeps_plan(const char *options_plan, const char *reason)
{
    st_plan plan = { .kind = ST_PLAN_SWEEPS, .source = "default", .reason = reason };
    const char *text = options_plan && *options_plan ? options_plan : getenv("STENCILC_PLAN");
    if (text && *text) {
        if (strcmp(text, "sweeps") != 0)
            st_fatal("plan '%s' cannot run here: %s, so only whole sweeps (plan sweeps) run", text, reason);
        plan.source = "given";
    }
    return plan;
}

void st_format_plan(const st_plan *plan, char *text, size_t size)
{
    if (plan->kind == ST_PLAN_SWEEPS) snprintf(text, size, "sweeps");
    else if (plan->tile_cols > 0)
        snprintf(text, size, "%s:%ld:%ld:%ld", st_plan_kind_name(plan->kind), plan->depth, plan->tile_rows, plan->tile_cols);
    else snprintf(text, size, "%s:%ld:%ld", st_plan_kind_name(plan->kind), plan->depth, plan->tile_rows);
}

void st_describe_plan(const st_plan *plan, char *text, size_t size)
{
    /* "64 rows", "8 planes", "32 rows x 256 columns" */
    char tile[96];
    const char *rows = plan->planes ? (plan->tile_rows == 1 ? "plane" : "planes") : (plan->tile_rows == 1 ? "row" : "rows");
    if (plan->tile_cols > 0) snprintf(tile, sizeof tile, "%ld %s x %ld columns", plan->tile_rows, rows, plan->tile_cols);
    else snprintf(tile, sizeof tile, "%ld %s", plan->tile_rows, rows);
    if (plan->kind == ST_PLAN_TILES)
        snprintf(text, size, "tiles of %s advance up to %ld sweeps per pass", tile, plan->depth);
    else if (plan->kind == ST_PLAN_BANDS)
        snprintf(text, size, "each thread's band advances up to %ld sweeps per barrier, in tiles of %s", plan->depth, tile);
    else snprintf(text, size, "whole sweeps");
}

/* ---- progress and divergence ------------------------------------------------------------- */

static double progress_last = -1.0;
static int progress_drawn = 0;

void st_progress(const st_options *options, long iteration, long max_iterations, double residual,
                 double points_per_iteration, double start_seconds)
{
    if (options->quiet || options->json || !isatty(STDERR_FILENO)) return;
    double now = st_seconds();
    if (progress_last >= 0 && now - progress_last < 0.25) return;
    progress_last = now;
    double rate = now > start_seconds ? (double)iteration * points_per_iteration / (now - start_seconds) / 1e6 : 0.0;
    fprintf(stderr, "\r  iteration %ld/%ld", iteration, max_iterations);
    if (!isnan(residual)) fprintf(stderr, "  residual %.4g", residual);
    fprintf(stderr, "  %.0f MLUP/s   ", rate);
    fflush(stderr);
    progress_drawn = 1;
}

void st_progress_done(const st_options *options)
{
    (void)options;
    if (progress_drawn) fputc('\n', stderr);
    progress_drawn = 0;
}

void st_check_finite(long nonfinite_points, long iteration)
{
    if (nonfinite_points > 0)
        st_fatal("the solution diverged: %ld point%s NaN or Inf after iteration %ld", nonfinite_points,
                 nonfinite_points == 1 ? " is" : "s are", iteration);
}

long st_count_nonfinite(const void *data, long rows, long cols, size_t elem_size)
{
    long count = 0;
    for (long k = 0; k < rows * cols; ++k) {
        double value = elem_size == 4 ? (double)((const float *)data)[k] : ((const double *)data)[k];
        count += !isfinite(value);
    }
    return count;
}

/* ---- time -------------------------------------------------------------------------------- */

double st_seconds(void)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (double)now.tv_sec + 1e-9 * (double)now.tv_nsec;
}

/* ---- output ------------------------------------------------------------------------------ */

/* The temporary .npy being written, removed by a signal handler if the run is interrupted
 * (Ctrl-C, a launcher forwarding SIGTERM) so no partial file is left beside the output. */
static char *npy_temporary;
static const int npy_signals[] = { SIGINT, SIGTERM, SIGHUP };
static struct sigaction npy_previous[3];

static void npy_interrupted(int signal_number)
{
    if (npy_temporary) unlink(npy_temporary); /* async-signal-safe */
    for (int k = 0; k < 3; ++k)
        if (npy_signals[k] == signal_number) sigaction(signal_number, &npy_previous[k], NULL);
    raise(signal_number);
}

static void npy_guard(char *temporary)
{
    npy_temporary = temporary;
    struct sigaction action;
    memset(&action, 0, sizeof action);
    action.sa_handler = npy_interrupted;
    sigemptyset(&action.sa_mask);
    for (int k = 0; k < 3; ++k) sigaction(npy_signals[k], &action, &npy_previous[k]);
}

static void npy_unguard(void)
{
    for (int k = 0; k < 3; ++k) sigaction(npy_signals[k], &npy_previous[k], NULL);
    npy_temporary = NULL;
}

void st_write_npy(const char *path, const void *data, long rows, long cols, long stride,
                  size_t elem_size)
{
    /* NPY format 1.0: magic, version, little-endian header length, then a Python dict literal
     * padded with spaces to a multiple of 64 bytes and ended by a newline. */
    char header[256], shape_text[128];
    long shape[3];
    int dimensions = stride == cols ? grid_shape(rows, cols, shape) : (shape[0] = rows, shape[1] = cols, 2);
    format_shape(shape_text, sizeof shape_text, dimensions, shape, 1);
    int dict = snprintf(header, sizeof header,
                        "{'descr': '<f%zu', 'fortran_order': False, 'shape': %s, }",
                        elem_size, shape_text);
    size_t total = 10 + (size_t)dict + 1;
    size_t padded = (total + 63) / 64 * 64;
    memset(header + dict, ' ', padded - total);
    header[padded - 10 - 1] = '\n';
    unsigned short header_length = (unsigned short)(padded - 10);

    /* Where the bytes go: beside the final file (a symlink's target) and renamed over it, or,
     * for something that is not a regular file (/dev/stdout, a FIFO, /dev/full), straight into
     * it: renaming over a device would replace the device. */
    struct stat info;
    char *resolved = NULL;
    const char *final_path = path;
    if (lstat(path, &info) == 0 && S_ISLNK(info.st_mode)) {
        resolved = realpath(path, NULL);
        if (resolved) final_path = resolved;
    }
    int in_place = stat(final_path, &info) == 0 && !S_ISREG(info.st_mode);
    char *temporary = NULL;
    if (!in_place) {
        size_t path_length = strlen(final_path);
        temporary = malloc(path_length + 32);
        if (!temporary) st_fatal("out of memory");
        snprintf(temporary, path_length + 32, "%s.tmp.%ld", final_path, (long)getpid());
        npy_guard(temporary);
    }

    FILE *file = fopen(in_place ? final_path : temporary, "wb");
    if (!file) {
        int saved = errno;
        if (temporary) npy_unguard();
        st_fatal("cannot write '%s': %s", path, strerror(saved));
    }
    unsigned char preamble[10] = { 0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0,
                                   (unsigned char)(header_length & 0xff),
                                   (unsigned char)(header_length >> 8) };
    int ok = fwrite(preamble, 1, 10, file) == 10 &&
             fwrite(header, 1, padded - 10, file) == padded - 10;
    const char *bytes = data;
    for (long i = 0; ok && i < rows; ++i)
        ok = fwrite(bytes + (size_t)i * (size_t)stride * elem_size, elem_size, (size_t)cols, file) == (size_t)cols;
    int saved = errno;
    if (fclose(file) != 0 && ok) { ok = 0; saved = errno; }
    if (in_place) {
        free(resolved);
        if (!ok) st_fatal("cannot write '%s': %s", path, strerror(saved));
        return;
    }
    if (!ok || rename(temporary, final_path) != 0) {
        if (ok) saved = errno;
        remove(temporary);
        npy_unguard();
        free(temporary);
        free(resolved);
        st_fatal("cannot write '%s': %s", path, strerror(saved));
    }
    npy_unguard();
    free(temporary);
    free(resolved);
}

/* Writes `n` bytes to `path` under a temporary name, then renames it into place: a failure never
 * leaves a partial file. Fatal on failure. */
static void write_atomically(const char *path, const void *data, size_t n)
{
    size_t path_length = strlen(path);
    char *temporary = malloc(path_length + 32);
    if (!temporary) st_fatal("out of memory");
    snprintf(temporary, path_length + 32, "%s.tmp.%ld", path, (long)getpid());
    FILE *file = fopen(temporary, "wb");
    if (!file) st_fatal("cannot write '%s': %s", path, strerror(errno));
    int ok = fwrite(data, 1, n, file) == n;
    int saved = errno;
    if (fclose(file) != 0 && ok) { ok = 0; saved = errno; }
    if (!ok || rename(temporary, path) != 0) {
        if (ok) saved = errno;
        remove(temporary);
        free(temporary);
        st_fatal("cannot write '%s': %s", path, strerror(saved));
    }
    free(temporary);
}
/* ---- heat map PNG ------------------------------------------------------------------------ */

/* A growable byte buffer; out of memory is fatal. */
typedef struct {
    unsigned char *data;
    size_t size, capacity;
} st_bytes;

static void bytes_reserve(st_bytes *b, size_t extra)
{
    if (b->size + extra <= b->capacity) return;
    size_t capacity = b->capacity ? b->capacity : 4096;
    while (capacity < b->size + extra) capacity *= 2;
    unsigned char *data = realloc(b->data, capacity);
    if (!data) st_fatal("out of memory writing an image");
    b->data = data;
    b->capacity = capacity;
}

static void bytes_put(st_bytes *b, const void *data, size_t n)
{
    bytes_reserve(b, n);
    memcpy(b->data + b->size, data, n);
    b->size += n;
}

static void bytes_put_u32(st_bytes *b, uint32_t v)
{
    unsigned char be[4] = { (unsigned char)(v >> 24), (unsigned char)(v >> 16), (unsigned char)(v >> 8), (unsigned char)v };
    bytes_put(b, be, 4);
}

/* CRC-32 (ISO-HDLC, as PNG uses it) and Adler-32 (zlib's trailer). */
static uint32_t crc32_update(uint32_t crc, const unsigned char *data, size_t n)
{
    static uint32_t table[256];
    static int ready = 0;
    if (!ready) {
        for (uint32_t k = 0; k < 256; ++k) {
            uint32_t c = k;
            for (int bit = 0; bit < 8; ++bit) c = c & 1 ? 0xedb88320u ^ (c >> 1) : c >> 1;
            table[k] = c;
        }
        ready = 1;
    }
    crc = ~crc;
    for (size_t i = 0; i < n; ++i) crc = table[(crc ^ data[i]) & 0xff] ^ (crc >> 8);
    return ~crc;
}

static uint32_t adler32(const unsigned char *data, size_t n)
{
    uint32_t a = 1, b = 0;
    for (size_t i = 0; i < n; ++i) {
        a = (a + data[i]) % 65521u;
        b = (b + a) % 65521u;
    }
    return b << 16 | a;
}

/* Deflate bits go least significant first; Huffman codes are sent most significant bit first. */
typedef struct {
    st_bytes *out;
    uint32_t bits;
    int count;
} bit_writer;

static void put_bits(bit_writer *w, uint32_t value, int n)
{
    w->bits |= value << w->count;
    w->count += n;
    while (w->count >= 8) {
        unsigned char byte = (unsigned char)w->bits;
        bytes_put(w->out, &byte, 1);
        w->bits >>= 8;
        w->count -= 8;
    }
}

static void put_code(bit_writer *w, uint32_t code, int n)
{
    uint32_t reversed = 0;
    for (int k = 0; k < n; ++k) reversed |= ((code >> k) & 1u) << (n - 1 - k);
    put_bits(w, reversed, n);
}

/* A literal/length symbol in the fixed Huffman code of RFC 1951, 3.2.6. */
static void put_fixed_symbol(bit_writer *w, int symbol)
{
    if (symbol < 144) put_code(w, 0x30u + (uint32_t)symbol, 8);
    else if (symbol < 256) put_code(w, 0x190u + (uint32_t)(symbol - 144), 9);
    else if (symbol < 280) put_code(w, (uint32_t)(symbol - 256), 7);
    else put_code(w, 0xc0u + (uint32_t)(symbol - 280), 8);
}

static void put_match(bit_writer *w, int length, int distance)
{
    static const short length_base[29] = { 3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31, 35, 43, 51,
                                           59, 67, 83, 99, 115, 131, 163, 195, 227, 258 };
    static const unsigned char length_extra[29] = { 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3,
                                                    3, 4, 4, 4, 4, 5, 5, 5, 5, 0 };
    static const unsigned short distance_base[30] = { 1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129, 193,
                                                       257, 385, 513, 769, 1025, 1537, 2049, 3073, 4097, 6145,
                                                       8193, 12289, 16385, 24577 };
    static const unsigned char distance_extra[30] = { 0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8,
                                                      8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13 };
    int l = 28;
    while (length_base[l] > length) --l;
    put_fixed_symbol(w, 257 + l);
    put_bits(w, (uint32_t)(length - length_base[l]), length_extra[l]);
    int d = 29;
    while (distance_base[d] > distance) --d;
    put_code(w, (uint32_t)d, 5);
    put_bits(w, (uint32_t)(distance - distance_base[d]), distance_extra[d]);
}

/* A zlib stream of `data`: one fixed-Huffman deflate block, greedy LZ77 over a 32 KiB window
 * (hash chains on 3-byte prefixes). Plenty for heat maps, whose rows repeat their neighbours. */
static void zlib_compress(st_bytes *out, const unsigned char *data, size_t n)
{
    enum { WINDOW = 32768, HASH = 1 << 15, MIN_MATCH = 3, MAX_MATCH = 258, MAX_CHAIN = 32 };
    int *head = malloc(sizeof(int) * HASH), *prev = malloc(sizeof(int) * WINDOW);
    if (!head || !prev) st_fatal("out of memory writing an image");
    for (int k = 0; k < HASH; ++k) head[k] = -1;
    const unsigned char zlib_header[2] = { 0x78, 0x01 };
    bytes_put(out, zlib_header, 2);
    bit_writer w = { out, 0, 0 };
    put_bits(&w, 1, 1); /* BFINAL */
    put_bits(&w, 1, 2); /* BTYPE 01: fixed Huffman codes */
    size_t i = 0;
    while (i < n) {
        int best_length = 0, best_distance = 0;
        if (i + MIN_MATCH <= n) {
            unsigned h = ((unsigned)data[i] << 10 ^ (unsigned)data[i + 1] << 5 ^ data[i + 2]) & (HASH - 1);
            int candidate = head[h];
            size_t limit = n - i < MAX_MATCH ? n - i : MAX_MATCH;
            for (int chain = 0; candidate >= 0 && i - (size_t)candidate <= WINDOW - 1 && chain < MAX_CHAIN; ++chain) {
                const unsigned char *a = data + candidate, *b = data + i;
                size_t length = 0;
                while (length < limit && a[length] == b[length]) ++length;
                if ((int)length > best_length) {
                    best_length = (int)length;
                    best_distance = (int)(i - (size_t)candidate);
                    if (length == limit) break;
                }
                int older = prev[candidate % WINDOW];
                if (older >= candidate) break;
                candidate = older;
            }
        }
        size_t advance = best_length >= MIN_MATCH ? (size_t)best_length : 1;
        if (best_length >= MIN_MATCH) put_match(&w, best_length, best_distance);
        else put_fixed_symbol(&w, data[i]);
        /* Every position passed enters the hash chains. */
        for (size_t k = i; k < i + advance; ++k) {
            if (k + MIN_MATCH > n) break;
            unsigned h = ((unsigned)data[k] << 10 ^ (unsigned)data[k + 1] << 5 ^ data[k + 2]) & (HASH - 1);
            prev[k % WINDOW] = head[h];
            head[h] = (int)k;
        }
        i += advance;
    }
    put_fixed_symbol(&w, 256); /* end of block */
    if (w.count > 0) put_bits(&w, 0, 8 - w.count);
    bytes_put_u32(out, adler32(data, n));
    free(head);
    free(prev);
}

static void png_chunk(st_bytes *png, const char type[4], const unsigned char *data, size_t n)
{
    bytes_put_u32(png, (uint32_t)n);
    size_t start = png->size;
    bytes_put(png, type, 4);
    if (n) bytes_put(png, data, n);
    bytes_put_u32(png, crc32_update(0, png->data + start, n + 4));
}

/* Palette of the heat map: COLOURS levels of viridis, then white, black and a grey for NaN. */
enum { COLOURS = 252, WHITE = 252, BLACK = 253, NAN_GREY = 254, PALETTE = 255 };

/* matplotlib's viridis (van der Walt and Smith; CC0), 256 sRGB entries as hex triplets. */
static const char viridis_hex[] =
    "44015444025645045745055946075a46085c460a5d460b5e470d60470e61471063471164471365481467481668481769"
    "48186a481a6c481b6d481c6e481d6f481f70482071482173482374482475482576482677482878482979472a7a472c7a"
    "472d7b472e7c472f7d46307e46327e46337f463480453581453781453882443983443a83443b84433d84433e85423f85"
    "4240864241864142874144874045884046883f47883f48893e49893e4a893e4c8a3d4d8a3d4e8a3c4f8a3c508b3b518b"
    "3b528b3a538b3a548c39558c39568c38588c38598c375a8c375b8d365c8d365d8d355e8d355f8d34608d34618d33628d"
    "33638d32648e32658e31668e31678e31688e30698e306a8e2f6b8e2f6c8e2e6d8e2e6e8e2e6f8e2d708e2d718e2c718e"
    "2c728e2c738e2b748e2b758e2a768e2a778e2a788e29798e297a8e297b8e287c8e287d8e277e8e277f8e27808e26818e"
    "26828e26828e25838e25848e25858e24868e24878e23888e23898e238a8d228b8d228c8d228d8d218e8d218f8d21908d"
    "21918c20928c20928c20938c1f948c1f958b1f968b1f978b1f988b1f998a1f9a8a1e9b8a1e9c891e9d891f9e891f9f88"
    "1fa0881fa1881fa1871fa28720a38620a48621a58521a68522a78522a88423a98324aa8325ab8225ac8226ad8127ad81"
    "28ae8029af7f2ab07f2cb17e2db27d2eb37c2fb47c31b57b32b67a34b67935b77937b87838b9773aba763bbb753dbc74"
    "3fbc7340bd7242be7144bf7046c06f48c16e4ac16d4cc26c4ec36b50c46a52c56954c56856c66758c7655ac8645cc863"
    "5ec96260ca6063cb5f65cb5e67cc5c69cd5b6ccd5a6ece5870cf5773d05675d05477d1537ad1517cd2507fd34e81d34d"
    "84d44b86d54989d5488bd6468ed64590d74393d74195d84098d83e9bd93c9dd93ba0da39a2da37a5db36a8db34aadc32"
    "addc30b0dd2fb2dd2db5de2bb8de29bade28bddf26c0df25c2df23c5e021c8e020cae11fcde11dd0e11cd2e21bd5e21a"
    "d8e219dae319dde318dfe318e2e418e5e419e7e419eae51aece51befe51cf1e51df4e61ef6e620f8e621fbe723fde725";

static void palette_colour(int index, unsigned char rgb[3])
{
    if (index == WHITE) { rgb[0] = rgb[1] = rgb[2] = 255; return; }
    if (index == BLACK) { rgb[0] = rgb[1] = rgb[2] = 0; return; }
    if (index == NAN_GREY) { rgb[0] = rgb[1] = rgb[2] = 160; return; }
    /* Resample the 256 entries at COLOURS evenly spaced points, linearly. */
    double position = (double)index * 255.0 / (COLOURS - 1);
    int low = (int)position, high = low < 255 ? low + 1 : 255;
    double t = position - low;
    for (int c = 0; c < 3; ++c) {
        unsigned a = 0, b = 0;
        sscanf(viridis_hex + 6 * low + 2 * c, "%2x", &a);
        sscanf(viridis_hex + 6 * high + 2 * c, "%2x", &b);
        rgb[c] = (unsigned char)(a + (b - (double)a) * t + 0.5);
    }
}

/* A 5x7 bitmap font for the colour bar's numbers: each glyph is 7 rows of 5 bits, left = 0x10. */
static const unsigned char *glyph(char c)
{
    static const char chars[] = "0123456789.-+enaplof";
    static const unsigned char rows[][7] = {
        { 0x0e, 0x11, 0x13, 0x15, 0x19, 0x11, 0x0e }, { 0x04, 0x0c, 0x04, 0x04, 0x04, 0x04, 0x0e },
        { 0x0e, 0x11, 0x01, 0x02, 0x04, 0x08, 0x1f }, { 0x1f, 0x02, 0x04, 0x02, 0x01, 0x11, 0x0e },
        { 0x02, 0x06, 0x0a, 0x12, 0x1f, 0x02, 0x02 }, { 0x1f, 0x10, 0x1e, 0x01, 0x01, 0x11, 0x0e },
        { 0x06, 0x08, 0x10, 0x1e, 0x11, 0x11, 0x0e }, { 0x1f, 0x01, 0x02, 0x04, 0x08, 0x08, 0x08 },
        { 0x0e, 0x11, 0x11, 0x0e, 0x11, 0x11, 0x0e }, { 0x0e, 0x11, 0x11, 0x0f, 0x01, 0x02, 0x0c },
        { 0x00, 0x00, 0x00, 0x00, 0x00, 0x0c, 0x0c }, { 0x00, 0x00, 0x00, 0x1f, 0x00, 0x00, 0x00 },
        { 0x00, 0x04, 0x04, 0x1f, 0x04, 0x04, 0x00 }, { 0x00, 0x00, 0x0e, 0x11, 0x1f, 0x10, 0x0e },
        { 0x00, 0x00, 0x16, 0x19, 0x11, 0x11, 0x11 }, { 0x00, 0x00, 0x0e, 0x01, 0x0f, 0x11, 0x0f },
        { 0x00, 0x00, 0x1e, 0x11, 0x1e, 0x10, 0x10 }, { 0x0c, 0x04, 0x04, 0x04, 0x04, 0x04, 0x0e },
        { 0x00, 0x00, 0x0e, 0x11, 0x11, 0x11, 0x0e }, { 0x06, 0x09, 0x08, 0x1c, 0x08, 0x08, 0x08 },
    };
    const char *at = strchr(chars, c);
    return at && c ? rows[at - chars] : NULL;
}

enum { FONT_SCALE = 2, GLYPH_W = 6 * FONT_SCALE, GLYPH_H = 7 * FONT_SCALE };

static void draw_text(unsigned char *image, long width, long x, long y, const char *text)
{
    for (; *text; ++text, x += GLYPH_W) {
        const unsigned char *g = glyph(*text);
        if (!g) continue;
        for (int r = 0; r < 7 * FONT_SCALE; ++r)
            for (int c = 0; c < 5 * FONT_SCALE; ++c)
                if (g[r / FONT_SCALE] & (0x10 >> (c / FONT_SCALE))) image[(y + r) * width + x + c] = BLACK;
    }
}

static double element(const void *data, long i, long j, long stride, size_t elem_size)
{
    size_t at = (size_t)i * (size_t)stride + (size_t)j;
    return elem_size == 4 ? (double)((const float *)data)[at] : ((const double *)data)[at];
}

static void write_heatmap(const char *path, const void *data, long rows, long cols, long stride,
                          size_t elem_size, const char *caption);

void st_write_heatmap_png(const char *path, const void *data, long rows, long cols, long stride,
                          size_t elem_size)
{
    long shape[3];
    if (stride == cols && grid_shape(rows, cols, shape) == 3) {
        st_write_heatmap_png_plane(path, data, shape[0], shape[1], shape[2], shape[0] / 2, elem_size);
        return;
    }
    write_heatmap(path, data, rows, cols, stride, elem_size, NULL);
}

void st_write_heatmap_png_plane(const char *path, const void *data, long planes, long rows, long cols, long plane,
                                size_t elem_size)
{
    char caption[64];
    snprintf(caption, sizeof caption, "plane %ld of 0-%ld", plane, planes - 1);
    const char *bytes = data;
    write_heatmap(path, bytes + (size_t)plane * (size_t)rows * (size_t)cols * elem_size, rows, cols, cols, elem_size,
                  caption);
}

/* caption: a line of text above the field (NULL: none, and the layout of a 2-D picture). */
static void write_heatmap(const char *path, const void *data, long rows, long cols, long stride,
                          size_t elem_size, const char *caption)
{
    if (elem_size != 4 && elem_size != 8) st_fatal("cannot write '%s': elements of %zu bytes", path, elem_size);
    if (rows < 1 || cols < 1) st_fatal("cannot write '%s': an empty grid", path);
    /* Range of the finite values: the colour bar's ends. */
    double lo = INFINITY, hi = -INFINITY;
    for (long i = 0; i < rows; ++i)
        for (long j = 0; j < cols; ++j) {
            double v = element(data, i, j, stride, elem_size);
            if (isfinite(v)) { if (v < lo) lo = v; if (v > hi) hi = v; }
        }

    /* Display scale: grids above 1024 points a side are averaged down by an integer factor,
     * small ones enlarged (each point a square) until the longer side reaches 256 pixels. */
    long longer = rows > cols ? rows : cols;
    long down = (longer + 1023) / 1024;
    long cell_rows = (rows + down - 1) / down, cell_cols = (cols + down - 1) / down;
    long cell_longer = cell_rows > cell_cols ? cell_rows : cell_cols;
    long up = cell_longer < 256 ? 256 / cell_longer : 1;
    long field_h = cell_rows * up, field_w = cell_cols * up;

    /* Layout: margin, field, gap, colour bar, tick, labels, margin. */
    enum { MARGIN = 12, GAP = 16, BAR_W = 20, TICK = 5, TICKS = 5 };
    char labels[TICKS][32];
    long label_w = 0;
    for (int k = 0; k < TICKS; ++k) {
        double v = isfinite(lo) ? hi - (hi - lo) * k / (TICKS - 1) : NAN;
        snprintf(labels[k], sizeof labels[k], isfinite(v) ? "%.4g" : "nan", v);
        long w = (long)strlen(labels[k]) * GLYPH_W;
        if (w > label_w) label_w = w;
    }
    long bar_h = field_h > 8 * GLYPH_H ? field_h : 8 * GLYPH_H;
    long bar_x = MARGIN + field_w + GAP;
    long width = bar_x + BAR_W + TICK + 3 + label_w + MARGIN;
    long caption_h = caption ? GLYPH_H + 6 : 0;
    long caption_w = caption ? 2 * MARGIN + (long)strlen(caption) * GLYPH_W : 0;
    if (width < caption_w) width = caption_w;
    long height = 2 * MARGIN + GLYPH_H / 2 * 2 + bar_h + caption_h;
    long top = MARGIN + GLYPH_H / 2 + caption_h;  /* room for the caption and the top label's upper half */

    /* The picture as palette indices, each row preceded by its filter byte (0: none). */
    size_t line = (size_t)width + 1;
    unsigned char *raw = malloc(line * (size_t)height);
    if (!raw) st_fatal("out of memory writing '%s'", path);
    unsigned char *image = malloc((size_t)width * (size_t)height);
    if (!image) st_fatal("out of memory writing '%s'", path);
    memset(image, WHITE, (size_t)width * (size_t)height);

    double span = hi > lo ? hi - lo : 1.0;
    for (long ci = 0; ci < cell_rows; ++ci)
        for (long cj = 0; cj < cell_cols; ++cj) {
            double sum = 0;
            long count = 0;
            for (long i = ci * down; i < (ci + 1) * down && i < rows; ++i)
                for (long j = cj * down; j < (cj + 1) * down && j < cols; ++j) {
                    double v = element(data, i, j, stride, elem_size);
                    if (isfinite(v)) { sum += v; ++count; }
                }
            int index = NAN_GREY;
            if (count > 0) {
                double t = (sum / (double)count - lo) / span;
                index = (int)(t * (COLOURS - 1) + 0.5);
                if (index < 0) index = 0;
                if (index > COLOURS - 1) index = COLOURS - 1;
            }
            for (long y = ci * up; y < (ci + 1) * up; ++y)
                memset(image + (top + y) * width + MARGIN + cj * up, index, (size_t)up);
        }

    /* The colour bar: maximum at the top, a black outline, ticks and labels. */
    for (long y = 0; y < bar_h; ++y) {
        int index = (int)((double)(bar_h - 1 - y) / (double)(bar_h > 1 ? bar_h - 1 : 1) * (COLOURS - 1) + 0.5);
        memset(image + (top + y) * width + bar_x, index, BAR_W);
        image[(top + y) * width + bar_x - 1] = BLACK;
        image[(top + y) * width + bar_x + BAR_W] = BLACK;
    }
    memset(image + (top - 1) * width + bar_x - 1, BLACK, BAR_W + 2);
    memset(image + (top + bar_h) * width + bar_x - 1, BLACK, BAR_W + 2);
    for (int k = 0; k < TICKS; ++k) {
        long y = top + (bar_h - 1) * k / (TICKS - 1);
        memset(image + y * width + bar_x + BAR_W + 1, BLACK, TICK);
        draw_text(image, width, bar_x + BAR_W + TICK + 3, y - GLYPH_H / 2, labels[k]);
    }

    if (caption) draw_text(image, width, MARGIN, MARGIN, caption);

    for (long y = 0; y < height; ++y) {
        raw[(size_t)y * line] = 0;
        memcpy(raw + (size_t)y * line + 1, image + y * width, (size_t)width);
    }
    free(image);

    st_bytes png = { 0 };
    const unsigned char signature[8] = { 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n' };
    bytes_put(&png, signature, 8);
    unsigned char ihdr[13] = { (unsigned char)(width >> 24), (unsigned char)(width >> 16), (unsigned char)(width >> 8),
                               (unsigned char)width, (unsigned char)(height >> 24), (unsigned char)(height >> 16),
                               (unsigned char)(height >> 8), (unsigned char)height,
                               8, 3, 0, 0, 0 }; /* 8-bit palette indices, deflate, no interlace */
    png_chunk(&png, "IHDR", ihdr, 13);
    unsigned char plte[3 * PALETTE];
    for (int k = 0; k < PALETTE; ++k) palette_colour(k, plte + 3 * k);
    png_chunk(&png, "PLTE", plte, sizeof plte);
    st_bytes idat = { 0 };
    zlib_compress(&idat, raw, line * (size_t)height);
    free(raw);
    png_chunk(&png, "IDAT", idat.data, idat.size);
    free(idat.data);
    png_chunk(&png, "IEND", NULL, 0);

    write_atomically(path, png.data, png.size);
    free(png.data);
}

/* Prints a double as JSON: numbers with full precision, null for NaN or infinities. */
static void json_number(FILE *out, double value)
{
    if (isfinite(value)) fprintf(out, "%.17g", value);
    else fprintf(out, "null");
}

static void json_string(FILE *out, const char *text)
{
    fputc('"', out);
    for (const unsigned char *c = (const unsigned char *)(text ? text : ""); *c; ++c) {
        if (*c == '"' || *c == '\\') fprintf(out, "\\%c", *c);
        else if (*c < 0x20) fprintf(out, "\\u%04x", *c);
        else fputc(*c, out);
    }
    fputc('"', out);
}

void st_print_summary(const st_summary *s, const st_options *options)
{
    double updates = (double)s->iterations * (double)s->points_per_iteration;
    double mlups = s->seconds > 0 ? updates / s->seconds / 1e6 : 0.0;
    const char *order = s->order ? s->order : "jacobi";
    double relax = s->relaxed ? s->relax : 1.0;
    if (options && (options->json || library_io)) {
        FILE *out = stdout;
        if (library_io) {
            if (!library_io->summary || library_io->summary_size == 0) return;
            library_io->summary[0] = '\0';
            out = fmemopen(library_io->summary, library_io->summary_size, "w");
            if (!out) st_fatal("cannot write the summary: %s", strerror(errno));
        }
        fprintf(out, "{\"stencil\": "); json_string(out, s->stencil);
        fprintf(out, ", \"target\": "); json_string(out, s->target);
        fprintf(out, ", \"dtype\": "); json_string(out, s->dtype);
        fprintf(out, ", \"rows\": %ld, \"cols\": %ld", s->rows, s->cols);
        long shape[3] = { s->rows, s->cols, 0 };
        int dimensions = shape_dimensions > 0 ? shape_dimensions : 2;
        for (int k = 0; k < shape_dimensions; ++k) shape[k] = shape_extents[k];
        fprintf(out, ", \"shape\": [");
        for (int k = 0; k < dimensions; ++k) fprintf(out, "%s%ld", k ? ", " : "", shape[k]);
        fprintf(out, "]");
        fprintf(out, ", \"iterations\": %ld, \"max_iterations\": %ld", s->iterations, s->max_iterations);
        fprintf(out, ", \"converged\": %s", s->converged ? "true" : "false");
        fprintf(out, ", \"norm\": ");
        if (s->norm) json_string(out, s->norm); else fprintf(out, "null");
        fprintf(out, ", \"residual\": "); json_number(out, s->residual);
        fprintf(out, ", \"tolerance\": "); json_number(out, s->tolerance);
        fprintf(out, ", \"seconds\": "); json_number(out, s->seconds);
        fprintf(out, ", \"mlups\": "); json_number(out, mlups);
        fprintf(out, ", \"threads\": %d, \"ranks\": %d", s->threads, s->ranks);
        fprintf(out, ", \"schedule\": "); json_string(out, s->schedule);
        fprintf(out, ", \"decomposition\": "); json_string(out, s->decomposition);
        fprintf(out, ", \"device\": "); json_string(out, s->device);
        fprintf(out, ", \"order\": "); json_string(out, order);
        fprintf(out, ", \"relax\": "); json_number(out, relax);
        char spec[64];
        st_format_plan(&s->plan, spec, sizeof spec);
        fprintf(out, ", \"plan\": {\"source\": "); json_string(out, s->plan.source);
        fprintf(out, ", \"kind\": \"%s\", \"depth\": %ld, \"tile_rows\": %ld, \"tile_cols\": %ld, \"spec\": ",
               st_plan_kind_name(s->plan.kind), s->plan.depth, s->plan.tile_rows, s->plan.tile_cols);
        json_string(out, spec);
        fprintf(out, ", \"reason\": "); json_string(out, s->plan.reason);
        fprintf(out, "}}\n");
        if (library_io) fclose(out); else fflush(out);
        return;
    }
    char shape_text[128];
    if (shape_dimensions > 0) format_shape(shape_text, sizeof shape_text, shape_dimensions, shape_extents, 0);
    else snprintf(shape_text, sizeof shape_text, "%ld x %ld", s->rows, s->cols);
    printf("%s: %s %s, target %s", s->stencil, shape_text, s->dtype, s->target);
    if (s->ranks > 1 || (s->decomposition && *s->decomposition))
        printf(", %d rank%s", s->ranks, s->ranks == 1 ? "" : "s");
    if (s->decomposition && *s->decomposition) printf(" (%s)", s->decomposition);
    printf(", %d thread%s", s->threads, s->threads == 1 ? "" : "s");
    if (s->device && *s->device) printf(", device %s", s->device);
    printf("\n");
    if (s->norm) {
        printf("  iterations  %ld (%s)\n", s->iterations,
               s->converged ? "converged" : "NOT converged: hit the iteration cap");
        if (isnan(s->residual)) printf("  residual    none: the run stopped before its first check (%s < %g)\n", s->norm, s->tolerance);
        else printf("  residual    %.6g (%s < %g)\n", s->residual, s->norm, s->tolerance);
    } else {
        printf("  iterations  %ld (fixed steps)\n", s->iterations);
    }
    if (relax != 1.0)
        printf("  relax       %g (%s order: each update writes old + %g * (new - old))\n", relax, order, relax);
    char words[160];
    st_describe_plan(&s->plan, words, sizeof words);
    const char *source = s->plan.source ? s->plan.source : "default";
    /* "(given by --plan)" rather than "(given: given by --plan)" */
    if (s->plan.reason && strncmp(s->plan.reason, "given by ", 9) == 0) printf("  plan        %s (%s)\n", words, s->plan.reason);
    else if (s->plan.reason && *s->plan.reason) printf("  plan        %s (%s: %s)\n", words, source, s->plan.reason);
    else printf("  plan        %s (%s)\n", words, source);
    printf("  time        %.4f s\n", s->seconds);
    printf("  speed       %.1f MLUP/s\n", mlups);
    fflush(stdout);
}

/* ---- library mode ---------------------------------------------------------------------- */

static volatile sig_atomic_t library_interrupted;

static void library_sigint(int signal_number)
{
    (void)signal_number;
    library_interrupted = 1;
}

int st_stop_requested(void) { return library_io && library_interrupted; }

void st_check_interrupted(void)
{
    if (st_stop_requested()) st_fatal("interrupted");
}

int st_library_call(st_main_function body, int argc, char **argv, st_memory_io *io)
{
    if (io->error && io->error_size) io->error[0] = '\0';
    if (io->summary && io->summary_size) io->summary[0] = '\0';
    struct sigaction action, previous;
    memset(&action, 0, sizeof action);
    action.sa_handler = library_sigint;
    sigemptyset(&action.sa_mask);
    library_interrupted = 0;
    memset(library_grids, 0, sizeof library_grids);
    library_io = io;
    int installed = !io->describe && sigaction(SIGINT, &action, &previous) == 0;
    /* volatile: read after longjmp */
    volatile int status = 0;
    int jumped = setjmp(library_return);
    if (jumped == 0) {
        body(argc, argv);
        status = 0;
    } else if (jumped == 3) {
        status = 0; /* describe: the sizes are known */
    } else {
        status = library_interrupted ? 2 : 1;
        for (int k = 0; k < LIBRARY_GRIDS; ++k) {
            free_block(library_grids[k]);
            library_grids[k] = NULL;
        }
    }
    if (installed) sigaction(SIGINT, &previous, NULL);
    library_io = NULL;
    library_interrupted = 0;
    return status;
}

int st_library_heatmap(const char *path, const void *data, long rows, long cols, size_t elem_size,
                       char *error, size_t error_size)
{
    st_memory_io io;
    memset(&io, 0, sizeof io);
    io.error = error;
    io.error_size = error_size;
    if (error && error_size) error[0] = '\0';
    library_io = &io;
    volatile int status = 0;
    if (setjmp(library_return) == 0) st_write_heatmap_png(path, data, rows, cols, cols, elem_size);
    else status = 1;
    library_io = NULL;
    return status;
}
