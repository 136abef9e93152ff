/* handwritten_gray_scott.c: the baseline stencilc's stencils/gray_scott.st (a system of two
 * updates) is measured against: Gray-Scott reaction-diffusion as an HPC programmer writes it by
 * hand. float32, N x N, the same seeded square (written with positions) and constants as
 * gray_scott.st; one `#pragma omp parallel for schedule(static)` row loop per sweep computing
 * both fields at each point, its pointers `restrict`; the pointer pairs swapped. GCC 12-13 does
 * not vectorise that column loop by itself ("complicated access pattern" inside the outlined
 * OpenMP body); built with -DCOLUMN_SIMD it carries `#pragma omp simd`, as stencilc's does. The same arithmetic in the same order as
 * the .st file, so with the same flags (-ffp-contract=off) its fields are stencilc's bit for bit.
 *
 *   gcc -std=c11 -O3 -march=native -ffp-contract=off -fopenmp bench/handwritten_gray_scott.c -lm -o hw
 *   (add -DCOLUMN_SIMD for the variant with `omp simd` on the column loop)
 *   ./hw N SWEEPS [u.npy]     # time exactly SWEEPS sweeps; print {"mlups": ...}; write u if asked
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

/* The language's min and max (fmin/fmax; no NaN or signed zero arises here). */
static float minf(float a, float b) { return a < b ? a : b; }
static float maxf(float a, float b) { return a > b ? a : b; }

/* One sweep: both fields at every interior point, from (u, v) into (u_next, v_next). */
static void sweep(long n, const float *restrict u, const float *restrict v, float *restrict u_next,
                  float *restrict v_next)
{
    const float DU = 0.16f, DV = 0.08f, F = 0.06f, K = 0.062f;
    #pragma omp parallel for schedule(static)
    for (long i = 1; i < n - 1; ++i) {
#ifdef COLUMN_SIMD
        #pragma omp simd
#endif
        for (long j = 1; j < n - 1; ++j) {
            const long p = i * n + j;
            u_next[p] = u[p] + DU * (u[p - n] + u[p + n] + u[p - 1] + u[p + 1] - 4.0f * u[p]) - u[p] * v[p] * v[p] + F * (1.0f - u[p]);
            v_next[p] = v[p] + DV * (v[p - n] + v[p + n] + v[p - 1] + v[p + 1] - 4.0f * v[p]) + u[p] * v[p] * v[p] - (F + K) * v[p];
        }
    }
}

int main(int argc, char **argv)
{
    if (argc < 3) { fprintf(stderr, "usage: %s N SWEEPS [u.npy]\n", argv[0]); return 2; }
    const int n = atoi(argv[1]);
    const long sweeps = atol(argv[2]);
    const float R = 12.0f;
    const size_t bytes = sizeof(float) * (size_t)n * (size_t)n;
    float *u = aligned_alloc(64, bytes), *u_next = aligned_alloc(64, bytes);
    float *v = aligned_alloc(64, bytes), *v_next = aligned_alloc(64, bytes);
    for (long i = 0; i < n; ++i) {
        for (long j = 0; j < n; ++j) {
            const float seed = maxf(0.0f, minf(1.0f, R - maxf(fabsf((float)i - (float)n / 2.0f), fabsf((float)j - (float)n / 2.0f))));
            u[i * n + j] = 1.0f - 0.5f * seed * (1.0f + 0.1f * sinf(0.9f * (float)i) * cosf(1.3f * (float)j));
            v[i * n + j] = 0.25f * seed * (1.0f + 0.1f * cosf(0.7f * (float)i) * sinf(1.1f * (float)j));
        }
    }
    memcpy(u_next, u, bytes); /* the boundary ring of both buffers */
    memcpy(v_next, v, bytes);
    /* Start the thread team before the clock, as stencilc's programs time their iterations alone. */
    #pragma omp parallel
    {
    }
    const double start = omp_get_wtime();
    for (long s = 0; s < sweeps; ++s) {
        sweep(n, u, v, u_next, v_next);
        float *t = u; u = u_next; u_next = t;
        t = v; v = v_next; v_next = t;
    }
    const double seconds = omp_get_wtime() - start;
    printf("{\"mlups\": %.3f, \"seconds\": %.6f}\n", (double)(n - 2) * (double)(n - 2) * (double)sweeps / seconds / 1e6, seconds);
    if (argc > 3) write_npy(argv[3], u, n);
    free(u); free(u_next); free(v); free(v_next);
    return 0;
}
