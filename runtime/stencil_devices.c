/* stencil_devices.c: the `stencilc devices` helper, a tiny program the driver compiles once
 * against stencil_opencl.c and stencil_runtime.c. Lists every OpenCL platform and device the ICD
 * loader finds (--json: one JSON object); exit status 1 when there is none. */
#include "stencil_opencl.h"
#include "stencil_runtime.h"

#include <stdio.h>
#include <string.h>

int main(int argc, char **argv)
{
    st_set_program_name("stencilc devices");
    int json = 0;
    for (int a = 1; a < argc; ++a) {
        if (strcmp(argv[a], "--json") == 0) json = 1;
        else if (strcmp(argv[a], "--help") == 0 || strcmp(argv[a], "-h") == 0) {
            printf("usage: stencilc devices [--json]\n"
                   "Lists the OpenCL platforms and devices; choose one with --device INDEX, P:D or "
                   "a name substring, or with STENCILC_DEVICE.\n");
            return 0;
        } else st_fatal("unknown argument '%s' (try --help)", argv[a]);
    }
    return stcl_list_devices(stdout, json) > 0 ? 0 : 1;
}
