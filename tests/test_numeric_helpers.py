"""csrc/numeric.c: the numeric helpers generated code calls, checked against CPython.

Each helper returns a status: 0 with its result written through the out
pointer, or 1 for "CPython would raise here, or give a value of another type
or an int outside int64". For every input we ask CPython itself: where it
returns a value of the expected type, the helper must return 0 and the very
same bits (struct-packed, so -0.0 != 0.0; any NaN matches any NaN); where it
raises ZeroDivisionError / ValueError / OverflowError or returns something
else (complex, float from int ** negative, a big int), the helper must
return 1.

Inputs: fixed lists of special values (all pairs for the two-argument
helpers), seeded random sweeps over raw bit patterns, and hypothesis.
"""

from __future__ import annotations

import math
import operator
import random
import struct
import sys

import pytest
from conftest import INT64_EDGES
from hypothesis import given, settings
from hypothesis import strategies as st

from jitcore import runtime
from jitcore._native import ffi, lib

INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1
INF, NAN = math.inf, math.nan
RAISES = (ZeroDivisionError, ValueError, OverflowError)

FLOAT_SPECIALS = [
    0.0, -0.0, 1.0, -1.0, 0.5, -0.5, 1.5, -1.5, 2.5, -2.5, 2.0, -2.0, 3.0, -3.0,
    0.1, -0.1, 7.0, -7.0, 10.0, math.pi, -math.e, 0.49999999999999994, 1e-5,
    INF, -INF, NAN,
    5e-324, -5e-324, 1e-310, 2.2250738585072014e-308, 1e-300,
    1.7976931348623157e308, -1.7976931348623157e308, 1e308, 1e300, -1e300,
    1e16, 1e22, 4503599627370495.5, -4503599627370495.5,
    2.0**52, 2.0**53, float(2**53 + 1), 2.0**53 + 2, -(2.0**53),
    2.0**63, -(2.0**63), 9.2233720368547748e18, -9.2233720368547748e18,
    math.nextafter(2.0**63, 0.0), math.nextafter(-(2.0**63), -INF), 2.0**64,
    709.78, 710.0, -745.2, -746.0, 1023.0, -1074.0, 0.3333333333333333,
]

INT_SPECIALS = sorted(set(INT64_EDGES + [
    2**53, 2**53 + 1, -(2**53) - 1, 2**54 + 3, 5, -5, 62, 63, 64, -7, 2**62 + 1,
    INT64_MAX - 1, 10**18, -(10**18) - 7,
]))

# Pairs where CPython 3.12 changed math.hypot's last bit (all near the
# subnormal range); these pin down that the build picked the running
# interpreter's algorithm.
HYPOT_VERSION_PAIRS = [
    (5.31793241623626e-309, 2.66101338045648e-309),
    (1.13297974557246e-310, 2.63168333499183e-309),
    (6.8749252167987e-311, 2.997597343152724e-309),
    (6.749669537462e-311, 5.127734011417274e-309),
    (2.6178791706256e-311, 1.530504784120474e-309),
    (1.5051950969204e-311, 5.7106134435905e-310),
    (2.397393003489485e-309, 1.257067496879606e-309),
]


def _int_pow(a: int, b: int):
    # CPython would compute |a| ** b >= 2 ** 64 here, which takes too long
    # for b near 2 ** 63; its result is a big int either way.
    if abs(a) >= 2 and b >= 64:
        return 2**64
    return a**b


def _float_pow(a: float, b: float):
    return a**b


def _math(name: str, pick=None):
    """math.<name> (its item `pick` of a tuple), or None where this Python's
    math module has no such function (the helper is then left unchecked)."""
    fn = getattr(math, name, None)
    if fn is None or pick is None:
        return fn
    return lambda *args: fn(*args)[pick]


def _nextafter_steps(x: float, y: float, steps: int):
    return math.nextafter(x, y, steps=steps)


def _isclose(a: float, b: float, rel_tol: float, abs_tol: float) -> bool:
    return math.isclose(a, b, rel_tol=rel_tol, abs_tol=abs_tol)


BEYOND = 2**64  # stands for a result outside int64, where CPython would take too long


def _int_round(x: int, ndigits: int):
    # 10 ** 40 already exceeds 2 * |x| for every int64: the same result,
    # without CPython computing 10 ** (2 ** 63)
    return round(x, max(ndigits, -40))


def _factorial(n: int):
    return BEYOND if n > 25 else math.factorial(n)


def _comb(n: int, k: int):
    if n >= 0 and 0 <= k <= n and min(k, n - k) > 70 and n > 140:
        return BEYOND  # C(n, 70) > 2 ** 63 already
    return math.comb(n, k)


def _perm(n: int, k: int):
    if n >= 0 and 64 < k <= n:
        return BEYOND  # a product of more than 64 factors > 1
    return math.perm(n, k)


def _numpy(op, kind: str):
    """What NumPy's scalar code gives for op on two int64s or float64s (or
    float32s: kind "f32"), as a Python int or float (the NumPy helpers'
    reference is NumPy, not CPython)."""
    def reference(a, b):
        import numpy as np

        with np.errstate(all="ignore"):
            if kind == "i":
                return int(op(np.int64(a), np.int64(b)))
            t = np.float32 if kind == "f32" else np.float64
            return float(op(t(a), t(b)))
    return reference


def _numpy_nonzero(op):
    """NumPy's float32 op, with a zero divisor 'raising' (the helper leaves
    that to CPython: NumPy warns)."""
    numpy_op = _numpy(op, "f32")

    def reference(a, b):
        import numpy as np

        with np.errstate(all="ignore"):
            if np.float32(b) == 0:
                raise ZeroDivisionError
        return numpy_op(a, b)
    return reference


# helper name -> (what CPython (NumPy, for jc_numpy_*) does, argument kind, result type)
CASES = {
    "jc_float_floordiv": (operator.floordiv, "ff", float),
    "jc_float_mod": (operator.mod, "ff", float),
    "jc_float_pow": (_float_pow, "ff", float),
    "jc_float_round": (round, "f", int),
    "jc_float_to_int": (int, "f", int),
    "jc_float_floor": (math.floor, "f", int),
    "jc_float_ceil": (math.ceil, "f", int),
    "jc_int_pow": (_int_pow, "ii", int),
    "jc_int_powmod": (pow, "iii", int),
    "jc_int_floordiv": (operator.floordiv, "ii", int),
    "jc_int_mod": (operator.mod, "ii", int),
    "jc_int_truediv": (operator.truediv, "ii", float),
    "jc_math_sqrt": (math.sqrt, "f", float),
    **{f"jc_math_{name}": (getattr(math, name), "f", float)
       for name in ("tan", "asin", "acos", "atan", "sinh", "cosh", "tanh", "asinh", "acosh",
                    "atanh", "expm1", "log1p", "log2", "log10")},
    "jc_math_exp": (math.exp, "f", float),
    "jc_math_log": (math.log, "f", float),
    "jc_math_sin": (math.sin, "f", float),
    "jc_math_cos": (math.cos, "f", float),
    "jc_math_fabs": (math.fabs, "f", float),
    "jc_math_hypot": (math.hypot, "ff", float),
    "jc_math_copysign": (math.copysign, "ff", float),
    "jc_math_atan2": (math.atan2, "ff", float),
    "jc_math_remainder": (math.remainder, "ff", float),
    "jc_math_fmod": (math.fmod, "ff", float),
    "jc_math_pow": (math.pow, "ff", float),
    "jc_math_log_base": (math.log, "ff", float),
    "jc_math_ldexp": (math.ldexp, "fi", float),
    "jc_math_frexp": (_math("frexp", 0), "f", float),
    "jc_math_frexp_exponent": (_math("frexp", 1), "f", int),
    "jc_math_modf": (_math("modf", 0), "f", float),
    "jc_math_modf_integral": (_math("modf", 1), "f", float),
    **{f"jc_math_{name}": (_math(name), "f", float)
       for name in ("exp2", "cbrt", "erf", "erfc", "gamma", "lgamma", "ulp")},
    "jc_math_nextafter": (math.nextafter, "ff", float),
    "jc_math_nextafter_steps": (_nextafter_steps if sys.version_info >= (3, 12) else None, "ffi", float),
    "jc_math_fma": (_math("fma"), "fff", float),
    "jc_math_hypot3": (math.hypot, "fff", float),
    "jc_math_isclose": (_isclose, "ffff", bool),
    "jc_float_round_digits": (round, "fi", float),
    "jc_int_round_digits": (_int_round, "ii", int),
    "jc_math_gcd": (math.gcd, "ii", int),
    "jc_math_lcm": (math.lcm, "ii", int),
    "jc_math_isqrt": (math.isqrt, "i", int),
    "jc_math_factorial": (_factorial, "i", int),
    "jc_math_comb": (_comb, "ii", int),
    "jc_math_perm": (_perm, "ii", int),
    "jc_numpy_pow": (_numpy(operator.pow, "f"), "ff", float),
    "jc_numpy_powf": (_numpy(operator.pow, "f32"), "ff", float),
    "jc_numpy_int_pow": (_numpy(operator.pow, "i"), "ii", int),
    "jc_numpy_floordivf": (_numpy_nonzero(operator.floordiv), "ff", float),
    "jc_numpy_modf": (_numpy_nonzero(operator.mod), "ff", float),
    "jc_numpy_shl": (_numpy(operator.lshift, "i"), "ii", int),
    "jc_numpy_shr": (_numpy(operator.rshift, "i"), "ii", int),
}
FLOAT1 = [n for n, c in CASES.items() if c[1] == "f"]
FLOAT2 = [n for n, c in CASES.items() if c[1] == "ff"]
INT2 = [n for n, c in CASES.items() if c[1] == "ii"]
INT1 = [n for n, c in CASES.items() if c[1] == "i"]
FLOAT_INT = [n for n, c in CASES.items() if c[1] == "fi"]
FLOAT3 = [n for n, c in CASES.items() if c[1] == "fff"]

_out = {float: ffi.new("double *"), int: ffi.new("int64_t *"), bool: ffi.new("int64_t *")}

FAIL = "status 1"


def _expected(py, args, rtype):
    """CPython's value, or FAIL where the helper must return status 1."""
    try:
        value = py(*args)
    except RAISES:
        return FAIL
    if type(value) is not rtype:
        return FAIL
    if rtype is int and not INT64_MIN <= value <= INT64_MAX:
        return FAIL
    return value


def _bits(x: float) -> bytes:
    return struct.pack("<d", x)


def check(name: str, *args) -> None:
    py, _, rtype = CASES[name]
    if py is None:
        return  # this Python has no such function (math.fma before 3.13...)
    out = _out[rtype]
    status = getattr(lib, name)(*args, out)
    expected = _expected(py, args, rtype)
    where = f"{name}{args!r}"
    if expected is FAIL:
        assert status == 1, f"{where}: CPython raises or changes type, helper gave {out[0]!r}"
        return
    assert status == 0, f"{where}: helper failed, CPython gives {expected!r}"
    got = out[0]
    if rtype in (int, bool):
        assert got == expected, f"{where}: {got!r} != CPython's {expected!r}"
    elif math.isnan(expected):
        assert math.isnan(got), f"{where}: {got!r}, CPython gives nan"
    else:
        assert _bits(got) == _bits(expected), f"{where}: {got!r} != CPython's {expected!r}"


def _random_double(rng: random.Random) -> float:
    """Any double, uniform over bit patterns (so over exponents), with a
    share of small integers and halves where the interesting cases are."""
    k = rng.random()
    if k < 0.6:
        return struct.unpack("<d", rng.getrandbits(64).to_bytes(8, "little"))[0]
    if k < 0.8:
        return rng.randint(-300, 300) / 2
    return rng.uniform(-50.0, 50.0)


def _random_int64(rng: random.Random) -> int:
    k = rng.random()
    if k < 0.5:
        return rng.randint(INT64_MIN, INT64_MAX)
    if k < 0.8:
        return rng.randint(-(2 ** rng.randint(1, 63)), 2 ** rng.randint(1, 63) - 1)
    return rng.randint(-100, 100)


# ------------------------------------------------------------ specials


def test_cases_cover_every_helper():
    assert sorted(CASES) == sorted(runtime.HELPERS)


@pytest.mark.parametrize("name", FLOAT1)
def test_float1_specials(name):
    for x in FLOAT_SPECIALS:
        check(name, x)


@pytest.mark.parametrize("name", FLOAT2)
def test_float2_special_pairs(name):
    for a in FLOAT_SPECIALS:
        for b in FLOAT_SPECIALS:
            check(name, a, b)


@pytest.mark.parametrize("name", INT2)
def test_int2_special_pairs(name):
    for a in INT_SPECIALS:
        for b in INT_SPECIALS:
            check(name, a, b)


def test_float_pow_integral_exponents():
    # bases around 1 and powers of two against exponents near the overflow
    # and underflow edges, odd and even (sign of negative bases)
    bases = [2.0, -2.0, 0.5, -0.5, 1.0000001, -0.9999999, 10.0, -10.0, 1.1, 3.0, -3.0]
    for a in bases:
        for b in range(-1100, 1100, 7):
            check("jc_float_pow", a, float(b))
        for b in (-1075, -1074, -1073, -1022, 1023, 1024, 1025):
            check("jc_float_pow", a, float(b))
            check("jc_float_pow", a, b + 0.5)


def test_float_to_int_edges():
    for x in FLOAT_SPECIALS + [-9223372036854775808.0, 9223372036854775807.0, 0.5000000000000001]:
        for v in (x, math.nextafter(x, INF), math.nextafter(x, -INF)):
            for name in ("jc_float_round", "jc_float_to_int", "jc_float_floor", "jc_float_ceil"):
                check(name, v)


def test_float_round_halfway_cases():
    for k in range(-200, 200):
        check("jc_float_round", k + 0.5)
    for e in range(50, 64):
        for x in (2.0**e + 0.5, 2.0**e - 0.5, 2.0**e + 1.0, -(2.0**e) - 1.0):
            check("jc_float_round", x)


def test_int_powmod_edges_and_a_sweep():
    edges = [0, 1, -1, 2, -2, 3, 7, 2**31 - 1, -(2**31), 2**62, -(2**62), INT64_MAX, INT64_MIN,
             INT64_MAX - 1, INT64_MIN + 1]
    for a in edges:
        for b in [0, 1, 2, 3, 5, 64, INT64_MAX, -1, -5, INT64_MIN, -2]:
            for m in edges:
                check("jc_int_powmod", a, b, m)
    rng = random.Random(7)
    for _ in range(3000):
        check("jc_int_powmod", _random_int64(rng), abs(_random_int64(rng)), _random_int64(rng))
        check("jc_int_powmod", _random_int64(rng), -abs(_random_int64(rng)), _random_int64(rng))  # inverses


def test_int_pow_small_bases_all_exponents():
    for a in list(range(-20, 21)) + [3037000499, 3037000500, -3037000500, 2**31, -(2**31), 2**21]:
        for b in range(-2, 70):
            check("jc_int_pow", a, b)


def test_int_pow_powers_of_two_edges():
    for e in range(64):
        for a in (2, -2, 4, -4, 8, -8, min(2**e, INT64_MAX), -(2**e)):
            for b in (e - 1, e, e + 1, 62, 63, 64):
                if b >= 0:
                    check("jc_int_pow", a, b)
    check("jc_int_pow", -1, INT64_MAX)
    check("jc_int_pow", -1, INT64_MAX - 1)
    check("jc_int_pow", INT64_MIN, 1)


def test_int_truediv_ties_and_big_operands():
    rng = random.Random(53)
    for _ in range(3000):
        a = rng.randint(INT64_MIN, INT64_MAX)
        # powers of two and small odd divisors make exact halfway cases
        for b in (2 ** rng.randint(0, 62), -(2 ** rng.randint(0, 63)), rng.choice([3, 5, 7, -3, 9, 11])):
            check("jc_int_truediv", a, b)
    for e in range(53, 64):
        for d in range(-3, 4):
            a = max(INT64_MIN, min(INT64_MAX, 2**e + d))
            for b in (1, -1, 2, 3, 4, 2**e - 1, INT64_MIN, INT64_MAX, 2**53 + 1):
                check("jc_int_truediv", a, b)
                check("jc_int_truediv", -a, b)
    for b in (2**60, -(2**60), INT64_MIN):
        check("jc_int_truediv", 0, b)  # signed zero


def test_hypot_version_specific_inputs():
    for x, y in HYPOT_VERSION_PAIRS:
        for a, b in ((x, y), (y, x), (-x, y)):
            check("jc_math_hypot", a, b)


SMALL_FLOATS = [0.0, -0.0, 1.0, -1.0, 0.5, -2.5, 3.0, 1e-300, 5e-324, -5e-324, 1e308, -1e308,
                INF, -INF, NAN, 1.7976931348623157e308, 0.1, 2.0**53]
NDIGITS = list(range(-20, 25)) + [-400, -309, -308, -307, 300, 322, 323, 324, 400,
                                  INT64_MIN, INT64_MAX, -(2**31), 2**31]


@pytest.mark.parametrize("name", INT1)
def test_int1_specials(name):
    for n in INT_SPECIALS + list(range(-3, 70)):
        check(name, n)


@pytest.mark.parametrize("name", FLOAT_INT)
def test_float_int_special_pairs(name):
    ints = sorted(set(INT_SPECIALS + NDIGITS + [1023, 1024, -1074, -1075, -1022, 2**31 - 1]))
    for x in FLOAT_SPECIALS:
        for i in ints:
            check(name, x, i)


@pytest.mark.parametrize("name", FLOAT3)
def test_float3_special_triples(name):
    for a in SMALL_FLOATS:
        for b in SMALL_FLOATS:
            for c in SMALL_FLOATS:
                check(name, a, b, c)


def test_fma_is_fused():
    # one rounding: x * y + z where x * y alone would round away the answer
    check("jc_math_fma", 1.0 + 2.0**-52, 1.0 - 2.0**-52, -1.0)
    check("jc_math_fma", 0.1, 10.0, -1.0)


def test_isclose_tolerances():
    tolerances = [0.0, -0.0, 1e-9, 0.5, 1.0, 2.0, -1e-9, -1.0, INF, -INF, NAN, 5e-324]
    for a in SMALL_FLOATS:
        for b in SMALL_FLOATS:
            for rel in tolerances:
                for tol in tolerances:
                    check("jc_math_isclose", a, b, rel, tol)


def test_nextafter_steps_walks():
    steps = [0, 1, 2, 3, 2**52, 2**62, INT64_MAX, -1, INT64_MIN, 4607182418800017408]
    for a in SMALL_FLOATS:
        for b in SMALL_FLOATS:
            for k in steps:
                check("jc_math_nextafter_steps", a, b, k)


def test_round_digits_halfway_cases():
    # decimal ties that are exact in binary round to even; near ties that
    # are not exact round by the binary value
    for k in range(-300, 300):
        for n in (0, 1, 2, 3):
            check("jc_float_round_digits", k / 8, n)
            check("jc_float_round_digits", k / 100, n)
    for x in (5.0, 15.0, 25.0, 2.5e10, 3.5e10, 45.0, 55.0, 95.0, 9.5, 999.5, 9.9999e307,
              1.5e308, 1.7976931348623157e308, 5e-324, 1.23456789e-310):
        for n in range(-310, 330, 1):
            check("jc_float_round_digits", x, n)
            check("jc_float_round_digits", -x, n)


def test_int_round_digits_edges():
    for x in INT_SPECIALS + [5, 15, 25, 35, 45, 50, 150, 250, -250, 5 * 10**18, -5 * 10**18,
                             9 * 10**18, -9 * 10**18, 10**18 + 5 * 10**17]:
        for n in list(range(-42, 3)) + [INT64_MIN, INT64_MAX]:
            check("jc_int_round_digits", x, n)


def test_gamma_near_integers_and_poles():
    for k in range(-200, 200):
        for x in (float(k), k + 0.5, k + 1e-9, k - 1e-9, math.nextafter(float(k), INF),
                  math.nextafter(float(k), -INF)):
            for name in ("jc_math_gamma", "jc_math_lgamma"):
                check(name, x)
    for x in (171.6, 171.7, 172.0, -171.5, -199.5, 200.5, -200.5, 1e-20, -1e-20, 1e-310, 2.5e305):
        for name in ("jc_math_gamma", "jc_math_lgamma"):
            check(name, x)


def test_isqrt_near_squares():
    for r in list(range(0, 2000)) + [2**31, 3037000499, 3037000498, 2**26 + 1]:
        for d in (-1, 0, 1):
            if 0 <= r * r + d <= INT64_MAX:
                check("jc_math_isqrt", r * r + d)
    check("jc_math_isqrt", INT64_MAX)


def test_comb_perm_grid():
    for n in list(range(-2, 70)) + [2**31, 2**62, INT64_MAX, 3037000500, 4294967296]:
        for k in list(range(-2, 70)) + [n - 1, n - 2, n, n + 1]:
            if INT64_MIN <= k <= INT64_MAX:
                check("jc_math_comb", n, k)
                check("jc_math_perm", n, k)


def test_gcd_lcm_edges():
    for a in INT_SPECIALS:
        for b in INT_SPECIALS + [6, 10, 2**32 * 3, 2**40 * 5]:
            check("jc_math_gcd", a, b)
            check("jc_math_lcm", a, b)


# ------------------------------------------------------- random sweeps


@pytest.mark.parametrize("name", FLOAT1)
def test_float1_random_sweep(name):
    rng = random.Random(name)
    for _ in range(4000):
        check(name, _random_double(rng))


@pytest.mark.parametrize("name", FLOAT2)
def test_float2_random_sweep(name):
    rng = random.Random(name)
    for _ in range(6000):
        check(name, _random_double(rng), _random_double(rng))


@pytest.mark.parametrize("name", INT2)
def test_int2_random_sweep(name):
    rng = random.Random(name)
    for _ in range(6000):
        b = _random_int64(rng)
        if name == "jc_int_pow":
            b = rng.choice([b, rng.randint(0, 70)])
        check(name, _random_int64(rng), b)


def test_hypot_random_sweep_near_subnormals():
    # where 3.10/3.11 and 3.12+ part ways (and where both divide or rescale)
    rng = random.Random(1074)
    for _ in range(20000):
        x = rng.uniform(0.0, 1.0) * 2.0 ** rng.randint(-1074, -1000)
        check("jc_math_hypot", x, x * rng.uniform(0.01, 100.0))


@pytest.mark.parametrize("name", INT1)
def test_int1_random_sweep(name):
    rng = random.Random(name)
    for _ in range(4000):
        check(name, _random_int64(rng))


@pytest.mark.parametrize("name", FLOAT_INT)
def test_float_int_random_sweep(name):
    rng = random.Random(name)
    for _ in range(6000):
        i = rng.choice([_random_int64(rng), rng.randint(-330, 330), rng.randint(-5, 17)])
        check(name, _random_double(rng), i)


@pytest.mark.parametrize("name", FLOAT3)
def test_float3_random_sweep(name):
    rng = random.Random(name)
    for _ in range(6000):
        check(name, _random_double(rng), _random_double(rng), _random_double(rng))


def test_round_digits_random_decimals():
    # numbers with few decimals, where the ties are
    rng = random.Random(2675)
    for _ in range(20000):
        x = rng.randint(-10**9, 10**9) / 10 ** rng.randint(0, 9)
        check("jc_float_round_digits", x, rng.randint(-10, 10))
        check("jc_int_round_digits", rng.randint(-10**12, 10**12) * 5, rng.randint(-14, 1))


def test_isclose_random():
    rng = random.Random(11)
    for _ in range(6000):
        a = _random_double(rng)
        b = a * (1 + rng.choice([1e-10, 1e-9, 2e-9, -1e-9, 1e-6, 0.0])) + rng.choice([0.0, 1e-12])
        check("jc_math_isclose", a, b, rng.choice([1e-9, 1e-6, 0.0, 1e-12]),
              rng.choice([0.0, 1e-12, 1e-9, 1.0]))


# ----------------------------------------------------------- hypothesis

any_float = st.floats(allow_nan=True, allow_infinity=True, allow_subnormal=True)
floats_or_specials = st.one_of(any_float, st.sampled_from(FLOAT_SPECIALS))
int64s = st.one_of(st.integers(INT64_MIN, INT64_MAX), st.sampled_from(INT_SPECIALS))
HYP = settings(max_examples=200, deadline=None)


@HYP
@given(x=floats_or_specials)
def test_float1_hypothesis(x):
    for name in FLOAT1:
        check(name, x)


@HYP
@given(a=floats_or_specials, b=floats_or_specials)
def test_float2_hypothesis(a, b):
    for name in FLOAT2:
        check(name, a, b)


@HYP
@given(a=floats_or_specials, b=st.one_of(st.integers(-1100, 1100).map(float), floats_or_specials))
def test_float_pow_hypothesis(a, b):
    check("jc_float_pow", a, b)
    check("jc_float_pow", a, b + 0.5)


@HYP
@given(a=int64s, b=int64s)
def test_int2_hypothesis(a, b):
    for name in INT2:
        check(name, a, b)


@HYP
@given(n=int64s)
def test_int1_hypothesis(n):
    for name in INT1:
        check(name, n)


@HYP
@given(x=floats_or_specials, i=st.one_of(int64s, st.integers(-400, 400)))
def test_float_int_hypothesis(x, i):
    for name in FLOAT_INT:
        check(name, x, i)


@HYP
@given(a=floats_or_specials, b=floats_or_specials, c=floats_or_specials)
def test_float3_hypothesis(a, b, c):
    for name in FLOAT3:
        check(name, a, b, c)
    check("jc_math_isclose", a, b, abs(c), 0.0)
    check("jc_math_isclose", a, b, 1e-9, c)


@HYP
@given(a=floats_or_specials, b=floats_or_specials, steps=st.one_of(int64s, st.integers(-2, 100)))
def test_nextafter_steps_hypothesis(a, b, steps):
    check("jc_math_nextafter_steps", a, b, steps)


@HYP
@given(a=int64s, b=st.integers(-3, 70))
def test_int_pow_hypothesis(a, b):
    check("jc_int_pow", a, b)


# ---------------------------------------------------- helper_address


def test_helper_address_distinct_nonzero():
    addresses = [runtime.helper_address(name) for name in runtime.HELPERS]
    assert all(isinstance(a, int) and a > 0 for a in addresses)
    assert len(set(addresses)) == len(runtime.HELPERS)
    assert [runtime.helper_address(name) for name in runtime.HELPERS] == addresses  # cached, stable


@pytest.mark.parametrize("name", ["jc_nonexistent", "jc_call", "jc_float_pow ", ""])
def test_helper_address_unknown_name(name):
    with pytest.raises(KeyError, match="not a jitcore numeric helper"):
        runtime.helper_address(name)


def test_helper_addresses_are_the_functions():
    # what generated code does: call the raw address with the System V ABI
    pow2 = ffi.cast("int (*)(double, double, double *)", runtime.helper_address("jc_float_pow"))
    out = ffi.new("double *")
    assert pow2(2.0, 10.0, out) == 0 and out[0] == 1024.0
    assert pow2(0.0, -1.0, out) == 1
    ipow = ffi.cast("int (*)(int64_t, int64_t, int64_t *)", runtime.helper_address("jc_int_pow"))
    iout = ffi.new("int64_t *")
    assert ipow(-2, 63, iout) == 0 and iout[0] == INT64_MIN
    assert ipow(2, 63, iout) == 1


def test_one_build_follows_every_python_version():
    # The module is built once (_native.abi3.so) and told the running
    # interpreter's version (runtime: jc_set_python_version); where CPython
    # versions compute differently, the helpers follow the version they are told.
    out = ffi.new("double *")
    try:
        lib.jc_set_python_version(0x030A0DF0)  # 3.10.13
        assert lib.jc_math_pow(0.0, -INF, out) == 1  # ValueError in 3.10
        old = []
        for x, y in HYPOT_VERSION_PAIRS:
            assert lib.jc_math_hypot(x, y, out) == 0
            old.append(out[0])
        lib.jc_set_python_version(0x030C0000)  # 3.12.0
        assert lib.jc_math_pow(0.0, -INF, out) == 0 and out[0] == INF
        new = []
        for x, y in HYPOT_VERSION_PAIRS:
            assert lib.jc_math_hypot(x, y, out) == 0
            new.append(out[0])
    finally:
        lib.jc_set_python_version(sys.hexversion)
    assert old != new  # the two algorithms differ on these pairs
    mine = new if sys.version_info >= (3, 12) else old
    assert mine == [math.hypot(x, y) for x, y in HYPOT_VERSION_PAIRS]
