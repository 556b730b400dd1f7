"""Random straight-line integer functions, compiled strictly and compared with CPython.

The generator builds functions with many live temporaries and locals, so the
register allocator has to spill, reuse registers and keep operands intact
through two-address x86 instructions.
"""

from __future__ import annotations

import array
import itertools

import pytest
from conftest import INT64_EDGES, assert_same, outcome, same_outcome
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from programs import has_only_int64_constants, make, programs

from jitcore import jit


@settings(max_examples=250, deadline=None)
@given(source=programs(), data=st.data())
def test_random_program(source, data):
    func = make(source)
    assume(has_only_int64_constants(func))
    jitted = jit(strict=True)(func)
    nparams = func.__code__.co_argcount
    edge = st.sampled_from(INT64_EDGES)
    value = st.one_of(edge, st.integers(-100, 100), st.integers(-(2**63), 2**63 - 1))
    for _ in range(6):
        args = [data.draw(value) for _ in range(nparams)]
        assert_same(jitted, *args)


@settings(max_examples=150, deadline=None)
@given(source=programs(buffer=True), data=st.data())
def test_random_program_with_a_buffer(source, data):
    func = make(source)
    assume(has_only_int64_constants(func))
    jitted = jit(strict=True)(func)
    nparams = func.__code__.co_argcount - 1
    value = st.one_of(st.sampled_from(INT64_EDGES), st.integers(-100, 100))
    for _ in range(4):
        code = data.draw(st.sampled_from("bBhHiIlLqQ"))
        bits = 8 * array.array(code).itemsize
        low, high = (0, 2**bits - 1) if code.isupper() else (-(2 ** (bits - 1)), 2 ** (bits - 1) - 1)
        items = data.draw(st.lists(st.integers(low, high) | st.sampled_from([low, high]), max_size=9))
        args = [data.draw(value) for _ in range(nparams)]
        theirs, ours = array.array(code, items), array.array(code, items)
        expected, actual = outcome(func, [*args, theirs]), outcome(jitted, [*args, ours])
        assert same_outcome(expected, actual), (source, args, items, expected, actual)
        assert ours == theirs, (source, args, items)  # stores, and a re-run's rollback


def test_many_live_values_spill():
    names = [f"x{i}" for i in range(24)]
    body = "\n".join(f"    {n} = a * {i + 3} - b" for i, n in enumerate(names))
    total = " + ".join(f"{n} * {i + 1}" for i, n in enumerate(names))
    func = make(f"def generated(a, b):\n{body}\n    return {total}\n")
    jitted = jit(strict=True)(func)
    assert jitted.compile().slots > 0  # really spilled
    for a, b in itertools.product(INT64_EDGES[:12], repeat=2):
        assert_same(jitted, a, b)


@settings(max_examples=150, deadline=None)
@given(source=programs(buffer=True), data=st.data())
def test_random_program_with_a_numpy_array(source, data):
    """The same programs with a NumPy array: its elements are NumPy ints, so
    the arithmetic is NumPy's (types, wrapping with a warning, Python ints out
    of range raising), compared with CPython + NumPy, warnings and the array's
    contents included."""
    np = pytest.importorskip("numpy")
    from numpy_compare import copy_like, difference, run

    func = make(source)
    assume(has_only_int64_constants(func))
    jitted = jit(strict=True)(func)
    nparams = func.__code__.co_argcount - 1
    value = st.one_of(st.sampled_from(INT64_EDGES), st.integers(-100, 100))
    for _ in range(4):
        dtype = data.draw(st.sampled_from(["int8", "uint8", "int16", "uint16", "int32", "uint32",
                                           "int64", "uint64", "bool"]))
        low, high = (0, 1) if dtype == "bool" else (int(np.iinfo(dtype).min), int(np.iinfo(dtype).max))
        items = data.draw(st.lists(st.integers(low, high) | st.sampled_from([low, high]), max_size=9))
        a = np.array(items, dtype=dtype)
        if data.draw(st.booleans()):  # strided
            a = np.repeat(a, 2)[::2]
        args = [data.draw(value) for _ in range(nparams)]
        expected = run(func, [*args, copy_like(a)])
        actual = run(jitted, [*args, copy_like(a)])
        problem = difference(expected, actual)  # outcome, warnings, the array afterwards
        assert problem is None, (source, args, a, problem)
