/* stencil_opencl.c: see stencil_opencl.h. C11 plus the OpenCL 1.2 host API. */
#define _POSIX_C_SOURCE 200809L

#include "stencil_opencl.h"
#include "stencil_runtime.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

/* From cl_ext.h (cl_khr_icd): what the ICD loader returns when it finds no driver at all. */
#define CL_PLATFORM_NOT_FOUND_KHR_VALUE (-1001)

/* ---- errors ------------------------------------------------------------------------------ */

const char *stcl_error_name(cl_int code)
{
    /* Numbers rather than macros: CL_TARGET_OPENCL_VERSION 120 hides the 2.x/3.0 names, but a
     * newer driver may still return them. */
    switch (code) {
    case 0: return "CL_SUCCESS";
    case -1: return "CL_DEVICE_NOT_FOUND";
    case -2: return "CL_DEVICE_NOT_AVAILABLE";
    case -3: return "CL_COMPILER_NOT_AVAILABLE";
    case -4: return "CL_MEM_OBJECT_ALLOCATION_FAILURE";
    case -5: return "CL_OUT_OF_RESOURCES";
    case -6: return "CL_OUT_OF_HOST_MEMORY";
    case -7: return "CL_PROFILING_INFO_NOT_AVAILABLE";
    case -8: return "CL_MEM_COPY_OVERLAP";
    case -9: return "CL_IMAGE_FORMAT_MISMATCH";
    case -10: return "CL_IMAGE_FORMAT_NOT_SUPPORTED";
    case -11: return "CL_BUILD_PROGRAM_FAILURE";
    case -12: return "CL_MAP_FAILURE";
    case -13: return "CL_MISALIGNED_SUB_BUFFER_OFFSET";
    case -14: return "CL_EXEC_STATUS_ERROR_FOR_EVENTS_IN_WAIT_LIST";
    case -15: return "CL_COMPILE_PROGRAM_FAILURE";
    case -16: return "CL_LINKER_NOT_AVAILABLE";
    case -17: return "CL_LINK_PROGRAM_FAILURE";
    case -18: return "CL_DEVICE_PARTITION_FAILED";
    case -19: return "CL_KERNEL_ARG_INFO_NOT_AVAILABLE";
    case -30: return "CL_INVALID_VALUE";
    case -31: return "CL_INVALID_DEVICE_TYPE";
    case -32: return "CL_INVALID_PLATFORM";
    case -33: return "CL_INVALID_DEVICE";
    case -34: return "CL_INVALID_CONTEXT";
    case -35: return "CL_INVALID_QUEUE_PROPERTIES";
    case -36: return "CL_INVALID_COMMAND_QUEUE";
    case -37: return "CL_INVALID_HOST_PTR";
    case -38: return "CL_INVALID_MEM_OBJECT";
    case -39: return "CL_INVALID_IMAGE_FORMAT_DESCRIPTOR";
    case -40: return "CL_INVALID_IMAGE_SIZE";
    case -41: return "CL_INVALID_SAMPLER";
    case -42: return "CL_INVALID_BINARY";
    case -43: return "CL_INVALID_BUILD_OPTIONS";
    case -44: return "CL_INVALID_PROGRAM";
    case -45: return "CL_INVALID_PROGRAM_EXECUTABLE";
    case -46: return "CL_INVALID_KERNEL_NAME";
    case -47: return "CL_INVALID_KERNEL_DEFINITION";
    case -48: return "CL_INVALID_KERNEL";
    case -49: return "CL_INVALID_ARG_INDEX";
    case -50: return "CL_INVALID_ARG_VALUE";
    case -51: return "CL_INVALID_ARG_SIZE";
    case -52: return "CL_INVALID_KERNEL_ARGS";
    case -53: return "CL_INVALID_WORK_DIMENSION";
    case -54: return "CL_INVALID_WORK_GROUP_SIZE";
    case -55: return "CL_INVALID_WORK_ITEM_SIZE";
    case -56: return "CL_INVALID_GLOBAL_OFFSET";
    case -57: return "CL_INVALID_EVENT_WAIT_LIST";
    case -58: return "CL_INVALID_EVENT";
    case -59: return "CL_INVALID_OPERATION";
    case -60: return "CL_INVALID_GL_OBJECT";
    case -61: return "CL_INVALID_BUFFER_SIZE";
    case -62: return "CL_INVALID_MIP_LEVEL";
    case -63: return "CL_INVALID_GLOBAL_WORK_SIZE";
    case -64: return "CL_INVALID_PROPERTY";
    case -65: return "CL_INVALID_IMAGE_DESCRIPTOR";
    case -66: return "CL_INVALID_COMPILER_OPTIONS";
    case -67: return "CL_INVALID_LINKER_OPTIONS";
    case -68: return "CL_INVALID_DEVICE_PARTITION_COUNT";
    case -69: return "CL_INVALID_PIPE_SIZE";
    case -70: return "CL_INVALID_DEVICE_QUEUE";
    case -71: return "CL_INVALID_SPEC_ID";
    case -72: return "CL_MAX_SIZE_RESTRICTION_EXCEEDED";
    case -1000: return "CL_INVALID_GL_SHAREGROUP_REFERENCE_KHR";
    case -1001: return "CL_PLATFORM_NOT_FOUND_KHR";
    case -1002: return "CL_INVALID_D3D10_DEVICE_KHR";
    case -1003: return "CL_INVALID_D3D10_RESOURCE_KHR";
    case -1004: return "CL_D3D10_RESOURCE_ALREADY_ACQUIRED_KHR";
    case -1005: return "CL_D3D10_RESOURCE_NOT_ACQUIRED_KHR";
    case -1006: return "CL_INVALID_D3D11_DEVICE_KHR";
    case -1007: return "CL_INVALID_D3D11_RESOURCE_KHR";
    case -1008: return "CL_D3D11_RESOURCE_ALREADY_ACQUIRED_KHR";
    case -1009: return "CL_D3D11_RESOURCE_NOT_ACQUIRED_KHR";
    case -1010: return "CL_INVALID_DX9_MEDIA_ADAPTER_KHR";
    case -1011: return "CL_INVALID_DX9_MEDIA_SURFACE_KHR";
    case -1012: return "CL_DX9_MEDIA_SURFACE_ALREADY_ACQUIRED_KHR";
    case -1013: return "CL_DX9_MEDIA_SURFACE_NOT_ACQUIRED_KHR";
    case -1057: return "CL_DEVICE_PARTITION_FAILED_EXT";
    case -1058: return "CL_INVALID_PARTITION_COUNT_EXT";
    case -1059: return "CL_INVALID_PARTITION_NAME_EXT";
    case -1092: return "CL_EGL_RESOURCE_NOT_ACQUIRED_KHR";
    case -1093: return "CL_INVALID_EGL_OBJECT_KHR";
    case -1094: return "CL_INVALID_ACCELERATOR_INTEL";
    case -1095: return "CL_INVALID_ACCELERATOR_TYPE_INTEL";
    case -1096: return "CL_INVALID_ACCELERATOR_DESCRIPTOR_INTEL";
    case -1097: return "CL_ACCELERATOR_TYPE_NOT_SUPPORTED_INTEL";
    case -1098: return "CL_INVALID_VA_API_MEDIA_ADAPTER_INTEL";
    case -1099: return "CL_INVALID_VA_API_MEDIA_SURFACE_INTEL";
    case -1100: return "CL_VA_API_MEDIA_SURFACE_ALREADY_ACQUIRED_INTEL";
    case -1101: return "CL_VA_API_MEDIA_SURFACE_NOT_ACQUIRED_INTEL";
    case -1138: return "CL_INVALID_COMMAND_BUFFER_KHR";
    case -1139: return "CL_INVALID_SYNC_POINT_WAIT_LIST_KHR";
    case -1140: return "CL_INCOMPATIBLE_COMMAND_QUEUE_KHR";
    case -1141: return "CL_INVALID_MUTABLE_COMMAND_KHR";
    case -1142: return "CL_INVALID_SEMAPHORE_KHR";
    case -9999: return "CL_NV_ILLEGAL_ADDRESS (NVIDIA: out-of-bounds access in a kernel)";
    default: return "CL_UNKNOWN_ERROR";
    }
}

/* What an error usually means, for the codes a stencil run can plausibly meet. */
static const char *error_hint(cl_int code)
{
    switch (code) {
    case CL_OUT_OF_RESOURCES:
        return " (the device ran out of resources: a work-group too large for its registers, "
               "or, on a GPU, an out-of-bounds access or a kernel stopped by a watchdog)";
    case CL_MEM_OBJECT_ALLOCATION_FAILURE:
        return " (the device could not allocate a buffer: the grids do not fit in its memory)";
    case CL_OUT_OF_HOST_MEMORY: return " (the host is out of memory)";
    case CL_INVALID_WORK_GROUP_SIZE:
        return " (the work-group size does not suit the device or kernel; see `stencilc devices` "
               "for the device's limits and set `workgroup R x C` in the schedule)";
    case CL_DEVICE_NOT_AVAILABLE: return " (the device exists but is not available now)";
    case CL_COMPILER_NOT_AVAILABLE: return " (the driver has no OpenCL C compiler)";
    default: return "";
    }
}

void stcl_check(cl_int code, const char *call)
{
    if (code != CL_SUCCESS)
        st_fatal("OpenCL error %s (%d) in %s%s", stcl_error_name(code), (int)code, call, error_hint(code));
}

/* ---- small helpers ------------------------------------------------------------------------- */

static void *checked_malloc(size_t bytes)
{
    void *p = malloc(bytes ? bytes : 1);
    if (!p) st_fatal("out of memory");
    return p;
}

/* A string-valued device info, trimmed of surrounding blanks (some drivers pad names). */
static void device_string(cl_device_id device, cl_device_info what, char *out, size_t size)
{
    out[0] = '\0';
    if (clGetDeviceInfo(device, what, size, out, NULL) != CL_SUCCESS) {
        /* Too long for the buffer: fetch it whole and truncate. */
        size_t needed = 0;
        if (clGetDeviceInfo(device, what, 0, NULL, &needed) != CL_SUCCESS || needed == 0) return;
        char *whole = checked_malloc(needed);
        if (clGetDeviceInfo(device, what, needed, whole, NULL) == CL_SUCCESS)
            snprintf(out, size, "%s", whole);
        free(whole);
    }
    out[size - 1] = '\0';
    size_t n = strlen(out);
    while (n > 0 && isspace((unsigned char)out[n - 1])) out[--n] = '\0';
    size_t lead = 0;
    while (isspace((unsigned char)out[lead])) ++lead;
    if (lead) memmove(out, out + lead, n - lead + 1);
}

static void platform_string(cl_platform_id platform, cl_platform_info what, char *out, size_t size)
{
    out[0] = '\0';
    if (clGetPlatformInfo(platform, what, size, out, NULL) != CL_SUCCESS) out[0] = '\0';
    out[size - 1] = '\0';
}

/* The whole extension string: it can be kilobytes long on GPU drivers. */
static char *device_extensions(cl_device_id device)
{
    size_t needed = 0;
    if (clGetDeviceInfo(device, CL_DEVICE_EXTENSIONS, 0, NULL, &needed) != CL_SUCCESS) needed = 0;
    char *text = checked_malloc(needed + 1);
    text[0] = '\0';
    if (needed && clGetDeviceInfo(device, CL_DEVICE_EXTENSIONS, needed, text, NULL) != CL_SUCCESS) text[0] = '\0';
    text[needed] = '\0';
    return text;
}

/* Whether the space-separated list `list` holds the word `word`. */
static int has_word(const char *list, const char *word)
{
    size_t n = strlen(word);
    for (const char *p = list; (p = strstr(p, word)) != NULL; p += n) {
        int starts = p == list || p[-1] == ' ';
        int ends = p[n] == '\0' || p[n] == ' ';
        if (starts && ends) return 1;
    }
    return 0;
}

static int contains_ignoring_case(const char *text, const char *needle)
{
    size_t n = strlen(needle);
    if (n == 0) return 0;
    for (; *text; ++text) {
        size_t k = 0;
        while (k < n && text[k] &&
               tolower((unsigned char)text[k]) == tolower((unsigned char)needle[k])) ++k;
        if (k == n) return 1;
    }
    return 0;
}

static const char *type_name(cl_device_type type)
{
    if (type & CL_DEVICE_TYPE_GPU) return "GPU";
    if (type & CL_DEVICE_TYPE_CPU) return "CPU";
    if (type & CL_DEVICE_TYPE_ACCELERATOR) return "accelerator";
    if (type & CL_DEVICE_TYPE_CUSTOM) return "custom";
    return "other";
}

/* A growable text buffer for multi-line messages. */
typedef struct { char *text; size_t length, capacity; } text_buffer;

static void append(text_buffer *b, const char *format, ...) __attribute__((format(printf, 2, 3)));
static void append(text_buffer *b, const char *format, ...)
{
    va_list args;
    va_start(args, format);
    int n = vsnprintf(NULL, 0, format, args);
    va_end(args);
    if (n < 0) return;
    if (b->length + (size_t)n + 1 > b->capacity) {
        size_t capacity = (b->capacity ? b->capacity * 2 : 256) + (size_t)n;
        char *grown = realloc(b->text, capacity);
        if (!grown) st_fatal("out of memory");
        b->text = grown;
        b->capacity = capacity;
    }
    va_start(args, format);
    vsnprintf(b->text + b->length, b->capacity - b->length, format, args);
    va_end(args);
    b->length += (size_t)n;
}

/* ---- enumeration ---------------------------------------------------------------------------- */

typedef struct {
    cl_platform_id platform;
    cl_device_id device;
    int platform_index, device_index;
    char name[256], vendor[256], platform_name[256], platform_vendor[256], version[128], c_version[128];
    cl_device_type type;
    cl_bool available;
    cl_uint compute_units;
    cl_ulong global_mem, local_mem;
    size_t max_work_group_size;
    size_t max_work_item_sizes[3];
    int has_fp64;
} device_entry;

typedef struct {
    device_entry *devices;
    int count;
    int platform_count;
    char why_none[512];   /* when count is 0 */
} device_list;

static void describe_entry(device_entry *e)
{
    device_string(e->device, CL_DEVICE_NAME, e->name, sizeof e->name);
    device_string(e->device, CL_DEVICE_VENDOR, e->vendor, sizeof e->vendor);
    device_string(e->device, CL_DEVICE_VERSION, e->version, sizeof e->version);
    device_string(e->device, CL_DEVICE_OPENCL_C_VERSION, e->c_version, sizeof e->c_version);
    e->type = 0;
    e->available = CL_FALSE;
    e->compute_units = 0;
    e->global_mem = e->local_mem = 0;
    e->max_work_group_size = 0;
    memset(e->max_work_item_sizes, 0, sizeof e->max_work_item_sizes);
    clGetDeviceInfo(e->device, CL_DEVICE_TYPE, sizeof e->type, &e->type, NULL);
    clGetDeviceInfo(e->device, CL_DEVICE_AVAILABLE, sizeof e->available, &e->available, NULL);
    clGetDeviceInfo(e->device, CL_DEVICE_MAX_COMPUTE_UNITS, sizeof e->compute_units, &e->compute_units, NULL);
    clGetDeviceInfo(e->device, CL_DEVICE_GLOBAL_MEM_SIZE, sizeof e->global_mem, &e->global_mem, NULL);
    clGetDeviceInfo(e->device, CL_DEVICE_LOCAL_MEM_SIZE, sizeof e->local_mem, &e->local_mem, NULL);
    clGetDeviceInfo(e->device, CL_DEVICE_MAX_WORK_GROUP_SIZE, sizeof e->max_work_group_size,
                    &e->max_work_group_size, NULL);
    cl_uint dims = 0;
    clGetDeviceInfo(e->device, CL_DEVICE_MAX_WORK_ITEM_DIMENSIONS, sizeof dims, &dims, NULL);
    if (dims >= 1) {
        size_t *sizes = checked_malloc(dims * sizeof *sizes);
        if (clGetDeviceInfo(e->device, CL_DEVICE_MAX_WORK_ITEM_SIZES, dims * sizeof *sizes, sizes, NULL) == CL_SUCCESS)
            for (cl_uint k = 0; k < dims && k < 3; ++k) e->max_work_item_sizes[k] = sizes[k];
        free(sizes);
    }
    char *extensions = device_extensions(e->device);
    cl_device_fp_config fp64 = 0;
    clGetDeviceInfo(e->device, CL_DEVICE_DOUBLE_FP_CONFIG, sizeof fp64, &fp64, NULL);
    e->has_fp64 = has_word(extensions, "cl_khr_fp64") || (fp64 != 0 && has_word(extensions, "cl_amd_fp64"));
    free(extensions);
}

static device_list enumerate_devices(void)
{
    device_list list = { NULL, 0, 0, "" };
    cl_uint platform_count = 0;
    cl_int status = clGetPlatformIDs(0, NULL, &platform_count);
    if (status == CL_PLATFORM_NOT_FOUND_KHR_VALUE || (status == CL_SUCCESS && platform_count == 0)) {
        snprintf(list.why_none, sizeof list.why_none,
                 "no OpenCL platform found: the ICD loader found no driver (install one, e.g. "
                 "pocl-opencl-icd for CPUs or the GPU vendor's driver, and check /etc/OpenCL/vendors)");
        return list;
    }
    if (status != CL_SUCCESS) {
        snprintf(list.why_none, sizeof list.why_none,
                 "no OpenCL platform found: clGetPlatformIDs failed with %s (%d)",
                 stcl_error_name(status), (int)status);
        return list;
    }
    cl_platform_id *platforms = checked_malloc(platform_count * sizeof *platforms);
    stcl_check(clGetPlatformIDs(platform_count, platforms, NULL), "clGetPlatformIDs");
    list.platform_count = (int)platform_count;
    int capacity = 0;
    for (cl_uint p = 0; p < platform_count; ++p) {
        cl_uint device_count = 0;
        status = clGetDeviceIDs(platforms[p], CL_DEVICE_TYPE_ALL, 0, NULL, &device_count);
        if (status != CL_SUCCESS || device_count == 0) continue;   /* CL_DEVICE_NOT_FOUND */
        cl_device_id *ids = checked_malloc(device_count * sizeof *ids);
        if (clGetDeviceIDs(platforms[p], CL_DEVICE_TYPE_ALL, device_count, ids, NULL) != CL_SUCCESS) {
            free(ids);
            continue;
        }
        for (cl_uint d = 0; d < device_count; ++d) {
            if (list.count == capacity) {
                capacity = capacity ? capacity * 2 : 8;
                device_entry *grown = realloc(list.devices, (size_t)capacity * sizeof *grown);
                if (!grown) st_fatal("out of memory");
                list.devices = grown;
            }
            device_entry *e = &list.devices[list.count++];
            e->platform = platforms[p];
            e->device = ids[d];
            e->platform_index = (int)p;
            e->device_index = (int)d;
            platform_string(platforms[p], CL_PLATFORM_NAME, e->platform_name, sizeof e->platform_name);
            platform_string(platforms[p], CL_PLATFORM_VENDOR, e->platform_vendor, sizeof e->platform_vendor);
            describe_entry(e);
        }
        free(ids);
    }
    free(platforms);
    if (list.count == 0)
        snprintf(list.why_none, sizeof list.why_none,
                 "no OpenCL device found: %u platform%s, none with a device (is the driver's "
                 "hardware present and its kernel module loaded?)",
                 platform_count, platform_count == 1 ? "" : "s");
    return list;
}

static void list_entries(text_buffer *b, const device_list *list)
{
    for (int k = 0; k < list->count; ++k) {
        const device_entry *e = &list->devices[k];
        append(b, "  %d  %d:%d  %s (%s, %s)%s\n", k, e->platform_index, e->device_index, e->name,
               type_name(e->type), e->platform_name, e->available ? "" : " [not available]");
    }
}

/* ---- device choice ------------------------------------------------------------------------- */

/* Whether `text` is a whole non-negative decimal number; stores it in *value. */
static int parse_index(const char *text, size_t length, long *value)
{
    if (length == 0 || length > 6) return 0;
    long v = 0;
    for (size_t k = 0; k < length; ++k) {
        if (!isdigit((unsigned char)text[k])) return 0;
        v = v * 10 + (text[k] - '0');
    }
    *value = v;
    return 1;
}

static void no_such_device(const device_list *list, const char *origin, const char *format, ...)
    __attribute__((noreturn, format(printf, 3, 4)));
static void no_such_device(const device_list *list, const char *origin, const char *format, ...)
{
    text_buffer b = { NULL, 0, 0 };
    char reason[512];
    va_list args;
    va_start(args, format);
    vsnprintf(reason, sizeof reason, format, args);
    va_end(args);
    append(&b, "%s (from %s); the OpenCL devices are (index  platform:device  name):\n", reason, origin);
    list_entries(&b, list);
    append(&b, "choose one with --device INDEX, --device P:D or --device NAME (or STENCILC_DEVICE)");
    st_fatal("%s", b.text);
}

/* The index in `list` that `selector` names; fatal when it names none. */
static int select_device(const device_list *list, const char *selector, const char *origin)
{
    const char *colon = strchr(selector, ':');
    long p = 0, d = 0;
    if (colon && parse_index(selector, (size_t)(colon - selector), &p) &&
        parse_index(colon + 1, strlen(colon + 1), &d)) {
        int platform_seen = 0;
        for (int k = 0; k < list->count; ++k) {
            if (list->devices[k].platform_index != p) continue;
            platform_seen = 1;
            if (list->devices[k].device_index == d) return k;
        }
        if (!platform_seen && p >= list->platform_count)
            no_such_device(list, origin, "no OpenCL platform %ld: there %s %d", p,
                           list->platform_count == 1 ? "is" : "are", list->platform_count);
        no_such_device(list, origin, "platform %ld has no device %ld", p, d);
    }
    if (parse_index(selector, strlen(selector), &d)) {
        if (d < list->count) return (int)d;
        no_such_device(list, origin, "no OpenCL device %ld: there %s %d (0 to %d)", d,
                       list->count == 1 ? "is" : "are", list->count, list->count - 1);
    }
    for (int k = 0; k < list->count; ++k)
        if (contains_ignoring_case(list->devices[k].name, selector)) return k;
    for (int k = 0; k < list->count; ++k)
        if (contains_ignoring_case(list->devices[k].vendor, selector) ||
            contains_ignoring_case(list->devices[k].platform_name, selector) ||
            contains_ignoring_case(list->devices[k].platform_vendor, selector)) return k; /* PoCL: "The pocl project" */
    static const struct { const char *word; cl_device_type type; } types[] = {
        { "gpu", CL_DEVICE_TYPE_GPU }, { "cpu", CL_DEVICE_TYPE_CPU },
        { "accelerator", CL_DEVICE_TYPE_ACCELERATOR },
    };
    for (size_t t = 0; t < sizeof types / sizeof types[0]; ++t) {
        if (strlen(selector) != strlen(types[t].word) || !contains_ignoring_case(types[t].word, selector))
            continue;
        for (int k = 0; k < list->count; ++k)
            if (list->devices[k].type & types[t].type) return k;
    }
    no_such_device(list, origin, "no OpenCL device matches '%s'", selector);
}

static void record(stcl_env *env, int kind, void *object)
{
    if (env->object_count == STCL_MAX_OBJECTS)
        st_fatal("internal error: more than %d OpenCL objects (raise STCL_MAX_OBJECTS)", STCL_MAX_OBJECTS);
    env->objects[env->object_count].kind = kind;
    env->objects[env->object_count].object = object;
    env->object_count++;
}

enum { OBJECT_MEM, OBJECT_KERNEL, OBJECT_PROGRAM };

void stcl_init(stcl_env *env, const char *selector)
{
    memset(env, 0, sizeof *env);
    const char *origin = "--device";
    if (!selector || !*selector) {
        selector = getenv("STENCILC_DEVICE");
        origin = "STENCILC_DEVICE";
    }
    if (selector && !*selector) selector = NULL;

    device_list list = enumerate_devices();
    if (list.count == 0) st_fatal("%s", list.why_none);

    int chosen = -1;
    if (selector) {
        chosen = select_device(&list, selector, origin);
        if (!list.devices[chosen].available)
            no_such_device(&list, origin, "OpenCL device %d (%s) is not available", chosen,
                           list.devices[chosen].name);
    } else {
        for (int k = 0; k < list.count && chosen < 0; ++k)
            if ((list.devices[k].type & CL_DEVICE_TYPE_GPU) && list.devices[k].available) chosen = k;
        for (int k = 0; k < list.count && chosen < 0; ++k)
            if (list.devices[k].available) chosen = k;
        if (chosen < 0)
            no_such_device(&list, "the default choice", "no OpenCL device is available");
    }

    const device_entry *e = &list.devices[chosen];
    env->platform = e->platform;
    env->device = e->device;
    env->platform_index = e->platform_index;
    env->device_index = e->device_index;
    env->flat_index = chosen;
    snprintf(env->name, sizeof env->name, "%s", e->name);
    snprintf(env->platform_name, sizeof env->platform_name, "%s", e->platform_name);
    env->type = e->type;
    env->has_fp64 = e->has_fp64;
    env->max_work_group_size = e->max_work_group_size;
    memcpy(env->max_work_item_sizes, e->max_work_item_sizes, sizeof env->max_work_item_sizes);
    env->local_mem_size = e->local_mem;
    env->global_mem_size = e->global_mem;
    env->compute_units = e->compute_units;
    cl_device_fp_config fp32 = 0;
    clGetDeviceInfo(env->device, CL_DEVICE_SINGLE_FP_CONFIG, sizeof fp32, &fp32, NULL);
    env->correctly_rounded_divide_sqrt = (fp32 & CL_FP_CORRECTLY_ROUNDED_DIVIDE_SQRT) != 0;
    /* "OpenCL C 1.1 ...", "OpenCL C 1.2 ...", "OpenCL C 3.0 ...". */
    int major = 1, minor = 1;
    if (sscanf(e->c_version, "OpenCL C %d.%d", &major, &minor) != 2) { major = 1; minor = 1; }
    env->opencl_c_minor = major > 1 ? 2 : (minor >= 2 ? 2 : 1);
    free(list.devices);

    cl_int status;
    cl_context_properties properties[] = { CL_CONTEXT_PLATFORM, (cl_context_properties)env->platform, 0 };
    env->context = clCreateContext(properties, 1, &env->device, NULL, NULL, &status);
    stcl_check(status, "clCreateContext");
    const char *profile = getenv("STENCILC_CL_PROFILE");
    env->profile = profile && *profile && strcmp(profile, "0") != 0;
    env->queue = clCreateCommandQueue(env->context, env->device,
                                      env->profile ? CL_QUEUE_PROFILING_ENABLE : 0, &status);
    stcl_check(status, "clCreateCommandQueue");
}

/* With profiling on: waits for `event`, adds its device time to the row `name`, releases it. */
static void account(stcl_env *env, cl_event event, const char *name)
{
    if (!event) return;
    stcl_check(clWaitForEvents(1, &event), "clWaitForEvents");
    cl_ulong start = 0, end = 0;
    clGetEventProfilingInfo(event, CL_PROFILING_COMMAND_START, sizeof start, &start, NULL);
    clGetEventProfilingInfo(event, CL_PROFILING_COMMAND_END, sizeof end, &end, NULL);
    clReleaseEvent(event);
    int row = 0;
    while (row < env->profile_count && strcmp(env->profile_rows[row].name, name) != 0) ++row;
    if (row == env->profile_count) {
        if (row == (int)(sizeof env->profile_rows / sizeof env->profile_rows[0])) return;
        env->profile_rows[row].name = name;
        env->profile_rows[row].calls = 0;
        env->profile_rows[row].nanoseconds = 0;
        env->profile_count++;
    }
    env->profile_rows[row].calls++;
    env->profile_rows[row].nanoseconds += end > start ? (double)(end - start) : 0.0;
}

void stcl_print_profile(const stcl_env *env, FILE *out)
{
    double total = 0;
    for (int k = 0; k < env->profile_count; ++k) total += env->profile_rows[k].nanoseconds;
    fprintf(out, "OpenCL profile on '%s' (device time of each command):\n", env->name);
    fprintf(out, "  %-28s %10s %12s %12s %6s\n", "command", "calls", "total ms", "mean us", "share");
    for (int k = 0; k < env->profile_count; ++k) {
        double ns = env->profile_rows[k].nanoseconds;
        long calls = env->profile_rows[k].calls;
        fprintf(out, "  %-28s %10ld %12.3f %12.2f %5.1f%%\n", env->profile_rows[k].name, calls,
                ns / 1e6, calls ? ns / 1e3 / (double)calls : 0.0, total > 0 ? 100.0 * ns / total : 0.0);
    }
}

void stcl_release(stcl_env *env)
{
    if (env->profile && env->profile_count > 0) stcl_print_profile(env, stderr);
    for (int k = env->object_count - 1; k >= 0; --k) {
        switch (env->objects[k].kind) {
        case OBJECT_MEM: clReleaseMemObject((cl_mem)env->objects[k].object); break;
        case OBJECT_KERNEL: clReleaseKernel((cl_kernel)env->objects[k].object); break;
        case OBJECT_PROGRAM: clReleaseProgram((cl_program)env->objects[k].object); break;
        }
    }
    env->object_count = 0;
    if (env->queue) clReleaseCommandQueue(env->queue);
    if (env->context) clReleaseContext(env->context);
    env->queue = NULL;
    env->context = NULL;
}

const char *stcl_device_description(const stcl_env *env)
{
    static char text[600];
    snprintf(text, sizeof text, "%s (%s, %s)", env->name, type_name(env->type), env->platform_name);
    return text;
}

void stcl_require_fp64(const stcl_env *env, const char *what)
{
    if (!env->has_fp64)
        st_fatal("%s uses float64 grids, but OpenCL device %d:%d '%s' has no double precision "
                 "(no cl_khr_fp64); choose a device that has it with --device (see `stencilc "
                 "devices`), or use float32 grids", what, env->platform_index, env->device_index,
                 env->name);
}

/* ---- programs and kernels ------------------------------------------------------------------ */

cl_program stcl_build_program(stcl_env *env, const char *source, const char *extra_options)
{
    text_buffer options = { NULL, 0, 0 };
    append(&options, "-cl-std=CL1.%d", env->opencl_c_minor);
    /* Without this flag OpenCL allows 2.5 ulp for float division and 3 ulp for sqrt; with it
     * (where the device offers it) they are correctly rounded, as in C on the host. */
    if (env->correctly_rounded_divide_sqrt) append(&options, " -cl-fp32-correctly-rounded-divide-sqrt");
    if (extra_options && *extra_options) append(&options, " %s", extra_options);
    const char *user = getenv("STENCILC_CL_OPTIONS");
    if (user && *user) append(&options, " %s", user);

    cl_int status;
    cl_program program = clCreateProgramWithSource(env->context, 1, &source, NULL, &status);
    stcl_check(status, "clCreateProgramWithSource");
    record(env, OBJECT_PROGRAM, program);
    status = clBuildProgram(program, 1, &env->device, options.text, NULL, NULL);
    if (status == CL_BUILD_PROGRAM_FAILURE || status == CL_INVALID_BUILD_OPTIONS ||
        status == CL_COMPILER_NOT_AVAILABLE) {
        size_t length = 0;
        clGetProgramBuildInfo(program, env->device, CL_PROGRAM_BUILD_LOG, 0, NULL, &length);
        char *log = checked_malloc(length + 1);
        log[0] = '\0';
        if (length) clGetProgramBuildInfo(program, env->device, CL_PROGRAM_BUILD_LOG, length, log, NULL);
        log[length] = '\0';
        size_t n = strlen(log);
        while (n > 0 && isspace((unsigned char)log[n - 1])) log[--n] = '\0';
        st_fatal("OpenCL error %s (%d) in clBuildProgram: the kernel did not build for device "
                 "'%s'\noptions: %s\nbuild log:\n%s", stcl_error_name(status), (int)status,
                 env->name, options.text, *log ? log : "(empty)");
    }
    stcl_check(status, "clBuildProgram");
    free(options.text);
    return program;
}

cl_kernel stcl_create_kernel(stcl_env *env, cl_program program, const char *name)
{
    cl_int status;
    cl_kernel kernel = clCreateKernel(program, name, &status);
    if (status != CL_SUCCESS)
        st_fatal("OpenCL error %s (%d) in clCreateKernel for kernel '%s'", stcl_error_name(status),
                 (int)status, name);
    record(env, OBJECT_KERNEL, kernel);
    return kernel;
}

static void kernel_name(cl_kernel kernel, char *out, size_t size)
{
    out[0] = '\0';
    if (clGetKernelInfo(kernel, CL_KERNEL_FUNCTION_NAME, size, out, NULL) != CL_SUCCESS)
        snprintf(out, size, "?");
    out[size - 1] = '\0';
}

void stcl_set_arg(cl_kernel kernel, cl_uint index, size_t size, const void *value)
{
    cl_int status = clSetKernelArg(kernel, index, size, value);
    if (status != CL_SUCCESS) {
        char name[128];
        kernel_name(kernel, name, sizeof name);
        st_fatal("OpenCL error %s (%d) in clSetKernelArg for argument %u of kernel '%s'",
                 stcl_error_name(status), (int)status, (unsigned)index, name);
    }
}

/* ---- buffers --------------------------------------------------------------------------------- */

cl_mem stcl_create_buffer(stcl_env *env, size_t bytes, const void *host)
{
    cl_int status;
    cl_mem_flags flags = CL_MEM_READ_WRITE | (host ? CL_MEM_COPY_HOST_PTR : 0);
    cl_mem buffer = clCreateBuffer(env->context, flags, bytes ? bytes : 1, (void *)host, &status);
    if (status != CL_SUCCESS)
        st_fatal("OpenCL error %s (%d) in clCreateBuffer of %zu bytes on '%s' (global memory %.1f MiB)%s",
                 stcl_error_name(status), (int)status, bytes, env->name,
                 (double)env->global_mem_size / 1048576.0, error_hint(status));
    record(env, OBJECT_MEM, buffer);
    return buffer;
}

void stcl_read(stcl_env *env, cl_mem buffer, size_t bytes, void *host)
{
    cl_event event = NULL;
    stcl_check(clEnqueueReadBuffer(env->queue, buffer, CL_TRUE, 0, bytes, host, 0, NULL,
                                   env->profile ? &event : NULL), "clEnqueueReadBuffer");
    account(env, event, bytes > 64 ? "read (device to host)" : "read scalar (device to host)");
}

void stcl_write(stcl_env *env, cl_mem buffer, size_t bytes, const void *host)
{
    cl_event event = NULL;
    stcl_check(clEnqueueWriteBuffer(env->queue, buffer, CL_TRUE, 0, bytes, host, 0, NULL,
                                    env->profile ? &event : NULL), "clEnqueueWriteBuffer");
    account(env, event, "write (host to device)");
}

void stcl_finish(stcl_env *env) { stcl_check(clFinish(env->queue), "clFinish"); }

/* ---- work-groups and launches ------------------------------------------------------------- */

size_t stcl_round_up(size_t n, size_t multiple)
{
    return multiple ? (n + multiple - 1) / multiple * multiple : n;
}

size_t stcl_workgroup_depth(stcl_workgroup wg)
{
    return wg.planes ? wg.planes : 1;
}

size_t stcl_workgroup_items(stcl_workgroup wg)
{
    return wg.rows * wg.cols * stcl_workgroup_depth(wg);
}

size_t stcl_group_count(long rows, long cols, stcl_workgroup wg)
{
    return stcl_round_up((size_t)rows, wg.rows) / wg.rows * (stcl_round_up((size_t)cols, wg.cols) / wg.cols);
}

size_t stcl_group_count_3d(long planes, long rows, long cols, stcl_workgroup wg)
{
    const size_t depth = stcl_workgroup_depth(wg);
    return stcl_round_up((size_t)planes, depth) / depth * stcl_group_count(rows, cols, wg);
}

/* "R x C", or "P x R x C" for a work-group more than one plane deep: how messages name it. */
static const char *workgroup_text(stcl_workgroup wg, char *text, size_t size)
{
    if (stcl_workgroup_depth(wg) > 1) snprintf(text, size, "%zu x %zu x %zu", wg.planes, wg.rows, wg.cols);
    else snprintf(text, size, "%zu x %zu", wg.rows, wg.cols);
    return text;
}

static size_t kernel_work_group_size(const stcl_env *env, cl_kernel kernel)
{
    size_t size = 0;
    stcl_check(clGetKernelWorkGroupInfo(kernel, env->device, CL_KERNEL_WORK_GROUP_SIZE, sizeof size, &size, NULL),
               "clGetKernelWorkGroupInfo(CL_KERNEL_WORK_GROUP_SIZE)");
    return size;
}

static size_t largest_power_of_two_at_most(size_t n)
{
    size_t p = 1;
    while (p * 2 <= n) p *= 2;
    return p;
}

stcl_workgroup stcl_default_workgroup(stcl_env *env, const cl_kernel *kernels, int kernel_count,
                                      long rows, long cols)
{
    size_t limit = env->max_work_group_size;
    size_t multiple = 1;
    for (int k = 0; k < kernel_count; ++k) {
        size_t size = kernel_work_group_size(env, kernels[k]);
        if (size < limit) limit = size;
        size_t preferred = 1;
        if (clGetKernelWorkGroupInfo(kernels[k], env->device, CL_KERNEL_PREFERRED_WORK_GROUP_SIZE_MULTIPLE,
                                     sizeof preferred, &preferred, NULL) == CL_SUCCESS && preferred > multiple)
            multiple = preferred;
    }
    if (limit == 0) limit = 1;
    /* 256 work-items, wide along dimension 0 (the contiguous direction) and a few rows deep.
     * GPUs: a warp or wavefront wide (the kernel's preferred multiple, at least 32) so that
     * each row of a work-group loads whole cache lines, and 256 / that many rows deep.
     * CPUs (PoCL and the like): one work-group is one loop run by one thread, vectorised along
     * dimension 0; on PoCL 4 x 64 measured best for the 5-point Jacobi at N = 2048 (about 1.5x
     * faster than 1 x 256, whose single row gets no reuse of the rows above and below). */
    size_t wg_cols = (env->type & CL_DEVICE_TYPE_CPU) ? 64 : (multiple >= 32 ? multiple : 32);
    if (wg_cols > 256) wg_cols = 256;
    size_t wg_rows = 256 / wg_cols;
    size_t item0 = env->max_work_item_sizes[0] ? env->max_work_item_sizes[0] : 1;
    size_t item1 = env->max_work_item_sizes[1] ? env->max_work_item_sizes[1] : 1;
    if (wg_cols > item0) wg_cols = item0;
    if (wg_cols > limit) wg_cols = limit;
    wg_cols = largest_power_of_two_at_most(wg_cols);
    /* No wider than the interior needs (rounded up to a power of two). */
    while (wg_cols > 1 && wg_cols / 2 >= (size_t)cols) wg_cols /= 2;
    while (wg_rows > 1 && (wg_rows > item1 || wg_rows * wg_cols > limit || wg_rows / 2 >= (size_t)rows)) wg_rows /= 2;
    stcl_workgroup wg = { .rows = wg_rows, .cols = wg_cols, .planes = 1 };
    return wg;
}

void stcl_check_workgroup(stcl_env *env, const cl_kernel *kernels, int kernel_count,
                          stcl_workgroup wg, size_t local_bytes_per_item, const char *origin)
{
    char shown[96];
    workgroup_text(wg, shown, sizeof shown);
    const size_t depth = stcl_workgroup_depth(wg);
    size_t items = stcl_workgroup_items(wg);
    const char *device = env->name;
    if (wg.rows == 0 || wg.cols == 0)
        st_fatal("work-group %s (%s) is empty", shown, origin);
    if (items > env->max_work_group_size || wg.rows * depth != items / wg.cols)
        st_fatal("work-group %s (%s) has %zu work-items, but device '%s' takes at most %zu "
                 "(CL_DEVICE_MAX_WORK_GROUP_SIZE); its per-dimension limits are %zu (columns) x %zu (rows)"
                 " x %zu (planes)", shown, origin, items, device, env->max_work_group_size,
                 env->max_work_item_sizes[0], env->max_work_item_sizes[1], env->max_work_item_sizes[2]);
    if (wg.cols > env->max_work_item_sizes[0] || wg.rows > env->max_work_item_sizes[1]
        || depth > env->max_work_item_sizes[2])
        st_fatal("work-group %s (%s) is too large for device '%s': it takes at most %zu planes x %zu rows "
                 "x %zu columns (CL_DEVICE_MAX_WORK_ITEM_SIZES %zu x %zu x %zu, columns first), "
                 "%zu work-items in all", shown, origin, device, env->max_work_item_sizes[2],
                 env->max_work_item_sizes[1], env->max_work_item_sizes[0], env->max_work_item_sizes[0],
                 env->max_work_item_sizes[1], env->max_work_item_sizes[2], env->max_work_group_size);
    for (int k = 0; k < kernel_count; ++k) {
        size_t size = kernel_work_group_size(env, kernels[k]);
        if (items > size) {
            char name[128];
            kernel_name(kernels[k], name, sizeof name);
            st_fatal("work-group %s (%s) has %zu work-items, but kernel '%s' takes at most %zu "
                     "on device '%s' (CL_KERNEL_WORK_GROUP_SIZE; the device's limit is %zu)",
                     shown, origin, items, name, size, device, env->max_work_group_size);
        }
        if (local_bytes_per_item > 0) {
            cl_ulong used = 0;
            clGetKernelWorkGroupInfo(kernels[k], env->device, CL_KERNEL_LOCAL_MEM_SIZE, sizeof used, &used, NULL);
            cl_ulong need = used + (cl_ulong)items * local_bytes_per_item;
            if (need > env->local_mem_size)
                st_fatal("work-group %s (%s) needs %llu bytes of local memory for its "
                         "reduction, but device '%s' has %llu (CL_DEVICE_LOCAL_MEM_SIZE)",
                         shown, origin, (unsigned long long)need, device,
                         (unsigned long long)env->local_mem_size);
        }
    }
}

void stcl_enqueue_2d(stcl_env *env, cl_kernel kernel, const char *name, long rows, long cols,
                     stcl_workgroup wg)
{
    size_t global[2] = { stcl_round_up((size_t)cols, wg.cols), stcl_round_up((size_t)rows, wg.rows) };
    size_t local[2] = { wg.cols, wg.rows };
    cl_event event = NULL;
    cl_int status = clEnqueueNDRangeKernel(env->queue, kernel, 2, NULL, global, local, 0, NULL,
                                           env->profile ? &event : NULL);
    if (status != CL_SUCCESS)
        st_fatal("OpenCL error %s (%d) in clEnqueueNDRangeKernel for kernel '%s' (global %zu x %zu, "
                 "work-group %zu x %zu, rows x columns) on device '%s'%s", stcl_error_name(status),
                 (int)status, name, global[1], global[0], wg.rows, wg.cols, env->name, error_hint(status));
    account(env, event, name);
}

void stcl_enqueue_3d(stcl_env *env, cl_kernel kernel, const char *name, long planes, long rows, long cols,
                     stcl_workgroup wg)
{
    const size_t depth = stcl_workgroup_depth(wg);
    size_t global[3] = { stcl_round_up((size_t)cols, wg.cols), stcl_round_up((size_t)rows, wg.rows),
                         stcl_round_up((size_t)planes, depth) };
    size_t local[3] = { wg.cols, wg.rows, depth };
    cl_event event = NULL;
    cl_int status = clEnqueueNDRangeKernel(env->queue, kernel, 3, NULL, global, local, 0, NULL,
                                           env->profile ? &event : NULL);
    if (status != CL_SUCCESS)
        st_fatal("OpenCL error %s (%d) in clEnqueueNDRangeKernel for kernel '%s' (global %zu x %zu x %zu, "
                 "work-group %zu x %zu x %zu, planes x rows x columns) on device '%s'%s", stcl_error_name(status),
                 (int)status, name, global[2], global[1], global[0], depth, wg.rows, wg.cols, env->name, error_hint(status));
    account(env, event, name);
}

void stcl_boundary_side(stcl_env *env, cl_kernel kernel, cl_mem grid, cl_mem values, int side, int kind,
                        int dimensions, const long *extents, int halo)
{
    const st_strip strip = st_side_strip(dimensions, extents, side);
    const cl_long outer = strip.outer, extent = strip.extent, inner = strip.inner;
    const cl_int first = strip.first, kind_arg = kind;
    STCL_ARG(kernel, 0, outer);
    STCL_ARG(kernel, 1, extent);
    STCL_ARG(kernel, 2, inner);
    STCL_ARG(kernel, 3, first);
    STCL_ARG(kernel, 4, kind_arg);
    STCL_ARG(kernel, 5, grid);
    STCL_ARG(kernel, 6, values);
    /* One work-item per strip point, in work-groups of 64 (the count rounded up to whole ones). */
    const size_t group = 64, points = (size_t)(outer * halo * inner);
    stcl_enqueue_1d(env, kernel, "boundary_side", (points + group - 1) / group * group, group);
}

void stcl_enqueue_1d(stcl_env *env, cl_kernel kernel, const char *name, size_t global, size_t local)
{
    cl_event event = NULL;
    cl_int status = clEnqueueNDRangeKernel(env->queue, kernel, 1, NULL, &global, &local, 0, NULL,
                                           env->profile ? &event : NULL);
    if (status != CL_SUCCESS)
        st_fatal("OpenCL error %s (%d) in clEnqueueNDRangeKernel for kernel '%s' (global %zu, "
                 "work-group %zu) on device '%s'%s", stcl_error_name(status), (int)status, name,
                 global, local, env->name, error_hint(status));
    account(env, event, name);
}

size_t stcl_reduction_size(stcl_env *env, cl_kernel kernel)
{
    size_t limit = kernel_work_group_size(env, kernel);
    if (limit > env->max_work_group_size) limit = env->max_work_group_size;
    if (limit > env->max_work_item_sizes[0] && env->max_work_item_sizes[0]) limit = env->max_work_item_sizes[0];
    if (limit > 256) limit = 256;
    return largest_power_of_two_at_most(limit ? limit : 1);
}

/* ---- listing --------------------------------------------------------------------------------- */

static void json_text(FILE *out, const char *text)
{
    fputc('"', out);
    for (const unsigned char *c = (const unsigned char *)text; *c; ++c) {
        if (*c == '"' || *c == '\\') fprintf(out, "\\%c", *c);
        else if (*c < 0x20) fprintf(out, "\\u%04x", *c);
        else fputc(*c, out);
    }
    fputc('"', out);
}

static void memory_text(char *out, size_t size, cl_ulong bytes)
{
    if (bytes >= (cl_ulong)1 << 30) snprintf(out, size, "%.1f GiB", (double)bytes / (double)(1UL << 30));
    else if (bytes >= (cl_ulong)1 << 20) snprintf(out, size, "%.1f MiB", (double)bytes / (double)(1UL << 20));
    else snprintf(out, size, "%.0f KiB", (double)bytes / 1024.0);
}

int stcl_list_devices(FILE *out, int json)
{
    device_list list = enumerate_devices();
    if (json) {
        fprintf(out, "{\"devices\": [");
        for (int k = 0; k < list.count; ++k) {
            const device_entry *e = &list.devices[k];
            fprintf(out, "%s\n  {\"index\": %d, \"selector\": \"%d:%d\", \"platform\": ", k ? "," : "",
                    k, e->platform_index, e->device_index);
            json_text(out, e->platform_name);
            fprintf(out, ", \"name\": ");
            json_text(out, e->name);
            fprintf(out, ", \"vendor\": ");
            json_text(out, e->vendor);
            fprintf(out, ", \"type\": \"%s\", \"available\": %s, \"compute_units\": %u, "
                    "\"global_memory\": %llu, \"local_memory\": %llu, \"max_work_group_size\": %zu, "
                    "\"max_work_item_sizes\": [%zu, %zu, %zu], \"fp64\": %s, \"version\": ",
                    type_name(e->type), e->available ? "true" : "false", e->compute_units,
                    (unsigned long long)e->global_mem, (unsigned long long)e->local_mem,
                    e->max_work_group_size, e->max_work_item_sizes[0], e->max_work_item_sizes[1],
                    e->max_work_item_sizes[2], e->has_fp64 ? "true" : "false");
            json_text(out, e->version);
            fprintf(out, ", \"opencl_c_version\": ");
            json_text(out, e->c_version);
            fprintf(out, "}");
        }
        fprintf(out, "%s]", list.count ? "\n" : "");
        if (list.count == 0) {
            fprintf(out, ", \"error\": ");
            json_text(out, list.why_none);
        }
        fprintf(out, "}\n");
    } else {
        int last_platform = -1;
        for (int k = 0; k < list.count; ++k) {
            const device_entry *e = &list.devices[k];
            if (e->platform_index != last_platform) {
                fprintf(out, "platform %d: %s\n", e->platform_index, e->platform_name);
                last_platform = e->platform_index;
            }
            char global[32], local[32];
            memory_text(global, sizeof global, e->global_mem);
            memory_text(local, sizeof local, e->local_mem);
            fprintf(out, "  [%d] %d:%d  %s%s\n", k, e->platform_index, e->device_index, e->name,
                    e->available ? "" : "  (not available)");
            fprintf(out, "        type %s, vendor %s, %s\n", type_name(e->type), e->vendor, e->version);
            fprintf(out, "        %u compute units, global memory %s, local memory %s\n",
                    e->compute_units, global, local);
            fprintf(out, "        max work-group %zu (per dimension %zu x %zu x %zu), fp64 %s\n",
                    e->max_work_group_size, e->max_work_item_sizes[0], e->max_work_item_sizes[1],
                    e->max_work_item_sizes[2], e->has_fp64 ? "yes" : "no");
        }
    }
    fflush(out);
    if (list.count == 0) fprintf(stderr, "%s: error: %s\n", st_program_name(), list.why_none);
    free(list.devices);
    return list.count;
}
