/* mpi_sides_check.c: stmpi_blocks_copy_side (runtime/stencil_mpi.c), the neumann and periodic
 * statements of blocks of a process grid (1-D grids, 3-D `decompose grid`), checked against
 * st_copy_side_nd (runtime/stencil_runtime.c, itself checked by sides_check.c) on the whole grid:
 * every rank applies the same statements, in the same order, to its block and to a full copy of
 * the grid, then compares its owned points bit for bit; after a halo exchange (faces, edges and
 * corners) every held point inside the grid must match too, so a sweep reading the halo sees the
 * filled ring. 1-D, 2-D and 3-D grids, halo 1 to 3, extents that do not divide, statement orders
 * that make corners and edges differ, float and double. A case whose blocks would be thinner than
 * stmpi_blocks_decompose_sides allows is skipped (by every rank alike).
 *
 *   mpicc -std=c11 -O2 -Wall -Wextra -Werror -Iruntime runtime/tests/mpi_sides_check.c \
 *         runtime/stencil_mpi.c runtime/stencil_runtime.c -lm
 *   mpirun -np P ./a.out        (prints "N passed, S skipped, 0 failed" on rank 0; exit 0)
 */
#include "stencil_mpi.h"

#include <stdio.h>
#include <string.h>

typedef struct { int side, kind; } statement;

typedef struct {
    int dimensions;
    long extents[STMPI_MAX_DIMS];
    int halo;
    int count;
    statement statements[6];
} side_case;

#define N ST_NEUMANN
#define P ST_PERIODIC

static const side_case cases[] = {
    { 1, { 23 }, 2, 2, { { ST_LEFT, P }, { ST_RIGHT, P } } },
    { 1, { 17 }, 1, 2, { { ST_RIGHT, N }, { ST_LEFT, N } } },
    { 1, { 29 }, 3, 2, { { ST_LEFT, N }, { ST_RIGHT, N } } },
    { 2, { 13, 11 }, 1, 3, { { ST_LEFT, P }, { ST_RIGHT, P }, { ST_TOP, N } } },
    /* Periodic planes, neumann rows and columns: every edge where two statements meet. */
    { 3, { 9, 11, 10 }, 1, 5, { { ST_FRONT, P }, { ST_BACK, P }, { ST_TOP, N }, { ST_RIGHT, N }, { ST_LEFT, N } } },
    /* The same statements in the opposite order: the edges take the other values. */
    { 3, { 9, 11, 10 }, 1, 5, { { ST_LEFT, N }, { ST_RIGHT, N }, { ST_TOP, N }, { ST_BACK, P }, { ST_FRONT, P } } },
    { 3, { 13, 12, 9 }, 2, 6,
      { { ST_TOP, N }, { ST_LEFT, P }, { ST_RIGHT, P }, { ST_FRONT, P }, { ST_BACK, P }, { ST_BOTTOM, N } } },
    /* Every axis periodic (a 3-torus), halo 3. */
    { 3, { 19, 14, 13 }, 3, 6,
      { { ST_RIGHT, P }, { ST_LEFT, P }, { ST_FRONT, P }, { ST_BACK, P }, { ST_BOTTOM, P }, { ST_TOP, P } } },
    { 3, { 8, 9, 13 }, 1, 4, { { ST_BACK, N }, { ST_FRONT, N }, { ST_BOTTOM, N }, { ST_TOP, N } } },
};

static int passed, skipped, failed;

/* A distinct value for each global point, exact in float. */
static double value_at(long flat) { return (double)(flat * 7 % 1009) + 0.25; }

static double element(const void *grid, long at, int is_double)
{
    return is_double ? ((const double *)grid)[at] : (double)((const float *)grid)[at];
}

static void set_element(void *grid, long at, int is_double, double v)
{
    if (is_double) ((double *)grid)[at] = v;
    else ((float *)grid)[at] = (float)v;
}

/* Visits every local point: its local offset, and its global offset (-1 outside the grid);
 * `owned` says whether the rank owns it. */
typedef void (*visitor)(long local_at, long global_at, int owned, void *context);

static void each_local(const stmpi_blocks *d, visitor visit, void *context)
{
    const int D = d->dimensions;
    const long h = d->halo;
    long l[STMPI_MAX_DIMS] = { 0, 0, 0 };
    for (;;) {
        long local_at = 0, global_at = 0;
        int inside = 1, owned = 1;
        for (int a = 0; a < D; ++a) {
            const long g = l[a] - h + d->lo[a];
            inside = inside && g >= 0 && g < d->extent[a];
            owned = owned && g >= d->lo[a] && g < d->hi[a];
            local_at = local_at * d->local[a] + l[a];
            global_at = global_at * d->extent[a] + g;
        }
        visit(local_at, inside ? global_at : -1, owned, context);
        int a = D - 1;
        while (a >= 0 && ++l[a] == d->local[a]) l[a--] = 0;
        if (a < 0) return;
    }
}

typedef struct {
    void *local;
    const void *full;
    int is_double;
    int only_owned;
    long bad;
    long first_bad_global;
} comparison;

static void initial(long local_at, long global_at, int owned, void *context)
{
    (void)owned;
    comparison *c = context;
    set_element(c->local, local_at, c->is_double, global_at < 0 ? -777.0 : value_at(global_at));
}

static void compare(long local_at, long global_at, int owned, void *context)
{
    comparison *c = context;
    if (global_at < 0 || (c->only_owned && !owned)) return;
    if (element(c->local, local_at, c->is_double) != element(c->full, global_at, c->is_double) && c->bad++ == 0)
        c->first_bad_global = global_at;
}

/* Whether stmpi_blocks_decompose_sides accepts the case at this many ranks. */
static int splits(const side_case *k, const int *copying)
{
    int dims[STMPI_MAX_DIMS] = { 0, 0, 0 };
    MPI_Dims_create(stmpi_size(), k->dimensions, dims);
    const long plain = k->halo > 1 ? k->halo : 1;
    for (int a = 0; a < k->dimensions; ++a)
        if (k->extents[a] / dims[a] < (copying[a] ? 2 * plain : plain)) return 0;
    return 1;
}

static void report(const side_case *k, int is_double, const char *when, long bad, long at)
{
    ++failed;
    printf("FAIL rank %d: %d-D %ldx%ldx%ld h=%d %s %s: %ld points differ (first at global offset %ld)\n", stmpi_rank(),
           k->dimensions, k->extents[0], k->extents[1], k->extents[2], k->halo, is_double ? "double" : "float", when, bad,
           at);
}

static void run_case(const side_case *k, int is_double)
{
    const int D = k->dimensions;
    int periodic[STMPI_MAX_DIMS] = { 0, 0, 0 }, copying[STMPI_MAX_DIMS] = { 0, 0, 0 };
    for (int s = 0; s < k->count; ++s) {
        const int axis = st_side_strip(D, k->extents, k->statements[s].side).axis;
        copying[axis] = 1;
        if (k->statements[s].kind == ST_PERIODIC) periodic[axis] = 1;
    }
    if (!splits(k, copying)) {
        ++skipped;
        return;
    }
    const size_t e = is_double ? sizeof(double) : sizeof(float);
    const MPI_Datatype elem = is_double ? MPI_DOUBLE : MPI_FLOAT;
    stmpi_blocks d;
    stmpi_blocks_decompose_sides(&d, D, k->extents, k->halo, STMPI_GRID, 1, periodic, copying);
    long points = 1;
    for (int a = 0; a < D; ++a) points *= k->extents[a];
    void *full = st_alloc_grid(1, points, e);
    for (long p = 0; p < points; ++p) set_element(full, p, is_double, value_at(p));
    comparison c = { stmpi_blocks_alloc_local(&d, e, 0), full, is_double, 1, 0, -1 };
    each_local(&d, initial, &c);

    for (int s = 0; s < k->count; ++s) {
        st_copy_side_nd(full, D, k->extents, k->halo, e, k->statements[s].side, k->statements[s].kind);
        stmpi_blocks_copy_side(&d, c.local, k->statements[s].side, k->statements[s].kind, elem);
    }
    int ok = 1;
    each_local(&d, compare, &c);
    if (c.bad) report(k, is_double, "owned points after the statements", c.bad, c.first_bad_global), ok = 0;

    stmpi_halo *exchange = stmpi_blocks_halo_create(&d, c.local, elem);
    stmpi_halo_exchange(exchange);
    stmpi_halo_free(exchange);
    c.only_owned = 0;
    c.bad = 0;
    each_local(&d, compare, &c);
    if (c.bad) report(k, is_double, "held points after a halo exchange", c.bad, c.first_bad_global), ok = 0;
    if (ok) ++passed;

    st_free_grid(c.local);
    st_free_grid(full);
    stmpi_blocks_decomp_free(&d);
}

int main(int argc, char **argv)
{
    stmpi_init(&argc, &argv, STMPI_SINGLE);
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; ++k)
        for (int is_double = 0; is_double < 2; ++is_double) run_case(&cases[k], is_double);
    const long failures = stmpi_allreduce_count(failed);
    if (stmpi_rank() == 0) printf("%d passed, %d skipped, %ld failed\n", passed, skipped, failures);
    stmpi_finalize();
    return failures == 0 ? 0 : 1;
}
