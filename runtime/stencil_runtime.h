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

typedef struct {
    const char *output_path; /* --output FILE.npy, or NULL */
    const char *image_path;  /* --image FILE.png: st_write_heatmap_png of the final field, or NULL */
    const char *device;      /* --device SELECTOR (OpenCL targets), or NULL */
    long max_iterations;     /* --max-iterations K: stop after K sweeps at most (0: no cap) */
    int json;                /* --json: the summary as one JSON object */
    int quiet;               /* --quiet: no progress lines */
} st_options;

/* Parses --param NAME=VALUE (repeatable), --output PATH, --device SEL, --json, --quiet, --help.
 * Anything else, an unknown param, a malformed number or a fraction for an integer param is a
 * fatal error that names the offending argument. */
void st_parse_args(int argc, char **argv, st_param *params, int param_count, st_options *options);

/* `limit` lowered to --max-iterations when that is given and smaller (benchmarks run a fixed
 * number of sweeps of any program this way). */
long st_cap_iterations(const st_options *options, long limit);

/* Checks that a grid of rows x cols has at least one updated point for halo width `halo` and
 * that its size fits in memory arithmetic; fatal otherwise. */
void st_check_grid(const char *grid, long rows, long cols, int halo);

/* Checks that an integer param used as a count (steps, every, max) is positive. */
void st_check_positive(const char *what, long value);

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

/* A zeroed, 64-byte aligned block of rows*cols elements of elem_size bytes; fatal on failure. */
void *st_alloc_grid(long rows, long cols, size_t elem_size);
void st_free_grid(void *grid);
/* A private copy of a grid (a thread's scratch for band sweeps: the copy carries the boundary
 * values, which band sweeps never write). */
void *st_copy_grid(const void *grid, long rows, long cols, size_t elem_size);

/* Sets the rectangle [r0, r1) x [c0, c1) of a row-major grid with `cols` columns to `value`.
 * The bounds are clipped to [0, rows) x [0, cols). */
void st_fill_f32(float *grid, long rows, long cols, long r0, long r1, long c0, long c1, float value);
void st_fill_f64(double *grid, long rows, long cols, long r0, long r1, long c0, long c1, double value);

/* ---- vector rows ------------------------------------------------------------------------- */

/* The sweeps' vector code: GCC/Clang vector extensions of 64 bytes, 16 floats or 8 doubles (one
 * AVX-512 register, two AVX2 ones; the compiler splits them where registers are narrower). Every
 * operation acts lane by lane with the scalar operation's IEEE result, so vector code computes
 * the bits the scalar loops do. Loads and stores go through memcpy: any alignment, and one
 * instruction once optimized. */
enum { ST_LANES_F32 = 16, ST_LANES_F64 = 8 };
typedef float st_f32x16 __attribute__((vector_size(64)));
typedef double st_f64x8 __attribute__((vector_size(64)));
#define ST_LOAD(vector, address) (__extension__({ vector v_; memcpy(&v_, (address), sizeof v_); v_; }))
#define ST_STORE(address, value) do { __typeof__(value) v_ = (value); memcpy((address), &v_, sizeof v_); } while (0)

/* ST_WINDOW_F32(lo, hi, k): lanes k .. k+15 of the 32 lanes lo:hi, that is the row's values k
 * columns to the right of lo's first: a neighbour's vector shifted in registers, not reloaded.
 * With AVX-512 that is one `valignd`/`valignq` (GCC writes the generic shuffle as `vpermt2ps`,
 * which needs an index register and a copy of the operand it overwrites); k == lanes is hi
 * itself, since valign only keeps the low 4 (3) bits of its count. */
#if defined(__AVX512F__)
#include <immintrin.h>
#define ST_WINDOW_F32(lo, hi, k) ((k) == ST_LANES_F32 ? (hi) \
    : (st_f32x16)_mm512_alignr_epi32((__m512i)(hi), (__m512i)(lo), (k) % ST_LANES_F32))
#define ST_WINDOW_F64(lo, hi, k) ((k) == ST_LANES_F64 ? (hi) \
    : (st_f64x8)_mm512_alignr_epi64((__m512i)(hi), (__m512i)(lo), (k) % ST_LANES_F64))
#elif defined(__clang__) || (defined(__GNUC__) && __GNUC__ >= 12)
#define ST_WINDOW_F32(lo, hi, k) __builtin_shufflevector(lo, hi, (k), (k) + 1, (k) + 2, (k) + 3, (k) + 4, (k) + 5, \
    (k) + 6, (k) + 7, (k) + 8, (k) + 9, (k) + 10, (k) + 11, (k) + 12, (k) + 13, (k) + 14, (k) + 15)
#define ST_WINDOW_F64(lo, hi, k) __builtin_shufflevector(lo, hi, (k), (k) + 1, (k) + 2, (k) + 3, (k) + 4, (k) + 5, \
    (k) + 6, (k) + 7)
#else /* GCC before 12 */
typedef int st_i32x16 __attribute__((vector_size(64)));
typedef long long st_i64x8 __attribute__((vector_size(64)));
#define ST_WINDOW_F32(lo, hi, k) __builtin_shuffle(lo, hi, (st_i32x16){ (k), (k) + 1, (k) + 2, (k) + 3, (k) + 4, \
    (k) + 5, (k) + 6, (k) + 7, (k) + 8, (k) + 9, (k) + 10, (k) + 11, (k) + 12, (k) + 13, (k) + 14, (k) + 15 })
#define ST_WINDOW_F64(lo, hi, k) __builtin_shuffle(lo, hi, (st_i64x8){ (k), (k) + 1, (k) + 2, (k) + 3, (k) + 4, \
    (k) + 5, (k) + 6, (k) + 7 })
#endif

/* ST_STORE_LANES_F32(address, value, lo, hi): stores lanes [lo, hi) of the vector (clipped to its
 * lanes) at address .. address + 15 and leaves the others untouched, in memory and for any
 * thread writing them. ST_MASKED_STORES is 1 where that is one masked store (AVX-512), so that
 * the row code ends its rows with aligned strips stored under a mask; 0 elsewhere, where it keeps
 * its direct end strips (ST_STORE_LANES is then a plain copy of the lanes, correct but not used).
 * Measured on one core at N=256: 8 to 10% faster rows, as the two end strips of a row each cost
 * 3 to 4 times an aligned one (unaligned loads and a store across cache lines). */
static inline unsigned st_lane_mask(long lo, long hi, long lanes)
{
    if (lo < 0) lo = 0;
    if (hi > lanes) hi = lanes;
    return lo >= hi ? 0u : ((1u << hi) - 1u) & ~((1u << lo) - 1u);
}
#if defined(__AVX512F__)
#define ST_MASKED_STORES 1
#define ST_STORE_LANES_F32(address, value, lo, hi) \
    _mm512_mask_storeu_ps((address), (__mmask16)st_lane_mask((lo), (hi), ST_LANES_F32), (__m512)(value))
#define ST_STORE_LANES_F64(address, value, lo, hi) \
    _mm512_mask_storeu_pd((address), (__mmask8)st_lane_mask((lo), (hi), ST_LANES_F64), (__m512d)(value))
#else
#define ST_MASKED_STORES 0
#define ST_STORE_LANES_(address, value, lo, hi, lanes) do { __typeof__(value) v_ = (value); \
    const long lo_ = (lo) < 0 ? 0 : (lo), hi_ = (hi) > (lanes) ? (lanes) : (hi); \
    if (lo_ < hi_) memcpy((address) + lo_, (const char *)&v_ + lo_ * sizeof *(address), (size_t)(hi_ - lo_) * sizeof *(address)); \
    } while (0)
#define ST_STORE_LANES_F32(address, value, lo, hi) ST_STORE_LANES_((address), (value), (lo), (hi), ST_LANES_F32)
#define ST_STORE_LANES_F64(address, value, lo, hi) ST_STORE_LANES_((address), (value), (lo), (hi), ST_LANES_F64)
#endif

/* ST_MUL_F32(a, b), ST_MUL_F64(a, b): the product a * b, lane by lane, where a or b is a vector
 * and the other a vector or a scalar (which stands for every lane), computed as the fused
 * multiply-add a * b + (-0). That is the multiply's result bit for bit: the exact product is
 * rounded once, as the multiply rounds it, and -0 is the addend that changes no value, signed
 * zeros included (+0 + -0 = +0). Why not `*`: on x86 cores a multiply whose result underflows to
 * a subnormal number takes a microcode assist, measured on this project's AMD Zen 5 machine at
 * about 10 cycles per instruction (a Jacobi strip took 4.0 ns instead of 1.0), and the fused
 * multiply-add does not. From a zero interior, the values at the front of a Jacobi solve's
 * spreading heat underflow for thousands of sweeps: at N=1024 that cost a quarter of the time of
 * the first 2000 sweeps. The -0 passes through an empty asm, so that no compiler folds the
 * fma back into a multiply (clang does). Without FMA instructions it is the plain multiply. */
/* ST_VECTOR_F32(x): x as a vector: a vector stays itself, a scalar stands for every lane. x + -0 is x
 * exactly (signed zeros included), and compilers drop the addition. Macros, not functions: a
 * function taking 64-byte vectors by value draws ABI warnings where AVX-512 is off. */
#define ST_VECTOR_F32(x) ((x) + -(st_f32x16){ 0 })
#define ST_VECTOR_F64(x) ((x) + -(st_f64x8){ 0 })
#if defined(__AVX512F__)
#define ST_MUL_F32(a, b) (__extension__({ __m512 minus_zero_ = _mm512_set1_ps(-0.0f); \
    __asm__("" : "+v"(minus_zero_)); \
    (st_f32x16)_mm512_fmadd_ps((__m512)ST_VECTOR_F32(a), (__m512)ST_VECTOR_F32(b), minus_zero_); }))
#define ST_MUL_F64(a, b) (__extension__({ __m512d minus_zero_ = _mm512_set1_pd(-0.0); \
    __asm__("" : "+v"(minus_zero_)); \
    (st_f64x8)_mm512_fmadd_pd((__m512d)ST_VECTOR_F64(a), (__m512d)ST_VECTOR_F64(b), minus_zero_); }))
#elif defined(__FMA__) && defined(__AVX__)
#include <immintrin.h>
/* Two 256-bit halves. */
#define ST_MUL_F32(a, b) (__extension__({ __m256 minus_zero_ = _mm256_set1_ps(-0.0f), x_[2], y_[2]; \
    __asm__("" : "+x"(minus_zero_)); \
    st_f32x16 a_ = ST_VECTOR_F32(a), b_ = ST_VECTOR_F32(b); \
    memcpy(x_, &a_, sizeof x_); memcpy(y_, &b_, sizeof y_); \
    x_[0] = _mm256_fmadd_ps(x_[0], y_[0], minus_zero_); x_[1] = _mm256_fmadd_ps(x_[1], y_[1], minus_zero_); \
    memcpy(&a_, x_, sizeof x_); a_; }))
#define ST_MUL_F64(a, b) (__extension__({ __m256d minus_zero_ = _mm256_set1_pd(-0.0), x_[2], y_[2]; \
    __asm__("" : "+x"(minus_zero_)); \
    st_f64x8 a_ = ST_VECTOR_F64(a), b_ = ST_VECTOR_F64(b); \
    memcpy(x_, &a_, sizeof x_); memcpy(y_, &b_, sizeof y_); \
    x_[0] = _mm256_fmadd_pd(x_[0], y_[0], minus_zero_); x_[1] = _mm256_fmadd_pd(x_[1], y_[1], minus_zero_); \
    memcpy(&a_, x_, sizeof x_); a_; }))
#else
#define ST_MUL_F32(a, b) (ST_VECTOR_F32(a) * ST_VECTOR_F32(b))
#define ST_MUL_F64(a, b) (ST_VECTOR_F64(a) * ST_VECTOR_F64(b))
#endif

/* The columns [*start, *stop) of one row that a sweep covers with aligned strips of `lanes`
 * elements: each strip starts at a multiple of `lanes` elements from the grid's (64-byte
 * aligned) start, and the strips one to the left and one to the right stay inside the row, so
 * their vectors can be loaded whole. *start == *stop == col_end when no strip fits. Inline: it
 * runs once per row, and `lanes` is a constant there, so the divisions become shifts. */
static inline void st_aligned_strips(long row, long cols, long col_begin, long col_end, long lanes, long *start, long *stop)
{
    long first = col_begin > lanes ? col_begin : lanes;
    first += (lanes - (row * cols + first) % lanes) % lanes;
    const long limit = col_end < cols - lanes ? col_end : cols - lanes;
    if (first + lanes > limit) {
        *start = *stop = col_end;
        return;
    }
    *start = first;
    *stop = first + (limit - first) / lanes * lanes;
}

/* ---- temporal blocking -------------------------------------------------------------------- */

enum { ST_TEMPORAL_AUTO = 0, ST_TEMPORAL_ON = 1, ST_TEMPORAL_OFF = 2 };

/* How the sweeps between two convergence checks are blocked in time (depth 0: not at all, one
 * whole sweep after the other), in one of two ways:
 *   tiles (bands 0): row tiles of `tile_rows` rows advance up to `depth` sweeps at a time, each
 *     sweep shifted up by the halo, so a tile stays in cache: for grids larger than the cache.
 *   bands (bands 1): each thread of the team advances its own band of rows `depth` sweeps with
 *     no barrier in between, recomputing the few rows it needs from its neighbours' bands
 *     (overlapped tiling), in skewed tiles of `tile_rows` rows that stay in its own cache: for
 *     grids that fit in the last-level cache, where barriers and that cache's bandwidth cost
 *     more than main memory does.
 * `reason` says why, for the summary. */
typedef struct {
    long tile_rows;
    long depth;
    int bands;
    const char *reason;
} st_temporal;

/* Plans temporal blocking for `arrays` grids of rows x cols elements and a stencil of halo
 * `halo`, swept by a team of `band_threads` threads that can work in bands (1 where the code has
 * no band sweeps: the serial target, schedules other than plain static). In auto mode: bands
 * when the grids and two more (the bands' scratch) fit in half the last-level cache, in tiles
 * sized to each thread's own cache; tiles when the grids take more than 2/3 of it; otherwise
 * nothing. For experiments, STENCIL_TEMPORAL=on|off in the environment overrides the mode,
 * STENCIL_TEMPORAL_KIND=bands|tiles the kind, and STENCIL_TEMPORAL_TILE_ROWS /
 * STENCIL_TEMPORAL_DEPTH the tile height and depth. */
st_temporal st_plan_temporal(long rows, long cols, size_t elem_size, int halo, int arrays, int band_threads, int mode);

/* How many row tiles cover rows [halo, rows - halo) when each advances `depth` sweeps. */
long st_temporal_tiles(const st_temporal *plan, long rows, int halo, long depth);

/* The rows [*begin, *end) of `tile` at sweep `step` of a block: the tile's rows shifted up by
 * `halo` per step, clipped to the updated rows; the first tile starts at the top and the last
 * ends at the bottom at every step, so the tiles of one step cover every updated row once. */
void st_temporal_rows(const st_temporal *plan, long rows, int halo, long tiles, long tile, long step,
                      long *begin, long *end);

/* The band of updated rows [*begin, *end) that thread `thread` of a team of `team` owns: rows
 * [halo, rows - halo) cut into `team` contiguous bands as even as can be, in thread order. */
void st_band_rows(long rows, int halo, int team, int thread, long *begin, long *end);

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

/* What a run reports. `norm` is "maxdiff" or "l2diff" for `until` programs, NULL for `steps`. */
typedef struct {
    const char *stencil;
    const char *target;
    const char *dtype;          /* "float32" or "float64" */
    long rows, cols;
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
    st_temporal temporal;       /* temporal blocking used (depth 0: none) */
} st_summary;

/* Prints the summary: a few human lines, or one JSON object when options->json. */
void st_print_summary(const st_summary *summary, const st_options *options);

#ifdef __cplusplus
}
#endif

#endif /* STENCIL_RUNTIME_H */
