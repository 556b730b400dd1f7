"""The benchmark kernels, written once as plain Python.

Every function below is decorated with `@jit`, but `jit` is not imported: the
runner executes this file's source once per engine with `jit` bound to that
engine's decorator (`jitcore.jit`, `numba.njit`, or the identity for CPython
and PyPy) -- see `load`. Because calls between kernels go through module
globals (`gcd`, `mandel_point`, `fib`), each engine's copy calls its own
compiled helpers. Imported as a plain module (as under PyPy), `jit` is the
identity.

This file must stay importable by PyPy (Python 3.9) and must not import
jitcore or numba.
"""

if "jit" not in globals():  # imported or executed without an engine: plain Python

    def jit(func):  # type: ignore[no-redef]
        return func


# ---------------------------------------------------------------------------
# Steady-state kernels
# ---------------------------------------------------------------------------


@jit
def collatz_total(limit):
    """Sum over n in 1..limit of the number of Collatz steps from n to 1."""
    total = 0
    for start in range(1, limit + 1):
        n = start
        steps = 0
        while n != 1:
            if n % 2 == 0:
                n = n // 2
            else:
                n = 3 * n + 1
            steps += 1
        total += steps
    return total


@jit
def fib(n):
    """Naive doubly recursive Fibonacci."""
    if n < 2:
        return n
    return fib(n - 1) + fib(n - 2)


@jit
def count_primes(limit):
    """How many primes are below limit, by trial division."""
    count = 0
    for n in range(2, limit):
        is_prime = True
        d = 2
        while d * d <= n:
            if n % d == 0:
                is_prime = False
                break
            d += 1
        if is_prime:
            count += 1
    return count


@jit
def gcd(a, b):
    while b:
        a, b = b, a % b
    return a


@jit
def gcd_sum(n):
    """Sum of gcd(i, n) for i in 1..n, one call of the jitted gcd helper each."""
    total = 0
    for i in range(1, n + 1):
        total += gcd(i, n)
    return total


@jit
def digit_sum_total(limit):
    """Sum of the decimal digit sums of 0..limit-1."""
    total = 0
    for i in range(limit):
        n = i
        while n > 0:
            total += n % 10
            n //= 10
    return total


@jit
def mandel_point(cr, ci, max_iter):
    """Iterations before z -> z*z + c escapes |z| > 2 (max_iter if it never does)."""
    zr = 0.0
    zi = 0.0
    for i in range(max_iter):
        zr2 = zr * zr
        zi2 = zi * zi
        if zr2 + zi2 > 4.0:
            return i
        zi = 2.0 * zr * zi + ci
        zr = zr2 - zi2 + cr
    return max_iter


@jit
def mandelbrot(width, height, max_iter):
    """Total escape count over a width x height grid of [-2, 1] x [-1.5, 1.5]."""
    total = 0
    for y in range(height):
        ci = -1.5 + 3.0 * y / height
        for x in range(width):
            cr = -2.0 + 3.0 * x / width
            total += mandel_point(cr, ci, max_iter)
    return total


# ---------------------------------------------------------------------------
# What the runner times: (name, function, full-size args, --quick args, what it is)
# Full sizes make CPython 3.11 take roughly 0.2-1 s per call on a 2-core EPYC VM.
# ---------------------------------------------------------------------------

CASES = [
    ("collatz", "collatz_total", (80_000,), (5_000,), "sum of Collatz steps for 1..N"),
    ("fib", "fib", (32,), (24,), "recursive fib(n)"),
    ("primes", "count_primes", (250_000,), (30_000,), "primes below N, trial division"),
    ("gcd_sum", "gcd_sum", (1_000_000,), (50_000,), "sum of gcd(i, N) via jitted gcd()"),
    ("digit_sums", "digit_sum_total", (1_000_000,), (50_000,), "digit sums of 0..N-1"),
    ("mandelbrot", "mandelbrot", (240, 180, 400), (60, 45, 200), "escape counts, W x H grid"),
]


# ---------------------------------------------------------------------------
# Buffer kernels: loops over array.array and bytes (1-D buffers of numbers)
# ---------------------------------------------------------------------------


@jit
def float_sum(a):
    s = 0.0
    for i in range(len(a)):
        s += a[i]
    return s


@jit
def dot(a, b):
    s = 0.0
    for i in range(len(a)):
        s += a[i] * b[i]
    return s


@jit
def int_sum(a):
    s = 0
    for x in a:
        s += x
    return s


@jit
def fletcher16(data):
    s1 = 0
    s2 = 0
    for b in data:
        s1 = (s1 + b) % 255
        s2 = (s2 + s1) % 255
    return s2 * 256 + s1


@jit
def stencil_energy(a):
    e = 0.0
    for i in range(1, len(a) - 1):
        d = a[i - 1] - 2.0 * a[i] + a[i + 1]
        e += d * d
    return e


@jit
def lower_bound(a, x):
    lo = 0
    hi = len(a)
    while lo < hi:
        mid = (lo + hi) // 2
        if a[mid] < x:
            lo = mid + 1
        else:
            hi = mid
    return lo


@jit
def count_found(a, queries):
    found = 0
    for q in queries:
        i = lower_bound(a, q)
        if i < len(a) and a[i] == q:
            found += 1
    return found


@jit
def prefix_sums(src, dst):
    s = 0
    for i in range(len(src)):
        s += src[i]
        dst[i] = s
    return s


@jit
def byte_histogram(data, counts):
    for i in range(len(counts)):
        counts[i] = 0
    for b in data:
        counts[b] += 1
    return counts[0] - counts[255]


@jit
def matmul(a, b, c):
    n, m = a.shape
    p = b.shape[1]
    for i in range(n):
        for j in range(p):
            s = 0.0
            for k in range(m):
                s += a[i, k] * b[k, j]
            c[i, j] = s
    return c[0, 0]


@jit
def life_step(grid, out):
    n, m = grid.shape
    alive = 0
    for i in range(n):
        for j in range(m):
            count = 0
            for di in range(-1, 2):
                for dj in range(-1, 2):
                    if di != 0 or dj != 0:
                        count += grid[(i + di) % n, (j + dj) % m]
            if count == 3 or (count == 2 and grid[i, j] == 1):
                out[i, j] = 1
                alive += 1
            else:
                out[i, j] = 0
    return alive


def make_buffer(spec):
    """The argument a buffer case names: ("array", typecode, n, how) or
    ("bytes", n): the same pseudo-random contents in every engine."""
    import array

    if spec[0] == "bytes":
        return bytes((i * 2654435761 >> 13) & 255 for i in range(spec[1]))
    if spec[0] == "numpy":
        return make_array(*spec[1:])
    _, code, n, how = spec
    if how == "zeros":
        return array.array(code, bytes(n * array.array(code).itemsize))
    if how == "sorted":
        return array.array(code, range(0, 3 * n, 3))
    if how == "queries":
        return array.array(code, ((i * 2654435761) % (3 * n) for i in range(n)))
    if code == "d":
        return array.array(code, (((i * 2654435761) % 1000003) / 1000003.0 for i in range(n)))
    return array.array(code, ((i * 2654435761) % 1000 for i in range(n)))


def make_array(dtype, shape, how):
    """A NumPy array for a NumPy case: the contents make_buffer gives, shaped."""
    import numpy as np

    n = int(np.prod(shape))
    code = {"float64": "d", "int64": "q", "uint8": "q"}[dtype]
    if how == "life":
        flat = np.array([(i * 2654435761 >> 7) % 5 == 0 for i in range(n)], dtype)
    elif how == "bytes":
        flat = np.frombuffer(make_buffer(("bytes", n)), np.uint8).astype(dtype)
    else:
        flat = np.array(make_buffer(("array", code, n, how)), dtype)
    return flat.reshape(shape)


def materialize(args):
    """A case's arguments, buffers built (see make_buffer)."""
    return tuple(make_buffer(a) if isinstance(a, tuple) else a for a in args)


def describe(args):
    """A case's arguments as the tables print them."""
    out = []
    for a in args:
        if isinstance(a, tuple):
            if a[0] == "numpy":
                shape = a[2] if isinstance(a[2], int) else "x".join(map(str, a[2]))
                out.append(f"{a[1]}[{shape}]")
            else:
                out.append(f"bytes[{a[1]}]" if a[0] == "bytes" else f"array('{a[1]}')[{a[2]}]")
        else:
            out.append(str(a))
    return ", ".join(out)


N = 1_000_000
BUFFER_CASES = [
    ("float_sum", "float_sum", (("array", "d", N, "rand"),), (("array", "d", 20_000, "rand"),),
     "sum of an array('d'), indexed"),
    ("dot", "dot", (("array", "d", N, "rand"), ("array", "d", N, "rand")),
     (("array", "d", 20_000, "rand"), ("array", "d", 20_000, "rand")), "dot product of two array('d')"),
    ("int_sum", "int_sum", (("array", "q", N, "rand"),), (("array", "q", 20_000, "rand"),),
     "sum of an array('q'), for x in a"),
    ("fletcher16", "fletcher16", (("bytes", N),), (("bytes", 20_000),), "Fletcher-16 checksum of bytes"),
    ("stencil", "stencil_energy", (("array", "d", N, "rand"),), (("array", "d", 20_000, "rand"),),
     "1-D three-point stencil, squared"),
    ("prefix_sums", "prefix_sums", (("array", "q", N, "rand"), ("array", "q", N, "zeros")),
     (("array", "q", 20_000, "rand"), ("array", "q", 20_000, "zeros")),
     "running sums of an array('q') into another (stores)"),
    ("histogram", "byte_histogram", (("bytes", N), ("array", "q", 256, "zeros")),
     (("bytes", 20_000), ("array", "q", 256, "zeros")), "byte histogram into an array('q') (stores)"),
    ("bsearch", "count_found", (("array", "q", 100_000, "sorted"), ("array", "q", 100_000, "queries")),
     (("array", "q", 5_000, "sorted"), ("array", "q", 5_000, "queries")),
     "100k binary searches via jitted lower_bound()"),
]


# The same kinds of loops over NumPy arrays (elements are NumPy scalars: the
# results are np.float64 and np.int64, as CPython computes them).
NUMPY_CASES = [
    ("np_float_sum", "float_sum", (("numpy", "float64", N, "rand"),),
     (("numpy", "float64", 20_000, "rand"),), "sum of a float64 array, indexed"),
    ("np_dot", "dot", (("numpy", "float64", N, "rand"), ("numpy", "float64", N, "rand")),
     (("numpy", "float64", 20_000, "rand"), ("numpy", "float64", 20_000, "rand")),
     "dot product of two float64 arrays"),
    ("np_int_sum", "int_sum", (("numpy", "int64", N, "rand"),), (("numpy", "int64", 20_000, "rand"),),
     "sum of an int64 array, for x in a"),
    ("np_prefix_sums", "prefix_sums", (("numpy", "int64", N, "rand"), ("numpy", "int64", N, "zeros")),
     (("numpy", "int64", 20_000, "rand"), ("numpy", "int64", 20_000, "zeros")),
     "running sums into a second int64 array (stores)"),
    ("np_histogram", "byte_histogram", (("numpy", "uint8", N, "bytes"), ("numpy", "int64", 256, "zeros")),
     (("numpy", "uint8", 20_000, "bytes"), ("numpy", "int64", 256, "zeros")),
     "histogram of a uint8 array into an int64 array (stores)"),
    ("np_stencil", "stencil_energy", (("numpy", "float64", N, "rand"),),
     (("numpy", "float64", 20_000, "rand"),), "1-D three-point stencil, squared"),
    ("np_matmul", "matmul", (("numpy", "float64", (120, 120), "rand"),
                             ("numpy", "float64", (120, 120), "rand"),
                             ("numpy", "float64", (120, 120), "zeros")),
     (("numpy", "float64", (30, 30), "rand"), ("numpy", "float64", (30, 30), "rand"),
      ("numpy", "float64", (30, 30), "zeros")), "2-D matrix multiply, three loops"),
    ("np_life", "life_step", (("numpy", "int64", (256, 256), "life"),
                              ("numpy", "int64", (256, 256), "zeros")),
     (("numpy", "int64", (48, 48), "life"), ("numpy", "int64", (48, 48), "zeros")),
     "one Game of Life step on a torus"),
    ("np_bsearch", "count_found", (("numpy", "int64", 100_000, "sorted"),
                                   ("numpy", "int64", 100_000, "queries")),
     (("numpy", "int64", 5_000, "sorted"), ("numpy", "int64", 5_000, "queries")),
     "100k binary searches via jitted lower_bound()"),
]


def load(decorator, engine="python"):
    """A fresh copy of this module's kernels with `jit` bound to `decorator`."""
    import sys
    import types

    with open(__file__) as f:
        source = f.read()
    # A real module in sys.modules: numba resolves self-recursion (fib) through it.
    module = types.ModuleType("benchmarks.kernels_" + engine)
    module.__file__ = __file__
    module.jit = decorator
    sys.modules[module.__name__] = module
    exec(compile(source, __file__, "exec"), module.__dict__)
    return module.__dict__


# ---------------------------------------------------------------------------
# Compile latency: a 16-line loop function, compiled afresh each time
# ---------------------------------------------------------------------------

COMPILE_PROBE_SOURCE = '''
@jit
def smooth_sum(n, scale):
    total = 0.0
    acc = 0
    for i in range(n):
        x = i * scale
        if i % 3 == 0:
            acc += i
        elif i % 3 == 1:
            acc -= i // 2
        else:
            acc ^= i
        y = x * x - 0.5 * x
        if y > 100.0:
            y = y / (1.0 + abs(x))
        total += y + acc * 0.001
    return total
'''

COMPILE_PROBE_ARGS = (1000, 0.25)


def fresh_compile_probe(decorator):
    """A new, never-compiled `smooth_sum` decorated with `decorator`."""
    namespace = {"jit": decorator, "__name__": "benchmarks.compile_probe"}
    exec(compile(COMPILE_PROBE_SOURCE, "<benchmarks compile probe>", "exec"), namespace)
    return namespace["smooth_sum"]


def straight_line_source(statements: int) -> str:
    """A function of `statements` assignments and no branch, for compile time by size.

    Four locals are rewritten in turn with int arithmetic masked to 20 bits,
    so the values stay small (the call runs natively, never in big ints) and
    every statement depends on the ones before (nothing folds away).
    """
    lines = ["def straight_line(a, b):", "    x0 = a", "    x1 = b", "    x2 = a ^ b", "    x3 = a - b"]
    for k in range(statements):
        d, s, t = k % 4, (k + 1) % 4, (k + 2) % 4
        op = "+-*"[k % 3]
        lines.append(f"    x{d} = (x{s} {op} x{t} + {k % 97}) & 0xFFFFF")
    lines.append("    return x0 + x1 + x2 + x3")
    return "\n".join(lines) + "\n"


def fresh_straight_line(statements: int, decorator):
    """A new, never-compiled straight_line function decorated with `decorator`."""
    namespace = {"__name__": "benchmarks.straight_line"}
    exec(compile(straight_line_source(statements), f"<straight line {statements}>", "exec"), namespace)
    return decorator(namespace["straight_line"])
