"""None as a value (locals, parameters, `is None`, returned alone or in a
tuple) and calls with defaults and keywords, natively (strict=True) and with
CPython's results: every function here runs in CPython too and the outcomes
(value and type, or exception) must match."""

from __future__ import annotations

import pytest
from conftest import INT64_EDGES, assert_same

from jitcore import CompileError, jit


@jit(strict=True)
def first_square_at_least(n, target):
    found = None
    for i in range(n):
        if found is None and i * i >= target:
            found = i
    if found is not None:
        return found * 2
    return found


@jit(strict=True)
def index_of(n, target):
    where = None
    for i in range(n):
        if i * 3 == target:
            where = i
            break
    if where is None:
        return -1
    if not where:
        return 0
    return where


def test_a_local_may_hold_none():
    for n, target in [(10, 49), (10, 50), (0, 0), (5, -1), (100, 2**40)]:
        assert_same(first_square_at_least, n, target)
    for n, target in [(10, 9), (10, 10), (10, 0), (0, 0)]:
        assert_same(index_of, n, target)


@jit(strict=True)
def total(n, step=None, start=0, scale=1.0):
    if step is None:
        step = 1
    t = 0
    for i in range(start, n, step):
        t += i
    return t * scale


@jit(strict=True)
def calls_with_defaults(n):
    return total(n) + total(n, 2) + total(n, None, 3) + total(n, 3, 1, 0.5)


def test_defaults_and_keywords_at_the_call():
    for n in [0, 1, 10, 57]:
        assert_same(total, n)
        assert_same(total, n, None)
        assert_same(total, n, 3)
        assert_same(calls_with_defaults, n)
        assert total(n, start=2) == total.py_func(n, start=2)
        assert total(n, scale=2.0, step=2) == total.py_func(n, scale=2.0, step=2)
    with pytest.raises(TypeError, match="unexpected keyword argument 'stride'"):
        total(10, stride=2)
    with pytest.raises(TypeError, match="multiple values for argument 'step'"):
        total(10, 2, step=2)
    with pytest.raises(TypeError, match="missing 1 required positional argument"):
        total()
    # defaults and keywords bind to positions: one signature per types, defaults included
    assert sorted(total.signatures, key=str) == [(int, type(None), int, float), (int, int, int, float)]


@jit(strict=True)
def pair_or_nothing(x):
    if x > 0:
        return x, None
    if x == 0:
        return None
    return None, x * 0.5


@jit(strict=True)
def unpacks_pairs(n, skip):
    t = 0.0
    for i in range(-3, n):
        if i != skip:
            a, b = pair_or_nothing(i)  # (None for 0: CPython's TypeError)
            if a is None:
                t += b
            else:
                t += a
    return t


def test_none_returned_alone_or_in_a_tuple():
    for x in INT64_EDGES:
        assert_same(pair_or_nothing, x)
    for n in [-5, 0, 4, 9]:
        assert_same(unpacks_pairs, n, 0)
        assert_same(unpacks_pairs, n, 100)  # unpacks the None of pair_or_nothing(0)


def test_is_compares_none_only():
    def same_ints(a, b):
        return a is b

    with pytest.raises(CompileError, match="'is' comparison"):
        jit(strict=True)(same_ints)(1, 2)
