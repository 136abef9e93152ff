/* bench/redblack_kernels.c: loop forms for one red-black SOR half-sweep, float32, in place,
 * against a Jacobi sweep: the experiment behind docs/performance.md's "Red-black iterations"
 * (issue 16's speed goal). Each kernel updates the points of one colour with the same
 * expression, in the same order of operations, as stencilc's emitted code
 * (`u + omega * ((up + down + left + right) / 4 - u)`), so every kernel gives the same bits;
 * main checks that with memcmp before timing.
 *   0 jacobi    the Jacobi sweep over two buffers (no relax), the yardstick
 *   1 stride2   today's emitted form: each row's points of the colour, `omp simd`, j += 2
 *   2 select    every point of the row, `u = colour ? new : old` (gcc 12 does not vectorise it:
 *               the new value is only needed on one branch and -ftrapping-math keeps it there)
 *   3 temprow   every point of the row into a scratch row (unit stride), then the colour's
 *               points copied back, j += 2
 *   4 select2   as 2 with the old value loaded first (still not vectorised)
 *   5 rowblend  every point into a scratch row with the select, then memcpy into the row
 *               (vectorised only with no-trapping-math, here as a function attribute)
 *   6 pairs     one pass over (colour, other) pairs storing both, the other unchanged, so that
 *               the stores are whole vectors (in-place loads then wait on those stores)
 *   7 pairstmp  as 6 into a scratch row, then memcpy into the row
 *   8 fused     red row r then black row r-1 in one pass (a wavefront; one thread)
 *   9 vecx      per-vector code in registers (GCC vector extensions, 8 lanes): deinterleave,
 *               update, re-interleave with the other colour, whole-vector stores
 *  10 bands     the fused pass with the team, as stencilc's loop plan `colour-plan fused` emits
 *               it: each thread's band, red row r then black row r-1, band edges after a barrier
 *  11 split     the colour-split layout: red and black points in arrays of their own, each
 *               half-sweep a unit-stride loop (conversions before and after, not timed)
 * Build and run (2 threads; a kernel's time is per red-black iteration):
 *   gcc -std=c11 -O3 -march=native -ffp-contract=off -fopenmp bench/redblack_kernels.c -o rbk
 *   (-Wno-psabi at -march levels without AVX: vecx passes 32-byte vectors)
 *   OMP_NUM_THREADS=2 ./rbk 1024 7      # N, alternating rounds; prints medians and ratios
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <omp.h>
typedef float T;
static long cols;
static T om = 1.99f;
#define V(u,i,j) (u[(i)*cols+(j)] + om * ((u[((i)-1)*cols+(j)] + u[((i)+1)*cols+(j)] + u[(i)*cols+(j)-1] + u[(i)*cols+(j)+1]) / 4.0f - u[(i)*cols+(j)]))
static void jac(long rb, long re, long cb, long ce, const T *restrict u, T *restrict n) {
  #pragma omp for schedule(static)
  for (long i = rb; i < re; ++i) {
    #pragma omp simd
    for (long j = cb; j < ce; ++j) n[i*cols+j] = (u[(i-1)*cols+j] + u[(i+1)*cols+j] + u[i*cols+j-1] + u[i*cols+j+1]) / 4.0f;
  }
}
static void base(int colour, long rb, long re, long cb, long ce, T *u) {
  #pragma omp for schedule(static)
  for (long i = rb; i < re; ++i) {
    #pragma omp simd
    for (long j = cb + ((i + cb + colour) & 1); j < ce; j += 2) u[i*cols+j] = V(u,i,j);
  }
}
static void blend(int colour, long rb, long re, long cb, long ce, T *u) {
  #pragma omp for schedule(static)
  for (long i = rb; i < re; ++i) {
    #pragma omp simd
    for (long j = cb; j < ce; ++j) { const T v = V(u,i,j); u[i*cols+j] = ((i + j + colour) & 1) ? u[i*cols+j] : v; }
  }
}
static void blend2(int colour, long rb, long re, long cb, long ce, T *u) {
  #pragma omp for schedule(static)
  for (long i = rb; i < re; ++i) {
    #pragma omp simd
    for (long j = cb; j < ce; ++j) { const T old = u[i*cols+j]; const T v = V(u,i,j); u[i*cols+j] = ((i + j + colour) & 1) ? old : v; }
  }
}
__attribute__((optimize("no-trapping-math")))
static void k2(int colour, long rb, long re, long cb, long ce, T *u) {
  T tmp[8192];
  #pragma omp for schedule(static)
  for (long i = rb; i < re; ++i) {
    const long c0 = (i + colour) & 1;
    #pragma omp simd
    for (long j = cb; j < ce; ++j) { const T old = u[i*cols+j]; const T v = V(u,i,j); tmp[j] = ((j ^ c0) & 1) ? old : v; }
    memcpy(&u[i*cols+cb], &tmp[cb], (ce-cb)*sizeof(T));
  }
}
static void pairs(int colour, long rb, long re, long cb, long ce, const T *in, T *u) {
  #pragma omp for schedule(static)
  for (long i = rb; i < re; ++i) {
    const long first = cb + ((i + cb + colour) & 1);
    const long pairs = (ce - first) / 2;
    #pragma omp simd
    for (long k = 0; k < pairs; ++k) {
      const long j = first + 2 * k;
      const T v = in[i*cols+j] + om * ((in[(i-1)*cols+j] + in[(i+1)*cols+j] + in[i*cols+j-1] + in[i*cols+j+1]) / 4.0f - in[i*cols+j]);
      const T keep = in[i*cols+j+1];
      u[i*cols+j] = v;
      u[i*cols+j+1] = keep;
    }
    if (first + 2 * pairs < ce) { const long j = first + 2 * pairs; u[i*cols+j] = V(u,i,j); }
  }
}
static void pairst(int colour, long rb, long re, long cb, long ce, T *u) {
  T tmp[8192];
  #pragma omp for schedule(static)
  for (long i = rb; i < re; ++i) {
    const long first = cb + ((i + cb + colour) & 1);
    const long pairs = (ce - first) / 2;
    const T *restrict in = u;
    T *restrict t = tmp;
    #pragma omp simd
    for (long k = 0; k < pairs; ++k) {
      const long j = first + 2 * k;
      const T v = in[i*cols+j] + om * ((in[(i-1)*cols+j] + in[(i+1)*cols+j] + in[i*cols+j-1] + in[i*cols+j+1]) / 4.0f - in[i*cols+j]);
      t[2*k] = v;
      t[2*k+1] = in[i*cols+j+1];
    }
    memcpy(&u[i*cols+first], tmp, 2 * pairs * sizeof(T));
    if (first + 2 * pairs < ce) { const long j = first + 2 * pairs; u[i*cols+j] = V(u,i,j); }
  }
}
static void rowc(int colour, long i, long cb, long ce, T *u) {
    #pragma omp simd
    for (long j = cb + ((i + cb + colour) & 1); j < ce; j += 2) u[i*cols+j] = V(u,i,j);
}
static void fused(long rb, long re, long cb, long ce, T *u) {
  #pragma omp single
  {
  rowc(0, rb, cb, ce, u);
  for (long i = rb + 1; i < re; ++i) { rowc(0, i, cb, ce, u); rowc(1, i - 1, cb, ce, u); }
  rowc(1, re - 1, cb, ce, u);
  }
}
/* bands: the fused pass with the team: each thread's contiguous band of rows [b, e), red row r
 * then black row r-1, except the band's first and last black rows (they read the neighbouring
 * bands' red rows), which run after a barrier. */
static void bands(long rb, long re, long cb, long ce, T *u) {
  const long team = omp_get_num_threads(), t = omp_get_thread_num(), n = re - rb;
  const long b = rb + n * t / team, e = rb + n * (t + 1) / team;
  if (b < e) rowc(0, b, cb, ce, u);
  for (long i = b + 1; i < e; ++i) { rowc(0, i, cb, ce, u); if (i - 1 > b) rowc(1, i - 1, cb, ce, u); }
  #pragma omp barrier
  if (b < e) rowc(1, b, cb, ce, u);
  if (e - 1 > b) rowc(1, e - 1, cb, ce, u);
  #pragma omp barrier
}
/* split: the colour-split layout (what a layout change would give; not a stencilc plan): the
 * grid kept as two arrays, red and black, each row holding that colour's points in column
 * order, so a half-sweep is a unit-stride loop whose neighbours are the other colour's array
 * shifted by one row or by the row's parity. Converted from and back to the grid around the
 * timed iterations (not timed: done once per solve). */
static T *split_red, *split_black;
static long half;
static void to_split(const T *u, long rows) {
  for (long i = 0; i < rows; ++i) for (long j = 0; j < cols; ++j)
    (((i + j) & 1) ? split_black : split_red)[i * half + j / 2] = u[i * cols + j];
}
static void from_split(T *u, long rows) {
  for (long i = 0; i < rows; ++i) for (long j = 0; j < cols; ++j)
    u[i * cols + j] = (((i + j) & 1) ? split_black : split_red)[i * half + j / 2];
}
static void split_half(int colour, long rb, long re, long cb, long ce) {
  T *restrict own = colour ? split_black : split_red;
  const T *restrict other = colour ? split_red : split_black;
  #pragma omp for schedule(static)
  for (long i = rb; i < re; ++i) {
    const long off = (i + colour) & 1;              /* column j = 2k + off */
    const long k0 = (cb + ((i + cb + colour) & 1) - off) / 2, k1 = (ce - off + 1) / 2;
    /* left neighbour j-1 = 2k + off - 1: other's index k + (off - 1) / 2 floor; right k + (off + 1) / 2 floor */
    const T *restrict left = other + i * half + (off ? 0 : -1), *restrict right = other + i * half + (off ? 1 : 0);
    const T *restrict up = other + (i - 1) * half, *restrict down = other + (i + 1) * half;
    T *restrict o = own + i * half;
    #pragma omp simd
    for (long k = k0; k < k1; ++k) o[k] = o[k] + om * ((up[k] + down[k] + left[k] + right[k]) / 4.0f - o[k]);
  }
}
static void temprow(int colour, long rb, long re, long cb, long ce, T *u) {
  T tmp[8192];
  #pragma omp for schedule(static)
  for (long i = rb; i < re; ++i) {
    const T *restrict r = u;
    #pragma omp simd
    for (long j = cb; j < ce; ++j) tmp[j] = V(r,i,j);
    for (long j = cb + ((i + cb + colour) & 1); j < ce; j += 2) u[i*cols+j] = tmp[j];
  }
}
#if defined(__GNUC__) && !defined(__clang__)
/* vecx: 8 points of one colour per vector, in registers: two loads per row deinterleaved by
 * shuffles, the left neighbours carried over from the previous vector, the result interleaved
 * with the other colour's (unchanged) values and stored as whole vectors. GCC's vector
 * extensions (__builtin_shuffle). */
typedef float v8 __attribute__((vector_size(32)));
typedef int i8 __attribute__((vector_size(32)));
static inline v8 ld(const T *p) { v8 v; memcpy(&v, p, sizeof v); return v; }
static inline void st(T *p, v8 v) { memcpy(p, &v, sizeof v); }
static void vecx(int colour, long rb, long re, long cb, long ce, T *u) {
  const i8 even = {0,2,4,6,8,10,12,14}, odd = {1,3,5,7,9,11,13,15}, sh = {7,8,9,10,11,12,13,14};
  const i8 lo = {0,8,1,9,2,10,3,11}, hi = {4,12,5,13,6,14,7,15};
  const v8 omv = {om,om,om,om,om,om,om,om};
  const v8 four = {4,4,4,4,4,4,4,4};
  #pragma omp for schedule(static)
  for (long i = rb; i < re; ++i) {
    long j = cb + ((i + cb + colour) & 1);
    T *r = u + i * cols, *a = u + (i - 1) * cols, *b = u + (i + 1) * cols;
    v8 prevRight = {0,0,0,0,0,0,0,r[j-1]};
    for (; j + 16 <= ce; j += 16) {
      v8 A = ld(r + j), B = ld(r + j + 8);
      v8 own = __builtin_shuffle(A, B, even), right = __builtin_shuffle(A, B, odd);
      v8 left = __builtin_shuffle(prevRight, right, sh);
      v8 up = __builtin_shuffle(ld(a + j), ld(a + j + 8), even);
      v8 dn = __builtin_shuffle(ld(b + j), ld(b + j + 8), even);
      v8 v = own + omv * ((up + dn + left + right) / four - own);
      st(r + j, __builtin_shuffle(v, right, lo)); st(r + j + 8, __builtin_shuffle(v, right, hi));
      prevRight = right;
    }
    for (; j < ce; j += 2) u[i*cols+j] = V(u,i,j);
  }
}
#else
static void vecx(int colour, long rb, long re, long cb, long ce, T *u) { base(colour, rb, re, cb, ce, u); }
#endif
static void iteration(int which, long rows, T *a, T *b, int it) {
  switch (which) {
    case 0: jac(1, rows-1, 1, cols-1, it%2?b:a, it%2?a:b); break;
    case 1: base(0,1,rows-1,1,cols-1,a); base(1,1,rows-1,1,cols-1,a); break;
    case 2: blend(0,1,rows-1,1,cols-1,a); blend(1,1,rows-1,1,cols-1,a); break;
    case 3: temprow(0,1,rows-1,1,cols-1,a); temprow(1,1,rows-1,1,cols-1,a); break;
    case 4: blend2(0,1,rows-1,1,cols-1,a); blend2(1,1,rows-1,1,cols-1,a); break;
    case 5: k2(0,1,rows-1,1,cols-1,a); k2(1,1,rows-1,1,cols-1,a); break;
    case 6: pairs(0,1,rows-1,1,cols-1,*(T*volatile*)&a,a); pairs(1,1,rows-1,1,cols-1,*(T*volatile*)&a,a); break;
    case 7: pairst(0,1,rows-1,1,cols-1,a); pairst(1,1,rows-1,1,cols-1,a); break;
    case 8: fused(1,rows-1,1,cols-1,a); break;
    case 9: vecx(0,1,rows-1,1,cols-1,a); vecx(1,1,rows-1,1,cols-1,a); break;
    case 10: bands(1,rows-1,1,cols-1,a); break;
    case 11: split_half(0,1,rows-1,1,cols-1); split_half(1,1,rows-1,1,cols-1); break;
  }
}
static const char *names[] = { "jacobi", "stride2", "select", "temprow", "select2", "rowblend", "pairs", "pairstmp", "fused", "vecx", "bands", "split" };
enum { KERNELS = 12 };
static double run(int which, long n, int iters, T *a, T *b) {
  double t0 = 0, t1 = 0;
  if (which == 11) to_split(a, n);
  #pragma omp parallel
  {
    #pragma omp master
    t0 = omp_get_wtime();
    for (int it = 0; it < iters; ++it) {
      iteration(which, n, a, b, it);
      if (which == 8) {
        #pragma omp barrier
      }
    }
    #pragma omp barrier
    #pragma omp master
    t1 = omp_get_wtime();
  }
  if (which == 11) from_split(a, n);
  return (t1 - t0) / iters;
}
static int cmp(const void *x, const void *y) { double a = *(const double *)x, b = *(const double *)y; return (a > b) - (a < b); }
int main(int argc, char **argv) {
  long n = argc > 1 ? atol(argv[1]) : 1024; int rounds = argc > 2 ? atoi(argv[2]) : 7;
  if (n < 8 || n > 8192) { fprintf(stderr, "rbk: N from 8 to 8192 (the scratch rows hold 8192 points)\n"); return 2; }
  cols = n; half = (n + 1) / 2;
  split_red = aligned_alloc(64, n * half * sizeof(T)); split_black = aligned_alloc(64, n * half * sizeof(T));
  T *a = aligned_alloc(64, n*n*sizeof(T)), *b = aligned_alloc(64, n*n*sizeof(T)), *ref = malloc(n*n*sizeof(T));
  #define FILL() for (long k = 0; k < n*n; ++k) a[k] = b[k] = (T)((k*7919)%1000)/10.0f
  /* Same bits: 5 iterations of each red-black kernel against stride2's. */
  FILL(); run(1, n, 5, a, b); memcpy(ref, a, n*n*sizeof(T));
  for (int w = 2; w < KERNELS; ++w) {
    FILL(); run(w, n, 5, a, b);
    if (memcmp(ref, a, n*n*sizeof(T)) != 0) { printf("%s: DIFFERENT BITS from stride2\n", names[w]); return 1; }
  }
  printf("N=%ld, %d threads: every red-black kernel gives stride2's bits after 5 iterations\n", n, omp_get_max_threads());
  const int iters = (int)(200.0 * 1024 * 1024 / ((double)n * n)) + 2;
  double t[KERNELS][64];
  FILL();
  for (int r = 0; r < rounds && r < 64; ++r)
    for (int w = 0; w < KERNELS; ++w) t[w][r] = run(w, n, w == 0 ? 2 * iters : iters, a, b);
  double med[KERNELS];
  for (int w = 0; w < KERNELS; ++w) { qsort(t[w], rounds, sizeof(double), cmp); med[w] = t[w][rounds / 2]; }
  printf("%-9s %12s %8s\n", "kernel", "s/iteration", "/jacobi");
  for (int w = 0; w < KERNELS; ++w) printf("%-9s %12.3e %7.2fx\n", names[w], med[w], med[w] / med[0]);
  free(a); free(b); free(ref);
  return 0;
}
