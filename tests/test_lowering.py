"""Code generation choices checked against CPython: division by constants."""

from __future__ import annotations

import re

import pytest
from conftest import INT64_EDGES, assert_same
from hypothesis import given, settings
from hypothesis import strategies as st
from programs import make

from jitcore import jit

DIVISORS = [1, 2, 3, 5, 7, 10, 16, 60, 641, 1000, 65536, 1000003, 2**31 - 1, 2**31, 2**40 + 1,
            -1, -2, -3, -10, -(2**31)]
X_EDGES = INT64_EDGES + [d * k + r for d in (3, 7, 10, 1000) for k in (-5, -1, 0, 1, 5)
                         for r in (-1, 0, 1)]


def divider(d):
    source = f"def generated(x):\n    q, r = divmod(x, {d})\n    return x // {d}, x % {d}, q, r\n"
    return jit(strict=True)(make(source))


@pytest.mark.parametrize("d", DIVISORS)
def test_division_by_constant_edges(d):
    f = divider(d)
    for x in X_EDGES:
        assert_same(f, x)


@settings(max_examples=300, deadline=None)
@given(d=st.one_of(st.sampled_from(DIVISORS), st.integers(1, 2**31 - 1)),
       x=st.integers(-(2**63), 2**63 - 1))
def test_division_by_constant_random(d, x):
    assert_same(divider(d), x)


def test_constant_divisor_needs_no_idiv():
    from jitcore.disasm import disassemble_bytes

    f = divider(10)
    text = disassemble_bytes(f.compile().code)
    assert "idiv" not in text


# -- division by a register: a 32-bit unsigned divide when both fit ------------------

REGISTER_EDGES = INT64_EDGES + [2**32 - 1, 2**32, 2**32 + 1, -(2**32) + 1, 2**31 + 1, 4294967295 * 3,
                                65536, 65537, 12345, -12345]


@jit(strict=True)
def divide_registers(x, y):
    return x // y, x % y


def test_division_by_register_edges():
    for x in REGISTER_EDGES:
        for y in REGISTER_EDGES:
            assert_same(divide_registers, x, y)


@settings(max_examples=500, deadline=None)
@given(x=st.one_of(st.integers(0, 2**32 - 1), st.integers(-(2**63), 2**63 - 1)),
       y=st.one_of(st.integers(0, 2**32 - 1), st.integers(-(2**63), 2**63 - 1)))
def test_division_by_register_random(x, y):
    assert_same(divide_registers, x, y)


def test_small_operands_take_the_32_bit_divide():
    from jitcore.disasm import disassemble_bytes

    text = disassemble_bytes(divide_registers.compile(int, int).code)
    assert "div r11d" in text and "idiv r11" in text  # fast path and the general one


# -- x % 2**k == 0 in a branch: one `test` ---------------------------------------------

@pytest.mark.parametrize("k", [1, 2, 3, 10, 31])
def test_low_bits_test_branches_like_cpython(k):
    d = 2**k
    source = (f"def generated(x):\n    if x % {d} == 0:\n        return 1\n"
              f"    if x % {d} != 0:\n        return 2\n    return 3\n")
    f = jit(strict=True)(make(source))
    for x in INT64_EDGES + [d, -d, d + 1, -d - 1, 3 * d, -(3 * d)]:
        assert_same(f, x)
    from jitcore.disasm import disassemble_bytes

    text = disassemble_bytes(f.compile(int).code)
    masks = [int(m, 0) for m in re.findall(r"test \w+, (0x[0-9a-f]+|\d+)", text)]
    assert masks.count(d - 1) == 2  # both branches test the low bits; no division is left
    assert "idiv" not in text and "mul" not in text
