/* stencil_mpi.h: the MPI part of the runtime, for programs emitted for the `mpi` and `hybrid`
 * targets. Link with stencil_runtime.c; build with mpicc (C11).
 *
 * It holds everything MPI so that an emitted file holds only the problem: start-up (with the
 * thread level hybrid needs), the decomposition of a global ROWS x COLS grid into one block per
 * rank, the local index ranges an emitted sweep loops over, the halo exchange (non-blocking,
 * derived datatypes, all 8 neighbours, split into begin/end so the deep interior is computed
 * while halos are in flight), the convergence reductions, and the gather of the final field
 * into a .npy file on rank 0.
 *
 * Coordinates. Every rank owns the global rows [r0, r1) and columns [c0, c1) and holds them in a
 * local row-major array of (r1 - r0 + 2h) x (c1 - c0 + 2h) elements: its block plus a halo of
 * width h on every side. Global (gi, gj) sits at local (gi - r0 + h, gj - c0 + h). Halo cells
 * that fall outside the global grid exist but are never read: updates only touch points with
 * h <= gi < ROWS - h, h <= gj < COLS - h.
 *
 * 1-D grids, and 3-D grids with `decompose grid`, use the stmpi_blocks_* functions at the end:
 * the same scheme in D dimensions (a 3-D grid's slabs use stmpi_decompose, a plane as a row).
 */
#ifndef STENCIL_MPI_H
#define STENCIL_MPI_H

#include <mpi.h>
#include <stddef.h>

#include "stencil_runtime.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- start-up and shut-down -------------------------------------------------------------- */

enum { STMPI_SINGLE = 0, STMPI_FUNNELED = 1 };

/* MPI_Init, or MPI_Init_thread with MPI_THREAD_FUNNELED (threading == STMPI_FUNNELED, for
 * hybrid programs whose OpenMP teams call MPI only from the master thread outside parallel
 * regions); fatal if the library provides less. Installs an exit hook so that a fatal error on
 * one rank aborts the whole job instead of leaving the others waiting.
 * Environment: STENCILC_MPI_OVERLAP=0 (see stmpi_halo_begin); STENCILC_MPI_WAIT=spin|sleep,
 * how a rank waits for messages: spinning in MPI (the default) or polling with short sleeps
 * (the default when a node runs more ranks than it has cores).
 *
 * stmpi_init starts the set-up phase, which stmpi_decompose ends: every rank parses the same
 * arguments and checks the same sizes (st_parse_args, st_check_grid, ...), so every rank stops
 * the same way; in this phase only rank 0 prints (usage, errors), and an exit shuts the job down
 * cleanly. */
void stmpi_init(int *argc, char ***argv, int threading);

/* MPI_Finalize; returns 0 for main to return. */
int stmpi_finalize(void);

/* For errors every rank detects alike: rank 0 prints "PROGRAM: error: MESSAGE", every rank
 * finalizes and exits with status 1. */
void stmpi_fatal_all(const char *format, ...) __attribute__((noreturn, format(printf, 1, 2)));

int stmpi_rank(void);
int stmpi_size(void);

/* ---- decomposition ----------------------------------------------------------------------- */

typedef enum {
    STMPI_ROWS = 0, /* P x 1 blocks of whole rows */
    STMPI_GRID = 1, /* px x py blocks, px * py = P from MPI_Dims_create */
} stmpi_decomposition;

/* Neighbour slots, in the order halo messages are posted. */
enum {
    STMPI_N = 0, STMPI_S, STMPI_W, STMPI_E, STMPI_NW, STMPI_NE, STMPI_SW, STMPI_SE,
    STMPI_NEIGHBOURS
};

typedef struct stmpi_halo stmpi_halo;

typedef struct {
    MPI_Comm comm;              /* the Cartesian communicator, not reordered; periodic along the
                                 * axes of periodic sides (stmpi_decompose_sides) */
    int rank, size;
    int dims[2];                /* process grid: rows of ranks x columns of ranks */
    int coords[2];              /* this rank's place in it */
    int neighbour[STMPI_NEIGHBOURS]; /* ranks in comm, MPI_PROC_NULL past the global edge */
    stmpi_decomposition kind;
    long rows, cols;            /* the global grid, boundary ring included */
    int halo;                   /* the halo's depth: h, or h times the plan's depth (deep halos) */
    int reach;                  /* h: the stencil's reach, the width of the grid's boundary ring */
    long r0, r1, c0, c1;        /* the owned global block [r0, r1) x [c0, c1) */
    long local_rows, local_cols;/* (r1 - r0 + 2h) x (c1 - c0 + 2h) */
    char description[48];       /* "rows 4x1", "grid 2x2" */
} stmpi_decomp;

/* Decomposes the global rows x cols grid over the ranks of MPI_COMM_WORLD for halo width h.
 * Collective; ends the set-up phase (see stmpi_init). Every block must have at least max(h, 1)
 * rows and columns (a neighbour's halo is filled from this block); otherwise a fatal error,
 * printed once, before anything runs. */
void stmpi_decompose(stmpi_decomp *d, long rows, long cols, int halo, stmpi_decomposition kind);

/* stmpi_decompose of whole rows (STMPI_ROWS) for a stencil of halo h with a halo `depth` times
 * deeper, depth * h rows (at least 1): an exchange then brings what `depth` sweeps read
 * (stmpi_sweeps with an st_rank_plan of kind tiles and that depth). */
void stmpi_decompose_deep(stmpi_decomp *d, long rows, long cols, int halo, long depth);

/* The rows of the smallest block of whole rows (STMPI_ROWS) of `rows` over this run's ranks, for
 * st_rank_plan (a deep halo comes from one block); and how many of the ranks share this rank's
 * node (its caches). Both before stmpi_decompose; the second is collective. */
long stmpi_smallest_block(long rows);
int stmpi_ranks_on_node(void);

/* The set-up's checks whose outcome may differ between ranks, made collective: every rank runs
 * the check, and if any failed, rank 0 prints the lowest failing rank's message and every rank
 * stops with status 1 (one that stopped alone left the others waiting forever).
 *   stmpi_check_grid_files: st_check_grid_files (an --input file on one node's disk only).
 *   stmpi_rank_plan: st_rank_plan for the smallest block of `rows` and this node's ranks, then
 *     rank 0's plan on every rank (nodes differ in caches and ranks, ranks in STENCILC_PLAN).
 *   stmpi_whole_sweeps_plan: st_whole_sweeps_plan, the same way. */
void stmpi_check_grid_files(const st_options *options, const char *const *grids, int grid_count, long rows, long cols,
                            size_t elem_size);
st_plan stmpi_rank_plan(const st_sweeper *s, long rows, int mode, const char *options_plan, const char *source);
st_plan stmpi_whole_sweeps_plan(const char *options_plan, const char *reason);

/* A 3-D grid decomposed as slabs of planes: stmpi_decompose_sides of `planes` rows of
 * `plane_size` (rows * cols) points, STMPI_ROWS, with `periodic` and `copying` for the plane axis
 * (front/back sides). Its messages count planes ("cannot split 3 planes over 4 ranks"), and
 * d->description says "planes 4x1x1", which the summary prints. */
void stmpi_decompose_slabs(stmpi_decomp *d, long planes, long plane_size, int halo, int periodic, int copying);

/* stmpi_decompose for a stencil with neumann or periodic sides (LANGUAGE.md section 5):
 * periodic[a] (a = 0 rows, 1 columns) makes axis a of the Cartesian communicator periodic (the
 * 8-neighbour halo exchange still stops at the global edge: a periodic side is a boundary
 * statement, applied in its place in the order written, see stmpi_copy_side); copying[a] says
 * axis a has a neumann or periodic side, and then every block needs at least 2h points along
 * it, so that each side's sources lie in the blocks that own them. */
void stmpi_decompose_sides(stmpi_decomp *d, long rows, long cols, int halo, stmpi_decomposition kind,
                           const int periodic[2], const int copying[2]);

/* One `SIDE = neumann` or `SIDE = periodic` statement (ST_TOP.., ST_NEUMANN or ST_PERIODIC, as
 * st_copy_side) on the points of the side's strip this rank owns, from the field as the
 * statements before it left it. neumann: the ranks owning the side copy within their block.
 * periodic: one message along the periodic axis from each rank owning the far interior layers
 * to the rank owning the strip (to itself when one rank spans the axis). Collective over the
 * decomposition (every rank calls it, in the same order). Halo cells are not updated: the next
 * halo exchange brings the new boundary values to the neighbours. */
void stmpi_copy_side(const stmpi_decomp *d, void *local, int side, int kind, MPI_Datatype elem);

/* A 3-D grid's slab (stmpi_decompose_slabs): one neumann or periodic statement of a side within the
 * planes (top, bottom, left, right: the rows x cols of each plane), applied by this rank alone to
 * every plane it holds, halo planes included, as st_copy_side does to a 2-D grid. The planes it
 * holds are all of each point's sources along those axes: no message. (front/back lie across
 * the slabs: stmpi_copy_side's ST_TOP/ST_BOTTOM.) */
void stmpi_copy_side_planes(const stmpi_decomp *d, void *local, long rows, long cols, size_t elem_size, int side,
                            int kind);

/* Frees the communicator. Collective. */
void stmpi_decomp_free(stmpi_decomp *d);

/* The block of `extent` items owned by index `k` of `parts`: the first extent % parts blocks
 * get one more item. Pure; the same split stencilc explain prints. */
void stmpi_split(long extent, int parts, int k, long *begin, long *end);

/* ---- local index ranges ------------------------------------------------------------------ */

/* A local rectangle [i0, i1) x [j0, j1); empty when i0 >= i1 or j0 >= j1. */
typedef struct { long i0, i1, j0, j1; } stmpi_rect;

/* The updated points this rank owns: global [h, ROWS-h) x [h, COLS-h) clipped to the block. */
stmpi_rect stmpi_updated(const stmpi_decomp *d);

/* The deep interior: the updated points whose stencil reads no halo cell (h away from every
 * side that has a neighbour), computable while the halo exchange is in flight. */
stmpi_rect stmpi_interior(const stmpi_decomp *d);

/* The updated points outside the deep interior as 4 disjoint strips: top, bottom (full width
 * of the updated range), left, right (the interior's rows). Some may be empty. */
void stmpi_frame(const stmpi_decomp *d, stmpi_rect frame[4]);

/* The part of the global rectangle [gr0, gr1) x [gc0, gc1) this rank holds (halo included), in
 * local indices; local index l is global index l + r0 - h (rows), l + c0 - h (columns). Empty
 * (i0 >= i1 or j0 >= j1) when the rank holds none of it. Position-dependent fills loop over it. */
stmpi_rect stmpi_held(const stmpi_decomp *d, long gr0, long gr1, long gc0, long gc1);

/* A local array of the decomposition's size, zeroed (st_alloc_aligned_grid), with the local
 * column that holds global column `aligned_col` on a line, or the block's first column where the
 * block starts past it. The programs pass HALO, the grid's first updated column, so every
 * block's first updated column starts a line (local column 2 * HALO on a block at the left edge,
 * whose halo columns come first, HALO elsewhere). */
void *stmpi_alloc_local(const stmpi_decomp *d, size_t elem_size, long aligned_col);

/* Sets the global rectangle [gr0, gr1) x [gc0, gc1) to value, clipped to the part of the global
 * grid this rank holds, halo included (boundary and initial values are set locally from global
 * coordinates, so the halo starts valid too). */
void stmpi_fill_f32(const stmpi_decomp *d, float *local, long gr0, long gr1, long gc0, long gc1,
                    float value);
void stmpi_fill_f64(const stmpi_decomp *d, double *local, long gr0, long gr1, long gc0, long gc1,
                    double value);

/* ---- halo exchange ----------------------------------------------------------------------- */

/* An exchange plan bound to one local array of element type elem (MPI_FLOAT or MPI_DOUBLE):
 * persistent non-blocking sends and receives toward all 8 neighbours. Create one per buffer of
 * a ping-pong pair. */
stmpi_halo *stmpi_halo_create(const stmpi_decomp *d, void *local, MPI_Datatype elem);
void stmpi_halo_free(stmpi_halo *halo);

/* Starts the exchange (MPI_Startall); the halo cells of the array must not be read and its
 * owned cells must not be written until stmpi_halo_end. With STENCILC_MPI_OVERLAP=0 in the
 * environment, begin completes the exchange at once and end does nothing: same results, no
 * overlap. With STENCILC_MPI_OVERLAP=compare, sweeps alternate between the two, and the
 * summary reports the share of time in exchange for each: what overlap buys, measured in one
 * run, alternating sweep by sweep (stmpi_sweep_begin), not exchange by exchange. Outside a sweep
 * begin completes the exchange and is not timed. */
void stmpi_halo_begin(stmpi_halo *halo);

/* Waits for the exchange started by stmpi_halo_begin. */
void stmpi_halo_end(stmpi_halo *halo);

/* Both halves in one call. */
void stmpi_halo_exchange(stmpi_halo *halo);

/* Sweeps first .. first+count-1 of a 2-D block of whole rows (buffer[k % 2] holds iterate k,
 * exchange[k % 2] its halo exchange), as `plan` (st_rank_plan) says: sweeps, each one exchange
 * overlapped with the deep interior's update, then the frame; or tiles, one exchange of the
 * deep halo per block of plan->depth sweeps (fewer at the end), then st_deep_block. The
 * sweeper is the block's: its rows and columns the local array's, `alone` the update. Each
 * sweep, or block, is one for stmpi_sweep_begin/end. */
void stmpi_sweeps(const st_plan *plan, const stmpi_decomp *d, const st_sweeper *s, long first, long count,
                  void *const buffer[2], stmpi_halo *const exchange[2]);

/* Brackets one sweep (every exchange of a system's grids, both halves of a red-black sweep): the
 * unit of the overlap timers and of STENCILC_MPI_OVERLAP=compare's alternation. Called by one
 * thread (hybrid: the master), around the sweep's exchanges. */
void stmpi_sweep_begin(void);
void stmpi_sweep_end(void);

/* ---- reductions -------------------------------------------------------------------------- */

void stmpi_barrier(void);

double stmpi_allreduce_max(double local); /* maxdiff; also the slowest rank's time */
double stmpi_allreduce_sum(double local); /* l2diff: sums of squares */
long stmpi_allreduce_count(long local);   /* NaN/Inf counts */

/* ---- divergence -------------------------------------------------------------------------- */

/* The NaN or Inf points of the whole grid (owned blocks of every rank). Collective. */
long stmpi_count_nonfinite(const stmpi_decomp *d, const void *local, size_t elem_size);

/* st_check_finite for a count every rank holds (after an Allreduce): the message once, then
 * every rank stops. */
void stmpi_check_finite(long nonfinite_points, long iteration);

/* ---- output ------------------------------------------------------------------------------ */

/* Gathers every rank's owned block into a full rows x cols array on rank 0 and writes it with
 * st_write_npy. Collective; does nothing when path is NULL. */
void stmpi_write_npy(const stmpi_decomp *d, const char *path, const void *local, MPI_Datatype elem);

/* The same gather, once, for the .npy (npy_path) and the heat map (png_path, st_write_heatmap_png);
 * either may be NULL. Collective. */
void stmpi_write_field(const stmpi_decomp *d, const char *npy_path, const char *png_path, const void *local,
                       MPI_Datatype elem);

/* Every --output NAME=FILE.npy (st_options.outputs): grid NAME is the local array `locals[k]`
 * where `grids[k]` is NAME, gathered and written as stmpi_write_field does. Collective. */
void stmpi_write_outputs(const stmpi_decomp *d, const st_options *options, const char *const *grids,
                         const void *const *locals, int grid_count, MPI_Datatype elem);

/* ---- input ------------------------------------------------------------------------------- */

/* If --input gave a file for `grid` (checked beforehand, in the set-up phase, by
 * st_check_grid_files on every rank), reads the part of the global grid this rank holds, its
 * block and the halo cells inside the grid, straight from the file into `local` (seeking row by
 * row; no rank reads the whole grid) and returns 1; else returns 0. */
int stmpi_read_input(const stmpi_decomp *d, const st_options *options, const char *grid, void *local,
                     size_t elem_size);

/* Prints the summary on rank 0, then, in the human form, a line with the time the slowest rank
 * spent in halo exchange and its share of the iterations' time. Collective. */
void stmpi_print_summary(const stmpi_decomp *d, const st_summary *summary, const st_options *options);

/* ---- 1-D and 3-D grids: blocks of a Cartesian process grid --------------------------------
 *
 * A grid of D = 1 or 3 dimensions (any D up to 3 works) split over a D-dimensional process grid
 * (MPI_Dims_create, MPI_Cart_create, not reordered): `decompose grid` of a 3-D grid, and either
 * decomposition of a 1-D grid (its one dimension split over the ranks). Arrays of D entries,
 * first dimension first (planes, rows, columns). Every rank owns the global box [lo, hi) and
 * holds it with a halo h deep on every side, row-major, the last index fastest: global g sits at
 * local g - lo + h along each axis. A 3-D grid's slabs (decompose rows) use stmpi_decompose. */

enum { STMPI_MAX_DIMS = 3, STMPI_BOX_SLOTS = 27 /* 3^D neighbour slots; the middle one is the rank itself */ };

/* A box of local indices, [lo[a], hi[a]) along each axis a; empty when any lo >= hi. */
typedef struct { long lo[STMPI_MAX_DIMS], hi[STMPI_MAX_DIMS]; } stmpi_box;

typedef struct {
    MPI_Comm comm;              /* the Cartesian communicator, not reordered */
    int rank, size;
    int dimensions;             /* D */
    int dims[STMPI_MAX_DIMS];   /* the process grid */
    int coords[STMPI_MAX_DIMS]; /* this rank's place in it */
    /* Neighbour by slot: slot = sum over a of (step[a] + 1) * 3^(D-1-a), step in {-1, 0, 1}.
     * MPI_PROC_NULL past the global edge, for the rank itself, and for edge and corner slots
     * (more than one step not 0) unless `diagonals`. */
    int neighbour[STMPI_BOX_SLOTS];
    int diagonals;              /* edges and corners are exchanged: the stencil reads diagonals */
    long extent[STMPI_MAX_DIMS];/* the global grid, boundary included */
    int halo;                   /* h */
    long lo[STMPI_MAX_DIMS], hi[STMPI_MAX_DIMS]; /* the owned global box */
    long local[STMPI_MAX_DIMS]; /* hi - lo + 2h */
    char description[48];       /* "grid 2x2x1", "rows 4" */
} stmpi_blocks;

/* Decomposes the global grid of `dimensions` extents over MPI_COMM_WORLD for halo width h.
 * Collective; ends the set-up phase (see stmpi_init). Every block must have at least max(h, 1)
 * points along every axis; otherwise a fatal error, printed once, before anything runs. `kind`
 * only names it in the description (a 1-D grid is split the same way by both). */
void stmpi_blocks_decompose(stmpi_blocks *d, int dimensions, const long *extents, int halo,
                            stmpi_decomposition kind, int diagonals);

/* stmpi_blocks_decompose for a stencil with neumann or periodic sides (LANGUAGE.md section 5),
 * D entries each: periodic[a] makes axis a of the Cartesian communicator periodic (the halo
 * exchange still stops at the global edge: a periodic side is a boundary statement, applied in
 * its place in the order written, see stmpi_blocks_copy_side); copying[a] says axis a has a
 * neumann or periodic side, and then every block needs at least 2 * max(h, 1) points along it, so
 * that each side's sources lie in the blocks that own them (else the same fatal error). */
void stmpi_blocks_decompose_sides(stmpi_blocks *d, int dimensions, const long *extents, int halo,
                                  stmpi_decomposition kind, int diagonals, const int *periodic, const int *copying);

/* One `SIDE = neumann` or `SIDE = periodic` statement (ST_LEFT..ST_BACK, ST_NEUMANN or
 * ST_PERIODIC, as st_copy_side_nd) on the points of the side's strip (st_side_strip: corners and
 * edges included) this rank owns, from the field as the statements before it left it. neumann:
 * the ranks owning the side copy within their block. periodic: one message along the periodic
 * axis from each rank owning the far interior layers to the rank owning the strip with the same
 * coordinates along the other axes (to itself when one rank spans the axis). Collective over the
 * decomposition (every rank calls it, in the same order). Halo cells are not updated: the next
 * halo exchange brings the new boundary values to the neighbours (its faces span the owned
 * range, the filled ring included, along the axes they do not step across). */
void stmpi_blocks_copy_side(const stmpi_blocks *d, void *local, int side, int kind, MPI_Datatype elem);

void stmpi_blocks_decomp_free(stmpi_blocks *d);

/* The updated points this rank owns (global [h, extent - h) along every axis, clipped to the
 * block); the deep interior among them (h away from every face with a neighbour: computable
 * while the halo exchange is in flight); the rest as 2D disjoint boxes (the two faces of axis
 * 0 first, then axis 1's within the interior's range of axis 0, ...). Local indices. */
stmpi_box stmpi_blocks_updated(const stmpi_blocks *d);
stmpi_box stmpi_blocks_interior(const stmpi_blocks *d);
void stmpi_blocks_frame(const stmpi_blocks *d, stmpi_box frame[2 * STMPI_MAX_DIMS]);

/* The part of the global box [begin, end) (D entries each) this rank holds, halo included, in
 * local indices. Position-dependent fills loop over it. */
stmpi_box stmpi_blocks_held(const stmpi_blocks *d, const long *begin, const long *end);

/* A zeroed local array (block plus halo), aligned as stmpi_alloc_local's: `aligned_col` is a
 * global index along the last axis. */
void *stmpi_blocks_alloc_local(const stmpi_blocks *d, size_t elem_size, long aligned_col);

/* The halo exchange of one local array: persistent requests toward every neighbour slot
 * (faces, and edges and corners with `diagonals`); begin, end and free as for stmpi_decomp. */
stmpi_halo *stmpi_blocks_halo_create(const stmpi_blocks *d, void *local, MPI_Datatype elem);

/* As stmpi_count_nonfinite, stmpi_read_input, stmpi_write_field, stmpi_write_outputs and
 * stmpi_print_summary, for blocks. The .npy files have the grid's shape (st_check_shape). */
long stmpi_blocks_count_nonfinite(const stmpi_blocks *d, const void *local, size_t elem_size);
int stmpi_blocks_read_input(const stmpi_blocks *d, const st_options *options, const char *grid, void *local,
                            size_t elem_size);
void stmpi_blocks_write_field(const stmpi_blocks *d, const char *npy_path, const char *png_path,
                              const void *local, MPI_Datatype elem);
void stmpi_blocks_write_outputs(const stmpi_blocks *d, const st_options *options, const char *const *grids,
                                const void *const *locals, int grid_count, MPI_Datatype elem);
void stmpi_blocks_print_summary(const stmpi_blocks *d, const st_summary *summary, const st_options *options);

#ifdef __cplusplus
}
#endif

#endif /* STENCIL_MPI_H */
