"""What native code does where CPython would, instead of re-running the call:
an index out of range raises CPython's own IndexError there (abi.STATUS_RAISE,
jitcore/raising.py), a NumPy integer overflow wraps and issues NumPy's own
warning there (ir.WarnSite, csrc/inplace.c), a signal handler runs there
(csrc/poll.c); stores before any of them stay, as CPython's do. And which
calls keep undo records of their stores at all (passes/records.py).

Each differential test runs CPython on one copy of the arguments and jitcore
on another, twice (the first call compiles and goes through the Python path,
the second through the C fast path), and compares results, exceptions,
warnings (category, message, file and line) and the arguments afterwards,
and where an exception comes out, the last frame of its traceback.
"""

from __future__ import annotations

import array
import inspect
import subprocess
import sys
import textwrap
import traceback
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy_compare import copies, same

from jitcore import JitWarning, dispatcher, jit
from jitcore.compiler import compile_function


def eval_source(source, name):
    namespace: dict = {}
    exec(compile(source, f"<{name}>", "exec"), namespace)
    return namespace[name]


def observe(func, args):
    """(outcome, warnings, arguments after, the traceback's last frame)."""
    last = None
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            outcome = ("value", func(*args))
        except Exception as exc:  # noqa: BLE001 - comparing exceptions is the point
            outcome = ("raise", type(exc), str(exc))
            frame = traceback.extract_tb(exc.__traceback__)[-1]
            last = (frame.filename, frame.lineno, frame.name, frame.line,
                    getattr(frame, "colno", None), getattr(frame, "end_colno", None))
    seen = [(w.category, str(w.message), w.filename, w.lineno) for w in caught
            if not issubclass(w.category, JitWarning)]
    after = [a.copy() if isinstance(a, np.ndarray) else bytes(a) if isinstance(a, (bytearray, array.array))
             else a for a in args]
    return outcome, seen, after, last


def fresh(args):
    return [copies([a])[0] if isinstance(a, np.ndarray) else
            type(a)(a) if isinstance(a, (bytearray,)) else
            array.array(a.typecode, a) if isinstance(a, array.array) else a for a in args]


def check(jitted, *args):
    expected = observe(jitted.py_func, fresh(args))
    for _ in range(2):  # the Python path, then the C fast path
        actual = observe(jitted, fresh(args))
        assert actual[0][0] == expected[0][0], (actual, expected)
        if expected[0][0] == "value":
            assert same(actual[0][1], expected[0][1]), (actual, expected)
        else:
            assert actual[0] == expected[0]
            assert actual[3] == expected[3], (actual[3], expected[3])  # the function's frame
        assert actual[1] == expected[1], (actual[1], expected[1])
        for a, e in zip(actual[2], expected[2], strict=True):
            assert same(a, e) if isinstance(e, np.ndarray) else a == e, (a, e)
    return expected


# -- IndexError in place ---------------------------------------------------------

@jit
def fill_then_index(a, n, v):
    for i in range(n):
        a[i] = v
    return a[n]


@jit
def copy_shifted(src, dst, shift):
    for i in range(len(src)):
        dst[i + shift] = src[i]
    return 0


@jit
def fill_2d(a, rows, cols):
    for i in range(rows):
        for j in range(cols):
            a[i, j] = i * 100 + j
    return 0


@jit
def bump_at(a, i):
    a[0] += 1
    a[i] += 1
    return a[0]


@pytest.mark.parametrize("make", [
    lambda: np.zeros(5, np.int64), lambda: np.zeros(5, np.float32), lambda: np.zeros(5, np.uint8),
    lambda: array.array("q", [0] * 5), lambda: array.array("d", [0.0] * 5),
    lambda: bytearray(5), lambda: np.zeros(10, np.int16)[::2],
])
def test_an_index_out_of_range_raises_cpythons_error_and_keeps_the_stores(make):
    for n in (3, 5, 9):
        check(fill_then_index, make(), n, 7)
    check(copy_shifted, make(), make(), 1)
    check(copy_shifted, make(), make(), -7)
    for i in (4, 5, -5, -6, 2**40):
        check(bump_at, make(), i)


def test_a_store_into_a_bytearray_checks_the_value_before_the_index_as_cpython_does():
    # bytearray converts the value first: 300 out of range is ValueError even
    # where the index is out of range too
    check(fill_then_index, bytearray(3), 5, 300)
    check(copy_shifted, bytearray(b"abc"), bytearray(3), 2)


@pytest.mark.parametrize("shape", [(3, 4), (4, 3)])
def test_a_2d_index_out_of_range_names_its_axis(shape):
    for rows, cols in ((3, 3), (4, 4), (5, 2), (2, 5)):
        check(fill_2d, np.zeros(shape, np.int64), rows, cols)
        check(fill_2d, np.zeros(shape[::-1], np.int64).T, rows, cols)


def test_the_traceback_ends_in_the_function_at_its_line():
    a = np.zeros(4, np.int64)
    fill_then_index(np.zeros(8, np.int64), 2, 1)  # compiled
    try:
        fill_then_index(a, 4, 1)
    except IndexError as exc:
        frames = traceback.extract_tb(exc.__traceback__)
    else:
        raise AssertionError("no IndexError")
    assert frames[-1].name == "fill_then_index" and frames[-1].line == "return a[n]"
    if dispatcher._fastcall is not None:  # the C base type raises it: nothing of jitcore's in between
        assert [f.name for f in frames] == ["test_the_traceback_ends_in_the_function_at_its_line",
                                            "fill_then_index"]
    else:  # (the Python-only dispatcher's __call__ raises it)
        assert [f.name for f in frames][-2] == "__call__"
    assert list(a) == [1, 1, 1, 1]


# -- NumPy's overflow warnings in place -------------------------------------------

@jit
def running_sums(src, dst):
    s = src[0] - src[0]
    for i in range(len(src)):
        s += src[i]
        dst[i] = s
    return s


@jit
def products(src, dst):
    p = src[0] - src[0] + 1
    for i in range(len(src)):
        p = p * src[i]
        dst[i] = p
    return p


@jit
def differences(src, dst):
    for i in range(1, len(src)):
        dst[i] = src[i] - src[i - 1]
    return dst[0] - src[0]


INT_DTYPES = ["int8", "int16", "int32", "int64", "uint8", "uint16", "uint32"]


def edge_values(dtype):
    info = np.iinfo(dtype)
    return [info.min, info.max, 0, 1, -1 if info.min < 0 else 2, info.max // 2 + 1, info.min // 2]


@pytest.mark.parametrize("dtype", INT_DTYPES)
def test_numpy_int_overflow_warns_in_place_as_numpy_does(dtype):
    values = edge_values(dtype)
    for order in (values, values[::-1], values[1:] + values[:1]):
        src = np.array(order, dtype)
        for func in (running_sums, products, differences):
            check(func, src, np.zeros(len(src), dtype))


@settings(max_examples=60, deadline=None)
@given(st.sampled_from(INT_DTYPES), st.lists(st.integers(-2**64, 2**64), min_size=1, max_size=12))
def test_numpy_int_overflow_in_place_matches_numpy(dtype, raw):
    info = np.iinfo(dtype)
    src = np.array([min(max(v, info.min), info.max) for v in raw], dtype)
    for func in (running_sums, products, differences):
        check(func, src, np.zeros(len(src), dtype))


@jit
def mixed(a, k, out):
    out[0] = a[0] + k
    out[1] = k - a[0]
    out[2] = a[0] * k
    return a[0] + a[0]


@pytest.mark.parametrize("dtype", ["bool"] + INT_DTYPES)
def test_whether_numpy_warns_depends_on_the_operand_types_as_in_numpy(dtype):
    # np.bool_ + a Python int goes through NumPy's ufunc loop, which wraps
    # without a warning; an int type through its scalar math, which warns
    for value in edge_values("int64" if dtype == "bool" else dtype)[:2]:
        info = np.iinfo(np.int64 if dtype == "bool" else dtype)
        for k in (info.max, info.min, 2, -2):
            a = np.array([value != 0 if dtype == "bool" else value], dtype)
            check(mixed, a, k, np.zeros(3, np.int64 if dtype == "bool" else dtype))


@pytest.mark.parametrize("how", ["raise", "ignore", "warn"])
def test_errstate_decides_what_an_overflow_in_place_does(how):
    src = np.array([2**62, 2**62, 2**62, 5], np.int64)
    with np.errstate(over=how):
        expected = check(running_sums, src, np.zeros(4, np.int64))
    if how == "raise":  # FloatingPointError after the first sum was stored
        assert expected[0][1] is FloatingPointError
        assert list(expected[2][1]) == [2**62, 0, 0, 0]


def test_a_warning_filter_that_raises_stops_the_call_where_numpy_warns():
    src = np.array([100, 100, 1], np.int8)
    for _ in range(2):
        dst = np.zeros(3, np.int8)
        with warnings.catch_warnings():
            warnings.simplefilter("error", RuntimeWarning)
            with pytest.raises(RuntimeWarning, match="overflow encountered in scalar add") as info:
                running_sums(src, dst)
        assert list(dst) == [100, 0, 0]
        assert traceback.extract_tb(info.value.__traceback__)[-1].name == "running_sums"


@jit
def int8_sum(a, b):
    return a + b


@jit
def sum_then_square(a, b, big):
    x = int8_sum(a, b)  # NumPy warns on overflow, in the callee
    return x, big * big  # then an int64 overflow: the call re-runs in CPython


def test_a_native_callee_never_warns_in_place():
    # The callee would warn, then its caller re-runs in CPython and warns
    # again: called natively, it leaves that warning to the re-run.
    for big in (3, 2**40):
        check(sum_then_square, np.int8(100), np.int8(100), big)


@jit
def warn_then_maybe_rerun(src, big):
    s = src[0] + src[1]  # NumPy int8: may warn
    return s, big * big  # Python ints: past int64, the call re-runs in CPython


def test_a_warning_a_re_run_could_follow_is_left_to_the_re_run():
    src = np.array([100, 100], np.int8)
    for big in (3, 2**40):
        check(warn_then_maybe_rerun, src, big)
    ir = compile_function(warn_then_maybe_rerun.py_func, ("array:b:1C", "int"), keep_text=True).ir
    assert ".warn" not in ir  # the site became a deopt (passes/records.py)


# -- which calls keep undo records --------------------------------------------------

def records_of(func, *types):
    return compile_function(func, types).records


def test_only_calls_that_can_re_run_after_a_store_keep_records():
    def fill(a, v):
        for i in range(len(a)):
            a[i] = v
        return 0

    def accumulate(a, n):
        s = 0
        for i in range(n):
            a[i] = s
            s += i * i * i  # Python ints: an overflow re-runs the call
        return s

    def scale(a, f):
        for i in range(len(a)):
            a[i] = a[i] * f  # NumPy floats: flags tested at the return, which re-runs
        return 0

    assert records_of(fill, "array:l:1C", "int") is False
    assert records_of(running_sums.py_func, "array:l:1C", "array:l:1C") is False
    assert records_of(accumulate, "array:l:1C", "int") is True
    assert records_of(scale, "array:d:1C", "float") is True


@jit
def put(a, i, v):
    a[i] = v
    return 0


@jit
def put_then_square(a, big):
    put(a, 0, a[0] + 1)  # the callee stores with the caller's record
    return big * big


def test_a_callee_without_records_of_its_own_keeps_its_callers():
    put(array.array("q", [0]), 0, 1)
    assert [e.records for e in put._entries.values()] == [False]
    for big in (3, 2**40):  # 2**40: the caller re-runs in CPython after the callee stored
        a = array.array("q", [5, 0])
        put_then_square(a, big)
        assert list(a) == [6, 0]
        assert put_then_square(a, big) == big * big and list(a) == [7, 0]


# -- Ctrl-C: handlers in place ------------------------------------------------------

INTERRUPT_SCRIPT = r"""
import array, os, signal, sys, threading, time
from jitcore import jit

@jit(nogil=NOGIL)
def bump(a, rounds):
    for r in range(rounds):
        for i in range(len(a)):
            a[i] += 1
    return a[0]

a = array.array("q", [0] * 1000)
jit(lambda: 0)()  # the compiler is loaded (by the first call): bump's compile alone precedes its loop
if FIRST_CALL_NATIVE:
    bump(array.array("q", [0] * 10), 1)  # compiled: the next call takes the fast path
handled = []

def handler(*_):
    handled.append(1)
    if len(handled) == 3:
        raise KeyboardInterrupt

signal.signal(signal.SIGINT, handler)

def interrupt():
    for _ in range(3):
        time.sleep(0.05)
        os.kill(os.getpid(), signal.SIGINT)

threading.Thread(target=interrupt, daemon=True).start()
try:
    bump(a, 10**9)
except KeyboardInterrupt:
    pass
print(min(a), max(a), sum(1 for i in range(1, len(a)) if a[i] != a[i - 1]), a[0] >= a[-1], len(handled))
"""


@pytest.mark.parametrize("nogil", [False, True])
@pytest.mark.parametrize("fast_path", [False, True])
def test_ctrl_c_stops_a_call_where_it_is_and_keeps_its_stores(nogil, fast_path):
    script = INTERRUPT_SCRIPT.replace("NOGIL", str(nogil)).replace("FIRST_CALL_NATIVE", str(fast_path))
    proc = subprocess.run([sys.executable, "-c", textwrap.dedent(script)],
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    low, high, steps, descending, handled = proc.stdout.split()
    # Stopped at one element of one round, as CPython would be: every element
    # has the same count, or a prefix has one more.
    assert int(high) - int(low) in (0, 1) and int(steps) <= 1 and descending == "True"
    assert int(high) > 0 and handled == "3"


def test_without_the_gil_too():
    # (the warning and the raise need the GIL: a nogil call takes it for them)
    sums = jit(nogil=True)(running_sums.py_func)
    fill = jit(nogil=True)(fill_then_index.py_func)
    for dtype in ("int8", "int64"):
        info = np.iinfo(dtype)
        check(sums, np.array([info.max, 1, info.min, -1], dtype), np.zeros(4, dtype))
        with np.errstate(over="raise"):
            check(sums, np.array([info.max, 1, 1], dtype), np.zeros(3, dtype))
    check(fill, np.zeros(3, np.int64), 3, 1)


NO_FAST_PATH = r"""
import sys, traceback, warnings
sys.modules["jitcore._fastcall"] = None
import numpy as np
from jitcore import jit

RUNNING_SUMS
sums = running_sums

for _ in range(2):
    dst = np.zeros(3, np.int8)
    try:
        sums(np.arange(4, dtype=np.int8), dst)
    except IndexError as exc:
        frames = traceback.extract_tb(exc.__traceback__)
        print(str(exc), frames[-1].name, frames[-1].lineno, dst.tolist())
    dst = np.zeros(3, np.int8)
    with np.errstate(over="raise"):
        try:
            sums(np.array([100, 100, 1], np.int8), dst)
        except FloatingPointError as exc:
            print(str(exc), traceback.extract_tb(exc.__traceback__)[-1].name, dst.tolist())
"""


def test_without_the_c_fast_path_too():
    script = NO_FAST_PATH.replace("RUNNING_SUMS", inspect.getsource(running_sums.py_func))
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    lines = proc.stdout.splitlines()
    line = script.splitlines().index("        dst[i] = s") + 1
    assert lines[0] == f"index 3 is out of bounds for axis 0 with size 3 running_sums {line} [0, 1, 3]"
    assert lines[1] == "overflow encountered in scalar add running_sums [100, 0, 0]"
    assert lines[2:] == lines[:2]


@jit
def element(a, i):
    return a[i]


@jit
def sum_of_elements(a, b, n):
    s = 0.5
    for i in range(n):
        s += element(a, i) * element(b, i) + 0.25
    return s


def test_a_native_callee_that_raises_in_place_sends_its_caller_to_cpython():
    # The callee writes the site and its operands to the result slots its
    # caller gives it, whatever it returns; the caller re-runs in CPython.
    for n in (3, 4, 5):
        check(sum_of_elements, np.arange(4, dtype=np.float64), array.array("d", [1.0, 2.0, 3.0, 4.0]), n)


# -- raise statements and asserts -----------------------------------------------------

CHECKED_FILL = """
def checked_fill(a, n, limit):
    for i in range(n):
        assert i <= limit
        assert a[i] >= 0, "negative element"
        if i > limit:
            raise ValueError("past the limit", i, limit * 0.5)
        if i == 1000:
            raise OverflowError
        a[i] = i
    return n
"""
# (made from source: pytest rewrites the asserts of test modules)
checked_fill = jit(eval_source(CHECKED_FILL, "checked_fill"))


def test_raise_statements_and_asserts_raise_in_place():
    for n, limit in [(3, 10), (6, 4), (10, 3), (12, 100), (40, 20), (2000, 10000), (10, -7)]:
        check(checked_fill, np.zeros(max(n, 1), np.int64), n, limit)
        check(checked_fill, array.array("q", [0] * n), n, limit)
    check(checked_fill, np.array([0, 0, -1, 0], np.int64), 4, 100)
    # no re-run can follow a store: no undo records
    assert records_of(checked_fill.py_func, "array:l:1C", "int", "int") is False
