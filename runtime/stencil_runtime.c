/* stencil_runtime.c: see stencil_runtime.h. Plain C11 plus POSIX (clock_gettime, rename). */
#define _POSIX_C_SOURCE 200809L

#include "stencil_runtime.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* ---- errors ----------------------------------------------------------------------------- */

static const char *program_name = "stencil";

void st_set_program_name(const char *name) { if (name && *name) program_name = name; }
const char *st_program_name(void) { return program_name; }

void st_fatal(const char *format, ...)
{
    va_list args;
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
    printf("usage: %s [--param NAME=VALUE]... [--output FILE.npy] [--max-iterations K] [--json] [--quiet]\n", program_name);
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
        if (*text == '\0' || *end != '\0' || errno == ERANGE || !isfinite(value))
            st_fatal("param %s: '%s' is not a number", params[k].name, text);
        if (params[k].kind == ST_INTEGER && (value != floor(value) || fabs(value) > 9.0e15))
            st_fatal("param %s is an integer; '%s' is not", params[k].name, text);
        params[k].value = value;
        return;
    }
    fprintf(stderr, "%s: error: unknown param '%.*s'", program_name, (int)name_length, assignment);
    if (count > 0) {
        fprintf(stderr, " (params:");
        for (int k = 0; k < count; ++k) fprintf(stderr, " %s", params[k].name);
        fprintf(stderr, ")");
    }
    fputc('\n', stderr);
    exit(1);
}

void st_parse_args(int argc, char **argv, st_param *params, int param_count, st_options *options)
{
    memset(options, 0, sizeof *options);
    if (argc > 0 && argv[0]) {
        const char *slash = strrchr(argv[0], '/');
        st_set_program_name(slash ? slash + 1 : argv[0]);
    }
    for (int a = 1; a < argc; ++a) {
        const char *arg = argv[a];
        const char *value = NULL;
        /* Options that take a value accept both "--opt VALUE" and "--opt=VALUE". */
        const char *valued[] = { "--param", "--output", "--image", "--device", "--max-iterations" };
        int matched = -1;
        for (int k = 0; k < 5; ++k) {
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
        case 1: options->output_path = value; continue;
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

void st_check_positive(const char *what, long value)
{
    if (value < 1) st_fatal("%s must be at least 1, got %ld", what, value);
}

/* ---- grids ------------------------------------------------------------------------------- */

void *st_alloc_grid(long rows, long cols, size_t elem_size)
{
    size_t bytes = (size_t)rows * (size_t)cols * elem_size;
    size_t rounded = (bytes + 63) / 64 * 64;
    void *grid = aligned_alloc(64, rounded ? rounded : 64);
    if (!grid) st_fatal("out of memory allocating a %ld x %ld grid (%zu bytes)", rows, cols, bytes);
    memset(grid, 0, rounded);
    return grid;
}

void st_free_grid(void *grid) { free(grid); }

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

/* ---- temporal blocking -------------------------------------------------------------------- */

/* The last-level cache of one CPU in bytes: the highest level under /sys (what lscpu shows;
 * sysconf reports the whole package's L3 in some VMs), else sysconf, else 8 MiB. */
static double llc_bytes(void)
{
    double best = 0;
    int best_level = 0;
    for (int index = 0; index < 8; ++index) {
        char path[96];
        int level = 0;
        char size[32] = "";
        snprintf(path, sizeof path, "/sys/devices/system/cpu/cpu0/cache/index%d/level", index);
        FILE *file = fopen(path, "r");
        if (!file) continue;
        if (fscanf(file, "%d", &level) != 1) level = 0;
        fclose(file);
        snprintf(path, sizeof path, "/sys/devices/system/cpu/cpu0/cache/index%d/size", index);
        file = fopen(path, "r");
        if (!file) continue;
        if (fscanf(file, "%31s", size) != 1) size[0] = '\0';
        fclose(file);
        char *unit = NULL;
        double bytes = strtod(size, &unit);
        if (unit && (*unit == 'K' || *unit == 'k')) bytes *= 1024;
        else if (unit && (*unit == 'M' || *unit == 'm')) bytes *= 1024 * 1024;
        if (level > best_level && bytes > 0) { best_level = level; best = bytes; }
    }
    if (best > 0) return best;
    long size = -1;
#ifdef _SC_LEVEL3_CACHE_SIZE
    size = sysconf(_SC_LEVEL3_CACHE_SIZE);
#endif
    return size > 0 ? (double)size : 8.0 * 1024 * 1024;
}

st_temporal st_plan_temporal(long rows, long cols, size_t elem_size, int halo, int arrays, int mode)
{
    st_temporal plan = { 0, 0, "" };
    const char *environment = getenv("STENCIL_TEMPORAL");
    if (environment && strcmp(environment, "on") == 0) mode = ST_TEMPORAL_ON;
    if (environment && strcmp(environment, "off") == 0) mode = ST_TEMPORAL_OFF;
    if (mode == ST_TEMPORAL_OFF) { plan.reason = "off (schedule)"; return plan; }
    if (halo < 1) { plan.reason = "off (no neighbours read)"; return plan; }
    const double cache = llc_bytes();
    const double row_bytes = (double)cols * (double)elem_size * arrays;
    if (mode == ST_TEMPORAL_AUTO && row_bytes * (double)rows <= cache) {
        plan.reason = "off (the grids fit in the last-level cache)";
        return plan;
    }
    /* A tile of B rows advancing D sweeps touches about B + (D + 2) * halo rows of each grid;
     * keep that within half the cache, split evenly between tile height and depth. */
    long fit = (long)(cache / 2 / row_bytes);
    long tile_rows = fit / 2, depth = fit / 2 / halo;
    if (depth > 64) depth = 64;
    if ((tile_rows < 4 * halo || depth < 2) && mode == ST_TEMPORAL_AUTO) {
        plan.reason = "off (rows too long for the cache)";
        return plan;
    }
    if (tile_rows < halo) tile_rows = halo;
    if (depth < 2) depth = 2;
    /* Tuning knobs for experiments and tests. */
    const char *rows_knob = getenv("STENCIL_TEMPORAL_TILE_ROWS"), *depth_knob = getenv("STENCIL_TEMPORAL_DEPTH");
    if (rows_knob && atol(rows_knob) >= halo) tile_rows = atol(rows_knob);
    if (depth_knob && atol(depth_knob) >= 2) depth = atol(depth_knob);
    plan.tile_rows = tile_rows;
    plan.depth = depth;
    plan.reason = "on";
    return plan;
}

long st_temporal_tiles(const st_temporal *plan, long rows, int halo, long depth)
{
    return (rows - 2L * halo + (depth - 1) * halo) / plan->tile_rows + 1;
}

void st_temporal_rows(const st_temporal *plan, long rows, int halo, long tiles, long tile, long step,
                      long *begin, long *end)
{
    long first = halo + tile * plan->tile_rows - step * halo;
    long last = first + plan->tile_rows;
    const long top = halo, bottom = rows - halo;
    *begin = tile == 0 || first < top ? top : first > bottom ? bottom : first;
    *end = tile == tiles - 1 || last > bottom ? bottom : last < top ? top : last;
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

void st_write_npy(const char *path, const void *data, long rows, long cols, long stride,
                  size_t elem_size)
{
    /* NPY format 1.0: magic, version, little-endian header length, then a Python dict literal
     * padded with spaces to a multiple of 64 bytes and ended by a newline. */
    char header[256];
    int dict = snprintf(header, sizeof header,
                        "{'descr': '<f%zu', 'fortran_order': False, 'shape': (%ld, %ld), }",
                        elem_size, rows, cols);
    size_t total = 10 + (size_t)dict + 1;
    size_t padded = (total + 63) / 64 * 64;
    memset(header + dict, ' ', padded - total);
    header[padded - 10 - 1] = '\n';
    unsigned short header_length = (unsigned short)(padded - 10);

    size_t path_length = strlen(path);
    char *temporary = malloc(path_length + 32);
    if (!temporary) st_fatal("out of memory");
    snprintf(temporary, path_length + 32, "%s.tmp.%ld", path, (long)getpid());

    FILE *file = fopen(temporary, "wb");
    if (!file) st_fatal("cannot write '%s': %s", path, strerror(errno));
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
    if (!ok || rename(temporary, path) != 0) {
        if (ok) saved = errno;
        remove(temporary);
        free(temporary);
        st_fatal("cannot write '%s': %s", path, strerror(saved));
    }
    free(temporary);
}

/* Prints a double as JSON: numbers with full precision, null for NaN or infinities. */
static void json_number(double value)
{
    if (isfinite(value)) printf("%.17g", value);
    else printf("null");
}

static void json_string(const char *text)
{
    putchar('"');
    for (const unsigned char *c = (const unsigned char *)(text ? text : ""); *c; ++c) {
        if (*c == '"' || *c == '\\') printf("\\%c", *c);
        else if (*c < 0x20) printf("\\u%04x", *c);
        else putchar(*c);
    }
    putchar('"');
}

void st_print_summary(const st_summary *s, const st_options *options)
{
    double updates = (double)s->iterations * (double)s->points_per_iteration;
    double mlups = s->seconds > 0 ? updates / s->seconds / 1e6 : 0.0;
    if (options && options->json) {
        printf("{\"stencil\": "); json_string(s->stencil);
        printf(", \"target\": "); json_string(s->target);
        printf(", \"dtype\": "); json_string(s->dtype);
        printf(", \"rows\": %ld, \"cols\": %ld", s->rows, s->cols);
        printf(", \"iterations\": %ld, \"max_iterations\": %ld", s->iterations, s->max_iterations);
        printf(", \"converged\": %s", s->converged ? "true" : "false");
        printf(", \"norm\": ");
        if (s->norm) json_string(s->norm); else printf("null");
        printf(", \"residual\": "); json_number(s->residual);
        printf(", \"tolerance\": "); json_number(s->tolerance);
        printf(", \"seconds\": "); json_number(s->seconds);
        printf(", \"mlups\": "); json_number(mlups);
        printf(", \"threads\": %d, \"ranks\": %d", s->threads, s->ranks);
        printf(", \"schedule\": "); json_string(s->schedule);
        printf(", \"decomposition\": "); json_string(s->decomposition);
        printf(", \"device\": "); json_string(s->device);
        printf(", \"temporal\": {\"depth\": %ld, \"tile_rows\": %ld, \"reason\": ", s->temporal.depth, s->temporal.tile_rows);
        json_string(s->temporal.reason);
        printf("}}\n");
        fflush(stdout);
        return;
    }
    printf("%s: %ld x %ld %s, target %s", s->stencil, s->rows, s->cols, s->dtype, s->target);
    if (s->ranks > 1 || (s->decomposition && *s->decomposition))
        printf(", %d rank%s", s->ranks, s->ranks == 1 ? "" : "s");
    if (s->decomposition && *s->decomposition) printf(" (%s)", s->decomposition);
    printf(", %d thread%s", s->threads, s->threads == 1 ? "" : "s");
    if (s->device && *s->device) printf(", device %s", s->device);
    printf("\n");
    if (s->norm) {
        printf("  iterations  %ld (%s)\n", s->iterations,
               s->converged ? "converged" : "NOT converged: hit the iteration cap");
        printf("  residual    %.6g (%s < %g)\n", s->residual, s->norm, s->tolerance);
    } else {
        printf("  iterations  %ld (fixed steps)\n", s->iterations);
    }
    if (s->temporal.depth > 0)
        printf("  blocking    up to %ld sweeps per pass over tiles of %ld rows (temporal blocking)\n",
               s->temporal.depth, s->temporal.tile_rows);
    printf("  time        %.4f s\n", s->seconds);
    printf("  speed       %.1f MLUP/s\n", mlups);
    fflush(stdout);
}
