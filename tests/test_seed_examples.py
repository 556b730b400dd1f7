"""Differential tests of every example the seed shipped, against CPython.

Edges of int64 and random inputs, overflow included: on overflow the native
code must hand the call back to CPython and the result must be CPython's.
"""

from __future__ import annotations

import itertools

import pytest
from conftest import INT64_EDGES, assert_same
from hypothesis import given, settings
from hypothesis import strategies as st

from jitcore import jit


def example0(n):
    return n


def example1(n):
    return n * 101


def example2(a, b):
    return a * a + b * b


def example3(a):
    b = a * 101
    return b + a + 2


def example4(a, b, c):
    return a * a + 2 * a * b + c


def example5(n):
    n -= 10
    return n


def example5_no_return(n):
    n -= 10


def example6(a, b):
    return a * a - b * b


def example7(a, b, c):
    return (a + c) * b - a * a * (a - c - b) - b * 2 + (c * (2 + 3 * a * b - c * a) - 3 * c)


def foo(a, b):
    return a * a - b * b


def bar(n):
    return n + 123456789


EXAMPLES = [example0, example1, example2, example3, example4, example5, example5_no_return,
            example6, example7, foo, bar]

int64 = st.integers(min_value=-(2**63), max_value=2**63 - 1)
small = st.integers(min_value=-3000, max_value=3000)
anyint = st.one_of(small, int64, st.sampled_from(INT64_EDGES))


@pytest.mark.parametrize("func", EXAMPLES, ids=lambda f: f.__name__)
def test_compiles_natively(func):
    jitted = jit(strict=True)(func)
    compiled = jitted.compile()
    assert compiled.code  # real machine code, not a fallback
    assert jitted.failure is None


@pytest.mark.parametrize("func", EXAMPLES, ids=lambda f: f.__name__)
def test_int64_edges(func):
    jitted = jit(strict=True)(func)
    nargs = func.__code__.co_argcount
    edges = INT64_EDGES if nargs < 3 else INT64_EDGES[::2]
    for args in itertools.product(edges, repeat=nargs):
        assert_same(jitted, *args)


@pytest.mark.parametrize("func", EXAMPLES, ids=lambda f: f.__name__)
@settings(max_examples=150, deadline=None)
@given(data=st.data())
def test_random_inputs(func, data):
    jitted = jit(strict=True)(func)
    args = [data.draw(anyint) for _ in range(func.__code__.co_argcount)]
    assert_same(jitted, *args)


def test_overflow_gives_cpythons_exact_result():
    jitted = jit(strict=True)(foo)
    assert jitted(2**32, 1) == 2**64 - 1
    assert type(jitted(2**32, 1)) is int
    assert jitted(-(2**63), 0) == 2**126
    assert jitted(3037000499, 0) == 3037000499**2  # the largest square that fits
    assert jitted(3037000500, 0) == 3037000500**2  # the smallest that does not


def test_native_code_actually_runs():
    """The answers come from native code, not from the fallback."""
    jitted = jit(strict=True)(example7)
    compiled = jitted.compile()
    for args in [(1, 2, 3), (-5, 7, 11), (100, -200, 300)]:
        status, result = compiled.block.call(list(args))
        assert status == 0
        assert result == example7(*args)
