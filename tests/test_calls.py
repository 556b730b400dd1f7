"""Calls between jitted functions, recursion, signatures and result boxing."""

from __future__ import annotations

import sys
import threading

import pytest
from conftest import INT64_EDGES, assert_same

from jitcore import CompileError, jit


@jit(strict=True)
def fib(n):
    if n < 2:
        return n
    return fib(n - 1) + fib(n - 2)


@jit(strict=True)
def is_even(n):
    if n == 0:
        return True
    return is_odd(n - 1)


@jit(strict=True)
def is_odd(n):
    if n == 0:
        return False
    return is_even(n - 1)


@jit(strict=True)
def egcd(a, b):
    if b == 0:
        return a, 1, 0
    g, x, y = egcd(b, a % b)
    return g, y, x - (a // b) * y


@jit(strict=True)
def depth(n):
    if n == 0:
        return 0
    return 1 + depth(n - 1)


@jit(strict=True)
def square(x):
    return x * x


@jit(strict=True)
def sum_of_squares(a, b):
    return square(a) + square(b)


@jit(strict=True)
def half(x):
    return x / 2


def uncompilable(x):
    return len([x])


def test_recursion_native_and_exact():
    assert fib(25) == 75025
    assert fib.signatures == [(int,)]
    for n in [0, 1, 2, 10, 20]:
        assert_same(fib, n)


def test_mutual_recursion_with_bool_results():
    assert is_even(10) is True
    assert is_odd(7) is True
    assert is_even(7) is False
    assert is_even.compile().returns == [("bool",)]


def test_recursive_tuples():
    for a, b in [(240, 46), (17, 5), (0, 3), (-12, 8)]:
        assert_same(egcd, a, b)


def test_deep_recursion_raises_recursion_error_not_a_crash():
    assert depth(200) == 200
    with pytest.raises(RecursionError):
        depth(sys.getrecursionlimit() * 10)
    assert depth(300) == 300  # still usable afterwards


def test_callee_overflow_deopts_the_caller():
    assert sum_of_squares(3, 4) == 25
    assert sum_of_squares(2**32, 1) == 2**64 + 1  # square() overflows int64 natively
    assert sum_of_squares(1.5, 2) == 6.25  # another signature for both functions


def test_one_native_version_per_signature():
    assert half(3) == 1.5
    assert half(3.0) == 1.5
    assert half(True) == 0.5
    assert set(half.signatures) == {(int,), (float,), (bool,)}


def test_strict_caller_of_an_uncompilable_function():
    callee = jit(uncompilable)

    def caller(x):
        return callee(x) + 1

    caller.__globals__["callee"] = callee  # a module-level name, as @jit resolves calls
    try:
        with pytest.raises(CompileError, match="uncompilable"):
            jit(strict=True)(caller)(1)
    finally:
        del caller.__globals__["callee"]


def test_concurrent_calls_share_no_result_buffer():
    @jit(strict=True)
    def pair(a):
        return a, a * 2.5

    errors = []

    def worker(k):
        for i in range(2000):
            if pair(i + k) != (i + k, (i + k) * 2.5):
                errors.append((k, i))

    threads = [threading.Thread(target=worker, args=(k * 100000,)) for k in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []


@pytest.mark.parametrize("args", [(7, 0), (-7, 0), (7.0, 0.0), (7, 0.0), (0.0, 0)])
def test_division_by_zero_raises_cpythons_error(args):
    @jit(strict=True)
    def divide(a, b):
        return a // b, a % b

    @jit(strict=True)
    def true_divide(a, b):
        return a / b

    assert_same(divide, *args)
    assert_same(true_divide, *args)


@pytest.mark.parametrize("args", [(1, -1), (1, 64), (-1, 63), (3, 62), (2**62, 1), (5, 200)])
def test_shifts(args):
    @jit(strict=True)
    def shifts(a, b):
        return a << b, a >> b

    assert_same(shifts, *args)


CALLEE_DIES = r"""
import gc
from jitcore import jit

@jit(strict=True)
def g(a, b):
    return a * b + 1

@jit(strict=True)
def f(a, b):
    return g(a, b)

assert f(4, 5) == 21
del g  # the only name of the callee: f's code keeps it
gc.collect()
# New functions and their cells, where the callee's memory would be reused.
others = [jit(eval(f"lambda a, b: a - {1000 + i}")) for i in range(200)]
assert [h(1, 2) for h in others] == [1 - 1000 - i for i in range(200)]
print(f(4, 5), f(-3, 7))
"""


def test_code_keeps_the_functions_it_calls_alive():
    # f's native code calls g through g's cell. Once the global g was deleted
    # nothing else held g: its cell and code were freed and reused, and f
    # crashed or ran another function's code (g(4, 5) gave -1001). Globals
    # are read at compile time, so f keeps calling the g it was compiled with.
    import subprocess
    import textwrap

    proc = subprocess.run([sys.executable, "-c", textwrap.dedent(CALLEE_DIES)],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert proc.stdout.split() == ["21", "-20"]


CALLEE_REINITIALIZED = r"""
import gc
from jitcore import jit

@jit(strict=True)
def g(a, b):
    return a * b + 1

@jit(strict=True)
def f(a, b):
    return g(a, b) + 1

def other(a, b):
    return a - b

assert f(4, 5) == 22
g.__init__(other)  # the same object now stands for another function
gc.collect()
others = [jit(eval(f"lambda a, b: a - {1000 + i}")) for i in range(200)]
assert [h(1, 2) for h in others] == [1 - 1000 - i for i in range(200)]
print(f(4, 5), f(-3, 7), g(4, 5))
print(f(4, 5), f(-3, 7), g(4, 5))  # g compiled again: f calls its new code natively
"""


def test_a_dispatcher_initialized_again_sends_its_callers_to_the_new_function():
    # f's code reads g's cell. __init__ replaced the cells and dropped the
    # code they pointed at, so f jumped through freed memory. Now the old
    # cells stay and send f's calls to the deopt stub: CPython re-runs f,
    # whose global g is the same object, now standing for `other`.
    import subprocess
    import textwrap

    proc = subprocess.run([sys.executable, "-c", textwrap.dedent(CALLEE_REINITIALIZED)],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert proc.stdout.split() == ["0", "-9", "-1"] * 2


# -- callees that return different types on different paths -----------------------

@jit(strict=True)
def half_or_whole(x):
    if x % 2 == 0:
        return x // 2
    return x / 2


@jit(strict=True)
def true_or_count(x):
    if x > 3:
        return True
    return x


@jit(strict=True)
def either_pair(x):
    if x > 0:
        return (x, 1.5)
    return (1.5, x * 2)


@jit(strict=True)
def positive_or_none(x):
    if x > 0:
        return x
    return None


@jit(strict=True)
def uses_every_kind(n):
    s = 0.25
    t = 0
    for i in range(n):
        s += half_or_whole(i)
        t += true_or_count(i - n)
        a, b = either_pair(i - 3)
        s += a * b
        positive_or_none(i - 2)  # None or an int, unused
        if half_or_whole(i + t) > 2:
            t -= 1
    return s, t


@jit(strict=True)
def compares_kinds(x):
    return true_or_count(x) == 1, half_or_whole(x) < 2.5, -half_or_whole(x)


def test_a_call_goes_on_with_whatever_type_the_callee_returned():
    # native (strict) and CPython's values and types, whichever path each call took
    for n in [0, 1, 2, 5, 17, 40]:
        assert_same(uses_every_kind, n)
    for x in INT64_EDGES + [4, 5]:
        assert_same(compares_kinds, x)
    assert uses_every_kind.signatures == [(int,)]


@jit(strict=True)
def int_or_float_of(x):
    if x > 1.5:
        return x
    return int(x)


@jit(strict=True)
def sums_floats(values_from, count):
    total = 0.0
    for i in range(count):
        total += int_or_float_of(values_from + i * 0.75)  # an overflowing int() deopts
    return total


def test_a_union_callee_that_deopts_sends_the_caller_to_cpython():
    for start in [-3.0, 0.5, 1e300, float("inf"), float("nan"), -1e19]:
        assert_same(sums_floats, start, 4)
