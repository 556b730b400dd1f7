"""NumPy arrays in jitted functions, compared with CPython + NumPy.

Every test runs the function in CPython on copies of the arguments and in
jitcore on other copies, and compares: the result (value and exact type: a
NumPy scalar is the same NumPy type, floats bit for bit, any NaN equal to
any NaN), the exception (type and message), the warnings (category and
message, in order), and what every array holds afterwards. The expected
side always comes from running the function, never from a table.
"""

from __future__ import annotations

import warnings

import pytest
from conftest import INT64_EDGES
from hypothesis import given, settings
from hypothesis import strategies as st

from jitcore import CompileError, JitWarning, jit
from jitcore.calls import argument_key

np = pytest.importorskip("numpy")
from numpy_compare import copies, difference, run, same  # noqa: E402

DTYPES = ["float64", "float32", "int64", "int32", "int16", "int8", "uint64", "uint32", "uint16",
          "uint8", "bool"]
INT_DTYPES = [d for d in DTYPES if d.startswith(("int", "uint"))]
FLOAT_DTYPES = ["float64", "float32"]


def check(jitted, *args, compiles=True):
    """jitted(*args) does exactly what CPython does with NumPy (see module
    docstring), and (unless `compiles` is False) has native code for these
    argument types."""
    expected = run(jitted.py_func, copies(args))
    actual = run(jitted, copies(args))
    name = jitted.__name__
    if compiles:
        entry = jitted._entries.get(argument_key(tuple(args)))
        assert entry is not None, f"{name}{args} ran in CPython: {jitted.failure}"
    problem = difference(expected, actual)
    assert problem is None, f"{name}{args}: {problem}"
    return actual[0]


def native(jitted) -> bool:
    """Whether the last signature compiled to native code."""
    return bool(jitted.signatures)


def sample(dtype, n=10, seed=0):
    rng = np.random.default_rng(seed)
    if dtype == "bool":
        return rng.integers(0, 2, n).astype(bool)
    if dtype.startswith(("int", "uint")):
        info = np.iinfo(dtype)
        return rng.integers(max(info.min, -100), min(info.max, 100), n, endpoint=True).astype(dtype)
    return (rng.standard_normal(n) * 10).astype(dtype)


def layouts(a):
    """The same values in several layouts: C-contiguous, strided, reversed, read-only."""
    strided = np.zeros(2 * len(a), a.dtype)[::2]
    strided[:] = a
    ro = a.copy()
    ro.flags.writeable = False
    return [a, strided, a[::-1].copy()[::-1], ro]


# -- kernels ------------------------------------------------------------------------
@jit
def total_float(a):
    s = 0.0
    for i in range(len(a)):
        s += a[i]
    return s


@jit
def total_int(a):
    s = 0
    for x in a:
        s += x
    return s


@jit
def element(a, i):
    return a[i]


@jit
def scaled(a, i):
    return a[i] * 2 + 1


@jit
def count_positive(a):
    n = 0
    for i in range(len(a)):
        if a[i] > 0:
            n += 1
    return n


@jit
def dot(a, b):
    s = 0.0
    for i in range(len(a)):
        s += a[i] * b[i]
    return s


@jit
def prefix_sums(a, out):
    s = 0
    for i in range(len(a)):
        s += a[i]
        out[i] = s


@jit
def scale_in_place(a, k):
    for i in range(len(a)):
        a[i] *= k


@jit
def reverse_in_place(a):
    i, j = 0, len(a) - 1
    while i < j:
        a[i], a[j] = a[j], a[i]
        i += 1
        j -= 1


@jit
def shape_info(a):
    n, m = a.shape
    return n, m, a.shape[0], a.shape[1], a.size, a.ndim, len(a)


@jit
def total_2d(a):
    n, m = a.shape
    s = 0.0
    for i in range(n):
        for j in range(m):
            s += a[i, j]
    return s


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


@jit
def store(a, i, x):
    a[i] = x


@jit
def store_2d(a, i, j, x):
    a[i, j] = x


@jit
def binary_ops(x, y):
    return x + y, x - y, x * y, x < y, x == y, x >= y


@jit
def pair(a, b, i):
    return binary_ops(a[i], b[i])


@jit
def with_python(a, i, k):
    x = a[i]
    return x + k, k - x, x * k, x < k, k == x


@jit
def div_ops(a, i, j):
    return a[i] / a[j], a[i] // a[j], a[i] % a[j]


@jit
def unary_ops(a, i):
    x = a[i]
    return -x, abs(x), +x


@jit
def conversions(a, i):
    x = a[i]
    return int(x), float(x), bool(x)


# -- tests --------------------------------------------------------------------------
@pytest.mark.parametrize("dtype", DTYPES)
def test_sums_of_every_dtype_and_layout(dtype):
    for a in layouts(sample(dtype)):
        check(total_float, a)
        check(total_int, a)
        check(count_positive, a)
    check(total_float, sample(dtype, 0))
    assert native(total_float) and native(total_int)


@pytest.mark.parametrize("dtype", DTYPES)
def test_elements_are_numpy_scalars(dtype):
    a = sample(dtype, 5, seed=1)
    for i in [0, 1, 4, -1, -5, 5, -6, 100, -(2**63), 2**63 - 1]:
        check(element, a, i)
        check(element, a[::-1], i)
        check(scaled, a, i)
    assert type(element(a, 0)) is a.dtype.type


@pytest.mark.parametrize("dtype", INT_DTYPES + FLOAT_DTYPES)
def test_arithmetic_with_python_scalars(dtype):
    info = np.iinfo(dtype) if dtype != "bool" and dtype not in FLOAT_DTYPES else None
    values = [0, 1, -1, 3, 100]
    if info is not None:
        values += [info.min, info.max, info.max - 1]
    a = np.array([v for v in values if info is None or info.min <= v <= info.max], dtype)
    ks = [0, 1, -1, 2, 7, 255, 256, -129, 2**31, -(2**31), 2**62, -(2**63), 2**63 - 1, 0.5, -2.5,
          1e300, -0.0, True, False, float("nan"), float("inf")]
    for i in range(len(a)):
        for k in ks:
            check(with_python, a, i, k)


@pytest.mark.parametrize("left", DTYPES)
@pytest.mark.parametrize("right", DTYPES)
def test_promotion_between_numpy_types(left, right):
    a, b = sample(left, 4, seed=2), sample(right, 4, seed=3)
    if left != "bool" and right != "bool":
        check(dot, a, b)

    for i in range(4):
        check(pair, a, b, i)


@pytest.mark.parametrize("dtype", INT_DTYPES + FLOAT_DTYPES)
def test_division_and_edge_values(dtype):
    if dtype in FLOAT_DTYPES:
        a = np.array([0.0, -0.0, 1.5, -7.25, 3.0, float("inf"), float("nan"), 1e-300], dtype)
    else:
        info = np.iinfo(dtype)
        a = np.array([0, 1, -1 if info.min < 0 else 2, 7, info.min, info.max, 3], dtype)
    for i in range(len(a)):
        check(unary_ops, a, i)
        check(conversions, a, i)
        for j in range(len(a)):
            check(div_ops, a, i, j)  # float32 // and %: in single precision, as NumPy


def test_integer_overflow_warns_as_numpy_does():
    for dtype in INT_DTYPES:
        info = np.iinfo(dtype)
        a = np.array([info.max, info.max, 1], dtype)
        check(total_int, a)  # 0 + max + max: NumPy wraps and warns
        check(scaled, a, 0)
        b = np.array([info.min, 1], dtype)
        check(unary_ops, b, 0)


def test_float_overflow_and_invalid_warn_as_numpy_does():
    for dtype in FLOAT_DTYPES:
        big = np.finfo(dtype).max
        check(total_float, np.array([big, big], dtype))
        check(dot, np.array([big, 1.0], dtype), np.array([2.0, 0.0], dtype))
        check(total_float, np.array([np.inf, -np.inf], dtype))
        check(with_python, np.array([1.0], dtype), 0, 1e300)


@pytest.mark.parametrize("dtype", DTYPES)
def test_stores_convert_as_numpy_does(dtype):
    values = [0, 1, -1, 200, 300, -129, 2**31, 2**63 - 1, -(2**63), 2.7, -2.7, 255.9, 300.0,
              1e300, float("nan"), float("inf"), -0.0, True, False]
    for x in values:
        for a in layouts(sample(dtype, 4)):
            check(store, a, 1, x)
            check(store, a, -1, x)
            check(store, a, 4, x)
    # NumPy scalars of other types
    for other in DTYPES:
        src = sample(other, 4, seed=5)
        for i in range(4):
            check(store, sample(dtype, 4), 2, src[i])


@pytest.mark.parametrize("dtype", DTYPES)
def test_in_place_kernels(dtype):
    for a in layouts(sample(dtype, 9)):
        check(reverse_in_place, a)
        if dtype != "bool":
            check(scale_in_place, a, 3)
            check(prefix_sums, a, np.zeros(len(a), dtype))
            check(prefix_sums, a, np.zeros(len(a), "float64"))


def test_two_dimensional_arrays_in_every_layout():
    c = np.arange(12, dtype="float64").reshape(3, 4)
    for a in (c, np.asfortranarray(c), c.T, c[::2, ::-1], c[:, 1:3], np.zeros((0, 3))):
        check(shape_info, a)
        check(total_2d, a)
        for i, j in [(0, 0), (1, 2), (-1, -1), (2, 3), (3, 0), (0, 4), (-4, 0)]:
            check(store_2d, a.copy(), i, j, 7.5)
            check(store_2d, a, i, j, 7.5)


def test_matrix_multiply():
    rng = np.random.default_rng(7)
    a = rng.standard_normal((5, 3))
    b = rng.standard_normal((3, 4))
    check(matmul, a, b, np.zeros((5, 4)))
    check(matmul, np.asfortranarray(a), b.T.copy().T, np.zeros((5, 4)))
    c = np.zeros((5, 4))
    matmul(a, b, c)
    assert np.allclose(c, a @ b)


def test_index_errors_are_numpys():
    a = np.arange(5.0)
    check(element, a, 5)
    check(element, a, -6)
    check(store, a, 5, 1.0)
    a2 = np.zeros((2, 3))
    check(store_2d, a2, 2, 0, 1.0)
    check(store_2d, a2, 1, 5, 1.0)


def test_read_only_arrays_refuse_stores():
    a = np.arange(4.0)
    a.flags.writeable = False
    check(store, a, 0, 1.0)
    check(total_float, a)


def test_deopt_after_stores_leaves_the_array_as_cpython_does():
    big = np.iinfo("int64").max  # prefix_sums overflows at it, after storing the sums before
    for a in (np.array([1, 2, big, 4], "int64"), np.array([5, 6, 7], "int64")):
        out = np.zeros(len(a), "int64")
        check(prefix_sums, a, out)
        strided = np.zeros(2 * len(a), "int64")[::2]
        check(prefix_sums, a, strided)


@settings(max_examples=200, deadline=None)
@given(st.sampled_from(DTYPES), st.lists(st.integers(-(2**63), 2**63 - 1), min_size=1, max_size=6),
       st.integers(-8, 8), st.one_of(st.sampled_from(INT64_EDGES), st.floats(), st.booleans()))
def test_random_arithmetic(dtype, values, i, k):
    info = np.iinfo(dtype) if dtype in INT_DTYPES else None
    if info is not None:
        values = [min(max(v, int(info.min)), int(info.max)) for v in values]
    a = np.array(values, dtype if dtype != "bool" else "int64").astype(dtype)
    check(with_python, a, i, k)
    check(element, a, i)
    check(store, a, i, k)


@jit
def twice(a, i):
    return a[i] * 2


@jit
def sum_of_twice(a):
    s = a[0] - a[0]
    for i in range(len(a)):
        s += twice(a, i)
    return s


def test_arrays_are_passed_to_jitted_functions():
    for dtype in ["float64", "int32", "float32"]:
        for a in layouts(sample(dtype)):
            check(sum_of_twice, a)


@jit
def plus_one(x):
    return x + 1, x * 2.5, -x


@pytest.mark.parametrize("dtype", DTYPES)
def test_numpy_scalars_as_arguments(dtype):
    t = np.dtype(dtype).type
    values = [0, 1, 5] if dtype == "bool" else [0, 1, np.iinfo(dtype).max, np.iinfo(dtype).min] \
        if dtype in INT_DTYPES else [0.0, -0.0, 1.5, np.finfo(dtype).max, float("nan")]
    for v in values:
        check(plus_one, t(v))


def test_unsupported_numpy_scalars_warn_and_run_in_cpython():
    def plus(x):
        return x + 1

    for arg in (np.float16(2.5), np.complex128(1j)):
        jitted = jit(plus)
        with pytest.warns(JitWarning, match=r"a NumPy \w+ argument"):
            jitted(arg)
        check(jitted, arg, compiles=False)
        with pytest.raises(CompileError, match=r"NumPy"):
            jit(strict=True)(plus)(arg)


def test_unsupported_arrays_warn_and_run_in_cpython():
    a = np.zeros(3, dtype="complex128")
    jitted = jit(total_float.py_func)
    with pytest.warns(JitWarning, match="complex128"):
        jitted(a)
    check(jitted, a, compiles=False)
    with pytest.raises(CompileError, match=r"3 dimensions|array\(float64, 3d"):
        jit(strict=True)(total_float.py_func)(np.zeros((2, 2, 2)))


def test_strict_rejects_rows_of_2d_arrays():
    def row(a):
        return a[0]

    with pytest.raises(CompileError, match="2-d array 'a' with 1 index"):
        jit(strict=True)(row)(np.zeros((2, 2)))


def test_signature_names_the_array_type():
    total_2d(np.zeros((2, 2)))
    total_2d(np.asfortranarray(np.zeros((2, 2), "float32")))
    names = [repr(s) for s in total_2d.signatures]
    assert "(array(float64, 2d, C),)" in names
    assert "(array(float32, 2d, A),)" in names


@jit
def overflow_then_divide(a, i):
    x = a[i] * 1e308
    return 1.0 / x, a[i] * a[i] < x


def test_finite_checks_left_where_a_later_use_would_hide_overflow():
    # dot: the product needs no check of its own (the sum's check covers it)...
    from jitcore.compiler import compile_function

    a = np.ones(3)
    compiled = compile_function(dot.py_func, ("array:d:1C", "array:d:1C"), keep_text=True)
    sums, products = compiled.ir.count(" = fadd "), compiled.ir.count(" = fmul ")
    assert sums == products >= 1 and compiled.ir.count("fcheck") == sums, compiled.ir
    # ...but 1.0 / inf is finite and a comparison is no float: those keep theirs
    for values in ([10.0, 1e-300], [np.inf, 2.0], [np.nan, 1.0]):
        arr = np.array(values)
        for i in range(len(values)):
            check(overflow_then_divide, arr, i)
    check(dot, a * 1e200, a * 1e200)


@jit
def first_and_sum(a):
    return a[0], a[0] + a[-1], len(a)


@jit
def corners(a):
    return a[0, 0], a[-1, -1] + a[0, 0], a.shape[0] * 10 + a.shape[1]


def test_the_c_fast_path_takes_arrays_of_exactly_the_compiled_kind():
    from jitcore import _fastcall

    c = np.arange(6.0)
    ro = c.copy()
    ro.flags.writeable = False
    two_d = np.arange(6, dtype="int32").reshape(2, 3)
    for func, cases, more in (
            (first_and_sum, [c, c[::2], ro, c.astype("float32"), c.astype("uint8")], [c[::-1]]),
            (corners, [two_d, two_d.T], [np.asfortranarray(two_d), two_d[:, ::2]])):
        for a in cases:
            func(a)  # compiles this kind
        for a in cases + more:
            before = _fastcall._native_calls()
            check(func, a)
            assert _fastcall._native_calls() - before >= 1, a  # served natively, not by _call_slow
        # a C-contiguous array never runs the strided code and the other way round
        assert len(func.signatures) == len(cases)


def test_stores_through_the_fast_path_roll_back_on_deopt():
    @jit
    def fill(a, out, k):
        for i in range(len(a)):
            out[i] = a[i] * k  # int64 overflow at some element: re-run in CPython
        return out[0]

    a = np.array([1, 2, 3, 2**62, 5], "int64")
    for k in (1, 2, 3):
        for out in (np.zeros(5, "int64"), np.zeros(10, "int64")[::2], np.zeros(5, "float64")):
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)  # (check() compares them)
                fill(a, out.copy(), k)  # compiles
            check(fill, a, out, k)


def test_infinities_and_nans_in_arrays_compute_as_numpy_does():
    # NumPy warns only where an operation makes inf or nan from finite
    # numbers (native code reads the processor's sticky flags, as NumPy does)
    inf, nan = float("inf"), float("nan")
    for dtype in FLOAT_DTYPES:
        for values in ([1.0, inf, 2.0], [nan, 1.0], [inf, -inf], [-inf, 1.0, nan], [1e38, 1e38, 1e38],
                       [np.finfo(dtype).max, -np.finfo(dtype).max, 1.0]):
            a = np.array(values, dtype)
            check(total_float, a)
            check(dot, a, a[::-1].copy())
            check(count_positive, a)
            check(prefix_sums, a, np.zeros(len(a), dtype))


def test_a_counter_over_one_array_indexes_another_with_a_check():
    # i runs over range(len(a)): in range for a, checked against b's length
    check(dot, np.arange(5.0), np.arange(3.0))
    check(dot, np.arange(3.0), np.arange(5.0)[::-1])
    for n, m, p, q in [(3, 4, 4, 2), (3, 4, 2, 2), (3, 4, 5, 2)]:
        a, b = np.ones((n, m)), np.ones((p, q))
        check(matmul, a, b, np.zeros((n, q)))
        check(matmul, a, b, np.zeros((n - 1, q)))
        check(matmul, a, b, np.zeros((n, q + 1))[:, ::-1])


@jit
def histogram(data, counts):
    for x in data:
        counts[x] += 1
    return counts[0]


def test_elements_index_other_arrays():
    for dtype in ["uint8", "uint16", "uint32", "uint64", "int8", "int64"]:
        small = np.array([0, 1, 3, 7, 7, 2], dtype)
        check(histogram, small, np.zeros(8, "int64"))
        check(histogram, small, np.zeros(7, "int64"))  # 7 is out of range: IndexError
        check(histogram, small, np.zeros(16, "int64")[::2])
        if dtype.startswith("int"):
            check(histogram, np.array([1, -1, -8, -9], dtype), np.zeros(8, "float64"))


def test_a_rollback_keeps_what_another_thread_wrote_in_a_strided_array():
    # as test_buffer_stores' test of the same name, in a Fortran-ordered 2-D
    # array: bump writes a[1, 2], waits without the GIL until another thread
    # has overwritten it and set a[0, 1], then overflows and re-runs in CPython.
    import threading

    @jit(strict=True, nogil=True)
    def bump(a, big):
        a[1, 2] = a[1, 2] + 1
        a[1, 0] = 5  # also stored, and taken back
        while a[0, 1] == 0:
            pass
        return big * big

    bump(np.asfortranarray(np.ones((2, 3), "int64")), 2)  # compiled
    a = np.asfortranarray(np.zeros((2, 3), "int64"))

    def other():
        for _ in range(10_000_000):
            if a[1, 2] == 1:
                break
        a[1, 2] = 777
        a[0, 1] = 1

    thread = threading.Thread(target=other)
    thread.start()
    assert bump(a, 2**40) == 2**80
    thread.join()
    assert a.tolist() == [[0, 1, 0], [5, 0, 778]]


def test_nogil_calls_over_arrays_in_threads():
    import threading

    @jit(nogil=True, strict=True)
    def norm2(a):
        s = 0.0
        for i in range(len(a)):
            s += a[i] * a[i]
        return s

    arrays = [np.arange(100_000, dtype="float64") * k for k in range(4)]
    expected = [norm2.py_func(a) for a in arrays]
    results = [None] * 4

    def work(k):
        for _ in range(20):
            results[k] = norm2(arrays[k])

    threads = [threading.Thread(target=work, args=(k,)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert all(same(r, e) for r, e in zip(results, expected, strict=True))


def test_explain_and_disassemble_name_array_signatures():
    import jitcore

    a = np.zeros((3, 3), "float32")
    fresh = jit(total_2d.py_func)
    text = str(jitcore.explain(fresh, a))
    assert "array(float32, 2d, C)" in text and "load.f" in text
    fresh(a)
    assert "cvtss2sd" in jitcore.disassemble(fresh)


@jit
def unused_results(a, i):
    x = -a[i]  # noqa: F841 - unused, but NumPy warns when it overflows
    y = a[i] * 1e308  # noqa: F841
    return len(a)


def test_unused_results_still_warn():
    for dtype in ["int64", "int8", "float64", "float32"]:
        info = np.iinfo(dtype) if dtype.startswith("int") else np.finfo(dtype)
        a = np.array([info.min, 1, info.max], dtype)
        for i in range(3):
            check(unused_results, a, i)


def test_compiling_for_an_array_signature_before_any_array_call():
    import subprocess
    import sys

    code = ("from jitcore import jit\n"
            "from jitcore.calls import _array_kind_for\n"
            "def total(a):\n    return len(a)\n"
            "f = jit(strict=True)(total)\n"
            "f.compile(_array_kind_for('l', 1, 'C', False))\n"
            "import numpy as np\n"
            "print(f(np.zeros(3, 'int64')), f.signatures)\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split()[0] == "3"


@jit
def wrapped_neighbours(a):
    n = len(a)
    s = 0
    for i in range(n):
        s += a[(i - 1) % n] - a[(i + 1) % n]  # in range (n > 0): no bounds check, no division
    return s


def test_an_index_taken_modulo_the_length_needs_no_check():
    from jitcore.compiler import compile_function

    ir = compile_function(wrapped_neighbours.py_func, ("array:l:1C",), keep_text=True).ir
    # one step out of [0, n) either way: a compare and a select instead of a division
    assert " = mod " not in ir and ir.count(" = select ") == 4 and ir.count(" = load") == 4 \
        and "deopt" not in ir and "raise" not in ir, ir
    for values in ([], [5], [1, 2], [3, -4, 2**62, 7]):
        check(wrapped_neighbours, np.array(values, "int64"))


def test_numpy_scalar_arguments_take_the_c_fast_path():
    from jitcore import _fastcall

    @jit(strict=True)
    def mix(x, y, b):
        return x * 2 + y, b

    for args in [(np.float64(1.5), np.int32(7), np.True_), (np.float32(2.5), np.uint64(3), np.False_),
                 (np.int8(-128), np.uint8(255), np.True_), (np.uint64(2**63 + 5), 1, np.True_),
                 (np.int64(2**62), np.int64(2**62), np.False_)]:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # (check() compares them)
            mix(*args)  # compiles (or runs in CPython: a uint64 beyond int64)
        before = _fastcall._native_calls()
        check(mix, *args, compiles=args[0] != np.uint64(2**63 + 5))
        if args[0] != np.uint64(2**63 + 5):
            assert _fastcall._native_calls() > before


def test_numpy_1_is_refused_with_a_message(monkeypatch):
    monkeypatch.setattr(np, "__version__", "1.26.4")
    jitted = jit(total_float.py_func)
    with pytest.warns(JitWarning, match="NumPy 2's rules: upgrade NumPy"):
        jitted(np.arange(3.0))
    assert jitted.signatures == []


@jit
def powers(a, b, i, j):
    return a[i] ** b[j]


@jit
def power_by(a, i, k):
    return a[i] ** k, k ** a[i]


@pytest.mark.parametrize("left", DTYPES)
@pytest.mark.parametrize("right", DTYPES)
def test_power_of_numpy_scalars(left, right):
    """`**` as NumPy computes it: integer powers wrap silently (a negative
    exponent raises ValueError), float powers are C's pow (powf for float32),
    warning where NumPy does (0 ** -1, overflow, a negative base's fraction)."""
    def edges(dtype):
        if dtype == "bool":
            return np.array([False, True], dtype)
        if dtype in FLOAT_DTYPES:
            return np.array([0.0, -0.0, 2.0, -2.0, 0.5, -1.5, 3.25, 1e10, float("inf"),
                             float("nan")], dtype)
        info = np.iinfo(dtype)
        values = [0, 1, 2, 3, 7, 63, 64, info.max] + ([-1, -2, -3, info.min] if info.min < 0 else [])
        return np.array(values, dtype)

    a, b = edges(left), edges(right)
    result = (a[:1] ** b[:1]).dtype.name
    # a float power where neither operand has the result's type is NumPy's
    # ufunc loop (results of its own): it runs in CPython
    native = result not in FLOAT_DTYPES or result in (left, right)
    for i in range(len(a)):
        for j in range(len(b)):
            check(powers, a, b, i, j, compiles=native)


@pytest.mark.parametrize("dtype", DTYPES)
def test_power_with_python_numbers(dtype):
    a = sample(dtype, 6, seed=5)
    for k in (0, 1, 2, 3, 5, -1, -2, 0.5, -0.5, 2.0, 300, True):
        one, small = np.ones(1, dtype)[0], abs(k) if type(k) is int else k  # types as k's
        results = []
        for pair in ((one, small), (small, one)):
            try:
                with np.errstate(all="ignore"):
                    results.append(np.dtype(type(pair[0] ** pair[1])))
            except OverflowError:  # 300 as an int8: raises at run time, compiles
                pass
        # native unless a float power's result type is not the array's (see above)
        native = all(r.kind != "f" or r.name == dtype for r in results)
        for i in range(len(a)):
            check(power_by, a, i, k, compiles=native)


@jit
def shifts(a, b, i, j):
    return a[i] << b[j], a[i] >> b[j]


@jit
def shifts_by(a, i, k):
    return a[i] << k, a[i] >> k, k << a[i], k >> a[i]


def shift_operands(dtype):
    if dtype == "bool":
        return np.array([False, True], dtype)
    info = np.iinfo(dtype)
    values = [0, 1, 2, 5, 7, 8, 15, 16, 31, 32, 63, 64, 65, info.max]
    return np.array(values + ([-1, -2, -7, -64, -65, info.min] if info.min < 0 else []), dtype)


@pytest.mark.parametrize("left", INT_DTYPES + ["bool"])
@pytest.mark.parametrize("right", INT_DTYPES + ["bool"])
def test_shifts_of_numpy_ints(left, right):
    """NumPy's shifts: wrapping in the type, a count beyond its width (or a
    negative one) gives 0, or -1 for a negative number shifted right."""
    a, b = shift_operands(left), shift_operands(right)
    try:
        a[:1] << b[:1]
    except TypeError:  # uint64 with a signed type: float64, which does not shift
        return
    for i in range(len(a)):
        for j in range(len(b)):
            check(shifts, a, b, i, j)


@pytest.mark.parametrize("dtype", INT_DTYPES + ["bool"])
def test_shifts_with_python_ints(dtype):
    a = shift_operands(dtype)
    for k in (0, 1, 3, 7, 8, 63, 64, 100, -1, -3, 300, 2**63 - 1, -(2**63)):
        for i in range(len(a)):
            check(shifts_by, a, i, k)


@jit
def extremes(a, i, j, k):
    return max(a[i], a[j]), min(a[i], a[j], a[k]), max(a[k], a[j], a[i])


@jit
def extremes_mixed(a, b, i):
    return max(a[i], b[i])


@pytest.mark.parametrize("dtype", DTYPES)
def test_min_max_of_numpy_scalars(dtype):
    """Python's min/max of NumPy scalars of one type: the first wins ties
    (-0.0 against 0.0), a NaN wins only where Python's comparisons let it,
    and the result is the winning scalar itself."""
    if dtype in FLOAT_DTYPES:
        a = np.array([1.5, float("nan"), -0.0, 0.0, -2.0, float("inf")], dtype)
    elif dtype == "bool":
        a = np.array([True, False, True], dtype)
    else:
        info = np.iinfo(dtype)
        a = np.array([0, 1, info.max, info.min, 7], dtype)
    n = len(a)
    for i in range(n):
        for j in range(n):
            check(extremes, a, i, j, (i + j) % n)


def test_min_max_of_mixed_types_run_in_cpython():
    # the result's type depends on which one wins: CPython decides
    a, b = np.array([1, 5], "int64"), np.array([2.0, 3.0], "float64")
    for i in range(2):
        check(extremes_mixed, a, b, i, compiles=False)
    assert "different types" in str(extremes_mixed.failure)


@jit
def tiny_product(a, i, scale):
    return a[i] * scale


@jit
def tiny_products(a, scale):
    s = a[0] * 0.0
    for i in range(len(a)):
        s += a[i] * scale
    return s


@pytest.mark.parametrize("dtype", FLOAT_DTYPES)
@pytest.mark.parametrize("mode", ["ignore", "warn", "raise"])
def test_underflow_does_what_np_errstate_says(dtype, mode):
    """NumPy ignores underflow by default, but np.errstate(under=...) makes
    it warn or raise FloatingPointError: native code re-runs in CPython
    whenever an operation underflowed, so NumPy decides."""
    small = 1e-30 if dtype == "float32" else 1e-200
    a = np.array([small, 1.0, -small, 5e-324 if dtype == "float64" else 1e-45, 0.0], dtype)
    with np.errstate(under=mode):
        for i in range(len(a)):
            for scale in (small, 1.0, 0.5):
                check(tiny_product, a, i, scale)
        for scale in (small, 1.0):
            check(tiny_products, a, scale)
