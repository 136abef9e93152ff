/* stencil_sweeps.c: see stencil_sweeps.h. Plain C11 plus POSIX; OpenMP where the program is
 * built with it (bands need a team; without OpenMP the team is the calling thread). */
#define _POSIX_C_SOURCE 200809L
#define _DEFAULT_SOURCE /* MAP_ANONYMOUS, MAP_NORESERVE */

#include "stencil_sweeps.h"
#include "stencil_runtime.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#ifdef _OPENMP
#include <omp.h>
#endif

/* ---- the machine ------------------------------------------------------------------------- */

/* The size in bytes of one CPU's data cache at `level` (1, 2, 3), or of its last-level cache for
 * level 0: read from /sys (what lscpu shows; sysconf reports the whole package's L3 in some VMs),
 * else sysconf, else `fallback`. */
static double cache_bytes(int level, double fallback)
{
    double best = 0;
    int best_level = 0;
    for (int index = 0; index < 8; ++index) {
        char path[96];
        int found = 0;
        char size[32] = "", type[32] = "";
        snprintf(path, sizeof path, "/sys/devices/system/cpu/cpu0/cache/index%d/level", index);
        FILE *file = fopen(path, "r");
        if (!file) continue;
        if (fscanf(file, "%d", &found) != 1) found = 0;
        fclose(file);
        snprintf(path, sizeof path, "/sys/devices/system/cpu/cpu0/cache/index%d/type", index);
        file = fopen(path, "r");
        if (file) {
            if (fscanf(file, "%31s", type) != 1) type[0] = '\0';
            fclose(file);
        }
        if (strcmp(type, "Instruction") == 0) continue;
        snprintf(path, sizeof path, "/sys/devices/system/cpu/cpu0/cache/index%d/size", index);
        file = fopen(path, "r");
        if (!file) continue;
        if (fscanf(file, "%31s", size) != 1) size[0] = '\0';
        fclose(file);
        char *unit = NULL;
        double bytes = strtod(size, &unit);
        if (unit && (*unit == 'K' || *unit == 'k')) bytes *= 1024;
        else if (unit && (*unit == 'M' || *unit == 'm')) bytes *= 1024 * 1024;
        if (bytes <= 0) continue;
        if (level > 0 && found == level) return bytes;
        if (level == 0 && found > best_level) { best_level = found; best = bytes; }
    }
    if (best > 0) return best;
    long size = -1;
#ifdef _SC_LEVEL3_CACHE_SIZE
    if (level == 0 || level == 3) size = sysconf(_SC_LEVEL3_CACHE_SIZE);
#endif
#ifdef _SC_LEVEL1_DCACHE_SIZE
    if (level == 1) size = sysconf(_SC_LEVEL1_DCACHE_SIZE);
#endif
#ifdef _SC_LEVEL2_CACHE_SIZE
    if (level == 2) size = sysconf(_SC_LEVEL2_CACHE_SIZE);
#endif
    return size > 0 ? (double)size : fallback;
}

/* The memory this process may use, in bytes: the machine's, or its control group's limit where
 * that is lower (a container's or a batch job's: cgroup v2 memory.max, else v1's
 * memory.limit_in_bytes, as mounted at /sys/fs/cgroup); 0 where unknown. */
static double usable_memory(void)
{
    double bytes = (double)sysconf(_SC_PHYS_PAGES) * (double)sysconf(_SC_PAGESIZE);
    if (bytes < 0) bytes = 0;
    static const char *const limits[] = { "/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory/memory.limit_in_bytes" };
    for (int k = 0; k < 2; ++k) {
        FILE *file = fopen(limits[k], "r");
        if (!file) continue;
        double limit = 0; /* "max" (no limit) reads as no number */
        const int read = fscanf(file, "%lf", &limit);
        fclose(file);
        if (read == 1 && limit > 0 && (bytes <= 0 || limit < bytes)) bytes = limit;
        break;
    }
    return bytes;
}

/* ---- the cost model ---------------------------------------------------------------------- */

/* Elements in one of the sweeper's rows: a 2-D grid's row, a 3-D grid's plane. */
static long row_elements(const st_sweeper *s) { return s->row_size > 0 ? s->row_size : s->cols; }
static double row_bytes(const st_sweeper *s, int arrays) { return (double)row_elements(s) * (double)s->elem_size * arrays; }

/* Whether this program and team can run bands: a sweep a thread can run alone, more than one
 * thread, and a row for each. (A band thinner than the halo is fine: its sweeps recompute the
 * rows they read beyond it whatever its height.) */
static int can_band(const st_sweeper *s, int threads)
{
    return s->alone && threads > 1 && s->rows - 2L * s->halo >= threads;
}

/* Tiles: a tile of B rows advancing D sweeps touches about B + (D + 2) * halo rows of each grid;
 * keep that within half of `cache` (the last-level cache, or a rank's share of it), split evenly
 * between tile height and depth. */
static long tile_fit(const st_sweeper *s, double cache) { return (long)(cache / 2 / row_bytes(s, s->arrays)); }
static int tiles_fit(const st_sweeper *s) { return tile_fit(s, cache_bytes(0, 8.0 * 1024 * 1024)) / 2 >= 4L * s->halo; }

/* Tiles whose block (a tile of B rows advancing D sweeps) stays within half of `cache`: the
 * depth between `shallowest` and `deepest`, the tile height half the rows that fit. */
static st_plan tiles_in(const st_sweeper *s, double cache, long shallowest, long deepest, long depth, long tile_rows)
{
    st_plan plan = { .kind = ST_PLAN_TILES, .source = "default", .reason = "the grids do not fit in the last-level cache",
                     .planes = row_elements(s) > s->cols };
    const long fit = tile_fit(s, cache);
    const long h = s->halo > 0 ? s->halo : 1; /* tiles given by hand to an update that reads no neighbours */
    long d = fit / 2 / h;
    if (d > deepest) d = deepest;
    if (d < shallowest) d = shallowest;
    plan.depth = depth > 0 ? depth : d;
    plan.tile_rows = tile_rows > 0 ? tile_rows : fit / 2 < h ? h : fit / 2;
    if (tile_rows <= 0 && plan.tile_rows > s->rows) plan.tile_rows = s->rows; /* a small grid: one tile */
    return plan;
}

static st_plan tiles_for(const st_sweeper *s, long depth, long tile_rows)
{
    return tiles_in(s, cache_bytes(0, 8.0 * 1024 * 1024), 2, 64, depth, tile_rows);
}

/* Bands: the depth trades one barrier per `depth` sweeps against (depth - 1) * halo redundant
 * rows on each side of a band: keep those within about 1/16 of the band, at most 15 sweeps, or 63
 * where the grids stream from memory (`streams`), whose blocks' first and last sweeps go to
 * memory and the deeper the block the fewer those are. It is odd, so a block's last sweep writes
 * the buffer its first did not read and no thread waits within a block. Tiles of a band are
 * sized so that one sweep of a tile (its rows and 2 * halo more, read from one grid and written
 * to another) stays in a quarter of the level 1 cache where the band fits in the level 2 cache
 * (the next sweep reads those rows again from there), and in half the level 2 cache where it does
 * not; where the grids stream, a tile is the rows of one grid that fill the level 2 cache (the
 * block's skewed steps then span a few times that, in the last-level cache). At least 4 * halo
 * rows, at most the whole band. Measured in docs/performance.md. */
static st_plan bands_for(const st_sweeper *s, int threads, long depth, long tile_rows, int streams)
{
    st_plan plan = { .kind = ST_PLAN_BANDS, .source = "default",
                     .reason = "the grids fit in the threads' own caches: barriers cost more than sweeps",
                     .planes = row_elements(s) > s->cols };
    const long band = (s->rows - 2L * s->halo) / threads;
    const double row = row_bytes(s, s->arrays + 2);
    const double l2 = cache_bytes(2, 512.0 * 1024);
    const int band_fits = (band + 2L * s->halo) * row <= l2;
    long d = 1 + band / (16L * s->halo);
    if (d > (streams ? 63 : 15)) d = streams ? 63 : 15;
    if (d < 3) d = 3;
    plan.depth = depth > 0 ? depth : d;
    if (plan.depth % 2 == 0) plan.depth -= 1;
    const long whole_band = band + 1 + 2L * (plan.depth - 1) * s->halo;
    long t;
    if (streams) t = (long)(l2 / row_bytes(s, 1));
    else if (band_fits) t = ((long)(cache_bytes(1, 32.0 * 1024) / 2 / row_bytes(s, 1)) - 2L * s->halo) / 2;
    else t = (long)(l2 / 2 / row_bytes(s, 2)) - 2L * s->halo;
    if (t < 4L * s->halo) t = 4L * s->halo;
    if (t > whole_band) t = whole_band;
    plan.tile_rows = tile_rows > 0 ? tile_rows : t;
    return plan;
}

st_plan st_default_plan(const st_sweeper *s, int threads, int mode)
{
    st_plan plan = { .kind = ST_PLAN_SWEEPS, .source = "default", .reason = "" };
    if (mode == ST_TEMPORAL_OFF) { plan.reason = "schedule: temporal off"; return plan; }
    if (s->halo < 1) { plan.reason = "no neighbours read"; return plan; }
    /* A 3-D grid (its plan rows are planes, row_size elements each): a tile of planes advancing
     * several sweeps holds dozens of planes, far more than a core's own cache, and the team meets
     * at a barrier every few planes; bands keep each thread on its own planes between barriers.
     * Measured (docs/performance.md): tiles of planes 2-4x slower than whole sweeps, bands faster. */
    if (row_elements(s) > s->cols) {
        if (can_band(s, threads)) {
            plan = bands_for(s, threads, 0, 0, 0);
            plan.reason = "a 3-D grid: bands of planes (tiles of planes outgrow the caches)";
            return plan;
        }
        if (mode == ST_TEMPORAL_ON) {
            plan = tiles_for(s, 0, 0);
            plan.reason = "schedule: temporal on (a 3-D grid without bands: tiles of planes)";
            return plan;
        }
        plan.reason = "a 3-D grid without bands (one thread, or a schedule that rules them out): whole sweeps";
        return plan;
    }
    const double grids = (double)s->rows * row_bytes(s, s->arrays);
    const double llc = cache_bytes(0, 8.0 * 1024 * 1024), l2 = cache_bytes(2, 512.0 * 1024);
    /* Past half the last-level cache the grids share it with the other cores' data and with the
     * scratch traffic of whatever else runs: a sweep streams from memory. */
    const int streams = grids > llc / 2;
    /* Bands where the grids stream from memory: each thread's tiles advance a block of sweeps in
     * its own caches and nothing crosses between cores within a block. Measured
     * (docs/performance.md): about twice the speed of tiles shared by the team, at x86-64-v2 and
     * native. And where the grids fit in the threads' own caches together, where a barrier per
     * sweep costs more than the sweep. Between the two, whole sweeps: they run from the
     * last-level cache at the speed of their arithmetic, and bands measured no faster there.
     * Bands' scratch grids hold each thread's band twice over, two more copies of the updated
     * grid in all: where that would take the run past half the memory it may use, tiles, which
     * need none. */
    const double scratch = 2.0 * (double)s->rows * row_bytes(s, 1);
    const double memory = usable_memory();
    const int scratch_fits = memory <= 0 || grids + scratch <= memory / 2;
    if (can_band(s, threads) && ((streams && scratch_fits) || grids * (s->arrays + 2) / s->arrays <= l2 * threads)) {
        plan = bands_for(s, threads, 0, 0, streams);
        if (streams) plan.reason = "the grids do not fit in the last-level cache: each thread's tiles advance several sweeps in its own caches";
        return plan;
    }
    if (streams) {
        if (tiles_fit(s) || mode == ST_TEMPORAL_ON) return tiles_for(s, 0, 0);
        plan.reason = "rows too long for tiles to stay in the cache";
        return plan;
    }
    if (mode == ST_TEMPORAL_ON) {
        plan = can_band(s, threads) ? bands_for(s, threads, 0, 0, 0) : tiles_for(s, 0, 0);
        plan.reason = "schedule: temporal on (the cost model would run whole sweeps: the grids fit in the last-level cache)";
        return plan;
    }
    plan.reason = "the grids fit in the last-level cache: a sweep runs at the speed of its arithmetic";
    return plan;
}

/* ---- plans given by name ----------------------------------------------------------------- */

/* The plan given as text (--plan, else STENCILC_PLAN), or NULL: KIND, then up to three `:N` with
 * N a positive decimal number up to ST_PLAN_LARGEST, and nothing else; fatal otherwise. (The
 * drivers multiply a depth by the halo and add tile sizes: a depth of 2^63 - 1 overflowed and
 * the blocks skipped rows, a wrong field without an error.) */
static const char *given_plan(const char *options_plan, int *kind, long numbers[3])
{
    const char *text = options_plan;
    if (!text || !*text) text = getenv("STENCILC_PLAN");
    if (!text || !*text) return NULL;
    char name[16] = "";
    int count = 0, used = 0, ok = sscanf(text, "%15[a-z]%n", name, &used) == 1;
    numbers[0] = numbers[1] = numbers[2] = 0;
    for (const char *rest = text + used; ok && *rest;) {
        char *end = NULL;
        ok = rest[0] == ':' && rest[1] >= '0' && rest[1] <= '9' && count < 3;
        if (ok) {
            const char *digits = rest + 1;
            errno = 0;
            numbers[count++] = strtol(digits, &end, 10);
            ok = numbers[count - 1] >= 1, rest = end;
            if (ok && (errno == ERANGE || numbers[count - 1] > ST_PLAN_LARGEST))
                st_fatal("bad plan '%s': %.*s is too large (a depth or tile size goes up to %ld)", text, (int)(end - digits),
                         digits, (long)ST_PLAN_LARGEST);
        }
    }
    *kind = -1;
    for (int i = 0; i < 3; ++i) if (strcmp(name, st_plan_kind_name(i)) == 0) *kind = i;
    if (!ok || *kind < 0 || (*kind == ST_PLAN_SWEEPS && count > 0))
        st_fatal("bad plan '%s': expected sweeps, tiles[:DEPTH[:TILE_ROWS[:TILE_COLS]]] or "
                 "bands[:DEPTH[:TILE_ROWS[:TILE_COLS]]]", text);
    return text;
}

/* Where a given plan came from, in the summary's words. */
static void name_given(st_plan *plan, const char *options_plan, const char *source)
{
    plan->source = source && *source ? source : "given";
    plan->reason = strcmp(plan->source, "tuned") == 0 ? "the fastest that stencilc tune measured here"
                   : options_plan && *options_plan ? "given by --plan" : "given by STENCILC_PLAN";
}

st_plan st_choose_plan(const st_sweeper *s, int threads, int mode, const char *options_plan, const char *source)
{
    int k;
    long numbers[3];
    const char *text = given_plan(options_plan, &k, numbers);
    if (!text) return st_default_plan(s, threads, mode);
    const long depth = numbers[0], tile_rows = numbers[1], tile_cols = numbers[2];
    st_plan plan = { .kind = ST_PLAN_SWEEPS, .source = "", .reason = "" };
    if (k == ST_PLAN_TILES) plan = tiles_for(s, depth, tile_rows);
    if (k == ST_PLAN_BANDS) {
        if (!can_band(s, threads))
            st_fatal("plan '%s' cannot run here: bands need a program compiled for them (openmp, a plain static schedule "
                     "without chunks or tiles, temporal auto or on, one updated grid) and 2 or more threads with an "
                     "updated row for each", text);
        plan = bands_for(s, threads, depth, tile_rows, 0);
    }
    if (k != ST_PLAN_SWEEPS) plan.tile_cols = tile_cols;
    name_given(&plan, options_plan, source);
    return plan;
}

/* A rank's tiles: as tiles_for, in the rank's share of the last-level cache, and no deeper than
 * the smallest block's rows allow (a neighbour's deep halo comes from one block) or than keeps
 * the halo's columns (as deep as its rows, on both sides) within a quarter of a row. */
static st_plan rank_tiles(const st_sweeper *s, long block_rows, double share, long depth, long tile_rows)
{
    long deepest = 64;
    if (deepest > block_rows / s->halo) deepest = block_rows / s->halo;
    if (deepest > s->cols / (8L * s->halo)) deepest = s->cols / (8L * s->halo);
    st_plan plan = tiles_in(s, share, 1, deepest, depth, tile_rows);
    plan.reason = "a rank's block does not fit in its share of the last-level cache: each exchange brings a "
                  "halo as deep as the sweeps that the tiles then advance in the cache";
    return plan;
}

st_plan st_rank_plan(const st_sweeper *s, long block_rows, int sharing, int mode, const char *options_plan,
                     const char *source)
{
    const double share = cache_bytes(0, 8.0 * 1024 * 1024) / (sharing > 1 ? sharing : 1);
    int k;
    long numbers[3];
    const char *text = given_plan(options_plan, &k, numbers);
    st_plan plan = { .kind = ST_PLAN_SWEEPS, .source = "default", .reason = "" };
    if (text) {
        if (k == ST_PLAN_BANDS)
            st_fatal("plan '%s' cannot run here: bands share a grid among a rank's threads; an mpi rank runs "
                     "sweeps or tiles[:DEPTH[:TILE_ROWS[:TILE_COLS]]]", text);
        if (k == ST_PLAN_TILES) {
            plan = rank_tiles(s, block_rows, share, numbers[0], numbers[1]);
            plan.tile_cols = numbers[2];
            if (plan.depth * s->halo > block_rows)
                st_fatal("plan '%s' cannot run here: a halo %ld sweeps deep is %ld rows, and the smallest block has %ld",
                         text, plan.depth, plan.depth * s->halo, block_rows);
        }
        name_given(&plan, options_plan, source);
        return plan;
    }
    if (mode == ST_TEMPORAL_OFF) { plan.reason = "schedule: temporal off"; return plan; }
    if (s->halo < 1) { plan.reason = "no neighbours read"; return plan; }
    /* As tiles for one thread (st_default_plan): where a sweep of the block streams from memory,
     * tiles advance several sweeps in the cache, and one exchange of a deeper halo serves them all;
     * the rows the halo adds are recomputed by both neighbours. Otherwise a sweep runs from the
     * cache at the speed of its arithmetic, and each exchange hides behind the deep interior. */
    const double grids = (double)block_rows * row_bytes(s, s->arrays);
    if (grids > share / 2 || mode == ST_TEMPORAL_ON) {
        plan = rank_tiles(s, block_rows, share, 0, 0);
        if (grids <= share / 2) plan.reason = "schedule: temporal on (the block fits in its share of the last-level cache)";
        if (plan.depth >= 2) return plan;
        plan = (st_plan){ .kind = ST_PLAN_SWEEPS, .source = "default", .reason = "blocks too thin for a halo two sweeps deep" };
        return plan;
    }
    plan.reason = "a rank's block fits in its share of the last-level cache: one halo exchange per sweep, overlapped with the deep interior's update";
    return plan;
}

/* ---- the drivers ------------------------------------------------------------------------- */

void st_band_rows(long rows, int halo, int team, int thread, long *begin, long *end)
{
    const long updated = rows - 2L * halo;
    *begin = halo + updated * thread / team;
    *end = halo + updated * (thread + 1) / team;
}

static long min_l(long a, long b) { return a < b ? a : b; }
static long max_l(long a, long b) { return a > b ? a : b; }

/* Skewed tiles of one dimension: [lo, hi) cut into `count` tiles of `size`, every one shifted
 * down by `shift` (a sweep's step times the halo) and clipped, the first starting at lo and the
 * last ending at hi, so that the tiles of one step cover [lo, hi) once. With tiles taken in
 * order (and, in two dimensions, rows before columns) each step of a tile reads only points
 * that the step before, of this tile or an earlier one, has written: in coordinates shifted by
 * step * halo every dependence points backwards. */
static long skewed_tiles(long lo, long hi, long size, long depth, long h)
{
    return size > 0 ? (hi - lo + (depth - 1) * h) / size + 1 : 1;
}

static void skewed_tile(long lo, long hi, long size, long count, long tile, long shift, long *begin, long *end)
{
    *begin = tile == 0 ? lo : max_l(lo, min_l(hi, lo + tile * size - shift));
    *end = tile == count - 1 ? hi : max_l(lo, min_l(hi, lo + (tile + 1) * size - shift));
}

/* Whole sweeps. */
static void whole_sweeps(const st_sweeper *s, long first, long count, void *const buffer[2])
{
    for (long k = first; k < first + count; ++k)
        s->team(s->args, s->halo, s->rows - s->halo, s->halo, s->cols - s->halo, buffer[k % 2], buffer[(k + 1) % 2]);
}

/* Tiles: block by block of `depth` sweeps, tile by tile, step by step. Step `step` of tile t
 * covers the tile's rows shifted up by step * halo, clipped to the updated rows; the first tile
 * starts at the top and the last ends at the bottom at every step, so the tiles of one step
 * cover every row once, and each reads only rows that the step before (of this tile or an
 * earlier one) has written. With tile_cols, each row tile is cut into column tiles the same way
 * (skewed_tile), taken left to right. The team shares each step's rows. */
static void tiled_sweeps(const st_plan *plan, const st_sweeper *s, long first, long count, void *const buffer[2])
{
    const long h = s->halo, top = h, bottom = s->rows - h, left = h, right = s->cols - h;
    for (long block = first; block < first + count; block += plan->depth) {
        const long depth = min_l(plan->depth, first + count - block);
        const long tiles = skewed_tiles(top, bottom, plan->tile_rows, depth, h);
        const long col_tiles = skewed_tiles(left, right, plan->tile_cols, depth, h);
        for (long tile = 0; tile < tiles; ++tile) {
            for (long col_tile = 0; col_tile < col_tiles; ++col_tile) {
                for (long step = 0; step < depth; ++step) {
                    const long k = block + step;
                    long begin, end, col_begin, col_end;
                    skewed_tile(top, bottom, plan->tile_rows, tiles, tile, step * h, &begin, &end);
                    skewed_tile(left, right, plan->tile_cols, col_tiles, col_tile, step * h, &col_begin, &col_end);
                    if (begin < end && col_begin < col_end)
                        s->team(s->args, begin, end, col_begin, col_end, buffer[k % 2], buffer[(k + 1) % 2]);
                }
            }
        }
    }
}

/* The rows one block advances (bands, a rank's deep halo): the band [band_begin, band_end) is
 * what the block is for; every sweep also updates the (sweeps left) * halo rows on each side of
 * it that the block's later sweeps read, clipped to [top, bottom); columns [left, right). */
typedef struct { long top, bottom, band_begin, band_end, left, right; } block_rows;

/* One block of `depth` sweeps, block .. block+depth-1: the first reads buffer[block % 2], the
 * last writes buffer[(block + depth) % 2], and the sweeps between go to inner[0], inner[1],
 * inner[0], ... Row tiles advance the whole block in a skewed wavefront: sweep `step` of a tile
 * covers the tile's rows shifted up by step * halo, so it reads only rows the tile's previous
 * sweep (or an earlier tile) wrote, and an inner grid's rows are overwritten two sweeps later
 * only once no sweep of this or a later tile reads them. With tile_cols, each row tile is cut
 * into column tiles skewed the same way (skewed_tile), taken left to right, so that a tile's
 * block of sweeps stays in the core's own caches even when a row does not. */
static void advance_block(const st_plan *plan, const st_sweeper *s, const block_rows *r, long block, long depth,
                          void *const buffer[2], void *const inner[2])
{
    const long h = s->halo, tile_rows = plan->tile_rows;
    const long start = max_l(r->top, r->band_begin - (depth - 1) * h);
    const long col_tiles = skewed_tiles(r->left, r->right, plan->tile_cols, depth, h);
    for (long tile = start; tile < r->band_end + (depth - 1) * h; tile += tile_rows) {
        for (long col_tile = 0; col_tile < col_tiles; ++col_tile) {
            for (long step = 0; step < depth; ++step) {
                const long reach = (depth - 1 - step) * h; /* rows beyond the band that later sweeps read */
                long begin = max_l(r->top, r->band_begin - reach), end = min_l(r->bottom, r->band_end + reach);
                if (tile > start) begin = max_l(begin, tile - step * h);
                end = min_l(end, tile + tile_rows - step * h);
                long col_begin, col_end;
                skewed_tile(r->left, r->right, plan->tile_cols, col_tiles, col_tile, step * h, &col_begin, &col_end);
                if (begin >= end || col_begin >= col_end) continue;
                const void *from = step == 0 ? buffer[block % 2] : inner[(step - 1) % 2];
                void *to = step == depth - 1 ? buffer[(block + depth) % 2] : inner[step % 2];
                s->alone(s->args, begin, end, col_begin, col_end, from, to);
            }
        }
    }
}

/* Bands: each thread advances its own band block by block (advance_block), its inner sweeps in
 * its two scratch grids, so that it never writes rows beyond its band in the shared buffers and
 * no thread waits for another within a block. The depth is odd: a block's last sweep writes the
 * buffer its first did not read. */
static void banded_sweeps(const st_plan *plan, const st_sweeper *s, long first, long count, void *const buffer[2],
                          void *const scratch[2])
{
#ifdef _OPENMP
    const int team = omp_get_num_threads(), thread = omp_get_thread_num();
#else
    const int team = 1, thread = 0;
#endif
    const long h = s->halo;
    block_rows r = { .top = h, .bottom = s->rows - h, .left = h, .right = s->cols - h };
    st_band_rows(s->rows, s->halo, team, thread, &r.band_begin, &r.band_end);
    for (long block = first; block < first + count;) {
        long depth = min_l(plan->depth, first + count - block);
        depth -= depth % 2 == 0; /* odd: the last sweep writes the buffer the first did not read */
        advance_block(plan, s, &r, block, depth, buffer, scratch);
        block += depth;
#ifdef _OPENMP
#pragma omp barrier /* the block's rows are all written before any thread reads its neighbours' */
#endif
    }
}

void st_deep_block(const st_plan *plan, const st_sweeper *s, long top, long bottom, long band_begin, long band_end,
                   long left, long right, long first, long depth, void *const buffer[2])
{
    const block_rows r = { top, bottom, band_begin, band_end, left, right };
    /* The inner sweeps alternate between the buffers themselves: sweep k + 1 goes to buffer[(k + 1) % 2]. */
    void *const inner[2] = { buffer[(first + 1) % 2], buffer[first % 2] };
    advance_block(plan, s, &r, first, depth, buffer, inner);
}

void st_sweeps(const st_plan *plan, const st_sweeper *s, long first, long count, void *const buffer[2],
               void *const scratch[2])
{
    if (count <= 0) return;
    if (plan->kind == ST_PLAN_BANDS) banded_sweeps(plan, s, first, count, buffer, scratch);
    else if (plan->kind == ST_PLAN_TILES && count > 1) tiled_sweeps(plan, s, first, count, buffer);
    else whole_sweeps(s, first, count, buffer);
}

#ifndef MAP_ANONYMOUS
#define MAP_ANONYMOUS MAP_ANON
#endif

/* A scratch grid: an anonymous mapping of the whole grid's size, aligned as `grid` is, holding a
 * copy of rows [r0, r1) of it only. The pages of the other rows are never touched, so they take
 * no memory: a thread's two scratch grids cost its band, not two grids. The mapping starts one
 * page before the grid and that page records its length, for scratch_unmap. */
static void *scratch_copy(const st_sweeper *s, const void *grid, long r0, long r1)
{
    const size_t page = (size_t)sysconf(_SC_PAGESIZE), row = (size_t)row_elements(s) * s->elem_size;
    const size_t shift = (uintptr_t)grid % ST_GRID_ALIGN, length = page + shift + (size_t)s->rows * row;
    int flags = MAP_PRIVATE | MAP_ANONYMOUS;
#ifdef MAP_NORESERVE
    flags |= MAP_NORESERVE; /* only the touched pages are committed */
#endif
    char *map = mmap(NULL, length, PROT_READ | PROT_WRITE, flags, -1, 0);
    if (map == MAP_FAILED) st_fatal("out of memory mapping a scratch grid for bands (%zu bytes)", length);
    memcpy(map, &length, sizeof length);
    char *copy = map + page + shift;
    memcpy(copy + (size_t)r0 * row, (const char *)grid + (size_t)r0 * row, (size_t)(r1 - r0) * row);
    return copy;
}

static void scratch_unmap(void *copy)
{
    if (!copy) return;
    const size_t page = (size_t)sysconf(_SC_PAGESIZE);
    char *map = (char *)((uintptr_t)copy / page * page) - page;
    size_t length;
    memcpy(&length, map, sizeof length);
    munmap(map, length);
}

void st_make_scratch(const st_plan *plan, const st_sweeper *s, const void *grid, void *scratch[2])
{
    scratch[0] = scratch[1] = NULL;
    if (plan->kind != ST_PLAN_BANDS) return;
#ifdef _OPENMP
    const int team = omp_get_num_threads(), thread = omp_get_thread_num();
#else
    const int team = 1, thread = 0;
#endif
    /* A block's first sweep writes the scratch rows up to (depth - 1) * halo beyond the band, and
     * the later sweeps read no further (boundary rows there included, which no sweep writes). */
    long band_begin, band_end;
    st_band_rows(s->rows, s->halo, team, thread, &band_begin, &band_end);
    const long reach = (plan->depth - 1) * s->halo;
    const long r0 = max_l(0, band_begin - reach), r1 = min_l(s->rows, band_end + reach);
    scratch[0] = scratch_copy(s, grid, r0, r1);
    scratch[1] = scratch_copy(s, grid, r0, r1);
}

void st_free_scratch(void *scratch[2])
{
    scratch_unmap(scratch[0]);
    scratch_unmap(scratch[1]);
    scratch[0] = scratch[1] = NULL;
}
