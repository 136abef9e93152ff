/* stencil_sweeps.h: how a serial or openmp program runs its plain sweeps (those between two
 * convergence checks): the plan, chosen at run time, and the drivers that carry it out.
 *
 * The emitted program supplies the update only, as functions that sweep a rectangle of rows and
 * columns from one buffer into the other (st_sweep_fn). Everything that is the same for every
 * stencil is here: the cost model that picks a plan from the grid's size and the caches, the
 * `--plan` / STENCILC_PLAN override that `stencilc tune` uses, and the temporal blocking drivers.
 * Every plan gives the same bits as whole sweeps, one after the other: each point is always
 * computed from exactly the previous sweep's values of its neighbours.
 */
#ifndef STENCIL_SWEEPS_H
#define STENCIL_SWEEPS_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The kinds of plan:
 *   sweeps: whole sweeps one after the other (the team shares each sweep's rows out).
 *   tiles:  row tiles of `tile_rows` rows advance up to `depth` sweeps each, every sweep shifted
 *           up by the halo (a skewed wavefront), so a tile's rows stay in cache while it advances:
 *           for grids larger than the last-level cache. The team shares each step's rows.
 *   bands:  each thread advances its own band of rows up to `depth` sweeps between two barriers,
 *           recomputing the few rows beyond its band that those sweeps read (overlapped tiling)
 *           in private scratch grids, in skewed tiles of `tile_rows` rows: for grids that fit in
 *           the threads' own caches, where a barrier per sweep costs more than the sweep. */
enum { ST_PLAN_SWEEPS = 0, ST_PLAN_TILES = 1, ST_PLAN_BANDS = 2 };

/* The largest depth, tile height or tile width a plan may be given (`bands:DEPTH:ROWS:COLS`): far
 * past any useful one, and small enough that the drivers' sums of depths, halos and tiles stay
 * exact in a long. */
#define ST_PLAN_LARGEST (1L << 30)

/* The `temporal` schedule line: auto lets the cost model choose, off keeps whole sweeps, on
 * blocks whenever the program can. */
enum { ST_TEMPORAL_AUTO = 0, ST_TEMPORAL_ON = 1, ST_TEMPORAL_OFF = 2 };

static inline const char *st_plan_kind_name(int kind)
{
    return kind == ST_PLAN_TILES ? "tiles" : kind == ST_PLAN_BANDS ? "bands" : "sweeps";
}

typedef struct {
    int kind;           /* ST_PLAN_* */
    long depth;         /* sweeps per block (tiles, bands) */
    long tile_rows;     /* rows per tile (tiles, bands) */
    const char *source; /* "default" (the cost model), "tuned" (stencilc tune), "given" (--plan) */
    const char *reason; /* why this plan, in words, for the summary */
    long tile_cols;     /* columns per tile (tiles, bands): the last dimension is cut too, each sweep
                         * of a tile shifted left by the halo as it is shifted up; 0: whole rows */
    int planes;         /* the rows it cuts are a 3-D grid's planes (for the summary's words) */
} st_plan;

/* Updates rows [row_begin, row_end) x columns [col_begin, col_end) of `out` from `in` (both
 * grids of the program's size); `args` is the program's own record of its read-only grids,
 * params and row length. */
typedef void st_sweep_fn(const void *args, long row_begin, long row_end, long col_begin, long col_end,
                         const void *in, void *out);

/* What the drivers need to know of a program. */
typedef struct {
    st_sweep_fn *team;  /* every thread of the team calls it with the same rows and they share them
                         * out (an orphaned `omp for`, whose barrier ends the sweep); serial: plain */
    st_sweep_fn *alone; /* the calling thread sweeps all the rows it is given (bands); NULL where
                         * the program cannot run bands */
    const void *args;
    long rows, cols;
    int halo;
    size_t elem_size;
    int arrays;         /* grids a sweep touches (the two buffers and the read-only grids) */
    long row_size;      /* elements from one of the sweeper's rows to the next; 0: cols. A 3-D grid's
                         * sweeper rows are its planes (rows x cols elements each, row_size), which
                         * tiles and bands cut as they cut a 2-D grid's rows; the column range it
                         * passes the sweep stays [halo, cols - halo) of the last dimension */
} st_sweeper;

/* The plan for this run: from `--plan` (options_plan, may be NULL), else the environment's
 * STENCILC_PLAN, else the cost model for `threads` threads and the schedule's temporal mode.
 * A plan is written KIND[:DEPTH[:TILE_ROWS[:TILE_COLS]]] (`sweeps`, `tiles:16:64`, `bands:7:12`,
 * `bands:7:32:256`); missing numbers come from the cost model (which keeps whole rows). `source` names where a given plan came from ("tuned" when
 * stencilc passes a stored one). A plan the program cannot run is a fatal error. */
st_plan st_choose_plan(const st_sweeper *sweeper, int threads, int mode, const char *options_plan,
                       const char *source);

/* The cost model's plan (also what `stencilc tune` starts from). It needs no fitted constants,
 * only the cache sizes of this machine: blocking pays where a sweep waits on memory or on
 * barriers rather than on arithmetic. Grids larger than half the last-level cache: bands where
 * the team can run them (each thread's tiles sized to its own level 2 cache), else tiles sized to
 * half the last-level cache. Grids that fit in the threads' own (level 2) caches together, with
 * more than one thread: bands, with tiles sized to the level 1 cache. Otherwise whole sweeps,
 * which run from the last-level cache at the speed of the arithmetic. */
st_plan st_default_plan(const st_sweeper *sweeper, int threads, int mode);

/* The plan of a program that can only run whole sweeps (red-black order, 1-D, sides that change
 * every sweep, opencl's kernel launches; `reason` says which): `options_plan` (--plan) or
 * STENCILC_PLAN may be empty or "sweeps"; anything else is a fatal error. (In stencil_runtime.c.) */
st_plan st_whole_sweeps_plan(const char *options_plan, const char *reason);

/* Runs sweeps first .. first+count-1 (buffer[k % 2] holds iterate k) as the plan says. Called by
 * every thread of the team (inside the program's parallel region) with the same arguments;
 * `scratch` is the calling thread's from st_make_scratch (bands only). */
void st_sweeps(const st_plan *plan, const st_sweeper *sweeper, long first, long count, void *const buffer[2],
               void *const scratch[2]);

/* An mpi rank's plan (runtime/stencil_mpi.h, stmpi_sweeps), for a sweeper of its block's shape and
 * the smallest block's updated rows, `block_rows`: sweeps (one halo exchange per sweep) or
 * tiles, whose depth is also the halo's, in sweeps: one exchange of DEPTH * halo rows, then the
 * block and the rows of that halo advance DEPTH sweeps tile by tile (st_deep_block). From
 * `--plan` or STENCILC_PLAN as st_choose_plan (bands are a fatal error), else a cost model like
 * st_default_plan's for one thread, in the last-level cache's share of one of the `sharing`
 * ranks on this node. */
st_plan st_rank_plan(const st_sweeper *s, long block_rows, int sharing, int mode, const char *options_plan,
                     const char *source);

/* One block of `depth` sweeps first .. first+depth-1 by the calling thread alone (s->alone), where
 * the rows up to (depth - 1) * halo beyond the band [band_begin, band_end) are its own and hold
 * iterate `first` (an mpi rank's deep halo, just exchanged): sweep `step` updates the band and
 * the (depth - 1 - step) * halo rows beyond it on each side, clipped to [top, bottom), columns
 * [left, right), in the plan's skewed tiles; the sweeps alternate between the two buffers, and
 * buffer[(first + depth) % 2] holds iterate first+depth on the band afterwards. */
void st_deep_block(const st_plan *plan, const st_sweeper *s, long top, long bottom, long band_begin, long band_end,
                   long left, long right, long first, long depth, void *const buffer[2]);

/* The calling thread's two scratch grids for bands, copies of `grid` so that they carry its
 * boundary values (bands never write them); both NULL for other plans. Each is mapped at the
 * grid's full size but holds only the rows the thread's blocks read and write (its band and
 * (depth - 1) * halo rows on each side): the rest are never touched, so they take no memory. */
void st_make_scratch(const st_plan *plan, const st_sweeper *sweeper, const void *grid, void *scratch[2]);
void st_free_scratch(void *scratch[2]);

/* The band of updated rows [*begin, *end) that thread `thread` of a team of `team` owns: rows
 * [halo, rows - halo) cut into `team` contiguous bands as even as can be, in thread order. */
void st_band_rows(long rows, int halo, int team, int thread, long *begin, long *end);

#ifdef __cplusplus
}
#endif

#endif /* STENCIL_SWEEPS_H */
