# jacobi_cython.pyx: the Cython peer of bench/peers/peers.py. float32 Jacobi, the same loop as the
# hand-written C: a `prange(schedule='static')` row loop per sweep, contiguous inner loop over
# typed memoryviews, buffers swapped by reference.
# cython: boundscheck=False, wraparound=False, initializedcheck=False, cdivision=True, language_level=3
from cython.parallel import prange


def sweeps(float[:, ::1] u, float[:, ::1] v, long count, int threads):
    """Runs `count` sweeps from u into v, swapping; returns the array holding the last iterate."""
    cdef Py_ssize_t n = u.shape[0], m = u.shape[1], i, j
    cdef long s
    cdef float[:, ::1] a = u
    cdef float[:, ::1] b = v
    cdef float[:, ::1] t
    for s in range(count):
        for i in prange(1, n - 1, nogil=True, schedule='static', num_threads=threads):
            for j in range(1, m - 1):
                b[i, j] = (a[i - 1, j] + a[i + 1, j] + a[i, j - 1] + a[i, j + 1]) / <float>4
        t = a
        a = b
        b = t
    return a.base


def subnormals_flushed(float[::1] probe, int threads):
    """How many of `threads` OpenMP threads flush float32 subnormals to zero, given probe =
    [1e-39, 1] (read at run time, so the compiler cannot fold the product). A shared library
    built with -ffast-math turns that on for the whole process when it loads."""
    cdef int k, flushed = 0
    for k in prange(threads, nogil=True, schedule='static', chunksize=1, num_threads=threads):
        flushed += (probe[0] * probe[1] == 0)
    return flushed
