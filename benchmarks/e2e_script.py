"""End to end: what a user's short script costs from start to exit.

    python benchmarks/e2e_script.py jitcore|numba|python [short] [cached]

Imports the JIT (nothing for `python`), decorates four kernels, runs a small
workload and prints a checksum. The runner times the whole process. `short`:
a tenth of the work (each kernel's input scaled so that CPython does about a
tenth of it), a script for which start-up costs count most. `cached`: the
kernels are decorated with cache=True (jitcore's and numba's code cache, in
$JITCORE_CACHE_DIR and $NUMBA_CACHE_DIR), so a run after the first loads
their machine code instead of compiling it, as CPython loads .pyc files.
"""

import sys

ENGINE = sys.argv[1] if len(sys.argv) > 1 else "python"
SHORT = "short" in sys.argv[2:]
CACHED = "cached" in sys.argv[2:]
if ENGINE == "jitcore":
    from jitcore import jit

    if CACHED:
        jit = jit(cache=True)
elif ENGINE == "numba":
    from numba import njit as jit

    if CACHED:
        jit = jit(cache=True)
elif ENGINE == "python":
    def jit(func):
        return func
else:
    sys.exit(f"engine must be jitcore, numba or python, not {ENGINE!r}")


@jit
def collatz_total(limit):
    total = 0
    for start in range(1, limit + 1):
        n = start
        while n != 1:
            n = n // 2 if n % 2 == 0 else 3 * n + 1
            total += 1
    return total


@jit
def fib(n):
    if n < 2:
        return n
    return fib(n - 1) + fib(n - 2)


@jit
def count_primes(limit):
    count = 0
    for n in range(2, limit):
        d = 2
        while d * d <= n:
            if n % d == 0:
                break
            d += 1
        else:
            count += 1
    return count


@jit
def mandel_row(ci, width, max_iter):
    total = 0
    for x in range(width):
        cr = -2.0 + 3.0 * x / width
        zr = 0.0
        zi = 0.0
        i = 0
        while i < max_iter and zr * zr + zi * zi <= 4.0:
            zr, zi = zr * zr - zi * zi + cr, 2.0 * zr * zi + ci
            i += 1
        total += i
    return total


if SHORT:
    checksum = collatz_total(3_000) + fib(20) + count_primes(13_000)
    rows = 6
else:
    checksum = collatz_total(30_000) + fib(25) + count_primes(60_000)
    rows = 60
for y in range(rows):
    checksum += mandel_row(-1.5 + 3.0 * y / rows, 80, 200)
print(checksum)
