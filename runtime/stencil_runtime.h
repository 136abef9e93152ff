/* stencil_runtime.h: the small C runtime every program emitted by stencilc links against.
 *
 * It holds what is the same for every stencil so that emitted files hold only the problem:
 * command-line parsing (run-time params), grid allocation and filling, timing, .npy output and
 * the run summary. Plain C11, no OpenMP, no MPI: the target-specific helpers live in
 * stencil_mpi.* and stencil_opencl.*.
 */
#ifndef STENCIL_RUNTIME_H
#define STENCIL_RUNTIME_H

#include <stddef.h>
#include <string.h>

#include "stencil_sweeps.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- errors ----------------------------------------------------------------------------- */

/* Sets the name used in messages ("jacobi: error: ..."). */
void st_set_program_name(const char *name);
const char *st_program_name(void);

/* Prints "PROGRAM: error: MESSAGE" to stderr and exits with status 1. */
void st_fatal(const char *format, ...) __attribute__((noreturn, format(printf, 1, 2)));

/* ---- run-time parameters and options ------------------------------------------------------ */

enum { ST_REAL = 0, ST_INTEGER = 1 };

/* One `param` of the program: its default is written in by stencilc, --param overrides it. */
typedef struct {
    const char *name;
    int kind;        /* ST_REAL or ST_INTEGER */
    double value;
} st_param;

/* One --input NAME=FILE.npy or --output NAME=FILE.npy. */
typedef struct {
    const char *argument;    /* "NAME=FILE.npy" as given: NAME is its first grid_length characters */
    size_t grid_length;
    const char *path;        /* FILE.npy */
} st_grid_file;

enum { ST_MAX_GRID_FILES = 64 };

typedef struct {
    const char *output_path; /* --output FILE.npy (the updated grid), or NULL */
    st_grid_file inputs[ST_MAX_GRID_FILES];  /* --input NAME=FILE.npy, in the order given */
    int input_count;
    st_grid_file outputs[ST_MAX_GRID_FILES]; /* --output NAME=FILE.npy, in the order given */
    int output_count;
    const char *image_path;  /* --image FILE.png: st_write_heatmap_png of the final field, or NULL */
    const char *device;      /* --device SELECTOR (OpenCL targets), or NULL */
    long max_iterations;     /* --max-iterations K: stop after K sweeps at most (0: no cap) */
    int json;                /* --json: the summary as one JSON object */
    int quiet;               /* --quiet: no progress lines */
    const char *plan;        /* --plan KIND[:DEPTH[:TILE_ROWS[:TILE_COLS]]] (serial, openmp), or NULL: st_choose_plan */
    const char *plan_source; /* --plan-source NAME: where the plan came from ("tuned"), or NULL */
    int updated_grids;       /* how many of the grids given to st_check_grid_files (they come first)
                              * an update writes: 0 means one; a system's main sets it */
} st_options;

/* Parses --param NAME=VALUE (repeatable), --input NAME=PATH (repeatable), --output PATH or
 * --output NAME=PATH (repeatable; NAME an identifier: `--output ./a=b.npy` is a plain path),
 * --image PATH, --device SEL,
 * --max-iterations K, --plan SPEC, --plan-source NAME, --json, --quiet, --help.
 * Anything else, an unknown param, a malformed number or a fraction for an integer param is a
 * fatal error that names the offending argument. */
void st_parse_args(int argc, char **argv, st_param *params, int param_count, st_options *options);

/* `limit` lowered to --max-iterations when that is given and smaller (benchmarks run a fixed
 * number of sweeps of any program this way). */
long st_cap_iterations(const st_options *options, long limit);

/* Checks that a grid of rows x cols has at least one updated point for halo width `halo` and
 * that its size fits in memory arithmetic; fatal otherwise. */
void st_check_grid(const char *grid, long rows, long cols, int halo);

/* A 1-D or 3-D grid: checks its extents as st_check_grid does (each at least 2 * halo + 1) and
 * records the shape. The runtime holds every grid as a row-major 2-D array of cols (the last
 * extent) columns and as many rows as the other extents' product (1 for 1-D); the recorded shape
 * is what .npy files (--input, --output) carry and what --json prints as `shape`. Without it a
 * grid's shape is its (rows, cols). At most 3 dimensions. */
void st_check_shape(const char *grid, int dimensions, const long *shape, int halo);

/* Checks that an integer param used as a count (steps, every, max) is positive. */
void st_check_positive(const char *what, long value);
/* Fatal unless the stopping rule's tolerance (a param, set with --param) is a positive number:
 * at 0 or below no run could converge. */
void st_check_tolerance(double tolerance);

/* Runs body(context); an st_fatal inside it returns here instead of ending the process, with
 * its message in `error`: 1, else 0. For checks whose failure the caller must first share (an
 * mpi rank that alone cannot read a file on its node's disk). Not for code that allocates: what
 * it held when st_fatal jumped is not freed. */
int st_try(void (*body)(void *), void *context, char *error, size_t error_size);

/* ---- input and output files of grids ---------------------------------------------------- */

/* Checks --input and --output before any grid is allocated: every NAME must be one of the
 * program's `grid_count` grids `grids` (an unknown one is fatal, listing them), no grid may be
 * given to --input twice, and every --input file must be a C-order .npy of shape (rows, cols)
 * and dtype <f4 (elem_size 4) or <f8 (elem_size 8) with all its data (st_check_npy). */
void st_check_grid_files(const st_options *options, const char *const *grids, int grid_count,
                         long rows, long cols, size_t elem_size);

/* Checks the header of the .npy file `path` for a rows x cols grid of elem_size: magic, version
 * (1.0, 2.0, 3.0), dtype, C order, shape, and that the file holds all the data. Returns the
 * offset of the data. Fatal otherwise, naming `what` ("--input u=x.npy"), the expected and the
 * found values. */
long st_check_npy(const char *what, const char *path, long rows, long cols, size_t elem_size);

/* Reads the rectangle [r0, r1) x [c0, c1) of the rows x cols array in the .npy file `path` (as
 * st_check_npy checks it) into `dest`, row by row, `dest_stride` elements apart: only those
 * bytes are read. Fatal on failure. */
void st_read_npy_block(const char *what, const char *path, long rows, long cols, size_t elem_size,
                       long r0, long r1, long c0, long c1, void *dest, long dest_stride);

/* The --input given for `grid`, or NULL. */
const st_grid_file *st_input_for(const st_options *options, const char *grid);

/* If --input gave a file for `grid`, reads it whole into `data` (rows x cols) and returns 1;
 * else returns 0. */
int st_read_input(const st_options *options, const char *grid, void *data, long rows, long cols,
                  size_t elem_size);

/* Writes every --output NAME=FILE.npy: grid NAME is `data[k]` where `grids[k]` is NAME, rows x
 * cols, row stride cols (st_write_npy). */
void st_write_outputs(const st_options *options, const char *const *grids, const void *const *data,
                      int grid_count, long rows, long cols, size_t elem_size);

/* ---- min and max ------------------------------------------------------------------------- */

/* The language's min and max: fmin/fmax (a NaN operand gives the other operand) with every case
 * defined, so every compiler, vector width and device gives the same bits. C leaves the sign of a
 * tie between -0 and +0 to the implementation, and gcc's vector code, glibc and clang each pick
 * differently; here a tie gives the second operand. Plain comparisons and a select: exact under
 * any optimization (no -ffast-math), and vectorizable. */
static inline float st_minf(float a, float b) { return (a < b || b != b) ? a : b; }
static inline float st_maxf(float a, float b) { return (a > b || b != b) ? a : b; }
static inline double st_min(double a, double b) { return (a < b || b != b) ? a : b; }
static inline double st_max(double a, double b) { return (a > b || b != b) ? a : b; }

/* ---- grids ------------------------------------------------------------------------------- */

/* The line the grids are aligned to: a cache line, and the widest vector (AVX-512) x86 has. */
enum { ST_GRID_ALIGN = 64 };

/* A zeroed block of rows*cols elements of elem_size bytes (row-major, no padding) whose element
 * `aligned_col` (a column of row 0) starts an ST_GRID_ALIGN-byte line; fatal on failure. The
 * programs pass their first updated column (the loop plan's `align`), so that where a row is a
 * whole number of lines (a float32 row of 16k points) every row's vector stores, and its loads
 * of the rows above and below, are whole aligned vectors that never straddle two cache lines.
 * st_alloc_grid is the same with column 0 aligned. Either is freed by st_free_grid. */
void *st_alloc_aligned_grid(long rows, long cols, size_t elem_size, long aligned_col);
void *st_alloc_grid(long rows, long cols, size_t elem_size);
void st_free_grid(void *grid);

/* Sets the rectangle [r0, r1) x [c0, c1) of a row-major grid with `cols` columns to `value`.
 * The bounds are clipped to [0, rows) x [0, cols). */
void st_fill_f32(float *grid, long rows, long cols, long r0, long r1, long c0, long c1, float value);
void st_fill_f64(double *grid, long rows, long cols, long r0, long r1, long c0, long c1, double value);

/* ---- neumann and periodic sides (LANGUAGE.md section 5, "Boundary kinds") ----------------- */

enum { ST_TOP = 0, ST_BOTTOM = 1, ST_LEFT = 2, ST_RIGHT = 3, ST_FRONT = 4, ST_BACK = 5 };
enum { ST_FIXED = 0, ST_NEUMANN = 1, ST_PERIODIC = 2 };

/* Applies one `SIDE = neumann` or `SIDE = periodic` statement to a rows x cols row-major grid of
 * halo h: every point of the side's strip (h deep, corners included) takes the value of the
 * point with the same other index at index h (top/left) or extent-h-1 (bottom/right) along the
 * side's axis (ST_NEUMANN), or the value extent-2h further in (top/left) or back (bottom/right)
 * along it (ST_PERIODIC). Exact copies: the bits of the source. Periodic sides need an interior
 * of at least h points along the axis (st_check_periodic), so no source lies in the strip. */
void st_copy_side(void *grid, long rows, long cols, int halo, size_t elem_size, int side, int kind);

/* A side's strip seen along its axis: the row-major grid is `outer` blocks of `extent` slices
 * along the axis, each slice `inner` contiguous points (2-D top: 1 x rows x cols; 2-D left:
 * rows x cols x 1; 3-D front: 1 x planes x rows*cols). `first`: left, top, front. */
typedef struct {
    long outer, extent, inner;
    int first;
    int axis; /* the side's axis, 0 = first dimension */
} st_strip;

/* The strip of side `side` (ST_TOP..ST_BACK; sides count from the last dimension, LANGUAGE.md
 * section 5) of a grid of `dimensions` extents (1 to 3), first dimension first. */
st_strip st_side_strip(int dimensions, const long *extents, int side);

/* The index along a side's axis that strip index p copies from (extent: the grid's along the
 * axis; first: left, top, front): LANGUAGE.md's rule, for every target. */
long st_side_source(long p, long extent, long halo, int first, int kind);

/* st_copy_side for a grid of any dimension: `extents` first dimension first. */
void st_copy_side_nd(void *grid, int dimensions, const long *extents, int halo, size_t elem_size, int side, int kind);

/* The same statement shared by an OpenMP team (the openmp target's statements after each sweep):
 * every thread of the team calls it with the same arguments and copies its share of the strip's
 * blocks (a left or right side: its rows), split as a static schedule splits rows, so that each
 * thread touches the cache lines its part of the sweep has just written rather than the other
 * cores'. A barrier ends it, so the next statement reads this one's result. Without OpenMP it is
 * st_copy_side_nd / st_copy_side. */
void st_copy_side_nd_team(void *grid, int dimensions, const long *extents, int halo, size_t elem_size, int side, int kind);
void st_copy_side_team(void *grid, long rows, long cols, int halo, size_t elem_size, int side, int kind);

/* A left or right statement on the ring rows only: the rows with some index before the last in
 * [0, halo) or [extent - halo, extent) (2-D: rows; 3-D: planes x rows). The sweep applied it to
 * the other rows itself, right after computing each (PlanBoundary's sides in the sweep), so
 * this and the sweep together give st_copy_side's bits. The _team forms as st_copy_side_team. */
void st_copy_side_ring(void *grid, long rows, long cols, int halo, size_t elem_size, int side, int kind);
void st_copy_side_ring_nd(void *grid, int dimensions, const long *extents, int halo, size_t elem_size, int side, int kind);
void st_copy_side_ring_team(void *grid, long rows, long cols, int halo, size_t elem_size, int side, int kind);
void st_copy_side_ring_nd_team(void *grid, int dimensions, const long *extents, int halo, size_t elem_size, int side, int kind);

/* Fatal unless a periodic axis of `extent` points (`axis`: "rows" or "columns") has at least
 * `halo` interior points: a period shorter than the halo would make the strip read itself. */
void st_check_periodic(const char *grid, const char *axis, long extent, int halo);

/* ---- progress and divergence ------------------------------------------------------------- */

/* A progress line on stderr (iteration, residual, rate), redrawn at most a few times a second,
 * only when stderr is a terminal and --quiet was not given. `residual` NaN: not known. */
void st_progress(const st_options *options, long iteration, long max_iterations, double residual,
                 double points_per_iteration, double start_seconds);
/* Ends the progress line, if one was drawn. */
void st_progress_done(const st_options *options);

/* Stops the program with a clear message when a sweep produced NaN or Inf. */
void st_check_finite(long nonfinite_points, long iteration);

/* Counts points that are NaN or Inf (used after `steps` programs, which have no checks). */
long st_count_nonfinite(const void *data, long rows, long cols, size_t elem_size);

/* ---- time -------------------------------------------------------------------------------- */

/* Seconds from an arbitrary fixed point, monotonic. */
double st_seconds(void);

/* ---- output ------------------------------------------------------------------------------ */

/* Writes rows x cols elements (row stride `stride` elements) as a NumPy .npy file with dtype
 * <f4 (elem_size 4) or <f8 (elem_size 8). A regular file (or a new one) is written beside its
 * final name and renamed into place, so a failure, SIGINT, SIGTERM or SIGHUP never leaves a
 * partial file; a path that is not a regular file (/dev/stdout, a FIFO, /dev/full) is written in
 * place, never replaced. Fatal on failure (a full disk included). */
void st_write_npy(const char *path, const void *data, long rows, long cols, long stride,
                  size_t elem_size);

/* Writes rows x cols elements (row stride `stride` elements, elem_size 4: float, 8: double) as a
 * heat map PNG: the field (row 0 at the top; averaged down to at most 1024 pixels a side,
 * enlarged to at least 256) in matplotlib's viridis colormap from its minimum to its maximum, and
 * a colour bar labelled with five values from maximum to minimum. NaN and infinities are grey and
 * excluded from the range. Written under a temporary name and renamed, like st_write_npy; fatal on
 * failure. */
void st_write_heatmap_png(const char *path, const void *data, long rows, long cols, long stride,
                          size_t elem_size);

/* The picture of a 3-D grid (planes x rows x cols, row-major): plane `plane` (0-based) as
 * st_write_heatmap_png draws a 2-D grid, with the caption "plane P of 0-N" above it.
 * st_write_heatmap_png itself draws the middle plane so when given the whole of a grid whose
 * st_check_shape shape is 3-D (as a gathered MPI field is). */
void st_write_heatmap_png_plane(const char *path, const void *data, long planes, long rows, long cols, long plane,
                                size_t elem_size);

/* A plan in words ("whole sweeps", "tiles of 64 rows advance up to 16 sweeps per pass") and as
 * `--plan` text ("sweeps", "tiles:16:64"). */
void st_describe_plan(const st_plan *plan, char *text, size_t size);
void st_format_plan(const st_plan *plan, char *text, size_t size);

/* What a run reports. `norm` is "maxdiff" or "l2diff" for `until` programs, NULL for `steps`. */
typedef struct {
    const char *stencil;
    const char *target;
    const char *dtype;          /* "float32" or "float64" */
    long rows, cols;            /* the last two extents (a 1-D grid: 1 row); --json's `shape` is st_check_shape's */
    long points_per_iteration;  /* updated points in one sweep */
    long iterations;
    long max_iterations;
    int converged;              /* until: norm < eps was reached; steps: 1 */
    const char *norm;
    double residual;            /* the last norm computed; NaN if none */
    double tolerance;           /* eps, or NaN */
    double seconds;             /* the iterations alone */
    int threads;                /* per process */
    int ranks;
    const char *schedule;       /* "static", "dynamic,16", ... or "" */
    const char *decomposition;  /* "rows 4x1", ... or "" */
    const char *device;         /* OpenCL device name or "" */
    st_plan plan;               /* how the plain sweeps ran (mpi, opencl: whole sweeps, with a reason) */
    const char *order;          /* "jacobi" (NULL reads as "jacobi") */
    int relaxed;                /* the program has `relax OMEGA` (other than the literal 1) */
    double relax;               /* OMEGA's run-time value when relaxed; 1 is printed when not */
} st_summary;

/* Prints the summary: a few human lines, or one JSON object when options->json. */
void st_print_summary(const st_summary *summary, const st_options *options);

/* ---- library mode: a program called in-process (the Python package) ----------------------
 *
 * Compiled with -DSTENCIL_LIBRARY -fPIC -shared, an emitted program exports
 * `int stencil_entry(int argc, char **argv, st_memory_io *io)`, which runs what `main` would with
 * these differences while it runs (st_library_call):
 * - st_fatal does not exit: it writes its message into io->error and returns from the entry with
 *   status 1 (grids allocated with st_alloc_grid are freed; OpenCL objects of a failed run leak).
 * - --input GRID comes from io->inputs (the caller's arrays, copied into the program's grid), and
 *   the final value of each grid in io->outputs is copied into the caller's array; both hold
 *   rows x cols elements in C order, which the caller checks (io->describe tells it the sizes).
 * - the summary is written as JSON into io->summary, not printed.
 * - SIGINT sets a flag that the iteration loop reads at each progress point (st_stop_requested);
 *   the run stops there and the entry returns 2 ("interrupted"). The caller's handler is restored.
 * - io->describe: the entry returns 0 right after the params and grid sizes are known (nothing
 *   is allocated), with io->rows, io->cols, io->elem_size and io->grids filled in.
 * One call at a time per process (the hook is global). */
typedef struct {
    const char *grid;
    void *data;
} st_memory_grid;

typedef struct {
    int describe;                 /* in: stop after the sizes are known */
    const st_memory_grid *inputs; /* in: initial values, as --input GRID */
    int input_count;
    const st_memory_grid *outputs; /* in: where the final grids go, as --output GRID */
    int output_count;
    char *summary;                /* out: the --json summary */
    size_t summary_size;
    char *error;                  /* out: st_fatal's message */
    size_t error_size;
    long rows, cols;              /* out (describe) */
    long elem_size;
    int grid_count;
    const char *const *grids;     /* out (describe): the program's grid_count grid names, the
                                   * updated ones first (the runtime's copies, kept until the next
                                   * describe call) */
    int updated_count;            /* out (describe): how many of grids[] an update writes */
    int dimensions;               /* out (describe): the grids' number of dimensions, 1 to 3 */
    long shape[3];                /* out (describe): their extents, first dimension first */
} st_memory_io;

typedef int (*st_main_function)(int argc, char **argv);

/* Runs `body` as the library entry (see above): 0 success, 1 error (message in io->error),
 * 2 interrupted. */
int st_library_call(st_main_function body, int argc, char **argv, st_memory_io *io);

/* Nonzero once SIGINT arrived during a library call (always 0 in an executable). */
int st_stop_requested(void);
/* After the iteration loop: fatal "interrupted" when st_stop_requested(). */
void st_check_interrupted(void);

/* st_write_heatmap_png for a caller in library mode: 0, or 1 with the message in error. */
int st_library_heatmap(const char *path, const void *data, long rows, long cols, size_t elem_size,
                       char *error, size_t error_size);

#ifdef __cplusplus
}
#endif

#endif /* STENCIL_RUNTIME_H */
