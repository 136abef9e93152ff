/* sides_check.c: st_copy_side (runtime/stencil_runtime.c) checked on its own against the
 * definitions of LANGUAGE.md section 5, "Boundary kinds", written out point by point: every side,
 * neumann and periodic, halo 1 to 3, float and double, grids whose sides differ and are small.
 * 1-D and 3-D grids (st_copy_side_nd) the same way, each side's axis counted from the last
 * dimension (left/right columns, top/bottom rows, front/back planes). st_copy_side_ring on 2-D and
 * 3-D grids: left/right on the ring rows only (some index before the last in the first or last h),
 * the rows the sweep computes unchanged (the sweep applied the statement to them itself).
 * Exits 0 and prints "N passed, 0 failed" when every point of every case matches, bit for bit;
 * points off the strip must not change. Built and run by RuntimeSidesTests. */
#include <stdio.h>
#include <string.h>

#include "stencil_runtime.h"

static int passed, failed;

/* The expected value at (i, j) after the statement, from the grid before it (`old`). */
static double expected(const double *old, long rows, long cols, long h, int side, int kind, long i, long j)
{
    const int in_strip = side == ST_TOP ? i < h : side == ST_BOTTOM ? i >= rows - h : side == ST_LEFT ? j < h : j >= cols - h;
    if (!in_strip) return old[i * cols + j];
    long si = i, sj = j;
    if (kind == ST_NEUMANN) {
        if (side == ST_TOP) si = h;
        if (side == ST_BOTTOM) si = rows - h - 1;
        if (side == ST_LEFT) sj = h;
        if (side == ST_RIGHT) sj = cols - h - 1;
    } else {
        if (side == ST_TOP) si = i + (rows - 2 * h);
        if (side == ST_BOTTOM) si = i - (rows - 2 * h);
        if (side == ST_LEFT) sj = j + (cols - 2 * h);
        if (side == ST_RIGHT) sj = j - (cols - 2 * h);
    }
    return old[si * cols + sj];
}

static void check(long rows, long cols, int h, int side, int kind, int is_double)
{
    const size_t e = is_double ? sizeof(double) : sizeof(float);
    double old[64 * 64];
    void *grid = st_alloc_grid(rows, cols, e);
    for (long p = 0; p < rows * cols; ++p) {
        old[p] = (double)(p * 7 % 101) + 0.25; /* distinct values, exact in float */
        if (is_double) ((double *)grid)[p] = old[p];
        else ((float *)grid)[p] = (float)old[p];
    }
    st_copy_side(grid, rows, cols, h, e, side, kind);
    int bad = 0;
    for (long i = 0; i < rows; ++i)
        for (long j = 0; j < cols; ++j) {
            const double want = expected(old, rows, cols, h, side, kind, i, j);
            const double got = is_double ? ((double *)grid)[i * cols + j] : (double)((float *)grid)[i * cols + j];
            if (got != want && bad++ == 0)
                printf("FAIL %ldx%ld h=%d side=%d kind=%d %s at (%ld, %ld): %g, expected %g\n", rows, cols, h, side, kind,
                       is_double ? "double" : "float", i, j, got, want);
        }
    if (bad) ++failed; else ++passed;
    st_free_grid(grid);
}


/* The axis (0 = first dimension) of side `side` on a grid of `dims` dimensions; -1: none. */
static int side_axis(int dims, int side)
{
    const int from_last = side == ST_LEFT || side == ST_RIGHT ? 0 : side == ST_TOP || side == ST_BOTTOM ? 1 : 2;
    return dims - 1 - from_last;
}

/* st_copy_side_nd on a 1-D or 3-D grid, every point compared with the definition: the point's
 * multi-index, and along the side's axis only, the source index of LANGUAGE.md section 5.
 * `ring`: st_copy_side_ring(_nd) instead, on 2-D or 3-D, the definition on ring rows only. */
static void check_nd(int dims, const long *extents, int h, int side, int kind, int is_double, int ring)
{
    const size_t e = is_double ? sizeof(double) : sizeof(float);
    const int axis = side_axis(dims, side);
    const int first = side == ST_LEFT || side == ST_TOP || side == ST_FRONT;
    long count = 1;
    for (int d = 0; d < dims; ++d) count *= extents[d];
    static double old[16 * 16 * 16];
    void *grid = st_alloc_grid(count, 1, e);
    for (long p = 0; p < count; ++p) {
        old[p] = (double)(p * 7 % 1009) + 0.25;
        if (is_double) ((double *)grid)[p] = old[p];
        else ((float *)grid)[p] = (float)old[p];
    }
    if (ring && dims == 2) st_copy_side_ring(grid, extents[0], extents[1], h, e, side, kind);
    else if (ring) st_copy_side_ring_nd(grid, dims, extents, h, e, side, kind);
    else st_copy_side_nd(grid, dims, extents, h, e, side, kind);
    int bad = 0;
    for (long p = 0; p < count; ++p) {
        long index[3], rest = p;
        for (int d = dims - 1; d >= 0; --d) { index[d] = rest % extents[d]; rest /= extents[d]; }
        const long n = extents[axis], a = index[axis];
        int on_ring = 0; /* some index before the last in the first or last h */
        for (int d = 0; d < dims - 1; ++d) on_ring |= index[d] < h || index[d] >= extents[d] - h;
        const int in_strip = (first ? a < h : a >= n - h) && (!ring || on_ring);
        long source = a;
        if (in_strip) {
            if (kind == ST_NEUMANN) source = first ? h : n - h - 1;
            else source = first ? a + (n - 2 * h) : a - (n - 2 * h);
        }
        index[axis] = source;
        long from = 0;
        for (int d = 0; d < dims; ++d) from = from * extents[d] + index[d];
        const double want = old[from];
        const double got = is_double ? ((double *)grid)[p] : (double)((float *)grid)[p];
        if (got != want && bad++ == 0)
            printf("FAIL %s%d-D h=%d side=%d kind=%d %s at flat %ld: %g, expected %g\n", ring ? "ring " : "", dims, h, side, kind,
                   is_double ? "double" : "float", p, got, want);
    }
    if (bad) ++failed; else ++passed;
    st_free_grid(grid);
}

int main(void)
{
    const long shapes[][2] = { { 7, 9 }, { 12, 5 }, { 10, 10 }, { 9, 31 } };
    for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; ++s)
        for (int h = 1; h <= 3; ++h) {
            if (shapes[s][0] < 3 * h || shapes[s][1] < 3 * h) continue; /* a periodic interior of at least h */
            for (int side = ST_TOP; side <= ST_RIGHT; ++side)
                for (int kind = ST_NEUMANN; kind <= ST_PERIODIC; ++kind)
                    for (int is_double = 0; is_double < 2; ++is_double) check(shapes[s][0], shapes[s][1], h, side, kind, is_double);
        }
    const long lines[][1] = { { 9 }, { 13 } };
    const long boxes[][3] = { { 7, 9, 10 }, { 10, 6, 9 }, { 9, 11, 6 } };
    for (int h = 1; h <= 3; ++h)
        for (int kind = ST_NEUMANN; kind <= ST_PERIODIC; ++kind)
            for (int is_double = 0; is_double < 2; ++is_double) {
                for (size_t s = 0; s < sizeof lines / sizeof lines[0]; ++s)
                    for (int side = ST_LEFT; side <= ST_RIGHT; ++side) check_nd(1, lines[s], h, side, kind, is_double, 0);
                for (size_t s = 0; s < sizeof boxes / sizeof boxes[0]; ++s) {
                    if (boxes[s][0] < 3 * h || boxes[s][1] < 3 * h || boxes[s][2] < 3 * h) continue;
                    for (int side = ST_TOP; side <= ST_BACK; ++side) check_nd(3, boxes[s], h, side, kind, is_double, 0);
                    for (int side = ST_LEFT; side <= ST_RIGHT; ++side) check_nd(3, boxes[s], h, side, kind, is_double, 1);
                }
                for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; ++s) {
                    if (shapes[s][0] < 3 * h || shapes[s][1] < 3 * h) continue;
                    for (int side = ST_LEFT; side <= ST_RIGHT; ++side) check_nd(2, shapes[s], h, side, kind, is_double, 1);
                }
            }
    printf("%d passed, %d failed\n", passed, failed);
    return failed != 0;
}
