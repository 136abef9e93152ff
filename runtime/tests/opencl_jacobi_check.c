/* opencl_jacobi_check.c: a hand-written OpenCL Jacobi on stencil_opencl.*, checked against a
 * serial C Jacobi with the same evaluation order. It is the design that `--target opencl`
 * emits, written out by hand: a 2-D NDRange over the interior only (global id + halo, no
 * division or modulo per point), the global size rounded up to whole work-groups and a bounds
 * check, ping-pong buffers swapped by kernel argument, and on check iterations a kernel variant
 * that reduces the norm in local memory to one partial per work-group, then a one-work-group
 * pass that reduces the partials, so that one scalar comes back; the field comes back once.
 *
 * Build (float32; add -DCHECK_F64 for float64):
 *   cc -std=c11 -O2 -ffp-contract=off -Wall -Wextra -Werror -Iruntime \
 *      runtime/tests/opencl_jacobi_check.c runtime/stencil_opencl.c runtime/stencil_runtime.c \
 *      -lOpenCL -lm -o opencl_jacobi_check
 * Run: ./opencl_jacobi_check [--param N=514] [--param STEPS=0] [--param L2=1] [--device 0]
 * Exit status 0 when the grids agree bitwise and the iteration counts are equal (the residuals
 * are compared too: exactly for maxdiff; l2diff sums in another order, so within rounding).
 * Sets params CONTRACT=1 (leave OpenCL's default FP_CONTRACT ON) and WEIGHTED=1 (a stencil with
 * products, where contraction into fma changes results) show why the pragma is there.
 */
#include "stencil_opencl.h"
#include "stencil_runtime.h"

#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifdef CHECK_F64
typedef double real;
#define REAL_NAME "double"
#define DTYPE "float64"
#define LITERAL_MACRO "#define L(x) x\n"
#define FILL st_fill_f64
#else
typedef float real;
#define REAL_NAME "float"
#define DTYPE "float32"
#define LITERAL_MACRO "#define L(x) x##f\n"
#define FILL st_fill_f32
#endif

/* The kernels. REAL, L() and UPDATE come from a prelude the host writes in front, as the
 * emitter writes the type and the update expression in. */
static const char *kernel_body =
    "/* One Jacobi sweep over the interior: work-item (x, y) updates point (y + 1, x + 1). */\n"
    "__kernel void sweep(__global const REAL *restrict u, __global REAL *restrict u_next,\n"
    "                    const int rows, const int cols)\n"
    "{\n"
    "    const int j = (int)get_global_id(0) + 1;\n"
    "    const int i = (int)get_global_id(1) + 1;\n"
    "    if (i >= rows - 1 || j >= cols - 1) return;   /* the rounded-up part of the NDRange */\n"
    "    const long c = (long)i * cols + j;\n"
    "    u_next[c] = UPDATE;\n"
    "}\n"
    "\n"
    "/* Folds the n values of scratch into scratch[0] in two stages: 32 lanes each fold a strided\n"
    " * share, then lane 0 folds the 32. Two barriers whatever n is: a log2(n)-step tree costs\n"
    " * PoCL a barrier per step (4x slower there), and on a GPU the two stages are a few dozen\n"
    " * local-memory reads, small against the sweep. Every work-item must call it. */\n"
    "#define FOLD_LANES 32\n"
    "#define FOLD(COMBINE, scratch, lid, n)                                               \\\n"
    "    barrier(CLK_LOCAL_MEM_FENCE);                                                    \\\n"
    "    if (lid < FOLD_LANES) {                                                          \\\n"
    "        REAL acc_ = scratch[lid];                                                     \\\n"
    "        for (int k_ = lid + FOLD_LANES; k_ < n; k_ += FOLD_LANES) acc_ = COMBINE(acc_, scratch[k_]); \\\n"
    "        scratch[lid] = acc_;                                                         \\\n"
    "    }                                                                                \\\n"
    "    barrier(CLK_LOCAL_MEM_FENCE);                                                    \\\n"
    "    if (lid == 0)                                                                    \\\n"
    "        for (int k_ = 1; k_ < FOLD_LANES && k_ < n; ++k_) scratch[0] = COMBINE(scratch[0], scratch[k_]);\n"
    "\n"
    "/* The same sweep, also reducing the change to one partial per work-group. */\n"
    "#define SWEEP_NORM(NAME, DIFF, COMBINE)                                              \\\n"
    "__kernel void NAME(__global const REAL *restrict u, __global REAL *restrict u_next,   \\\n"
    "                   const int rows, const int cols, __global REAL *restrict partial,    \\\n"
    "                   __local REAL *scratch)                                             \\\n"
    "{                                                                                     \\\n"
    "    const int j = (int)get_global_id(0) + 1;                                          \\\n"
    "    const int i = (int)get_global_id(1) + 1;                                          \\\n"
    "    const int lid = (int)(get_local_id(1) * get_local_size(0) + get_local_id(0));      \\\n"
    "    const int n = (int)(get_local_size(0) * get_local_size(1));                        \\\n"
    "    REAL d = L(0.0);                                                                  \\\n"
    "    if (i < rows - 1 && j < cols - 1) {                                               \\\n"
    "        const long c = (long)i * cols + j;                                            \\\n"
    "        const REAL next = UPDATE;                                                     \\\n"
    "        u_next[c] = next;                                                             \\\n"
    "        d = DIFF(next, u[c]);                                                         \\\n"
    "    }                                                                                 \\\n"
    "    scratch[lid] = d;                                                                 \\\n"
    "    FOLD(COMBINE, scratch, lid, n)                                                    \\\n"
    "    if (lid == 0) partial[get_group_id(1) * get_num_groups(0) + get_group_id(0)] = scratch[0]; \\\n"
    "}\n"
    "\n"
    "/* The final pass: one work-group reduces `count` partials to result[0]. */\n"
    "#define REDUCE(NAME, COMBINE)                                                        \\\n"
    "__kernel void NAME(__global const REAL *restrict partial, const int count,           \\\n"
    "                   __global REAL *restrict result, __local REAL *scratch)            \\\n"
    "{                                                                                    \\\n"
    "    const int lid = (int)get_local_id(0);                                            \\\n"
    "    const int n = (int)get_local_size(0);                                            \\\n"
    "    REAL acc = L(0.0);                                                               \\\n"
    "    for (int k = lid; k < count; k += n) acc = COMBINE(acc, partial[k]);             \\\n"
    "    scratch[lid] = acc;                                                              \\\n"
    "    FOLD(COMBINE, scratch, lid, n)                                                   \\\n"
    "    if (lid == 0) result[0] = scratch[0];                                            \\\n"
    "}\n"
    "\n"
    "#define ABS_DIFF(a, b) fabs((a) - (b))\n"
    "#define SQUARE_DIFF(a, b) (((a) - (b)) * ((a) - (b)))\n"
    "#define MAX(a, b) fmax((a), (b))\n"
    "#define SUM(a, b) ((a) + (b))\n"
    "SWEEP_NORM(sweep_maxdiff, ABS_DIFF, MAX)\n"
    "SWEEP_NORM(sweep_l2diff, SQUARE_DIFF, SUM)\n"
    "REDUCE(reduce_max, MAX)\n"
    "REDUCE(reduce_sum, SUM)\n";

/* The same updates on the host, in the same order. */
static real update_plain(const real *u, long c, long cols)
{
    return (u[c - cols] + u[c + cols] + u[c - 1] + u[c + 1]) / (real)4.0;
}
static real update_weighted(const real *u, long c, long cols)
{
    return (real)0.2 * u[c] + (real)0.2 * u[c - cols] + (real)0.2 * u[c + cols] +
           (real)0.2 * u[c - 1] + (real)0.2 * u[c + 1];
}
#define UPDATE_PLAIN "(u[c - cols] + u[c + cols] + u[c - 1] + u[c + 1]) / L(4.0)"
#define UPDATE_WEIGHTED \
    "L(0.2) * u[c] + L(0.2) * u[c - cols] + L(0.2) * u[c + cols] + L(0.2) * u[c - 1] + L(0.2) * u[c + 1]"

enum { P_N, P_COLS, P_WG_ROWS, P_WG_COLS, P_STEPS, P_EVERY, P_MAX, P_EPS, P_L2, P_WEIGHTED,
       P_CONTRACT, P_SERIAL, P_COUNT };

typedef struct {
    long rows, cols, steps, every, max;
    double eps;
    int l2, weighted;
} problem;

typedef struct { long iterations; int converged; double residual; double seconds; } outcome;

/* The paper's plate: top 100, left 75, right 50, bottom 0, interior 0 (boundary order as written). */
static void initial_grid(real *u, long rows, long cols)
{
    FILL(u, rows, cols, 0, rows, 0, cols, 0);
    FILL(u, rows, cols, 0, 1, 0, cols, 100);
    FILL(u, rows, cols, 0, rows, 0, 1, 75);
    FILL(u, rows, cols, 0, rows, cols - 1, cols, 50);
    FILL(u, rows, cols, rows - 1, rows, 0, cols, 0);
}

static outcome run_serial(const problem *p, real *u)
{
    real *v = st_alloc_grid(p->rows, p->cols, sizeof(real));
    memcpy(v, u, (size_t)p->rows * (size_t)p->cols * sizeof(real));
    real *cur = u, *next = v;
    outcome o = { 0, p->steps > 0, NAN, 0 };
    long total = p->steps > 0 ? p->steps : p->max;
    long every = p->steps > 0 ? total + 1 : p->every;
    double t0 = st_seconds();
    while (o.iterations < total) {
        int check = (o.iterations + 1) % every == 0;
        double norm = 0;
        for (long i = 1; i < p->rows - 1; ++i) {
            for (long j = 1; j < p->cols - 1; ++j) {
                long c = i * p->cols + j;
                real x = p->weighted ? update_weighted(cur, c, p->cols) : update_plain(cur, c, p->cols);
                next[c] = x;
                if (check) {
                    real d = x - cur[c];
                    if (p->l2) norm += (double)d * (double)d;
                    else if (fabs((double)d) > norm) norm = fabs((double)d);
                }
            }
        }
        real *t = cur; cur = next; next = t;
        o.iterations++;
        if (check) {
            o.residual = p->l2 ? sqrt(norm) : norm;
            if (o.residual < p->eps) { o.converged = 1; break; }
        }
    }
    o.seconds = st_seconds() - t0;
    if (cur != u) memcpy(u, cur, (size_t)p->rows * (size_t)p->cols * sizeof(real));
    st_free_grid(v);
    return o;
}

typedef struct { double init, build, upload, warmup, iterations, readback; } phases;

static outcome run_opencl(const problem *p, real *u, const char *device, stcl_workgroup wanted,
                          int contract, phases *ph, char *device_name, size_t name_size,
                          stcl_workgroup *used)
{
    double t = st_seconds();
    stcl_env env;
    stcl_init(&env, device);
#ifdef CHECK_F64
    stcl_require_fp64(&env, "opencl_jacobi_check (float64)");
#endif
    snprintf(device_name, name_size, "%s", stcl_device_description(&env));
    ph->init = st_seconds() - t;

    t = st_seconds();
    char *source = malloc(strlen(kernel_body) + 512);
    if (!source) st_fatal("out of memory");
    sprintf(source, "%s#pragma OPENCL FP_CONTRACT %s\n#define REAL %s\n%s#define UPDATE %s\n%s",
#ifdef CHECK_F64
            "#pragma OPENCL EXTENSION cl_khr_fp64 : enable\n",
#else
            "",
#endif
            contract ? "ON" : "OFF", REAL_NAME, LITERAL_MACRO,
            p->weighted ? UPDATE_WEIGHTED : UPDATE_PLAIN, kernel_body);
    cl_program program = stcl_build_program(&env, source, NULL);
    free(source);
    cl_kernel step = stcl_create_kernel(&env, program, "sweep");
    cl_kernel step_norm = stcl_create_kernel(&env, program, p->l2 ? "sweep_l2diff" : "sweep_maxdiff");
    cl_kernel reduce = stcl_create_kernel(&env, program, p->l2 ? "reduce_sum" : "reduce_max");
    ph->build = st_seconds() - t;

    long rows = p->rows - 2, cols = p->cols - 2;   /* the interior: the NDRange */
    cl_kernel sweeps[2] = { step, step_norm };
    stcl_workgroup wg = wanted;
    if (wg.rows == 0 || wg.cols == 0) wg = stcl_default_workgroup(&env, sweeps, 2, rows, cols);
    else stcl_check_workgroup(&env, sweeps, 2, wg, sizeof(real), "--param WG_ROWS/WG_COLS");
    *used = wg;
    size_t groups = stcl_group_count(rows, cols, wg);
    size_t reduce_size = stcl_reduction_size(&env, reduce);

    t = st_seconds();
    size_t bytes = (size_t)p->rows * (size_t)p->cols * sizeof(real);
    cl_mem buffers[2] = { stcl_create_buffer(&env, bytes, u), stcl_create_buffer(&env, bytes, u) };
    cl_mem partial = stcl_create_buffer(&env, groups * sizeof(real), NULL);
    cl_mem result = stcl_create_buffer(&env, sizeof(real), NULL);
    stcl_finish(&env);
    ph->upload = st_seconds() - t;

    int n_rows = (int)p->rows, n_cols = (int)p->cols, n_groups = (int)groups;
    STCL_ARG(step, 2, n_rows);
    STCL_ARG(step, 3, n_cols);
    STCL_ARG(step_norm, 2, n_rows);
    STCL_ARG(step_norm, 3, n_cols);
    STCL_ARG(step_norm, 4, partial);
    STCL_LOCAL_ARG(step_norm, 5, wg.rows * wg.cols * sizeof(real));
    STCL_ARG(reduce, 0, partial);
    STCL_ARG(reduce, 1, n_groups);
    STCL_ARG(reduce, 2, result);
    STCL_LOCAL_ARG(reduce, 3, reduce_size * sizeof(real));

    /* Warm-up: drivers that compile per launch configuration (PoCL) do it at the first launch.
     * A sweep from buffer 0 into buffer 1 is repeated by the first real iteration, so running
     * each kernel once here changes nothing but keeps the compile out of the timing. */
    t = st_seconds();
    STCL_ARG(step, 0, buffers[0]);
    STCL_ARG(step, 1, buffers[1]);
    STCL_ARG(step_norm, 0, buffers[0]);
    STCL_ARG(step_norm, 1, buffers[1]);
    stcl_enqueue_2d(&env, step, "sweep (warm-up)", rows, cols, wg);
    if (p->steps == 0) {
        stcl_enqueue_2d(&env, step_norm, "sweep_norm (warm-up)", rows, cols, wg);
        stcl_enqueue_1d(&env, reduce, "reduce (warm-up)", reduce_size, reduce_size);
    }
    stcl_finish(&env);
    ph->warmup = st_seconds() - t;

    outcome o = { 0, p->steps > 0, NAN, 0 };
    long total = p->steps > 0 ? p->steps : p->max;
    long every = p->steps > 0 ? total + 1 : p->every;
    int current = 0;
    double t0 = st_seconds();
    while (o.iterations < total) {
        int check = (o.iterations + 1) % every == 0;
        cl_kernel k = check ? step_norm : step;
        STCL_ARG(k, 0, buffers[current]);
        STCL_ARG(k, 1, buffers[1 - current]);
        stcl_enqueue_2d(&env, k, check ? "sweep_norm" : "sweep", rows, cols, wg);
        current = 1 - current;
        o.iterations++;
        if (check) {
            stcl_enqueue_1d(&env, reduce, "reduce", reduce_size, reduce_size);
            real norm;
            stcl_read(&env, result, sizeof norm, &norm);
            o.residual = p->l2 ? sqrt((double)norm) : (double)norm;
            if (o.residual < p->eps) { o.converged = 1; break; }
        }
    }
    stcl_finish(&env);
    o.seconds = st_seconds() - t0;
    ph->iterations = o.seconds;

    t = st_seconds();
    stcl_read(&env, buffers[current], bytes, u);
    ph->readback = st_seconds() - t;
    stcl_release(&env);
    return o;
}

/* Distance in units in the last place between two finite values of the same sign. */
static long long ulp_distance(real a, real b)
{
#ifdef CHECK_F64
    int64_t x, y;
#else
    int32_t x, y;
#endif
    memcpy(&x, &a, sizeof a);
    memcpy(&y, &b, sizeof b);
    if ((x < 0) != (y < 0)) return a == b ? 0 : LLONG_MAX;
    long long d = (long long)x - (long long)y;
    return d < 0 ? -d : d;
}

int main(int argc, char **argv)
{
    st_param params[P_COUNT] = {
        [P_N] = { "N", ST_INTEGER, 258 },       [P_COLS] = { "COLS", ST_INTEGER, 0 },
        [P_WG_ROWS] = { "WG_ROWS", ST_INTEGER, 0 }, [P_WG_COLS] = { "WG_COLS", ST_INTEGER, 0 },
        [P_STEPS] = { "STEPS", ST_INTEGER, 0 }, [P_EVERY] = { "EVERY", ST_INTEGER, 1000 },
        [P_MAX] = { "MAX", ST_INTEGER, 200000 }, [P_EPS] = { "EPS", ST_REAL, 1e-4 },
        [P_L2] = { "L2", ST_INTEGER, 0 },       [P_WEIGHTED] = { "WEIGHTED", ST_INTEGER, 0 },
        [P_CONTRACT] = { "CONTRACT", ST_INTEGER, 0 }, [P_SERIAL] = { "SERIAL", ST_INTEGER, 1 },
    };
    st_options options;
    st_parse_args(argc, argv, params, P_COUNT, &options);
    problem p = {
        .rows = (long)params[P_N].value,
        .cols = params[P_COLS].value > 0 ? (long)params[P_COLS].value : (long)params[P_N].value,
        .steps = (long)params[P_STEPS].value, .every = (long)params[P_EVERY].value,
        .max = (long)params[P_MAX].value, .eps = params[P_EPS].value,
        .l2 = params[P_L2].value != 0, .weighted = params[P_WEIGHTED].value != 0,
    };
    st_check_grid("u", p.rows, p.cols, 1);
    st_check_positive("EVERY", p.every);
    st_check_positive("MAX", p.max);
    stcl_workgroup wanted = { .rows = (size_t)params[P_WG_ROWS].value, .cols = (size_t)params[P_WG_COLS].value };
    int run_reference = params[P_SERIAL].value != 0;

    size_t count = (size_t)p.rows * (size_t)p.cols;
    real *reference = st_alloc_grid(p.rows, p.cols, sizeof(real));
    real *device = st_alloc_grid(p.rows, p.cols, sizeof(real));
    initial_grid(reference, p.rows, p.cols);
    memcpy(device, reference, count * sizeof(real));

    phases ph;
    char device_name[700];
    stcl_workgroup used;
    outcome cl = run_opencl(&p, device, options.device, wanted, params[P_CONTRACT].value != 0, &ph,
                            device_name, sizeof device_name, &used);
    double updates = (double)(p.rows - 2) * (double)(p.cols - 2);
    printf("%s %ld x %ld, %s, %s%s, work-group %zu x %zu on %s\n", DTYPE, p.rows, p.cols,
           p.steps ? "steps" : (p.l2 ? "until l2diff" : "until maxdiff"),
           p.weighted ? "weighted 5-point" : "5-point average", params[P_CONTRACT].value != 0 ? ", FP_CONTRACT ON" : "",
           used.rows, used.cols, device_name);
    printf("  opencl  %8ld iterations%s, residual %.9g, %.4f s, %.1f MLUP/s\n", cl.iterations,
           cl.converged ? "" : " (not converged)", cl.residual, cl.seconds,
           cl.seconds > 0 ? updates * (double)cl.iterations / cl.seconds / 1e6 : 0.0);
    printf("          init %.3f s, build %.3f s, upload %.3f s, warm-up %.3f s, iterations %.3f s, read back %.3f s\n",
           ph.init, ph.build, ph.upload, ph.warmup, ph.iterations, ph.readback);
    if (!run_reference) return 0;

    outcome serial = run_serial(&p, reference);
    printf("  serial  %8ld iterations%s, residual %.9g, %.4f s, %.1f MLUP/s\n", serial.iterations,
           serial.converged ? "" : " (not converged)", serial.residual, serial.seconds,
           serial.seconds > 0 ? updates * (double)serial.iterations / serial.seconds / 1e6 : 0.0);

    size_t differing = 0, subnormal = 0;
    long long worst_ulps = 0;
    double worst_abs = 0;
    for (size_t k = 0; k < count; ++k) {
        if (fpclassify(reference[k]) == FP_SUBNORMAL) subnormal++;
        if (memcmp(&reference[k], &device[k], sizeof(real)) == 0) continue;
        differing++;
        long long ulps = ulp_distance(reference[k], device[k]);
        if (ulps > worst_ulps) worst_ulps = ulps;
        double d = fabs((double)reference[k] - (double)device[k]);
        if (d > worst_abs) worst_abs = d;
    }
    double residual_gap = fabs(cl.residual - serial.residual);
    printf("  compare: %zu of %zu points differ (worst %lld ulp, %.3g absolute); residual gap %.3g; "
           "%zu subnormal values in the serial grid\n", differing, count, worst_ulps, worst_abs,
           residual_gap, subnormal);
    int ok = differing == 0 && cl.iterations == serial.iterations && cl.converged == serial.converged;
    if (!p.l2 && !(cl.residual == serial.residual || (isnan(cl.residual) && isnan(serial.residual)))) ok = 0;
    printf("  %s\n", ok ? "OK: bitwise equal grids, equal iteration counts" : "DIFFERENT");
    st_free_grid(reference);
    st_free_grid(device);
    return ok ? 0 : 2;
}
