/* shape_check.c: st_check_shape (stencil_runtime.c) on its own: a 1-D or 3-D grid's recorded
 * shape is what .npy files carry (st_write_npy's header) and what st_check_npy expects of an
 * --input file; a 2-D grid (nothing recorded) keeps (rows, cols). Writes into the directory given
 * as the only argument.
 *
 *   gcc -std=c11 -O2 -I runtime runtime/tests/shape_check.c runtime/stencil_runtime.c -lm -o shape_check
 *   ./shape_check /tmp
 * Prints "N passed, 0 failed" and exits 0 when every case agrees. */
#include "stencil_runtime.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int passed, failed;

static void expect(int ok, const char *what)
{
    if (ok) ++passed;
    else { ++failed; printf("FAILED: %s\n", what); }
}

/* The header dict of a .npy file (the text between the preamble and the data). */
static void header_of(const char *path, char *out, size_t size)
{
    FILE *f = fopen(path, "rb");
    unsigned char pre[10] = { 0 };
    size_t n = f ? fread(pre, 1, 10, f) : 0;
    size_t length = n == 10 ? (size_t)(pre[8] | pre[9] << 8) : 0;
    if (length >= size) length = size - 1;
    n = f ? fread(out, 1, length, f) : 0;
    out[n] = '\0';
    if (f) fclose(f);
}

int main(int argc, char **argv)
{
    if (argc < 2) { fprintf(stderr, "usage: %s DIRECTORY\n", argv[0]); return 2; }
    char path[1024], header[256];
    float data[4 * 5 * 6];
    for (int k = 0; k < 4 * 5 * 6; ++k) data[k] = (float)k;

    /* 2-D: nothing recorded, (rows, cols) as before. */
    snprintf(path, sizeof path, "%s/shape_2d.npy", argv[1]);
    st_write_npy(path, data, 20, 6, 6, sizeof(float));
    header_of(path, header, sizeof header);
    expect(strstr(header, "'shape': (20, 6)") != NULL, "2-D header (20, 6)");
    expect(st_check_npy("2-D", path, 20, 6, sizeof(float)) > 0, "2-D file accepted as 20 x 6");

    /* 3-D: the recorded shape, stored as (4 * 5) x 6. */
    const long cube[3] = { 4, 5, 6 };
    st_check_shape("u", 3, cube, 1);
    snprintf(path, sizeof path, "%s/shape_3d.npy", argv[1]);
    st_write_npy(path, data, 20, 6, 6, sizeof(float));
    header_of(path, header, sizeof header);
    expect(strstr(header, "'shape': (4, 5, 6)") != NULL, "3-D header (4, 5, 6)");
    expect(st_check_npy("3-D", path, 20, 6, sizeof(float)) > 0, "3-D file accepted for the (4 * 5) x 6 storage");
    float back[4 * 5 * 6] = { 0 };
    st_read_npy_block("3-D", path, 20, 6, sizeof(float), 0, 20, 0, 6, back, 6);
    expect(memcmp(back, data, sizeof data) == 0, "3-D data read back");
    /* An array of another size is still (rows, cols): the recorded shape is only the grid's. */
    snprintf(path, sizeof path, "%s/shape_other.npy", argv[1]);
    st_write_npy(path, data, 3, 6, 6, sizeof(float));
    header_of(path, header, sizeof header);
    expect(strstr(header, "'shape': (3, 6)") != NULL, "another array keeps (3, 6)");

    /* 1-D: (n,) as NumPy writes it. */
    const long rod[1] = { 17 };
    st_check_shape("u", 1, rod, 2);
    snprintf(path, sizeof path, "%s/shape_1d.npy", argv[1]);
    st_write_npy(path, data, 1, 17, 17, sizeof(float));
    header_of(path, header, sizeof header);
    expect(strstr(header, "'shape': (17,)") != NULL, "1-D header (17,)");
    expect(st_check_npy("1-D", path, 1, 17, sizeof(float)) > 0, "1-D file accepted as 1 x 17");

    printf("%d passed, %d failed\n", passed, failed);
    return failed ? 1 : 0;
}
