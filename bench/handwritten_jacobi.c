/* handwritten_jacobi.c: the baseline stencilc is measured against, and an independent check of
 * the paper's problem at sizes too large for the test suite's reference.
 *
 * A Jacobi solver as an HPC programmer writes it by hand: float32, N x N, top 100, left 75,
 * right 50, bottom 0, interior 0; one `#pragma omp parallel for schedule(static)` row loop per
 * sweep; pointers swapped; maxdiff computed every 1000 sweeps until it drops below 1e-4.
 *
 *   gcc -O3 -march=native -fopenmp bench/handwritten_jacobi.c -o handwritten_jacobi
 *   ./handwritten_jacobi N SWEEPS        # time exactly SWEEPS sweeps (no norm), print MLUP/s
 *   ./handwritten_jacobi N 0 out.npy     # iterate to convergence, write the field as .npy
 */
#include <math.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void write_npy(const char *path, const float *u, int n)
{
    FILE *f = fopen(path, "wb");
    if (!f) { perror(path); exit(1); }
    char header[128];
    int len = snprintf(header, sizeof header, "{'descr': '<f4', 'fortran_order': False, 'shape': (%d, %d), }", n, n);
    int total = 10 + len + 1, padded = (total + 63) / 64 * 64;
    memset(header + len, ' ', (size_t)(padded - total));
    header[padded - 11] = '\n';
    unsigned char pre[10] = { 0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0, (unsigned char)((padded - 10) & 0xff), (unsigned char)((padded - 10) >> 8) };
    fwrite(pre, 1, 10, f);
    fwrite(header, 1, (size_t)(padded - 10), f);
    fwrite(u, sizeof(float), (size_t)n * (size_t)n, f);
    fclose(f);
}

int main(int argc, char **argv)
{
    if (argc < 3) { fprintf(stderr, "usage: %s N SWEEPS [out.npy]\n", argv[0]); return 2; }
    const int n = atoi(argv[1]);
    const long sweeps = atol(argv[2]);
    float *u = aligned_alloc(64, sizeof(float) * (size_t)n * (size_t)n);
    float *v = aligned_alloc(64, sizeof(float) * (size_t)n * (size_t)n);
    for (int k = 0; k < 2; ++k) {
        float *g = k ? v : u;
        for (long p = 0; p < (long)n * n; ++p) g[p] = 0.0f;
        for (int j = 0; j < n; ++j) g[j] = 100.0f;                          /* top */
        for (int i = 0; i < n; ++i) g[(long)i * n] = 75.0f;                 /* left */
        for (int i = 0; i < n; ++i) g[(long)i * n + n - 1] = 50.0f;         /* right */
        for (int j = 0; j < n; ++j) g[(long)(n - 1) * n + j] = 0.0f;        /* bottom */
    }
    long iterations = 0;
    float diff = INFINITY;
    /* Start the thread team before the clock, as stencilc's programs time their iterations alone. */
    #pragma omp parallel
    {
    }
    double start = omp_get_wtime();
    for (;;) {
        const int check = sweeps == 0 && (iterations + 1) % 1000 == 0;
        if (check) {
            float maxdiff = 0.0f;
            #pragma omp parallel for schedule(static) reduction(max: maxdiff)
            for (int i = 1; i < n - 1; ++i) {
                for (int j = 1; j < n - 1; ++j) {
                    float value = (u[(long)(i - 1) * n + j] + u[(long)(i + 1) * n + j] + u[(long)i * n + j - 1] + u[(long)i * n + j + 1]) / 4.0f;
                    float d = fabsf(value - u[(long)i * n + j]);
                    maxdiff = d > maxdiff ? d : maxdiff;
                    v[(long)i * n + j] = value;
                }
            }
            diff = maxdiff;
        } else {
            #pragma omp parallel for schedule(static)
            for (int i = 1; i < n - 1; ++i) {
                for (int j = 1; j < n - 1; ++j) {
                    v[(long)i * n + j] = (u[(long)(i - 1) * n + j] + u[(long)(i + 1) * n + j] + u[(long)i * n + j - 1] + u[(long)i * n + j + 1]) / 4.0f;
                }
            }
        }
        float *t = u; u = v; v = t;
        ++iterations;
        if (sweeps > 0 ? iterations == sweeps : (check && (double)diff < 1e-4) || iterations == 1000000) break;
    }
    double seconds = omp_get_wtime() - start;
    printf("{\"iterations\": %ld, \"seconds\": %.6f, \"mlups\": %.1f, \"residual\": %g, \"threads\": %d}\n", iterations, seconds,
           (double)iterations * (n - 2) * (n - 2) / seconds / 1e6, isfinite(diff) ? diff : -1.0, omp_get_max_threads());
    if (argc > 3) write_npy(argv[3], u, n);
    free(u);
    free(v);
    return 0;
}
