/* stencil_mpi.c: see stencil_mpi.h. C11 plus POSIX (dup, dup2) and MPI-3. */
#define _POSIX_C_SOURCE 200809L

#include "stencil_mpi.h"

#include <fcntl.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* ---- start-up and shut-down -------------------------------------------------------------- */

static int world_rank = 0, world_size = 1;
/* STENCILC_MPI_OVERLAP: 1 (default) on, 0 off, 2 ("compare") alternating sweep by sweep. */
enum { OVERLAP_OFF = 0, OVERLAP_ON = 1, OVERLAP_COMPARE = 2 };
static int overlap = OVERLAP_ON;

/* Timers by mode (0: off, 1: on): time inside stmpi_halo_begin/end, and whole sweeps, from
 * stmpi_sweep_begin to stmpi_sweep_end (a sweep of a system exchanges one halo per grid, a
 * red-black sweep one per half: the sweep, not the exchange, is the unit). Exchanges outside a
 * sweep (set-up) are not timed. */
static double halo_seconds[2];
static double sweep_seconds[2];
static long sweeps[2];
static double sweep_start = -1; /* < 0: not in a sweep */
static int sweep_mode = OVERLAP_ON;
static int polite = 0;           /* wait by polling and sleeping: ranks outnumber cores */

/* Set while every rank runs the same code toward the same exit (argument parsing, errors all
 * ranks detect): the exit hook then finalizes instead of aborting the job. */
static int collective_exit = 0;

/* A rank that exits while MPI is up either leaves with the others (collective_exit) or alone, in
 * which case the others may wait on it forever: abort the job. */
static void exit_hook(void)
{
    int initialized = 0, finalized = 0;
    MPI_Initialized(&initialized);
    MPI_Finalized(&finalized);
    if (!initialized || finalized) return;
    fflush(stdout);
    fflush(stderr);
    if (collective_exit) MPI_Finalize();
    else MPI_Abort(MPI_COMM_WORLD, 1);
}

/* The set-up phase, from stmpi_init to the end of stmpi_decompose: every rank runs the same code
 * on the same arguments, so every rank stops the same way; all but rank 0 run it with stdout and
 * stderr pointed at /dev/null, so usage and errors are printed once, and an exit finalizes. */
static int saved_out = -1, saved_err = -1;

static void setup_begin(void)
{
    collective_exit = 1;
    if (world_rank == 0) return;
    fflush(stdout);
    fflush(stderr);
    int null = open("/dev/null", O_WRONLY);
    if (null < 0) return;
    saved_out = dup(STDOUT_FILENO);
    saved_err = dup(STDERR_FILENO);
    dup2(null, STDOUT_FILENO);
    dup2(null, STDERR_FILENO);
    close(null);
}

static void setup_end(void)
{
    collective_exit = 0;
    if (saved_out >= 0) {
        fflush(stdout);
        dup2(saved_out, STDOUT_FILENO);
        close(saved_out);
        saved_out = -1;
    }
    if (saved_err >= 0) {
        fflush(stderr);
        dup2(saved_err, STDERR_FILENO);
        close(saved_err);
        saved_err = -1;
    }
}

void stmpi_init(int *argc, char ***argv, int threading)
{
    if (threading == STMPI_FUNNELED) {
        int provided = MPI_THREAD_SINGLE;
        MPI_Init_thread(argc, argv, MPI_THREAD_FUNNELED, &provided);
        MPI_Comm_rank(MPI_COMM_WORLD, &world_rank);
        MPI_Comm_size(MPI_COMM_WORLD, &world_size);
        atexit(exit_hook);
        if (provided < MPI_THREAD_FUNNELED)
            stmpi_fatal_all("the MPI library provides thread level %d, but hybrid needs "
                            "MPI_THREAD_FUNNELED (%d)", provided, MPI_THREAD_FUNNELED);
    } else {
        MPI_Init(argc, argv);
        MPI_Comm_rank(MPI_COMM_WORLD, &world_rank);
        MPI_Comm_size(MPI_COMM_WORLD, &world_size);
        atexit(exit_hook);
    }
    const char *setting = getenv("STENCILC_MPI_OVERLAP");
    if (setting && (strcmp(setting, "0") == 0 || strcmp(setting, "off") == 0)) overlap = OVERLAP_OFF;
    else if (setting && strcmp(setting, "compare") == 0) overlap = OVERLAP_COMPARE;
    else overlap = OVERLAP_ON;
    /* More ranks on this node than cores: wait politely (see wait_all). */
    setting = getenv("STENCILC_MPI_WAIT");
    if (setting && strcmp(setting, "sleep") == 0) polite = 1;
    else if (setting && strcmp(setting, "spin") == 0) polite = 0;
    else {
        MPI_Comm node;
        int node_ranks = 1;
        MPI_Comm_split_type(MPI_COMM_WORLD, MPI_COMM_TYPE_SHARED, 0, MPI_INFO_NULL, &node);
        MPI_Comm_size(node, &node_ranks);
        MPI_Comm_free(&node);
        long cores = sysconf(_SC_NPROCESSORS_ONLN);
        polite = cores > 0 && node_ranks > cores;
    }
    setup_begin();
}

int stmpi_finalize(void)
{
    fflush(stdout);
    MPI_Finalize();
    return 0;
}

void stmpi_fatal_all(const char *format, ...)
{
    if (world_rank == 0) {
        va_list args;
        fflush(stdout);
        fprintf(stderr, "%s: error: ", st_program_name());
        va_start(args, format);
        vfprintf(stderr, format, args);
        va_end(args);
        fputc('\n', stderr);
        fflush(stderr);
    }
    collective_exit = 1;
    MPI_Finalize();
    exit(1);
}

int stmpi_rank(void) { return world_rank; }
int stmpi_size(void) { return world_size; }

/* ---- decomposition ----------------------------------------------------------------------- */

void stmpi_split(long extent, int parts, int k, long *begin, long *end)
{
    long base = extent / parts, extra = extent % parts;
    *begin = (long)k * base + (k < extra ? k : extra);
    *end = *begin + base + (k < extra ? 1 : 0);
}

/* Fatal unless `extent` items (`what`: "row" or "column") split into `parts` blocks leave
 * every block `need` deep (the halo's width, at least 1; twice that along an axis with neumann or
 * periodic sides). `over` names the parts: "8 ranks". */
static void check_split(const char *what, long extent, int parts, const char *over, int halo, long need)
{
    if (extent / parts >= need) return;
    char halo_text[32] = "";
    if (halo > 0) snprintf(halo_text, sizeof halo_text, " for halo %d", halo);
    stmpi_fatal_all("cannot split %ld %ss over %s: each block needs at least %ld %s%s%s",
                    extent, what, over, need, what, need == 1 ? "" : "s", halo_text);
}

void stmpi_decompose(stmpi_decomp *d, long rows, long cols, int halo, stmpi_decomposition kind)
{
    const int none[2] = { 0, 0 };
    stmpi_decompose_sides(d, rows, cols, halo, kind, none, none);
}

static void decompose(stmpi_decomp *d, long rows, long cols, int halo, stmpi_decomposition kind,
                      const int periodic[2], const int copying[2], const char *row);

void stmpi_decompose_sides(stmpi_decomp *d, long rows, long cols, int halo, stmpi_decomposition kind,
                           const int periodic[2], const int copying[2])
{
    decompose(d, rows, cols, halo, kind, periodic, copying, "row");
}

void stmpi_decompose_slabs(stmpi_decomp *d, long planes, long plane_size, int halo, int periodic, int copying)
{
    decompose(d, planes, plane_size, halo, STMPI_ROWS, (const int[2]){ periodic, 0 }, (const int[2]){ copying, 0 }, "plane");
    snprintf(d->description, sizeof d->description, "planes %dx1x1", d->size);
}

/* `row` names a row in the messages: "plane" for a 3-D grid's slabs. */
static void decompose(stmpi_decomp *d, long rows, long cols, int halo, stmpi_decomposition kind,
                      const int periodic[2], const int copying[2], const char *row)
{
    /* A block is at least the halo deep (a neighbour's halo comes from it); 2h along an axis
     * with neumann or periodic sides (a side's sources, h in, stay in the blocks that own them). */
    const long plain = halo > 1 ? halo : 1;
    const long need[2] = { copying[0] ? 2L * plain : plain, copying[1] ? 2L * plain : plain };
    memset(d, 0, sizeof *d);
    d->kind = kind;
    d->rows = rows;
    d->cols = cols;
    d->halo = halo;
    d->reach = halo;
    d->size = world_size;

    switch (kind) {
    case STMPI_ROWS:
        d->dims[0] = world_size;
        d->dims[1] = 1;
        break;
    case STMPI_GRID:
        MPI_Dims_create(world_size, 2, d->dims);
        break;
    }
    snprintf(d->description, sizeof d->description, "%s %dx%d",
             kind == STMPI_GRID ? "grid" : "rows", d->dims[0], d->dims[1]);

    /* Every rank computes the same verdict, so the message comes once, from rank 0. */
    char over[96];
    if (kind == STMPI_ROWS) {
        snprintf(over, sizeof over, "%d rank%s", world_size, world_size == 1 ? "" : "s");
        check_split(row, rows, d->dims[0], over, halo, need[0]);
    } else {
        snprintf(over, sizeof over, "%d row%s of ranks (process grid %dx%d for %d ranks)",
                 d->dims[0], d->dims[0] == 1 ? "" : "s", d->dims[0], d->dims[1], world_size);
        check_split("row", rows, d->dims[0], over, halo, need[0]);
        snprintf(over, sizeof over, "%d column%s of ranks (process grid %dx%d for %d ranks)",
                 d->dims[1], d->dims[1] == 1 ? "" : "s", d->dims[0], d->dims[1], world_size);
        check_split("column", cols, d->dims[1], over, halo, need[1]);
    }

    int periods[2] = { periodic[0] != 0, periodic[1] != 0 };
    MPI_Cart_create(MPI_COMM_WORLD, 2, d->dims, periods, 0, &d->comm);
    MPI_Comm_rank(d->comm, &d->rank);
    MPI_Cart_coords(d->comm, d->rank, 2, d->coords);

    stmpi_split(rows, d->dims[0], d->coords[0], &d->r0, &d->r1);
    stmpi_split(cols, d->dims[1], d->coords[1], &d->c0, &d->c1);
    d->local_rows = d->r1 - d->r0 + 2L * halo;
    d->local_cols = d->c1 - d->c0 + 2L * halo;

    /* Neighbour slots as (row step, column step). */
    static const int step[STMPI_NEIGHBOURS][2] = {
        [STMPI_N] = { -1, 0 }, [STMPI_S] = { 1, 0 }, [STMPI_W] = { 0, -1 }, [STMPI_E] = { 0, 1 },
        [STMPI_NW] = { -1, -1 }, [STMPI_NE] = { -1, 1 }, [STMPI_SW] = { 1, -1 }, [STMPI_SE] = { 1, 1 },
    };
    for (int s = 0; s < STMPI_NEIGHBOURS; ++s) {
        int at[2] = { d->coords[0] + step[s][0], d->coords[1] + step[s][1] };
        if (at[0] < 0 || at[0] >= d->dims[0] || at[1] < 0 || at[1] >= d->dims[1])
            d->neighbour[s] = MPI_PROC_NULL;
        else
            MPI_Cart_rank(d->comm, at, &d->neighbour[s]);
    }
    setup_end();
}

void stmpi_decompose_deep(stmpi_decomp *d, long rows, long cols, int halo, long depth)
{
    const long ghost = halo * (depth > 1 ? depth : 1);
    if (ghost > 1000000) st_fatal("a halo of %ld rows is too deep", ghost);
    stmpi_decompose(d, rows, cols, (int)ghost, STMPI_ROWS);
    d->reach = halo;
}

long stmpi_smallest_block(long rows)
{
    return rows / world_size;
}

int stmpi_ranks_on_node(void)
{
    MPI_Comm node;
    int size = 1;
    MPI_Comm_split_type(MPI_COMM_WORLD, MPI_COMM_TYPE_SHARED, 0, MPI_INFO_NULL, &node);
    MPI_Comm_size(node, &size);
    MPI_Comm_free(&node);
    return size;
}

/* ---- set-up checks the ranks must agree on ---------------------------------------------- */

/* After a check every rank ran, which may fail on some ranks only (a file on a node's own disk,
 * a variable set for some ranks): if any failed, rank 0 prints the lowest failing rank's message
 * and every rank stops together. A rank that stopped alone left the others waiting on it. */
static void agree(int failed, const char *message)
{
    int mine = failed ? world_rank : world_size, first = world_size;
    MPI_Allreduce(&mine, &first, 1, MPI_INT, MPI_MIN, MPI_COMM_WORLD);
    if (first == world_size) return;
    char text[1024] = "";
    if (world_rank == first) snprintf(text, sizeof text, "%s", message);
    MPI_Bcast(text, (int)sizeof text, MPI_CHAR, first, MPI_COMM_WORLD);
    if (first == 0) stmpi_fatal_all("%s", text);
    stmpi_fatal_all("rank %d: %s", first, text);
}

typedef struct {
    const st_options *options;
    const char *const *grids;
    int grid_count;
    long rows, cols;
    size_t elem_size;
} grid_files_check;

static void check_grid_files(void *context)
{
    const grid_files_check *c = context;
    st_check_grid_files(c->options, c->grids, c->grid_count, c->rows, c->cols, c->elem_size);
}

void stmpi_check_grid_files(const st_options *options, const char *const *grids, int grid_count, long rows, long cols,
                            size_t elem_size)
{
    grid_files_check check = { options, grids, grid_count, rows, cols, elem_size };
    char message[1024];
    int failed = st_try(check_grid_files, &check, message, sizeof message);
    agree(failed, message);
}

typedef struct {
    const st_sweeper *sweeper;
    long block_rows;
    int sharing, mode;
    const char *options_plan, *source, *reason;
    st_plan plan;
} rank_plan_choice;

static void choose_rank_plan(void *context)
{
    rank_plan_choice *c = context;
    c->plan = c->reason ? st_whole_sweeps_plan(c->options_plan, c->reason)
                        : st_rank_plan(c->sweeper, c->block_rows, c->sharing, c->mode, c->options_plan, c->source);
}

/* Every rank's plan is rank 0's: a rank's own choice depends on its node's caches and ranks and
 * on its environment (STENCILC_PLAN), and ranks that chose different depths exchanged halos of
 * different sizes (MPI_ERR_TRUNCATE). */
static st_plan agreed_plan(rank_plan_choice *choice)
{
    char message[1024];
    int failed = st_try(choose_rank_plan, choice, message, sizeof message);
    agree(failed, message);
    long numbers[4] = { choice->plan.kind, choice->plan.depth, choice->plan.tile_rows, choice->plan.tile_cols };
    MPI_Bcast(numbers, 4, MPI_LONG, 0, MPI_COMM_WORLD);
    st_plan plan = choice->plan;
    if (plan.kind != (int)numbers[0] || plan.depth != numbers[1]) plan.reason = "rank 0's plan";
    plan.kind = (int)numbers[0];
    plan.depth = numbers[1];
    plan.tile_rows = numbers[2];
    plan.tile_cols = numbers[3];
    return plan;
}

st_plan stmpi_rank_plan(const st_sweeper *s, long rows, int mode, const char *options_plan, const char *source)
{
    rank_plan_choice choice = { s, stmpi_smallest_block(rows), stmpi_ranks_on_node(), mode, options_plan, source, NULL,
                                { 0 } };
    return agreed_plan(&choice);
}

st_plan stmpi_whole_sweeps_plan(const char *options_plan, const char *reason)
{
    rank_plan_choice choice = { NULL, 0, 1, 0, options_plan, NULL, reason, { 0 } };
    return agreed_plan(&choice);
}

void stmpi_decomp_free(stmpi_decomp *d)
{
    if (d->comm != MPI_COMM_NULL) MPI_Comm_free(&d->comm);
}

/* ---- local index ranges ------------------------------------------------------------------ */

static long max_long(long a, long b) { return a > b ? a : b; }
static long min_long(long a, long b) { return a < b ? a : b; }

stmpi_rect stmpi_updated(const stmpi_decomp *d)
{
    long h = d->halo, ring = d->reach;
    stmpi_rect r;
    r.i0 = max_long(d->r0, ring) - d->r0 + h;
    r.i1 = min_long(d->r1, d->rows - ring) - d->r0 + h;
    r.j0 = max_long(d->c0, ring) - d->c0 + h;
    r.j1 = min_long(d->c1, d->cols - ring) - d->c0 + h;
    if (r.i1 < r.i0) r.i1 = r.i0;
    if (r.j1 < r.j0) r.j1 = r.j0;
    return r;
}

/* [lo, hi) clipped into [outer_lo, outer_hi), never inverted. */
static void clamp_range(long *lo, long *hi, long outer_lo, long outer_hi)
{
    *lo = min_long(max_long(*lo, outer_lo), outer_hi);
    *hi = min_long(max_long(*hi, *lo), outer_hi);
}

stmpi_rect stmpi_interior(const stmpi_decomp *d)
{
    long h = d->halo, reach = d->reach;
    stmpi_rect u = stmpi_updated(d), r;
    /* Local rows [h, h + block rows) are owned; a side with a neighbour gives up the reach's rows. */
    r.i0 = h + (d->neighbour[STMPI_N] != MPI_PROC_NULL ? reach : 0);
    r.i1 = h + (d->r1 - d->r0) - (d->neighbour[STMPI_S] != MPI_PROC_NULL ? reach : 0);
    r.j0 = h + (d->neighbour[STMPI_W] != MPI_PROC_NULL ? reach : 0);
    r.j1 = h + (d->c1 - d->c0) - (d->neighbour[STMPI_E] != MPI_PROC_NULL ? reach : 0);
    clamp_range(&r.i0, &r.i1, u.i0, u.i1);
    clamp_range(&r.j0, &r.j1, u.j0, u.j1);
    return r;
}

void stmpi_frame(const stmpi_decomp *d, stmpi_rect frame[4])
{
    stmpi_rect u = stmpi_updated(d), in = stmpi_interior(d);
    frame[0] = (stmpi_rect){ u.i0, in.i0, u.j0, u.j1 };  /* top */
    frame[1] = (stmpi_rect){ in.i1, u.i1, u.j0, u.j1 };  /* bottom */
    frame[2] = (stmpi_rect){ in.i0, in.i1, u.j0, in.j0 }; /* left */
    frame[3] = (stmpi_rect){ in.i0, in.i1, in.j1, u.j1 }; /* right */
}

/* The local column that holds global column `column`, or the block's first column where the
 * block starts past it: the first column a sweep of this block updates when `column` is the
 * first updated one of the grid. */
static long local_column(long column, long block_begin, long halo)
{
    return (column > block_begin ? column : block_begin) - block_begin + halo;
}

void *stmpi_alloc_local(const stmpi_decomp *d, size_t elem_size, long aligned_col)
{
    return st_alloc_aligned_grid(d->local_rows, d->local_cols, elem_size, local_column(aligned_col, d->c0, d->halo));
}

/* The global rectangle clipped to what this rank holds (block plus halo, inside the grid), in
 * local coordinates. */
static stmpi_rect held_part(const stmpi_decomp *d, long gr0, long gr1, long gc0, long gc1)
{
    long h = d->halo;
    long i0 = max_long(gr0, max_long(d->r0 - h, 0)), i1 = min_long(gr1, min_long(d->r1 + h, d->rows));
    long j0 = max_long(gc0, max_long(d->c0 - h, 0)), j1 = min_long(gc1, min_long(d->c1 + h, d->cols));
    stmpi_rect r = { i0 - d->r0 + h, i1 - d->r0 + h, j0 - d->c0 + h, j1 - d->c0 + h };
    return r;
}

stmpi_rect stmpi_held(const stmpi_decomp *d, long gr0, long gr1, long gc0, long gc1)
{
    return held_part(d, gr0, gr1, gc0, gc1);
}

void stmpi_fill_f32(const stmpi_decomp *d, float *local, long gr0, long gr1, long gc0, long gc1,
                    float value)
{
    stmpi_rect r = held_part(d, gr0, gr1, gc0, gc1);
    st_fill_f32(local, d->local_rows, d->local_cols, r.i0, r.i1, r.j0, r.j1, value);
}

void stmpi_fill_f64(const stmpi_decomp *d, double *local, long gr0, long gr1, long gc0, long gc1,
                    double value)
{
    stmpi_rect r = held_part(d, gr0, gr1, gc0, gc1);
    st_fill_f64(local, d->local_rows, d->local_cols, r.i0, r.i1, r.j0, r.j1, value);
}

/* ---- neumann and periodic sides ---------------------------------------------------------- */

static MPI_Datatype local_subarray(const stmpi_decomp *d, MPI_Datatype elem, long i0, long i1, long j0, long j1);

/* The part of the global rectangle this rank OWNS, in local indices. */
static stmpi_rect owned_part(const stmpi_decomp *d, long gr0, long gr1, long gc0, long gc1)
{
    long h = d->halo;
    long i0 = max_long(gr0, d->r0), i1 = min_long(gr1, d->r1), j0 = max_long(gc0, d->c0), j1 = min_long(gc1, d->c1);
    stmpi_rect r = { i0 - d->r0 + h, i1 - d->r0 + h, j0 - d->c0 + h, j1 - d->c0 + h };
    return r;
}

/* The global rectangle of side `side`'s strip ([0] rows, [1] columns, half-open), and of its
 * sources `shift` away along the side's axis. */
static void side_rect(const stmpi_decomp *d, int side, long shift, long rect[4])
{
    const long h = d->halo;
    rect[0] = 0; rect[1] = d->rows; rect[2] = 0; rect[3] = d->cols;
    switch (side) {
    case ST_TOP: rect[0] = shift; rect[1] = h + shift; break;
    case ST_BOTTOM: rect[0] = d->rows - h + shift; rect[1] = d->rows + shift; break;
    case ST_LEFT: rect[2] = shift; rect[3] = h + shift; break;
    default: rect[2] = d->cols - h + shift; rect[3] = d->cols + shift; break;
    }
}

static size_t type_size(MPI_Datatype elem)
{
    int size = 0;
    MPI_Type_size(elem, &size);
    return (size_t)size;
}

void stmpi_copy_side(const stmpi_decomp *d, void *local, int side, int kind, MPI_Datatype elem)
{
    const int axis = side == ST_TOP || side == ST_BOTTOM ? 0 : 1, first = side == ST_TOP || side == ST_LEFT;
    const long h = d->halo, extent = axis == 0 ? d->rows : d->cols;
    const size_t e = type_size(elem);
    char *g = local;
    long strip[4];
    side_rect(d, side, 0, strip);
    const stmpi_rect to = owned_part(d, strip[0], strip[1], strip[2], strip[3]);
    const int owns_strip = to.i0 < to.i1 && to.j0 < to.j1;
    if (kind == ST_NEUMANN) {
        /* Every source (index h, or extent-h-1, along the axis) lies in the owner's block (2h deep). */
        if (!owns_strip) return;
        const long from = first ? h : extent - h - 1;
        const long local_from = from - (axis == 0 ? d->r0 : d->c0) + h;
        for (long i = to.i0; i < to.i1; ++i)
            for (long j = to.j0; j < to.j1; ++j)
                memcpy(g + (i * d->local_cols + j) * (long)e,
                       g + ((axis == 0 ? local_from : i) * d->local_cols + (axis == 0 ? j : local_from)) * (long)e, e);
        return;
    }
    /* Periodic: the sources lie extent-2h further in (first sides) or back, in the ranks at the
     * other end of the axis, in the same row (column) of ranks: they own the same other indices. */
    long source[4];
    side_rect(d, side, first ? extent - 2 * h : -(extent - 2 * h), source);
    const stmpi_rect from = owned_part(d, source[0], source[1], source[2], source[3]);
    const int owns_source = from.i0 < from.i1 && from.j0 < from.j1;
    int receive_from, send_to; /* one step along the (periodic) axis toward the strip's end, wrapping */
    MPI_Cart_shift(d->comm, axis, first ? 1 : -1, &receive_from, &send_to);
    MPI_Datatype send_type = MPI_DATATYPE_NULL, recv_type = MPI_DATATYPE_NULL;
    if (owns_source) send_type = local_subarray(d, elem, from.i0, from.i1, from.j0, from.j1);
    if (owns_strip) recv_type = local_subarray(d, elem, to.i0, to.i1, to.j0, to.j1);
    MPI_Sendrecv(local, owns_source ? 1 : 0, owns_source ? send_type : elem, owns_source ? send_to : MPI_PROC_NULL,
                 200 + side, local, owns_strip ? 1 : 0, owns_strip ? recv_type : elem,
                 owns_strip ? receive_from : MPI_PROC_NULL, 200 + side, d->comm, MPI_STATUS_IGNORE);
    if (owns_source) MPI_Type_free(&send_type);
    if (owns_strip) MPI_Type_free(&recv_type);
}

void stmpi_copy_side_planes(const stmpi_decomp *d, void *local, long rows, long cols, size_t elem_size, int side,
                            int kind)
{
    /* Local plane p is local row p of the slab view, its points after the view's h column-halo points. */
    char *g = local;
    for (long p = 0; p < d->local_rows; ++p)
        st_copy_side(g + (p * d->local_cols + d->halo) * (long)elem_size, rows, cols, d->halo, elem_size, side, kind);
}

/* ---- halo exchange ----------------------------------------------------------------------- */

struct stmpi_halo {
    int count;                                   /* active requests */
    MPI_Request request[2 * STMPI_BOX_SLOTS];    /* room for blocks' 26 neighbours, both ways */
    MPI_Datatype type[2 * STMPI_BOX_SLOTS];
    int in_flight;
};

/* The slot a message sent toward slot s arrives from, seen by its receiver. */
static int opposite(int s)
{
    static const int other[STMPI_NEIGHBOURS] = {
        [STMPI_N] = STMPI_S, [STMPI_S] = STMPI_N, [STMPI_W] = STMPI_E, [STMPI_E] = STMPI_W,
        [STMPI_NW] = STMPI_SE, [STMPI_NE] = STMPI_SW, [STMPI_SW] = STMPI_NE, [STMPI_SE] = STMPI_NW,
    };
    return other[s];
}

/* A subarray of the local array: rows [i0, i1) x cols [j0, j1). */
static MPI_Datatype local_subarray(const stmpi_decomp *d, MPI_Datatype elem, long i0, long i1,
                                   long j0, long j1)
{
    int sizes[2] = { (int)d->local_rows, (int)d->local_cols };
    int subsizes[2] = { (int)(i1 - i0), (int)(j1 - j0) };
    int starts[2] = { (int)i0, (int)j0 };
    MPI_Datatype type;
    MPI_Type_create_subarray(2, sizes, subsizes, starts, MPI_ORDER_C, elem, &type);
    MPI_Type_commit(&type);
    return type;
}

stmpi_halo *stmpi_halo_create(const stmpi_decomp *d, void *local, MPI_Datatype elem)
{
    stmpi_halo *halo = calloc(1, sizeof *halo);
    if (!halo) st_fatal("out of memory");
    long h = d->halo, lr = d->r1 - d->r0, lc = d->c1 - d->c0;
    if (h == 0) return halo;
    if (d->local_rows > 2147483647L || d->local_cols > 2147483647L)
        st_fatal("a block of %ld x %ld is too large for MPI datatypes", d->local_rows, d->local_cols);

    /* Per side: the rows (or columns) this rank sends toward it and receives from it. Row
     * strips going north or south span the columns of the block, widened into the halo columns
     * at a global edge: the ranks of one process column share that shape, and in block rows the
     * strips become contiguous. */
    long send_lo[3] = { h, lr, h }, send_hi[3] = { 2 * h, lr + h, h + lr }; /* [near, far, all] rows */
    long recv_lo[3] = { 0, lr + h, h }, recv_hi[3] = { h, lr + 2 * h, h + lr };
    long csend_lo[3] = { h, lc, h }, csend_hi[3] = { 2 * h, lc + h, h + lc };
    long crecv_lo[3] = { 0, lc + h, h }, crecv_hi[3] = { h, lc + 2 * h, h + lc };
    if (d->neighbour[STMPI_W] == MPI_PROC_NULL) csend_lo[2] = crecv_lo[2] = 0;
    if (d->neighbour[STMPI_E] == MPI_PROC_NULL) csend_hi[2] = crecv_hi[2] = lc + 2 * h;

    /* Slot -> (row part, column part): 0 near edge, 1 far edge, 2 the whole block. */
    static const int part[STMPI_NEIGHBOURS][2] = {
        [STMPI_N] = { 0, 2 }, [STMPI_S] = { 1, 2 }, [STMPI_W] = { 2, 0 }, [STMPI_E] = { 2, 1 },
        [STMPI_NW] = { 0, 0 }, [STMPI_NE] = { 0, 1 }, [STMPI_SW] = { 1, 0 }, [STMPI_SE] = { 1, 1 },
    };
    int n = 0;
    /* Receives first, so that a matching send can land without an unexpected-message copy. */
    for (int s = 0; s < STMPI_NEIGHBOURS; ++s) {
        if (d->neighbour[s] == MPI_PROC_NULL) continue;
        int pr = part[s][0], pc = part[s][1];
        halo->type[n] = local_subarray(d, elem, recv_lo[pr], recv_hi[pr], crecv_lo[pc], crecv_hi[pc]);
        MPI_Recv_init(local, 1, halo->type[n], d->neighbour[s], opposite(s), d->comm, &halo->request[n]);
        ++n;
    }
    for (int s = 0; s < STMPI_NEIGHBOURS; ++s) {
        if (d->neighbour[s] == MPI_PROC_NULL) continue;
        int pr = part[s][0], pc = part[s][1];
        halo->type[n] = local_subarray(d, elem, send_lo[pr], send_hi[pr], csend_lo[pc], csend_hi[pc]);
        MPI_Send_init(local, 1, halo->type[n], d->neighbour[s], s, d->comm, &halo->request[n]);
        ++n;
    }
    halo->count = n;
    return halo;
}

void stmpi_halo_free(stmpi_halo *halo)
{
    if (!halo) return;
    for (int k = 0; k < halo->count; ++k) {
        MPI_Request_free(&halo->request[k]);
        MPI_Type_free(&halo->type[k]);
    }
    free(halo);
}

/* Waits for requests. Spinning in MPI_Waitall is fastest when every rank has a core; when ranks
 * outnumber cores (oversubscribed, as on a laptop or a CI runner), a spinning rank keeps the
 * core its partner needs to send, and each wait costs a scheduler time slice. Then poll and
 * sleep instead. */
static void wait_all(int count, MPI_Request *requests)
{
    if (!polite) {
        MPI_Waitall(count, requests, MPI_STATUSES_IGNORE);
        return;
    }
    for (int spins = 0;; ++spins) {
        int done = 0;
        MPI_Testall(count, requests, &done, MPI_STATUSES_IGNORE);
        if (done) return;
        if (spins > 50) {
            struct timespec pause = { 0, 20000 };
            nanosleep(&pause, NULL);
        }
    }
}

void stmpi_sweep_begin(void)
{
    sweep_mode = overlap == OVERLAP_COMPARE ? (int)((sweeps[0] + sweeps[1]) % 2) : overlap;
    sweep_start = MPI_Wtime();
}

void stmpi_sweep_end(void)
{
    if (sweep_start < 0) return;
    sweep_seconds[sweep_mode] += MPI_Wtime() - sweep_start;
    sweeps[sweep_mode] += 1;
    sweep_start = -1;
}

void stmpi_halo_begin(stmpi_halo *halo)
{
    if (halo->count == 0) return;
    double start = MPI_Wtime();
    /* Outside a sweep (set-up exchanges): overlap does not matter, begin completes the exchange. */
    int on = sweep_start >= 0 && sweep_mode == OVERLAP_ON;
    MPI_Startall(halo->count, halo->request);
    if (on) halo->in_flight = 1;
    else wait_all(halo->count, halo->request);
    if (sweep_start >= 0) halo_seconds[sweep_mode] += MPI_Wtime() - start;
}

void stmpi_halo_end(stmpi_halo *halo)
{
    if (!halo->in_flight) return;
    double start = MPI_Wtime();
    wait_all(halo->count, halo->request);
    halo->in_flight = 0;
    if (sweep_start >= 0) halo_seconds[sweep_mode] += MPI_Wtime() - start;
}

void stmpi_halo_exchange(stmpi_halo *halo)
{
    stmpi_halo_begin(halo);
    stmpi_halo_end(halo);
}

void stmpi_sweeps(const st_plan *plan, const stmpi_decomp *d, const st_sweeper *s, long first, long count,
                  void *const buffer[2], stmpi_halo *const exchange[2])
{
    const stmpi_rect u = stmpi_updated(d);
    if (plan->kind != ST_PLAN_TILES) {
        const stmpi_rect in = stmpi_interior(d);
        stmpi_rect frame[4];
        stmpi_frame(d, frame);
        for (long k = first; k < first + count; ++k) {
            stmpi_sweep_begin();
            stmpi_halo_begin(exchange[k % 2]); /* halo cells travel while the deep interior is updated */
            s->alone(s->args, in.i0, in.i1, in.j0, in.j1, buffer[k % 2], buffer[(k + 1) % 2]);
            stmpi_halo_end(exchange[k % 2]);
            for (int f = 0; f < 4; ++f)
                s->alone(s->args, frame[f].i0, frame[f].i1, frame[f].j0, frame[f].j1, buffer[k % 2], buffer[(k + 1) % 2]);
            stmpi_sweep_end();
        }
        return;
    }
    /* Rows beyond the block, as deep as the halo, are recomputed toward a neighbour; at the grid's
     * edge the boundary rows stay as they are. */
    if (plan->depth * d->reach > d->halo)
        st_fatal("stmpi_sweeps: a plan %ld sweeps deep needs a halo of %ld rows, and the decomposition's is %d",
                 plan->depth, plan->depth * d->reach, d->halo);
    const long top = d->neighbour[STMPI_N] != MPI_PROC_NULL ? d->reach : u.i0;
    const long bottom = d->neighbour[STMPI_S] != MPI_PROC_NULL ? d->local_rows - d->reach : u.i1;
    for (long block = first; block < first + count;) {
        const long depth = plan->depth < first + count - block ? plan->depth : first + count - block;
        stmpi_sweep_begin();
        stmpi_halo_exchange(exchange[block % 2]);
        st_deep_block(plan, s, top, bottom, u.i0, u.i1, u.j0, u.j1, block, depth, buffer);
        stmpi_sweep_end();
        block += depth;
    }
}

/* ---- reductions -------------------------------------------------------------------------- */

static double allreduce(double local, MPI_Op op)
{
    double global = 0;
    MPI_Request request;
    MPI_Iallreduce(&local, &global, 1, MPI_DOUBLE, op, MPI_COMM_WORLD, &request);
    wait_all(1, &request);
    return global;
}

void stmpi_barrier(void)
{
    MPI_Request request;
    MPI_Ibarrier(MPI_COMM_WORLD, &request);
    wait_all(1, &request);
}

double stmpi_allreduce_max(double local) { return allreduce(local, MPI_MAX); }
double stmpi_allreduce_sum(double local) { return allreduce(local, MPI_SUM); }

long stmpi_allreduce_count(long local)
{
    long global = 0;
    MPI_Request request;
    MPI_Iallreduce(&local, &global, 1, MPI_LONG, MPI_SUM, MPI_COMM_WORLD, &request);
    wait_all(1, &request);
    return global;
}

/* ---- divergence -------------------------------------------------------------------------- */

long stmpi_count_nonfinite(const stmpi_decomp *d, const void *local, size_t elem_size)
{
    long count = 0, h = d->halo;
    for (long i = h; i < h + d->r1 - d->r0; ++i) {
        const char *row = (const char *)local + ((size_t)i * (size_t)d->local_cols + (size_t)h) * elem_size;
        count += st_count_nonfinite(row, 1, d->c1 - d->c0, elem_size);
    }
    return stmpi_allreduce_count(count);
}

void stmpi_check_finite(long nonfinite_points, long iteration)
{
    /* st_check_finite's message, printed once. */
    if (nonfinite_points > 0)
        stmpi_fatal_all("the solution diverged: %ld point%s NaN or Inf after iteration %ld", nonfinite_points,
                        nonfinite_points == 1 ? " is" : "s are", iteration);
}

/* ---- output ------------------------------------------------------------------------------ */

void stmpi_write_npy(const stmpi_decomp *d, const char *path, const void *local, MPI_Datatype elem)
{
    stmpi_write_field(d, path, NULL, local, elem);
}

void stmpi_write_field(const stmpi_decomp *d, const char *npy_path, const char *png_path, const void *local,
                       MPI_Datatype elem)
{
    if (!npy_path && !png_path) return;
    int elem_size = 0;
    MPI_Type_size(elem, &elem_size);
    long h = d->halo;
    const int tag = 100;
    if (d->rank != 0) {
        MPI_Datatype owned = local_subarray(d, elem, h, h + d->r1 - d->r0, h, h + d->c1 - d->c0);
        MPI_Send(local, 1, owned, 0, tag, d->comm);
        MPI_Type_free(&owned);
        return;
    }
    /* Rank 0 holds the full grid only now, after the iterations. Its own block first, then one
     * message per rank, received straight into place through a subarray type. */
    char *full = st_alloc_grid(d->rows, d->cols, (size_t)elem_size);
    const char *mine = local;
    for (long i = d->r0; i < d->r1; ++i)
        memcpy(full + ((size_t)i * (size_t)d->cols + (size_t)d->c0) * (size_t)elem_size,
               mine + ((size_t)(i - d->r0 + h) * (size_t)d->local_cols + (size_t)h) * (size_t)elem_size,
               (size_t)(d->c1 - d->c0) * (size_t)elem_size);
    for (int q = 1; q < d->size; ++q) {
        int at[2];
        long r0, r1, c0, c1;
        MPI_Cart_coords(d->comm, q, 2, at);
        stmpi_split(d->rows, d->dims[0], at[0], &r0, &r1);
        stmpi_split(d->cols, d->dims[1], at[1], &c0, &c1);
        int sizes[2] = { (int)d->rows, (int)d->cols };
        int subsizes[2] = { (int)(r1 - r0), (int)(c1 - c0) };
        int starts[2] = { (int)r0, (int)c0 };
        MPI_Datatype block;
        MPI_Type_create_subarray(2, sizes, subsizes, starts, MPI_ORDER_C, elem, &block);
        MPI_Type_commit(&block);
        MPI_Recv(full, 1, block, q, tag, d->comm, MPI_STATUS_IGNORE);
        MPI_Type_free(&block);
    }
    if (npy_path) st_write_npy(npy_path, full, d->rows, d->cols, d->cols, (size_t)elem_size);
    if (png_path) st_write_heatmap_png(png_path, full, d->rows, d->cols, d->cols, (size_t)elem_size);
    st_free_grid(full);
}

/* stmpi_print_summary for a rank of `size` (both decompositions). */
static void print_summary(int rank, int size, const st_summary *summary, const st_options *options)
{
    /* The slowest rank's figures. */
    double halo[2], sweep[2];
    MPI_Allreduce(halo_seconds, halo, 2, MPI_DOUBLE, MPI_MAX, MPI_COMM_WORLD);
    MPI_Allreduce(sweep_seconds, sweep, 2, MPI_DOUBLE, MPI_MAX, MPI_COMM_WORLD);
    if (rank != 0) return;
    st_print_summary(summary, options);
    if (options->json || size == 1) return;
    if (overlap == OVERLAP_COMPARE) {
        /* Sweeps alternated between the modes: each mode's share of its own sweeps' time. */
        for (int mode = 1; mode >= 0; --mode)
            printf("  halo        overlap %-3s %.4f s of %.4f s in exchange (%.1f%%), %ld sweeps\n",
                   mode ? "on" : "off", halo[mode], sweep[mode],
                   sweep[mode] > 0 ? 100.0 * halo[mode] / sweep[mode] : 0.0, sweeps[mode]);
    } else {
        double total = halo[0] + halo[1];
        double share = summary->seconds > 0 ? 100.0 * total / summary->seconds : 0.0;
        printf("  halo        %.4f s in exchange (%.1f%% of the time, overlap %s)\n", total, share,
               overlap ? "on" : "off");
    }
    fflush(stdout);
}

void stmpi_print_summary(const stmpi_decomp *d, const st_summary *summary, const st_options *options)
{
    print_summary(d->rank, d->size, summary, options);
}

void stmpi_write_outputs(const stmpi_decomp *d, const st_options *options, const char *const *grids,
                         const void *const *locals, int grid_count, MPI_Datatype elem)
{
    for (int k = 0; k < options->output_count; ++k)
        for (int g = 0; g < grid_count; ++g)
            if (strlen(grids[g]) == options->outputs[k].grid_length &&
                strncmp(options->outputs[k].argument, grids[g], options->outputs[k].grid_length) == 0) {
                stmpi_write_field(d, options->outputs[k].path, NULL, locals[g], elem);
                break;
            }
}

/* ---- input ------------------------------------------------------------------------------- */

int stmpi_read_input(const stmpi_decomp *d, const st_options *options, const char *grid, void *local,
                     size_t elem_size)
{
    const st_grid_file *input = st_input_for(options, grid);
    if (!input) return 0;
    long h = d->halo;
    long r0 = d->r0 - h > 0 ? d->r0 - h : 0, r1 = d->r1 + h < d->rows ? d->r1 + h : d->rows;
    long c0 = d->c0 - h > 0 ? d->c0 - h : 0, c1 = d->c1 + h < d->cols ? d->c1 + h : d->cols;
    char *at = (char *)local + ((size_t)(r0 - d->r0 + h) * (size_t)d->local_cols + (size_t)(c0 - d->c0 + h)) * elem_size;
    char what[512];
    snprintf(what, sizeof what, "--input %s", input->argument);
    st_read_npy_block(what, input->path, d->rows, d->cols, elem_size, r0, r1, c0, c1, at, d->local_cols);
    return 1;
}

/* ---- 1-D and 3-D grids: blocks of a Cartesian process grid -------------------------------- */

/* 3^k. */
static int power3(int k)
{
    int p = 1;
    while (k-- > 0) p *= 3;
    return p;
}

/* The steps (-1, 0, 1 per axis) of neighbour slot s. */
static void slot_steps(const stmpi_blocks *d, int s, int step[STMPI_MAX_DIMS])
{
    for (int a = d->dimensions - 1; a >= 0; --a) {
        step[a] = s % 3 - 1;
        s /= 3;
    }
}

static const char *const axis_words[STMPI_MAX_DIMS][STMPI_MAX_DIMS] = {
    { "point" }, { "row", "column" }, { "plane", "row", "column" },
};

void stmpi_blocks_decompose(stmpi_blocks *d, int dimensions, const long *extents, int halo,
                            stmpi_decomposition kind, int diagonals)
{
    const int none[STMPI_MAX_DIMS] = { 0, 0, 0 };
    stmpi_blocks_decompose_sides(d, dimensions, extents, halo, kind, diagonals, none, none);
}

void stmpi_blocks_decompose_sides(stmpi_blocks *d, int dimensions, const long *extents, int halo,
                                  stmpi_decomposition kind, int diagonals, const int *periodic, const int *copying)
{
    const int D = dimensions;
    memset(d, 0, sizeof *d);
    d->dimensions = D;
    d->halo = halo;
    d->diagonals = diagonals;
    d->size = world_size;
    for (int a = 0; a < D; ++a) d->extent[a] = extents[a];
    /* A 1-D grid: one axis, all the ranks along it (rows or grid alike). */
    MPI_Dims_create(world_size, D, d->dims);

    char grid[32] = "", *at = grid;
    for (int a = 0; a < D; ++a) at += snprintf(at, sizeof grid - (size_t)(at - grid), a ? "x%d" : "%d", d->dims[a]);
    snprintf(d->description, sizeof d->description, "%s %s", kind == STMPI_GRID ? "grid" : "rows", grid);

    /* Every rank computes the same verdict, so the message comes once, from rank 0. A block is
     * at least the halo deep along every axis (a neighbour's halo comes from it); 2h along an
     * axis with neumann or periodic sides (a side's sources, h in, stay in the blocks that own
     * them: stmpi_blocks_copy_side). */
    const long plain = halo > 1 ? halo : 1;
    for (int a = 0; a < D; ++a) {
        const long need = copying[a] ? 2 * plain : plain;
        char over[128];
        const char *word = axis_words[D - 1][a];
        if (D == 1)
            snprintf(over, sizeof over, "%d rank%s", world_size, world_size == 1 ? "" : "s");
        else
            snprintf(over, sizeof over, "%d %s%s of ranks (process grid %s for %d ranks)", d->dims[a], word,
                     d->dims[a] == 1 ? "" : "s", grid, world_size);
        check_split(word, d->extent[a], d->dims[a], over, halo, need);
    }

    /* Periodic axes wrap for stmpi_blocks_copy_side's MPI_Cart_shift only: the neighbour slots
     * below still stop at the global edge. */
    int periods[STMPI_MAX_DIMS] = { 0, 0, 0 };
    for (int a = 0; a < D; ++a) periods[a] = periodic[a] != 0;
    MPI_Cart_create(MPI_COMM_WORLD, D, d->dims, periods, 0, &d->comm);
    MPI_Comm_rank(d->comm, &d->rank);
    MPI_Cart_coords(d->comm, d->rank, D, d->coords);
    for (int a = 0; a < D; ++a) {
        stmpi_split(d->extent[a], d->dims[a], d->coords[a], &d->lo[a], &d->hi[a]);
        d->local[a] = d->hi[a] - d->lo[a] + 2L * halo;
    }
    for (int s = 0; s < STMPI_BOX_SLOTS; ++s) d->neighbour[s] = MPI_PROC_NULL;
    for (int s = 0; s < power3(D); ++s) {
        int step[STMPI_MAX_DIMS], there[STMPI_MAX_DIMS], moves = 0, inside = 1;
        slot_steps(d, s, step);
        for (int a = 0; a < D; ++a) {
            there[a] = d->coords[a] + step[a];
            moves += step[a] != 0;
            inside = inside && there[a] >= 0 && there[a] < d->dims[a];
        }
        if (moves == 0 || !inside || (moves > 1 && !diagonals)) continue;
        MPI_Cart_rank(d->comm, there, &d->neighbour[s]);
    }
    setup_end();
}

void stmpi_blocks_decomp_free(stmpi_blocks *d)
{
    if (d->comm != MPI_COMM_NULL) MPI_Comm_free(&d->comm);
}

stmpi_box stmpi_blocks_updated(const stmpi_blocks *d)
{
    const long h = d->halo;
    stmpi_box b = { { 0 }, { 0 } };
    for (int a = 0; a < d->dimensions; ++a) {
        b.lo[a] = max_long(d->lo[a], h) - d->lo[a] + h;
        b.hi[a] = max_long(min_long(d->hi[a], d->extent[a] - h) - d->lo[a] + h, b.lo[a]);
    }
    return b;
}

stmpi_box stmpi_blocks_interior(const stmpi_blocks *d)
{
    const long h = d->halo;
    stmpi_box u = stmpi_blocks_updated(d), b = u;
    /* Local [h, h + block) is owned; a face with a neighbour gives up h of it. */
    for (int a = 0; a < d->dimensions; ++a) {
        b.lo[a] = h + (d->coords[a] > 0 ? h : 0);
        b.hi[a] = h + (d->hi[a] - d->lo[a]) - (d->coords[a] < d->dims[a] - 1 ? h : 0);
        clamp_range(&b.lo[a], &b.hi[a], u.lo[a], u.hi[a]);
    }
    return b;
}

void stmpi_blocks_frame(const stmpi_blocks *d, stmpi_box frame[2 * STMPI_MAX_DIMS])
{
    const stmpi_box u = stmpi_blocks_updated(d), in = stmpi_blocks_interior(d);
    /* Axis a's two faces span the interior along the axes before it and the whole updated
     * range along the axes after it: together with the interior they tile the updated box. */
    for (int a = 0; a < STMPI_MAX_DIMS; ++a) {
        stmpi_box near = u, far = u;
        for (int b = 0; b < a; ++b) {
            near.lo[b] = far.lo[b] = in.lo[b];
            near.hi[b] = far.hi[b] = in.hi[b];
        }
        near.hi[a] = in.lo[a];
        far.lo[a] = in.hi[a];
        if (a >= d->dimensions) near.hi[0] = near.lo[0], far.hi[0] = far.lo[0]; /* unused: empty */
        frame[2 * a] = near;
        frame[2 * a + 1] = far;
    }
}

stmpi_box stmpi_blocks_held(const stmpi_blocks *d, const long *begin, const long *end)
{
    const long h = d->halo;
    stmpi_box b = { { 0 }, { 0 } };
    for (int a = 0; a < d->dimensions; ++a) {
        b.lo[a] = max_long(begin[a], max_long(d->lo[a] - h, 0)) - d->lo[a] + h;
        b.hi[a] = min_long(end[a], min_long(d->hi[a] + h, d->extent[a])) - d->lo[a] + h;
    }
    return b;
}

/* Points in the local array's rows (every axis but the last), and in the global grid's. */
static long local_rows(const stmpi_blocks *d)
{
    long n = 1;
    for (int a = 0; a + 1 < d->dimensions; ++a) n *= d->local[a];
    return n;
}

static long global_rows(const stmpi_blocks *d)
{
    long n = 1;
    for (int a = 0; a + 1 < d->dimensions; ++a) n *= d->extent[a];
    return n;
}

void *stmpi_blocks_alloc_local(const stmpi_blocks *d, size_t elem_size, long aligned_col)
{
    const int last = d->dimensions - 1;
    return st_alloc_aligned_grid(local_rows(d), d->local[last], elem_size, local_column(aligned_col, d->lo[last], d->halo));
}

/* A D-dimensional subarray of `sizes` at `starts`, of `subsizes`. */
static MPI_Datatype box_subarray(int D, const long *sizes, const long *starts, const long *subsizes, MPI_Datatype elem)
{
    int n[STMPI_MAX_DIMS], at[STMPI_MAX_DIMS], sub[STMPI_MAX_DIMS];
    for (int a = 0; a < D; ++a) {
        if (sizes[a] > 2147483647L) st_fatal("an extent of %ld is too large for MPI datatypes", sizes[a]);
        n[a] = (int)sizes[a];
        at[a] = (int)starts[a];
        sub[a] = (int)subsizes[a];
    }
    MPI_Datatype type;
    MPI_Type_create_subarray(D, n, sub, at, MPI_ORDER_C, elem, &type);
    MPI_Type_commit(&type);
    return type;
}

stmpi_halo *stmpi_blocks_halo_create(const stmpi_blocks *d, void *local, MPI_Datatype elem)
{
    stmpi_halo *halo = calloc(1, sizeof *halo);
    if (!halo) st_fatal("out of memory");
    const long h = d->halo;
    if (h == 0) return halo;
    int n = 0;
    /* Receives first, so that a matching send can land without an unexpected-message copy; the
     * tag is the slot the message was sent toward (the opposite of the receiver's, 3^D-1-s). */
    for (int pass = 0; pass < 2; ++pass) {
        const int receiving = pass == 0;
        for (int s = 0; s < power3(d->dimensions); ++s) {
            if (d->neighbour[s] == MPI_PROC_NULL) continue;
            int step[STMPI_MAX_DIMS];
            long start[STMPI_MAX_DIMS], count[STMPI_MAX_DIMS];
            slot_steps(d, s, step);
            for (int a = 0; a < d->dimensions; ++a) {
                const long block = d->hi[a] - d->lo[a];
                /* Toward a step: the h owned layers next to it go, the h halo layers beyond it
                 * come. No step: the block's owned range, widened into the halo on a side at the
                 * global edge (cells never read), as stmpi_halo_create does: sender and receiver
                 * share this axis's coordinate, so the shapes agree, and a face of a block that
                 * spans an axis becomes contiguous (2x1x1 sends whole planes). */
                if (step[a] == 0) {
                    start[a] = d->coords[a] > 0 ? h : 0;
                    count[a] = h + block + (d->coords[a] < d->dims[a] - 1 ? 0 : h) - start[a];
                } else {
                    count[a] = h;
                    if (step[a] < 0) start[a] = receiving ? 0 : h;
                    else start[a] = receiving ? block + h : block;
                }
            }
            halo->type[n] = box_subarray(d->dimensions, d->local, start, count, elem);
            if (receiving)
                MPI_Recv_init(local, 1, halo->type[n], d->neighbour[s], power3(d->dimensions) - 1 - s, d->comm,
                              &halo->request[n]);
            else
                MPI_Send_init(local, 1, halo->type[n], d->neighbour[s], s, d->comm, &halo->request[n]);
            ++n;
        }
    }
    halo->count = n;
    return halo;
}

/* The part of global box [begin, end) this rank OWNS, in local indices; 0 when it owns none. */
static int owned_box(const stmpi_blocks *d, const long *begin, const long *end, stmpi_box *box)
{
    const long h = d->halo;
    int any = 1;
    for (int a = 0; a < d->dimensions; ++a) {
        box->lo[a] = max_long(begin[a], d->lo[a]) - d->lo[a] + h;
        box->hi[a] = min_long(end[a], d->hi[a]) - d->lo[a] + h;
        any = any && box->lo[a] < box->hi[a];
    }
    return any;
}

/* The global box of a side's strip (st_side_strip's: h slices along its axis, every other axis
 * whole), moved `shift` along the axis. */
static void strip_box(const stmpi_blocks *d, st_strip strip, long shift, long begin[], long end[])
{
    for (int a = 0; a < d->dimensions; ++a) {
        begin[a] = 0;
        end[a] = d->extent[a];
    }
    begin[strip.axis] = (strip.first ? 0 : strip.extent - d->halo) + shift;
    end[strip.axis] = begin[strip.axis] + d->halo;
}

/* Neumann on the owned part `to` of a side's strip: each point from the local point
 * st_side_source names along the axis, row by row along the last axis. */
static void copy_neumann_box(const stmpi_blocks *d, char *g, st_strip strip, stmpi_box to, size_t e)
{
    const int D = d->dimensions, last = D - 1, axis = strip.axis;
    const long h = d->halo, row = d->local[last];
    /* Neumann copies one index along the axis for every p; local index l is global l - h + lo. */
    const long from = st_side_source(0, strip.extent, h, strip.first, ST_NEUMANN) - d->lo[axis] + h;
    long at[STMPI_MAX_DIMS];
    for (int a = 0; a < last; ++a) at[a] = to.lo[a];
    for (;;) {
        long target = 0, source = 0;
        for (int a = 0; a < last; ++a) {
            target = target * d->local[a] + at[a];
            source = source * d->local[a] + (a == axis ? from : at[a]);
        }
        if (axis == last) {
            for (long j = to.lo[last]; j < to.hi[last]; ++j)
                memcpy(g + (size_t)(target * row + j) * e, g + (size_t)(source * row + from) * e, e);
        } else {
            memcpy(g + (size_t)(target * row + to.lo[last]) * e, g + (size_t)(source * row + to.lo[last]) * e,
                   (size_t)(to.hi[last] - to.lo[last]) * e);
        }
        int a = last - 1;
        for (; a >= 0 && ++at[a] == to.hi[a]; --a) at[a] = to.lo[a];
        if (a < 0) return;
    }
}

void stmpi_blocks_copy_side(const stmpi_blocks *d, void *local, int side, int kind, MPI_Datatype elem)
{
    const int D = d->dimensions;
    const long h = d->halo;
    const st_strip strip = st_side_strip(D, d->extent, side);
    long begin[STMPI_MAX_DIMS], end[STMPI_MAX_DIMS];
    strip_box(d, strip, 0, begin, end);
    stmpi_box to, from;
    const int owns_strip = owned_box(d, begin, end, &to);
    if (kind == ST_NEUMANN) {
        /* Every source (index h, or extent-h-1, along the axis) lies in the owner's block (2h deep). */
        if (owns_strip) copy_neumann_box(d, local, strip, to, type_size(elem));
        return;
    }
    /* Periodic: the sources lie extent-2h further in (first sides) or back, in the ranks at the
     * other end of the axis with the same coordinates along the other axes: they own the same
     * other indices, so the two boxes have one shape. */
    const long period = strip.extent - 2 * h;
    strip_box(d, strip, strip.first ? period : -period, begin, end);
    const int owns_source = owned_box(d, begin, end, &from);
    int receive_from, send_to; /* one step along the (periodic) axis toward the strip's end, wrapping */
    MPI_Cart_shift(d->comm, strip.axis, strip.first ? 1 : -1, &receive_from, &send_to);
    MPI_Datatype send_type = elem, recv_type = elem;
    long count[STMPI_MAX_DIMS];
    if (owns_source) {
        for (int a = 0; a < D; ++a) count[a] = from.hi[a] - from.lo[a];
        send_type = box_subarray(D, d->local, from.lo, count, elem);
    }
    if (owns_strip) {
        for (int a = 0; a < D; ++a) count[a] = to.hi[a] - to.lo[a];
        recv_type = box_subarray(D, d->local, to.lo, count, elem);
    }
    MPI_Sendrecv(local, owns_source, send_type, owns_source ? send_to : MPI_PROC_NULL, 200 + side,
                 local, owns_strip, recv_type, owns_strip ? receive_from : MPI_PROC_NULL, 200 + side, d->comm,
                 MPI_STATUS_IGNORE);
    if (owns_source) MPI_Type_free(&send_type);
    if (owns_strip) MPI_Type_free(&recv_type);
}

/* Calls visit(local offset, global offset, points) for each run of owned points along the last
 * axis (every owned row), in order. */
static void owned_rows(const stmpi_blocks *d, void (*visit)(long local_at, long global_at, long points, void *context),
                       void *context)
{
    const int D = d->dimensions, last = D - 1;
    const long h = d->halo;
    long index[STMPI_MAX_DIMS] = { 0, 0, 0 }; /* owned local index along the axes before the last */
    for (int a = 0; a < last; ++a) index[a] = h;
    for (;;) {
        long local_at = 0, global_at = 0;
        for (int a = 0; a < last; ++a) {
            local_at = local_at * d->local[a] + index[a];
            global_at = global_at * d->extent[a] + index[a] - h + d->lo[a];
        }
        visit(local_at * d->local[last] + h, global_at * d->extent[last] + d->lo[last], d->hi[last] - d->lo[last], context);
        int a = last - 1;
        while (a >= 0 && ++index[a] == h + d->hi[a] - d->lo[a]) index[a--] = h;
        if (a < 0) return;
    }
}

typedef struct { const char *local; size_t elem_size; long count; } nonfinite_count;

static void count_row(long local_at, long global_at, long points, void *context)
{
    (void)global_at;
    nonfinite_count *c = context;
    c->count += st_count_nonfinite(c->local + (size_t)local_at * c->elem_size, 1, points, c->elem_size);
}

long stmpi_blocks_count_nonfinite(const stmpi_blocks *d, const void *local, size_t elem_size)
{
    nonfinite_count c = { local, elem_size, 0 };
    owned_rows(d, count_row, &c);
    return stmpi_allreduce_count(c.count);
}

int stmpi_blocks_read_input(const stmpi_blocks *d, const st_options *options, const char *grid, void *local,
                            size_t elem_size)
{
    const st_grid_file *input = st_input_for(options, grid);
    if (!input) return 0;
    const int D = d->dimensions, last = D - 1;
    const long h = d->halo;
    char what[512];
    snprintf(what, sizeof what, "--input %s", input->argument);
    /* The held box (block and halo inside the grid) as 2-D blocks of the file's (rows, last
     * extent) view: one per held plane of a 3-D grid, one for a 1-D grid. */
    long lo[STMPI_MAX_DIMS], hi[STMPI_MAX_DIMS];
    for (int a = 0; a < D; ++a) {
        lo[a] = max_long(d->lo[a] - h, 0);
        hi[a] = min_long(d->hi[a] + h, d->extent[a]);
    }
    const long planes_lo = D == 3 ? lo[0] : 0, planes_hi = D == 3 ? hi[0] : 1;
    const long rows = D >= 2 ? d->extent[D - 2] : 1, row_lo = D >= 2 ? lo[D - 2] : 0, row_hi = D >= 2 ? hi[D - 2] : 1;
    const long local_row_lo = D >= 2 ? row_lo - d->lo[D - 2] + h : 0;
    for (long p = planes_lo; p < planes_hi; ++p) {
        const long local_plane = D == 3 ? p - d->lo[0] + h : 0;
        const long local_row = (D == 3 ? local_plane * d->local[1] : 0) + local_row_lo;
        char *at = (char *)local + ((size_t)local_row * (size_t)d->local[last] + (size_t)(lo[last] - d->lo[last] + h)) * elem_size;
        st_read_npy_block(what, input->path, global_rows(d), d->extent[last], elem_size, p * rows + row_lo,
                          p * rows + row_hi, lo[last], hi[last], at, d->local[last]);
    }
    return 1;
}

void stmpi_blocks_write_field(const stmpi_blocks *d, const char *npy_path, const char *png_path,
                              const void *local, MPI_Datatype elem)
{
    if (!npy_path && !png_path) return;
    const int D = d->dimensions, tag = 100;
    const size_t e = type_size(elem);
    long owned_start[STMPI_MAX_DIMS], owned_count[STMPI_MAX_DIMS];
    for (int a = 0; a < D; ++a) {
        owned_start[a] = d->halo;
        owned_count[a] = d->hi[a] - d->lo[a];
    }
    MPI_Datatype owned = box_subarray(D, d->local, owned_start, owned_count, elem);
    if (d->rank != 0) {
        MPI_Send(local, 1, owned, 0, tag, d->comm);
        MPI_Type_free(&owned);
        return;
    }
    /* Rank 0 holds the full grid only now, after the iterations: every block, its own too,
     * received straight into place through a subarray type. */
    char *full = st_alloc_grid(global_rows(d), d->extent[D - 1], e);
    for (int q = 0; q < d->size; ++q) {
        int at[STMPI_MAX_DIMS];
        long lo[STMPI_MAX_DIMS], hi[STMPI_MAX_DIMS], count[STMPI_MAX_DIMS];
        MPI_Cart_coords(d->comm, q, D, at);
        for (int a = 0; a < D; ++a) {
            stmpi_split(d->extent[a], d->dims[a], at[a], &lo[a], &hi[a]);
            count[a] = hi[a] - lo[a];
        }
        MPI_Datatype block = box_subarray(D, d->extent, lo, count, elem);
        if (q == 0)
            MPI_Sendrecv(local, 1, owned, 0, tag, full, 1, block, 0, tag, d->comm, MPI_STATUS_IGNORE);
        else
            MPI_Recv(full, 1, block, q, tag, d->comm, MPI_STATUS_IGNORE);
        MPI_Type_free(&block);
    }
    MPI_Type_free(&owned);
    if (npy_path) st_write_npy(npy_path, full, global_rows(d), d->extent[D - 1], d->extent[D - 1], e);
    if (png_path) st_write_heatmap_png(png_path, full, global_rows(d), d->extent[D - 1], d->extent[D - 1], e);
    st_free_grid(full);
}

void stmpi_blocks_write_outputs(const stmpi_blocks *d, const st_options *options, const char *const *grids,
                                const void *const *locals, int grid_count, MPI_Datatype elem)
{
    for (int k = 0; k < options->output_count; ++k)
        for (int g = 0; g < grid_count; ++g)
            if (strlen(grids[g]) == options->outputs[k].grid_length &&
                strncmp(options->outputs[k].argument, grids[g], options->outputs[k].grid_length) == 0) {
                stmpi_blocks_write_field(d, options->outputs[k].path, NULL, locals[g], elem);
                break;
            }
}

void stmpi_blocks_print_summary(const stmpi_blocks *d, const st_summary *summary, const st_options *options)
{
    print_summary(d->rank, d->size, summary, options);
}
