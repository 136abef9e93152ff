/* handwritten_jacobi_mpi.c: the MPI baseline stencilc's mpi target is measured against
 * (bench/isa_levels.sh), the distributed counterpart of handwritten_jacobi.c.
 *
 * A Jacobi solver as an HPC programmer writes it by hand with MPI: the paper's problem (float32,
 * N x N, top 100, left 75, right 50, bottom 0, interior 0), block rows over the ranks (the first
 * N % P ranks take one row more, so any N >= P works), each rank's rows plus one halo row above
 * and below. Every sweep posts MPI_Irecv/MPI_Isend for the two halo rows, waits for them, then
 * runs a plain update loop over its rows; the two buffers' pointers are swapped. A fixed number
 * of sweeps, no convergence test. The sweeps alone are timed (after a barrier; the slowest
 * rank's time), and rank 0 prints one JSON line; MLUP/s = sweeps x (N-2)^2 / seconds / 1e6.
 *
 *   mpicc -O3 -march=native bench/handwritten_jacobi_mpi.c -o handwritten_jacobi_mpi
 *   mpirun -np 2 ./handwritten_jacobi_mpi N SWEEPS            # time exactly SWEEPS sweeps
 *   mpirun -np 2 ./handwritten_jacobi_mpi N SWEEPS out.npy    # ... and write the field (rank 0)
 *
 * Checked against stencilc's serial target: `mpirun -np 2 ./handwritten_jacobi_mpi 67 300 a.npy`
 * and `stencilc run stencils/jacobi.st --target serial --param N=67 --max-iterations 300
 * --output b.npy` gave bitwise equal fields (numpy.array_equal), also with -np 3 (67 rows do not
 * divide over 2 or 3 ranks), at N=64 (300 sweeps and 1) with -np 2, and at N=5, 40 sweeps, -np 3;
 * built at -march=x86-64-v3 and native. `bench/isa_levels.sh --check` repeats the N=67 check at
 * every level.
 */
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void write_npy(const char *path, const float *u, int n)
{
    FILE *f = fopen(path, "wb");
    if (!f) { perror(path); MPI_Abort(MPI_COMM_WORLD, 1); }
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
    MPI_Init(&argc, &argv);
    int rank, size;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    if (argc < 3) {
        if (rank == 0) fprintf(stderr, "usage: %s N SWEEPS [out.npy]\n", argv[0]);
        MPI_Finalize();
        return 2;
    }
    const int n = atoi(argv[1]);
    const long sweeps = atol(argv[2]);
    if (n < 3 || n < size || sweeps < 1) {
        if (rank == 0) fprintf(stderr, "need N >= 3, N >= ranks (%d) and SWEEPS >= 1\n", size);
        MPI_Finalize();
        return 2;
    }

    /* Block rows: rank r owns global rows [first, first + rows). */
    const int base = n / size, extra = n % size;
    const int rows = base + (rank < extra);
    const int first = rank * base + (rank < extra ? rank : extra);
    const int up = rank > 0 ? rank - 1 : MPI_PROC_NULL;
    const int down = rank < size - 1 ? rank + 1 : MPI_PROC_NULL;

    /* Local row l (1..rows) is global row first + l - 1; rows 0 and rows + 1 are the halos. */
    const size_t count = (size_t)(rows + 2) * (size_t)n;
    float *u = aligned_alloc(64, (sizeof(float) * count + 63) / 64 * 64);
    float *v = aligned_alloc(64, (sizeof(float) * count + 63) / 64 * 64);
    for (int k = 0; k < 2; ++k) {
        float *g = k ? v : u;
        for (size_t p = 0; p < count; ++p) g[p] = 0.0f;
        for (int l = 1; l <= rows; ++l) {
            const int i = first + l - 1;
            float *row = g + (long)l * n;
            if (i == 0) for (int j = 0; j < n; ++j) row[j] = 100.0f;       /* top */
            row[0] = 75.0f;                                                 /* left */
            row[n - 1] = 50.0f;                                             /* right */
            if (i == n - 1) for (int j = 0; j < n; ++j) row[j] = 0.0f;     /* bottom */
        }
    }
    /* The local rows that are interior rows of the grid (global 1 .. n-2). */
    const int lo = first == 0 ? 2 : 1;
    const int hi = first + rows == n ? rows - 1 : rows;

    MPI_Barrier(MPI_COMM_WORLD);
    double start = MPI_Wtime();
    for (long s = 0; s < sweeps; ++s) {
        MPI_Request req[4];
        MPI_Irecv(u, n, MPI_FLOAT, up, 0, MPI_COMM_WORLD, &req[0]);
        MPI_Irecv(u + (long)(rows + 1) * n, n, MPI_FLOAT, down, 1, MPI_COMM_WORLD, &req[1]);
        MPI_Isend(u + (long)1 * n, n, MPI_FLOAT, up, 1, MPI_COMM_WORLD, &req[2]);
        MPI_Isend(u + (long)rows * n, n, MPI_FLOAT, down, 0, MPI_COMM_WORLD, &req[3]);
        MPI_Waitall(4, req, MPI_STATUSES_IGNORE);
        for (int i = lo; i <= hi; ++i) {
            for (int j = 1; j < n - 1; ++j) {
                v[(long)i * n + j] = (u[(long)(i - 1) * n + j] + u[(long)(i + 1) * n + j] + u[(long)i * n + j - 1] + u[(long)i * n + j + 1]) / 4.0f;
            }
        }
        float *t = u; u = v; v = t;
    }
    double local = MPI_Wtime() - start, seconds;
    MPI_Reduce(&local, &seconds, 1, MPI_DOUBLE, MPI_MAX, 0, MPI_COMM_WORLD);
    if (rank == 0) {
        printf("{\"iterations\": %ld, \"seconds\": %.6f, \"mlups\": %.1f, \"ranks\": %d}\n", sweeps, seconds,
               (double)sweeps * (n - 2) * (n - 2) / seconds / 1e6, size);
        fflush(stdout);
    }

    if (argc > 3) {
        /* Gather every rank's rows to rank 0 and write them. */
        int *counts = NULL, *displs = NULL;
        float *field = NULL;
        if (rank == 0) {
            counts = malloc(sizeof(int) * (size_t)size);
            displs = malloc(sizeof(int) * (size_t)size);
            for (int r = 0; r < size; ++r) {
                counts[r] = (base + (r < extra)) * n;
                displs[r] = (r * base + (r < extra ? r : extra)) * n;
            }
            field = malloc(sizeof(float) * (size_t)n * (size_t)n);
        }
        MPI_Gatherv(u + n, rows * n, MPI_FLOAT, field, counts, displs, MPI_FLOAT, 0, MPI_COMM_WORLD);
        if (rank == 0) {
            write_npy(argv[3], field, n);
            free(field);
            free(counts);
            free(displs);
        }
    }
    free(u);
    free(v);
    MPI_Finalize();
    return 0;
}
