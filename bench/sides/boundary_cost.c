/* boundary_cost.c: what neumann and periodic sides cost per sweep, measured in one process so
 * that a noisy, shared machine disturbs both sides of the ratio alike: blocks of 5-point Jacobi
 * sweeps (the emitted loop's shape, N x N float32) alternate with blocks of the same sweeps each
 * followed by the boundary statements of the examples (4 sides), applied as the openmp target
 * does (`team`: st_copy_side_team, each thread its own rows, a barrier after each statement) or
 * as it did before (`single`: st_copy_side, all by one thread in `omp single`), or fused as the
 * serial and openmp targets now emit it (`fused`: the left and right statements in the sweep,
 * after each row's column loop, then st_copy_side_ring_team for them and st_copy_side_team for
 * top and bottom). Prints the median
 * over blocks of (time with statements / time without) - 1. Build (from the repository root):
 *   gcc -std=c11 -O3 -march=native -ffp-contract=off -fopenmp -I runtime bench/sides/boundary_cost.c \
 *       runtime/stencil_runtime.c runtime/stencil_sweeps.c -lm -o boundary_cost
 * Run: OMP_NUM_THREADS=2 ./boundary_cost [N] [blocks] [kind: neumann|periodic] [team|single|fused] */
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "stencil_runtime.h"

static void sweep(long n, const float *restrict u, float *restrict v)
{
#pragma omp for schedule(static)
    for (long i = 1; i < n - 1; ++i)
#pragma omp simd
        for (long j = 1; j < n - 1; ++j)
            v[i * n + j] = (u[(i - 1) * n + j] + u[(i + 1) * n + j] + u[i * n + j - 1] + u[i * n + j + 1]) / 4;
}

/* The same sweep with the left and right statements of halo 1 after each row (the fused form). */
static void sweep_fused(long n, const float *restrict u, float *restrict v, int kind)
{
#pragma omp for schedule(static)
    for (long i = 1; i < n - 1; ++i) {
#pragma omp simd
        for (long j = 1; j < n - 1; ++j)
            v[i * n + j] = (u[(i - 1) * n + j] + u[(i + 1) * n + j] + u[i * n + j - 1] + u[i * n + j + 1]) / 4;
        v[i * n + 0] = v[i * n + (kind == ST_PERIODIC ? n - 2 : 1)];
        v[i * n + n - 1] = v[i * n + (kind == ST_PERIODIC ? 1 : n - 2)];
    }
}

static int compare(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
    const long n = argc > 1 ? atol(argv[1]) : 1024;
    const int blocks = argc > 2 ? atoi(argv[2]) : 40, sweeps = 20;
    const int kind = argc > 3 && strcmp(argv[3], "periodic") == 0 ? ST_PERIODIC : ST_NEUMANN;
    const char *mode = argc > 4 ? argv[4] : "team";
    const int team = strcmp(mode, "single") != 0, fused = strcmp(mode, "fused") == 0;
    const int sides[4] = { ST_LEFT, ST_RIGHT, ST_TOP, ST_BOTTOM };
    float *buffer[2] = { st_alloc_grid(n, n, sizeof(float)), st_alloc_grid(n, n, sizeof(float)) };
    for (long p = 0; p < n * n; ++p) buffer[0][p] = buffer[1][p] = (float)(p % 97) / 97.0f;
    double *ratio = malloc(sizeof(double) * (size_t)blocks);
    for (int b = 0; b < blocks; ++b) {
        double seconds[2];
        for (int with = 0; with < 2; ++with) {
            double start = 0;
#pragma omp parallel
            {
#pragma omp barrier
#pragma omp master
                start = omp_get_wtime();
                for (int k = 0; k < sweeps; ++k) {
                    if (with && fused) {
                        sweep_fused(n, buffer[k % 2], buffer[(k + 1) % 2], kind);
                        for (int s = 0; s < 2; ++s) st_copy_side_ring_team(buffer[(k + 1) % 2], n, n, 1, sizeof(float), sides[s], kind);
                        for (int s = 2; s < 4; ++s) st_copy_side_team(buffer[(k + 1) % 2], n, n, 1, sizeof(float), sides[s], kind);
                        continue;
                    }
                    sweep(n, buffer[k % 2], buffer[(k + 1) % 2]);
                    if (with && team) {
                        for (int s = 0; s < 4; ++s) st_copy_side_team(buffer[(k + 1) % 2], n, n, 1, sizeof(float), sides[s], kind);
                    } else if (with) {
#pragma omp single
                        for (int s = 0; s < 4; ++s) st_copy_side(buffer[(k + 1) % 2], n, n, 1, sizeof(float), sides[s], kind);
                    }
                }
            }
            seconds[with] = omp_get_wtime() - start;
        }
        ratio[b] = seconds[1] / seconds[0];
    }
    qsort(ratio, (size_t)blocks, sizeof(double), compare);
    printf("N=%ld threads=%d %s, %s: median overhead %.2f%% over %d blocks of %d sweeps (quartiles %.2f%%, %.2f%%)\n", n,
           omp_get_max_threads(), kind == ST_PERIODIC ? "periodic" : "neumann", mode, 100 * (ratio[blocks / 2] - 1), blocks,
           sweeps, 100 * (ratio[blocks / 4] - 1), 100 * (ratio[3 * blocks / 4] - 1));
    st_free_grid(buffer[0]);
    st_free_grid(buffer[1]);
    free(ratio);
    return 0;
}
