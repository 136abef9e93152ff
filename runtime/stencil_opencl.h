/* stencil_opencl.h: the OpenCL half of the runtime, for programs emitted with --target opencl.
 *
 * Everything about OpenCL that is the same for every stencil lives here, so that an emitted
 * host file holds only the problem: device choice (--device / STENCILC_DEVICE), context and
 * queue, program build with the build log, error names, work-group checks, fp64 checks, and the
 * device listing behind `stencilc devices`. Plain C11 on top of stencil_runtime.h; link with
 * -lOpenCL. Errors are fatal (message on stderr, exit status 1): an emitted program has nothing
 * better to do with a failed OpenCL call than to say which one failed and why.
 */
#ifndef STENCIL_OPENCL_H
#define STENCIL_OPENCL_H

/* OpenCL 1.2 is what PoCL, NVIDIA, AMD and Intel drivers all implement; asking for it keeps
 * the headers from offering 2.x/3.0 calls that some of those drivers lack. */
#ifndef CL_TARGET_OPENCL_VERSION
#define CL_TARGET_OPENCL_VERSION 120
#endif
#ifdef __APPLE__
#include <OpenCL/opencl.h>
#else
#include <CL/cl.h>
#endif

#include <stddef.h>
#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- errors ------------------------------------------------------------------------------ */

/* The name of an OpenCL status code ("CL_INVALID_WORK_GROUP_SIZE"), or "CL_UNKNOWN_ERROR". */
const char *stcl_error_name(cl_int code);

/* Does nothing when code is CL_SUCCESS; otherwise fatal:
 * "OpenCL error CL_OUT_OF_RESOURCES (-5) in clEnqueueNDRangeKernel". */
void stcl_check(cl_int code, const char *call);

/* ---- the device and its context ------------------------------------------------------------ */

/* Objects a program creates through these helpers; stcl_release frees them all. */
enum { STCL_MAX_OBJECTS = 64 };

typedef struct {
    cl_platform_id platform;
    cl_device_id device;
    cl_context context;
    cl_command_queue queue;     /* in order, no profiling */
    int platform_index;         /* P of P:D */
    int device_index;           /* D of P:D */
    int flat_index;             /* the index in the flat list `stencilc devices` prints */
    char name[256];             /* CL_DEVICE_NAME, trimmed */
    char platform_name[256];
    cl_device_type type;
    int has_fp64;               /* cl_khr_fp64 (or cl_amd_fp64 with a double config) */
    int correctly_rounded_divide_sqrt; /* CL_FP_CORRECTLY_ROUNDED_DIVIDE_SQRT for float */
    int opencl_c_minor;         /* OpenCL C 1.x the device compiles: 1.1 or 1.2 (3.0 devices: 2) */
    size_t max_work_group_size;
    size_t max_work_item_sizes[3];
    cl_ulong local_mem_size;
    cl_ulong global_mem_size;
    cl_uint compute_units;
    int profile;                /* STENCILC_CL_PROFILE set: per-kernel device times, see below */
    /* Created objects, released in reverse order by stcl_release. */
    int object_count;
    struct { int kind; void *object; } objects[STCL_MAX_OBJECTS];
    /* Profile rows: name, calls, device nanoseconds. */
    int profile_count;
    struct { const char *name; long calls; double nanoseconds; } profile_rows[16];
} stcl_env;

/* Chooses a device and creates its context and in-order queue. The selector is `selector` if
 * non-NULL and non-empty, else the environment variable STENCILC_DEVICE, else none; with none,
 * the first available GPU, else the first available device. A selector is
 *   "P:D"   platform P, device D of that platform (both from 0),
 *   "K"     device K of the flat list that `stencilc devices` prints,
 *   "TEXT"  the first device whose name, vendor, platform name or platform vendor contains TEXT, ignoring case;
 *           "gpu", "cpu" and "accelerator" also select the first device of that type.
 * No platform, no device, an index out of range or no match: a message listing the devices
 * that exist, exit status 1. */
void stcl_init(stcl_env *env, const char *selector);

/* Releases every object created through these helpers, then the queue and the context. With
 * profiling on, first prints the profile to stderr. */
void stcl_release(stcl_env *env);

/* Profiling, for finding where the time goes: when the environment variable STENCILC_CL_PROFILE
 * is set (to anything but "" or "0"), the queue is created with profiling, every launch and
 * transfer made through these helpers waits for its event and adds its device time to a table
 * by name, and stcl_release prints the table. Waiting on each event serialises host and
 * device, so the run's own timing is slower in this mode; use it to see proportions. */
void stcl_print_profile(const stcl_env *env, FILE *out);

/* "pthread-skylake-avx512 (CPU, Portable Computing Language)": for the run summary. */
const char *stcl_device_description(const stcl_env *env);

/* Fatal unless the device has double precision; `what` names the program ("jacobi64"). */
void stcl_require_fp64(const stcl_env *env, const char *what);

/* ---- programs and kernels ------------------------------------------------------------------ */

/* Builds `source` for the device with the options every stencil wants (the newest of
 * -cl-std=CL1.1/CL1.2 that the device takes, -cl-fp32-correctly-rounded-divide-sqrt where the
 * device offers it; never unsafe or fast math) followed by `extra_options` (may be NULL). A
 * failure prints CL_BUILD_PROGRAM_FAILURE, the options and the full build log, exit status 1.
 * The environment variable STENCILC_CL_OPTIONS, if set, is appended last (for experiments). */
cl_program stcl_build_program(stcl_env *env, const char *source, const char *extra_options);

cl_kernel stcl_create_kernel(stcl_env *env, cl_program program, const char *name);

/* clSetKernelArg, fatal on failure with the kernel's name and the argument's index. */
void stcl_set_arg(cl_kernel kernel, cl_uint index, size_t size, const void *value);
#define STCL_ARG(kernel, index, value) stcl_set_arg((kernel), (index), sizeof(value), &(value))
/* A __local argument of `bytes` bytes. */
#define STCL_LOCAL_ARG(kernel, index, bytes) stcl_set_arg((kernel), (index), (bytes), NULL)

/* ---- buffers --------------------------------------------------------------------------------- */

/* A device buffer of `bytes` bytes, filled from `host` if non-NULL; fatal on failure, with the
 * size and the device's global memory in the message. */
cl_mem stcl_create_buffer(stcl_env *env, size_t bytes, const void *host);

/* Blocking reads and writes of a whole buffer prefix. */
void stcl_read(stcl_env *env, cl_mem buffer, size_t bytes, void *host);
void stcl_write(stcl_env *env, cl_mem buffer, size_t bytes, const void *host);

/* Waits for everything enqueued so far (before stopping a timer). */
void stcl_finish(stcl_env *env);

/* ---- work-groups and launches ------------------------------------------------------------- */

/* A work-group: `rows` x `cols` work-items, `planes` deep for a 3-D NDRange (0 or 1: one plane;
 * a 1-D or 2-D NDRange ignores it, so `{ .rows = R, .cols = C }` initialises a 2-D one). On the NDRange,
 * dimension 0 runs along a row (columns, the contiguous direction), dimension 1 down the rows
 * and dimension 2 across the planes. */
typedef struct { size_t rows, cols, planes; } stcl_workgroup;

/* The work-group's depth in planes (at least 1) and its number of work-items. */
size_t stcl_workgroup_depth(stcl_workgroup wg);
size_t stcl_workgroup_items(stcl_workgroup wg);

/* The work-group to use when the schedule names none: a row of work-items as wide as suits the
 * device (a multiple of the kernel's preferred multiple, coalesced on GPUs), at most `rows` x
 * `cols` (the NDRange) and at most what every kernel in `kernels` takes. */
stcl_workgroup stcl_default_workgroup(stcl_env *env, const cl_kernel *kernels, int kernel_count,
                                      long rows, long cols);

/* Fatal unless every kernel in `kernels` can run work-groups of `wg` on the device: checks
 * CL_DEVICE_MAX_WORK_GROUP_SIZE, CL_DEVICE_MAX_WORK_ITEM_SIZES, CL_KERNEL_WORK_GROUP_SIZE and,
 * for `local_bytes_per_item` > 0, the local memory a reduction needs; the message gives the
 * device's limits. `origin` says where the size came from ("workgroup 64 x 64 in the schedule"). */
void stcl_check_workgroup(stcl_env *env, const cl_kernel *kernels, int kernel_count,
                          stcl_workgroup wg, size_t local_bytes_per_item, const char *origin);

/* `n` rounded up to a multiple of `multiple`. */
size_t stcl_round_up(size_t n, size_t multiple);

/* Number of work-groups a rows x cols NDRange, rounded up, is cut into. */
size_t stcl_group_count(long rows, long cols, stcl_workgroup wg);

/* The same for a planes x rows x cols NDRange, every dimension rounded up (stcl_enqueue_3d). */
size_t stcl_group_count_3d(long planes, long rows, long cols, stcl_workgroup wg);

/* Enqueues `kernel` over rows x cols work-items (dimension 1 x dimension 0), the global size
 * rounded up to whole work-groups: the kernel must ignore work-items past rows x cols. */
void stcl_enqueue_2d(stcl_env *env, cl_kernel kernel, const char *name, long rows, long cols,
                     stcl_workgroup wg);

/* Enqueues `kernel` over planes x rows x cols work-items (dimension 2 x 1 x 0) of a 3-D grid:
 * work-groups of `wg` (stcl_workgroup_depth(wg) planes deep), each dimension rounded up to whole
 * work-groups as stcl_enqueue_2d does: the kernel must ignore work-items past the grid. The
 * number of work-groups is stcl_group_count_3d(planes, rows, cols, wg). */
void stcl_enqueue_3d(stcl_env *env, cl_kernel kernel, const char *name, long planes, long rows, long cols,
                     stcl_workgroup wg);

/* One neumann, periodic or fixed boundary statement on the device (LANGUAGE.md section 5): launches
 * the program's `boundary_side` kernel (stencilc emits it: arguments outer, extent, inner, first,
 * kind, grid, values: the strip as st_side_strip gives it) over the strip of side `side`
 * (ST_TOP..ST_BACK of stencil_runtime.h) of a grid of `dimensions` extents, `halo` deep. kind
 * ST_NEUMANN or ST_PERIODIC copies points of `grid` (as st_copy_side_nd); ST_FIXED copies the
 * strip from `values`, a grid holding the fixed statement's values, computed once on the host
 * (the device then gives the host's bits). Enqueued in order after the sweep before it. */
void stcl_boundary_side(stcl_env *env, cl_kernel kernel, cl_mem grid, cl_mem values, int side, int kind,
                        int dimensions, const long *extents, int halo);

/* Enqueues one work-group of `local` work-items (a final reduction pass). */
void stcl_enqueue_1d(stcl_env *env, cl_kernel kernel, const char *name, size_t global, size_t local);

/* The size of the single work-group of a final reduction pass: a power of two, at most 256 and
 * at most what `kernel` takes on the device. */
size_t stcl_reduction_size(stcl_env *env, cl_kernel kernel);

/* ---- listing --------------------------------------------------------------------------------- */

/* Prints every platform and device: flat index, P:D, type, compute units, global and local
 * memory, max work-group size, fp64, OpenCL C version. `json`: one JSON object instead.
 * Returns the number of devices found; with none, prints why to stderr. */
int stcl_list_devices(FILE *out, int json);

#ifdef __cplusplus
}
#endif

#endif /* STENCIL_OPENCL_H */
