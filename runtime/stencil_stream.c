/* stencil_stream.c: a STREAM-like memory bandwidth probe, a program of its own (not linked into
 * emitted programs). `stencilc bench` builds and runs it once per machine and caches what it
 * prints; the bench table's "% of bandwidth" and the plot's roofline come from it.
 *
 * Two kernels of McCalpin's STREAM over double arrays each at least 4x the last-level cache:
 *   copy   c[i] = a[i]              16 bytes per element (one read, one write)
 *   triad  a[i] = b[i] + s * c[i]   24 bytes per element (two reads, one write)
 * Bytes are counted as STREAM counts them (no write-allocate traffic), the same convention as
 * stencilc's byte model. Each kernel is timed `trials` times per thread count; the best is kept.
 *
 *   gcc -std=c11 -O3 -march=native -fopenmp runtime/stencil_stream.c -o stencil_stream
 *   ./stencil_stream [--threads 1,2] [--mib 128] [--trials 20]
 *
 * Output, one JSON object per line: first the setup, then one line per kernel and thread count:
 *   {"probe": "stream", "llc_bytes": 33554432, "array_bytes": 134217728, "trials": 20}
 *   {"kernel": "copy", "threads": 2, "gbs": 38.12, "seconds": 0.00704}
 */
#define _POSIX_C_SOURCE 200809L

#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The largest cache sysfs reports for cpu0; else sysconf's L3 (which, in a virtual machine, can be
 * the host's whole L3); 0 when unknown. */
static long last_level_cache_bytes(void)
{
    long best = 0;
    for (int index = 0; index < 8; ++index) {
        char path[96];
        snprintf(path, sizeof path, "/sys/devices/system/cpu/cpu0/cache/index%d/size", index);
        FILE *file = fopen(path, "r");
        if (!file) continue;
        long size = 0;
        char unit = 0;
        if (fscanf(file, "%ld%c", &size, &unit) >= 1) {
            if (unit == 'K') size *= 1024L;
            else if (unit == 'M') size *= 1024L * 1024L;
            if (size > best) best = size;
        }
        fclose(file);
    }
#ifdef _SC_LEVEL3_CACHE_SIZE
    if (best == 0) best = sysconf(_SC_LEVEL3_CACHE_SIZE);
#endif
    if (best < 0) best = 0;
    return best;
}

/* "1,2,4" -> counts; returns how many were read (at most `capacity`), 0 on a malformed list. */
static int parse_threads(const char *text, int *counts, int capacity)
{
    int n = 0;
    while (*text && n < capacity) {
        char *end = NULL;
        long value = strtol(text, &end, 10);
        if (end == text || value < 1 || value > 4096) return 0;
        counts[n++] = (int)value;
        if (*end == ',') text = end + 1;
        else if (*end == '\0') text = end;
        else return 0;
    }
    return n;
}

int main(int argc, char **argv)
{
    int threads[64];
    int thread_count = 0;
    long mib = 0;
    int trials = 20;
    for (int a = 1; a < argc; ++a) {
        if (strcmp(argv[a], "--threads") == 0 && a + 1 < argc) thread_count = parse_threads(argv[++a], threads, 64);
        else if (strcmp(argv[a], "--mib") == 0 && a + 1 < argc) mib = atol(argv[++a]);
        else if (strcmp(argv[a], "--trials") == 0 && a + 1 < argc) trials = atoi(argv[++a]);
        else {
            fprintf(stderr, "usage: %s [--threads 1,2] [--mib M] [--trials T]\n", argv[0]);
            return 2;
        }
    }
    if (thread_count == 0) {
        threads[0] = omp_get_num_procs();
        thread_count = 1;
    }
    if (trials < 1) trials = 1;

    /* Each array 4x the last-level cache (STREAM's rule), within [64 MiB, 1 GiB]. */
    long llc = last_level_cache_bytes();
    size_t bytes = mib > 0 ? (size_t)mib << 20 : (size_t)64 << 20;
    if (mib <= 0 && (size_t)llc * 4 > bytes) bytes = (size_t)llc * 4;
    if (mib <= 0 && bytes > ((size_t)1 << 30)) bytes = (size_t)1 << 30;
    size_t n = bytes / sizeof(double);
    bytes = n * sizeof(double);
    double *a = aligned_alloc(64, bytes), *b = aligned_alloc(64, bytes), *c = aligned_alloc(64, bytes);
    if (!a || !b || !c) {
        fprintf(stderr, "stencil_stream: cannot allocate 3 x %zu bytes\n", bytes);
        return 1;
    }
    printf("{\"probe\": \"stream\", \"llc_bytes\": %ld, \"array_bytes\": %zu, \"trials\": %d}\n", llc, bytes, trials);

    for (int t = 0; t < thread_count; ++t) {
        omp_set_num_threads(threads[t]);
        /* First touch with the same static schedule as the kernels, so pages sit near their thread. */
        #pragma omp parallel for schedule(static)
        for (size_t i = 0; i < n; ++i) { a[i] = 1.0; b[i] = 2.0; c[i] = 0.0; }
        double best_copy = 1e30, best_triad = 1e30;
        const double s = 3.0;
        for (int trial = 0; trial < trials; ++trial) {
            double start = omp_get_wtime();
            #pragma omp parallel for schedule(static)
            for (size_t i = 0; i < n; ++i) c[i] = a[i];
            double copy = omp_get_wtime() - start;
            start = omp_get_wtime();
            #pragma omp parallel for schedule(static)
            for (size_t i = 0; i < n; ++i) a[i] = b[i] + s * c[i];
            double triad = omp_get_wtime() - start;
            if (copy < best_copy) best_copy = copy;
            if (triad < best_triad) best_triad = triad;
        }
        /* Keeps the kernels' results live: a[0] is 1 + 3*2 * (anything but zero). */
        if (a[n / 2] == 0.0) fprintf(stderr, "stencil_stream: unexpected result\n");
        printf("{\"kernel\": \"copy\", \"threads\": %d, \"gbs\": %.3f, \"seconds\": %.6f}\n",
               threads[t], 2.0 * (double)bytes / best_copy / 1e9, best_copy);
        printf("{\"kernel\": \"triad\", \"threads\": %d, \"gbs\": %.3f, \"seconds\": %.6f}\n",
               threads[t], 3.0 * (double)bytes / best_triad / 1e9, best_triad);
        fflush(stdout);
    }
    free(a);
    free(b);
    free(c);
    return 0;
}
