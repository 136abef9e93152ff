/* sweeps_check.c: the run-time plan's drivers (stencil_sweeps.c) on their own. A 9-point update
 * with halo `h` (1 or 2) runs K sweeps under every plan kind, depths and tile heights (and column
 * tile widths) that do and do not divide the rows and the sweeps, 1 to 4 threads (bands' scratch
 * grids hold only the rows each thread's band needs), and must give the bits of K whole sweeps
 * done by a plain loop here; plan text that is not a plan must be
 * refused (the Swift tests run it); the plan's words name a 3-D grid's rows planes.
 *
 *   gcc -std=c11 -O2 -fopenmp -I runtime runtime/tests/sweeps_check.c runtime/stencil_runtime.c \
 *       runtime/stencil_sweeps.c -lm -o sweeps_check && ./sweeps_check
 * Prints "N passed, 0 failed" and exits 0 when every case agrees. */
#include "stencil_runtime.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#ifdef _OPENMP
#include <omp.h>
#endif

typedef struct { long cols; int h; } args_t;

static void update(const args_t *a, long r0, long r1, long c0, long c1, const float *in, float *out)
{
    const long n = a->cols;
    const int h = a->h;
    for (long i = r0; i < r1; ++i)
        for (long j = c0; j < c1; ++j)
            out[i * n + j] = (in[(i - h) * n + j] + in[(i + h) * n + j] + in[i * n + j - h] + in[i * n + j + h]
                              + in[(i - 1) * n + j - 1] + 0.5f * in[i * n + j]) / 5.5f;
}

static void alone(const void *args, long r0, long r1, long c0, long c1, const void *in, void *out)
{
    update(args, r0, r1, c0, c1, in, out);
}

/* The team's sweep: rows shared out, a barrier at the end, as the emitted `omp for` does. */
static void team(const void *args, long r0, long r1, long c0, long c1, const void *in, void *out)
{
#ifdef _OPENMP
    #pragma omp for schedule(static)
#endif
    for (long i = r0; i < r1; ++i) update(args, i, i + 1, c0, c1, in, out);
}

/* Column h on a line, as the programs allocate their grids (st_alloc_aligned_grid). */
static float *grid(long rows, long cols, int h)
{
    float *g = st_alloc_aligned_grid(rows, cols, sizeof(float), h);
    for (long i = 0; i < rows; ++i)
        for (long j = 0; j < cols; ++j)
            g[i * cols + j] = (i < 2 || j < 2) ? 100.0f + (float)j : (float)((i * 7 + j * 3) % 11);
    return g;
}

int main(void)
{
    int passed = 0, failed = 0;
    const long shapes[][2] = { { 23, 31 }, { 40, 17 }, { 9, 50 }, { 7, 20 } };
    const char *plans[] = { "sweeps", "tiles:2:3", "tiles:5:4", "tiles:64:16", "tiles:3:1", "bands:1:2", "bands:3:2",
                            "bands:4:5", "bands:7:1", "bands:9:40", "tiles:5:4:3", "tiles:3:2:1", "tiles:6:3:100",
                            "bands:3:2:4", "bands:7:5:1", "bands:5:40:7" };
    for (int h = 1; h <= 2; ++h) {
        for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; ++s) {
            const long rows = shapes[s][0], cols = shapes[s][1], sweeps = 13;
            args_t a = { cols, h };
            /* The reference: whole sweeps by a plain loop. */
            void *ref[2] = { grid(rows, cols, h), grid(rows, cols, h) };
            for (long k = 0; k < sweeps; ++k) update(&a, h, rows - h, h, cols - h, ref[k % 2], ref[(k + 1) % 2]);
            for (size_t p = 0; p < sizeof plans / sizeof plans[0]; ++p) {
                for (int threads = 1; threads <= 4; ++threads) {
                    const int bands = strncmp(plans[p], "bands", 5) == 0;
                    if (bands && (threads < 2 || rows - 2L * h < threads)) continue; /* a row for each thread */
                    st_sweeper sweeper = { team, alone, &a, rows, cols, h, sizeof(float), 2, cols };
                    const st_plan plan = st_choose_plan(&sweeper, threads, ST_TEMPORAL_AUTO, plans[p], "test");
                    void *buffer[2] = { grid(rows, cols, h), grid(rows, cols, h) };
#ifdef _OPENMP
                    #pragma omp parallel num_threads(threads)
#endif
                    {
                        void *scratch[2];
                        st_make_scratch(&plan, &sweeper, buffer[0], scratch);
                        /* In two calls, as a program does around a check. */
                        st_sweeps(&plan, &sweeper, 0, 5, buffer, scratch);
                        st_sweeps(&plan, &sweeper, 5, sweeps - 5, buffer, scratch);
                        st_free_scratch(scratch);
                    }
                    if (memcmp(buffer[sweeps % 2], ref[sweeps % 2], (size_t)(rows * cols) * sizeof(float)) == 0) {
                        ++passed;
                    } else {
                        ++failed;
                        printf("FAIL: plan %s, halo %d, %ld x %ld, %d threads\n", plans[p], h, rows, cols, threads);
                    }
                    st_free_grid(buffer[0]);
                    st_free_grid(buffer[1]);
                }
            }
            st_free_grid(ref[0]);
            st_free_grid(ref[1]);
        }
    }
    /* Grids start so that the column asked for is on a line, zeroed; st_free_grid frees them. */
    for (size_t e = 4; e <= 8; e += 4) {
        for (long col = 0; col < 20; ++col) {
            char *g = st_alloc_aligned_grid(3, 37, e, col);
            const int ok = (uintptr_t)(g + col * (long)e) % ST_GRID_ALIGN == 0 && g[0] == 0 && g[3 * 37 * e - 1] == 0;
            if (ok) ++passed; else { ++failed; printf("FAIL: grid of %zu-byte elements with column %ld on a line\n", e, col); }
            st_free_grid(g);
        }
    }
    /* The cost model's plan is one the program can run, from any size. */
    for (long n = 8; n <= 1 << 14; n *= 4) {
        args_t a = { n, 1 };
        st_sweeper sweeper = { team, alone, &a, n, n, 1, sizeof(float), 2, n };
        const st_plan plan = st_default_plan(&sweeper, 2, ST_TEMPORAL_AUTO);
        const int ok = plan.kind == ST_PLAN_SWEEPS || (plan.depth >= 1 && plan.tile_rows >= 1);
        if (ok) ++passed; else { ++failed; printf("FAIL: default plan for N=%ld: kind %d depth %ld rows %ld\n", n, plan.kind, plan.depth, plan.tile_rows); }
    }
    /* Grids that stream from memory (64 MiB each, past half of any last-level cache we know): a
     * team bands them (each thread's tiles in its own caches), one thread tiles them. */
    {
        args_t a = { 4096, 1 };
        st_sweeper sweeper = { team, alone, &a, 4096, 4096, 1, sizeof(float), 2, 4096 };
        const st_plan team_plan = st_default_plan(&sweeper, 2, ST_TEMPORAL_AUTO), one = st_default_plan(&sweeper, 1, ST_TEMPORAL_AUTO);
        if (team_plan.kind == ST_PLAN_BANDS && one.kind == ST_PLAN_TILES && team_plan.tile_rows >= 4) ++passed;
        else { ++failed; printf("FAIL: default plans for N=4096: %s, %s\n", st_plan_kind_name(team_plan.kind), st_plan_kind_name(one.kind)); }
    }
    /* The summary's words and the --plan text, column tiles included; a 3-D grid's rows are planes. */
    {
        args_t a = { 40, 1 };
        st_sweeper flat = { team, alone, &a, 40, 40, 1, sizeof(float), 2, 40 };
        st_sweeper planes = { team, alone, &a, 40, 40, 1, sizeof(float), 2, 40 * 40 };
        const struct { st_sweeper *sweeper; const char *plan, *words, *spec; } cases[] = {
            { &flat, "tiles:4:8", "tiles of 8 rows advance up to 4 sweeps per pass", "tiles:4:8" },
            { &flat, "bands:5:3:16", "each thread's band advances up to 5 sweeps per barrier, in tiles of 3 rows x 16 columns",
              "bands:5:3:16" },
            { &planes, "tiles:4:2:8", "tiles of 2 planes x 8 columns advance up to 4 sweeps per pass", "tiles:4:2:8" },
            { &planes, "bands:3:1", "each thread's band advances up to 3 sweeps per barrier, in tiles of 1 plane", "bands:3:1" },
        };
        for (size_t c = 0; c < sizeof cases / sizeof cases[0]; ++c) {
            const st_plan plan = st_choose_plan(cases[c].sweeper, 2, ST_TEMPORAL_AUTO, cases[c].plan, "test");
            char words[160], spec[64];
            st_describe_plan(&plan, words, sizeof words);
            st_format_plan(&plan, spec, sizeof spec);
            if (strcmp(words, cases[c].words) == 0 && strcmp(spec, cases[c].spec) == 0) ++passed;
            else { ++failed; printf("FAIL: plan %s: \"%s\" / %s\n", cases[c].plan, words, spec); }
        }
    }
    printf("%d passed, %d failed\n", passed, failed);
    return failed ? 1 : 0;
}
