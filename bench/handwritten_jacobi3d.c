/* handwritten_jacobi3d.c: the 3-D baseline stencilc is measured against (bench/compare_handwritten3d.sh).
 *
 * The 7-point heat equation in a block as an HPC programmer writes it by hand, the same problem
 * as stencils/heat3d.st: float32, N x N x N, front face 100, the other faces 0, interior 20;
 * u_next = u + r * (six neighbours - 6 u) with r = 0.15; one `#pragma omp parallel for
 * collapse(2) schedule(static)` over planes and rows per sweep, the column loop left to the
 * compiler; pointers swapped. No norm (a fixed number of sweeps).
 *
 *   gcc -O3 -march=native -ffp-contract=off -fopenmp bench/handwritten_jacobi3d.c -o handwritten_jacobi3d
 * (-ffp-contract=off as stencilc builds: no fused multiply-adds, so both give the same bits)
 *   ./handwritten_jacobi3d N SWEEPS [out.npy]   # time exactly SWEEPS sweeps, print MLUP/s as JSON
 */
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void write_npy(const char *path, const float *u, long n)
{
    FILE *f = fopen(path, "wb");
    if (!f) { perror(path); exit(1); }
    char header[128];
    int len = snprintf(header, sizeof header, "{'descr': '<f4', 'fortran_order': False, 'shape': (%ld, %ld, %ld), }", n, n, n);
    int total = 10 + len + 1, padded = (total + 63) / 64 * 64;
    memset(header + len, ' ', (size_t)(padded - total));
    header[padded - 11] = '\n';
    unsigned char pre[10] = { 0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0, (unsigned char)((padded - 10) & 0xff), (unsigned char)((padded - 10) >> 8) };
    fwrite(pre, 1, 10, f);
    fwrite(header, 1, (size_t)(padded - 10), f);
    fwrite(u, sizeof(float), (size_t)(n * n * n), f);
    fclose(f);
}

int main(int argc, char **argv)
{
    if (argc < 3) { fprintf(stderr, "usage: %s N SWEEPS [out.npy]\n", argv[0]); return 2; }
    const long n = atol(argv[1]), plane = n * n;
    const long sweeps = atol(argv[2]);
    const float r = 0.15f;
    float *u = aligned_alloc(64, sizeof(float) * (size_t)(n * plane));
    float *v = aligned_alloc(64, sizeof(float) * (size_t)(n * plane));
    for (int b = 0; b < 2; ++b) {
        float *g = b ? v : u;
        for (long k = 0; k < n; ++k)
            for (long i = 0; i < n; ++i)
                for (long j = 0; j < n; ++j) {
                    float value = 20.0f;
                    if (k == 0) value = 100.0f;
                    if (k == n - 1 || i == 0 || i == n - 1 || j == 0 || j == n - 1) value = 0.0f;
                    g[k * plane + i * n + j] = value;
                }
    }
    /* Start the thread team before the clock, as stencilc's programs time their iterations alone. */
    #pragma omp parallel
    {
    }
    double start = omp_get_wtime();
    for (long s = 0; s < sweeps; ++s) {
        #pragma omp parallel for collapse(2) schedule(static)
        for (long k = 1; k < n - 1; ++k) {
            for (long i = 1; i < n - 1; ++i) {
                for (long j = 1; j < n - 1; ++j) {
                    const long p = k * plane + i * n + j;
                    v[p] = u[p] + r * (u[p - plane] + u[p + plane] + u[p - n] + u[p + n] + u[p - 1] + u[p + 1] - 6.0f * u[p]);
                }
            }
        }
        float *t = u; u = v; v = t;
    }
    double seconds = omp_get_wtime() - start;
    printf("{\"iterations\": %ld, \"seconds\": %.6f, \"mlups\": %.1f, \"threads\": %d}\n", sweeps, seconds,
           (double)sweeps * (double)(n - 2) * (double)(n - 2) * (double)(n - 2) / seconds / 1e6, omp_get_max_threads());
    if (argc > 3) write_npy(argv[3], u, n);
    free(u);
    free(v);
    return 0;
}
