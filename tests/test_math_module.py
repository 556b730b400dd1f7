"""The math module, round(x, ndigits), min/max of mixed types, divmod and pow
in jitted code, against CPython.

Every call is compared with CPython's (value bit for bit, type, exception),
and is also checked to have run natively wherever CPython returns a value
native code holds (a float, a bool, an int within int64, a tuple of those):
only a call where CPython raises, or returns a big int or a complex, may
deopt, except where a test names other cases (an int that no double equals
compared with a float, say). The checker (Native below) sees deopts through
py_func, and takes a fresh dispatcher after each one: a signature whose calls
deopt in a row skips native code for a while (csrc/fastcall.c), which would
hide the calls after it.
"""

from __future__ import annotations

import math
import sys

import pytest
from conftest import INT64_EDGES, outcome, same_outcome, show_outcome
from hypothesis import given, settings
from hypothesis import strategies as st

from jitcore import jit

INF, NAN = math.inf, math.nan
INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1

FLOATS = [0.0, -0.0, 1.0, -1.0, 0.5, -0.5, 1.5, -2.5, 2.0, 3.0, -3.0, 10.0, 0.1, math.pi,
          1e-300, 5e-324, -5e-324, 2.2250738585072014e-308, 1e-310, 1e308, -1e308,
          1.7976931348623157e308, INF, -INF, NAN, 2.0**53, 2.0**63, -(2.0**63), 709.8, -745.5,
          171.7, -171.5, 1e22, 0.49999999999999994, 2.675, 1234.5678]
INTS = sorted(set(INT64_EDGES + [5, -5, 12, 100, 1000, -1000, 2**53 + 1]))
BOOLS = [True, False]
NUMBERS = FLOATS + INTS + BOOLS


def _holds(value: object) -> bool:
    """Whether native code can return this value (else it must deopt)."""
    if type(value) is tuple:
        return all(_holds(x) for x in value)
    if type(value) is int:
        return INT64_MIN <= value <= INT64_MAX
    return type(value) in (float, bool)


class Native:
    """A function jitted, checked call by call against CPython (see the module's doc)."""

    def __init__(self, func) -> None:
        self.func = func
        self.dispatchers: dict[tuple[type, ...], object] = {}
        self.deopted = False

    def __call__(self, *args, may_deopt: bool = False) -> bool:
        """Compare one call with CPython; return whether it ran natively."""
        key = tuple(type(a) for a in args)
        expected = outcome(self.func, args)
        if key not in self.dispatchers:
            jitted = jit(self.func)
            outcome(jitted, args)  # compiles this signature (with the real py_func)

            def rerun(*a):
                self.deopted = True
                return self.func(*a)

            jitted.py_func = rerun
            self.dispatchers[key] = jitted
        jitted = self.dispatchers[key]
        self.deopted = False
        actual = outcome(jitted, args)
        where = f"{self.func.__name__}{args!r}"
        assert same_outcome(expected, actual), \
            f"{where}: jitcore {show_outcome(actual)}, CPython {show_outcome(expected)}"
        if self.deopted:
            del self.dispatchers[key]  # (a fresh one next time: no skipping)
            if expected[0] == "value" and _holds(expected[2]) and not may_deopt:
                pytest.fail(f"{where} deopted; CPython returns {show_outcome(expected)}")
        return not self.deopted


def each(func, inputs, may_deopt=None) -> Native:
    check = Native(func)
    for args in inputs:
        check(*args, may_deopt=bool(may_deopt and may_deopt(*args)))
    return check


def pairs(xs, ys=None):
    return [(x, y) for x in xs for y in (xs if ys is None else ys)]


def _needs(name: str):
    return pytest.mark.skipif(not hasattr(math, name), reason=f"math.{name} is newer than this Python")


HYP = settings(max_examples=150, deadline=None)
numbers = st.one_of(st.floats(allow_nan=True, allow_infinity=True), st.sampled_from(NUMBERS),
                    st.integers(INT64_MIN, INT64_MAX), st.booleans())
small_ints = st.one_of(st.integers(-40, 40), st.sampled_from(INTS), st.booleans())


# -- one float argument ----------------------------------------------------------
def m_erf(x):
    return math.erf(x)


def m_erfc(x):
    return math.erfc(x)


def m_gamma(x):
    return math.gamma(x)


def m_lgamma(x):
    return math.lgamma(x)


def m_ulp(x):
    return math.ulp(x)


def m_exp2(x):
    return math.exp2(x)


def m_cbrt(x):
    return math.cbrt(x)


def m_frexp(x):
    return math.frexp(x)


def m_modf(x):
    fraction, integral = math.modf(x)
    return integral, fraction


def m_log(x):
    return math.log(x)


ONE_ARG = [m_erf, m_erfc, m_gamma, m_lgamma, m_ulp, m_frexp, m_modf, m_log]
if hasattr(math, "cbrt"):  # 3.11
    ONE_ARG += [m_exp2, m_cbrt]


@pytest.mark.parametrize("func", ONE_ARG, ids=lambda f: f.__name__)
def test_one_argument_specials(func):
    each(func, [(x,) for x in NUMBERS + [k + 0.5 for k in range(-30, 30)] + list(range(-30, 30))])


@pytest.mark.parametrize("func", ONE_ARG, ids=lambda f: f.__name__)
@HYP
@given(x=numbers)
def test_one_argument_hypothesis(func, x):
    Native(func)(x)


def test_gamma_at_and_near_poles():
    each(m_gamma, [(float(k) + d,) for k in range(-180, 180) for d in (0.0, 1e-9, -1e-9, 0.25)])
    each(m_lgamma, [(float(k) + d,) for k in range(-180, 180) for d in (0.0, 1e-9, -1e-9, 0.25)])


# -- two float arguments ----------------------------------------------------------
def m_atan2(y, x):
    return math.atan2(y, x)


def m_fmod(x, y):
    return math.fmod(x, y)


def m_remainder(x, y):
    return math.remainder(x, y)


def m_pow(x, y):
    return math.pow(x, y)


def m_log_base(x, base):
    return math.log(x, base)


def m_nextafter(x, y):
    return math.nextafter(x, y)


def m_copysign(x, y):
    return math.copysign(x, y)


def m_hypot2(x, y):
    return math.hypot(x, y)


def m_hypot3(x, y):
    return math.hypot(x, y, 0.75), math.hypot(x), math.hypot()


TWO_ARGS = [m_atan2, m_fmod, m_remainder, m_pow, m_log_base, m_nextafter, m_copysign, m_hypot2,
            m_hypot3]
SOME = [0.0, -0.0, 1.0, -1.0, 0.5, -2.5, 3.0, 1e-310, 5e-324, 1e308, -1e308, INF, -INF, NAN,
        2.0**63, 0, 1, -1, 2, 7, INT64_MAX, INT64_MIN, True, False]


@pytest.mark.parametrize("func", TWO_ARGS, ids=lambda f: f.__name__)
def test_two_argument_specials(func):
    each(func, pairs(SOME))


@pytest.mark.parametrize("func", TWO_ARGS, ids=lambda f: f.__name__)
@HYP
@given(x=numbers, y=numbers)
def test_two_argument_hypothesis(func, x, y):
    Native(func)(x, y)


def test_pow_overflow_and_domain():
    each(m_pow, pairs([10.0, -10.0, 2.0, -2.0, 0.5, 1.0001], [1e3, 1e5, -1e5, 1023.0, 1024.0, -1075.0,
                                                            0.5, -0.5, 1.5]))


def m_ldexp(x, i):
    return math.ldexp(x, i)


def test_ldexp():
    exponents = INTS + BOOLS + [1023, 1024, -1074, -1075, -1022, 2**31, -(2**31) - 1, 2**31 - 1]
    each(m_ldexp, pairs(FLOATS + [1, -3, INT64_MAX], exponents))
    each(m_ldexp, [(1.0, 2.0), (1.0, 0.5)])  # TypeError: a float exponent


@HYP
@given(x=numbers, i=st.one_of(st.integers(-1200, 1200), st.integers(INT64_MIN, INT64_MAX)))
def test_ldexp_hypothesis(x, i):
    Native(m_ldexp)(x, i)


# -- three or four arguments, keywords --------------------------------------------
def m_fma(x, y, z):
    return math.fma(x, y, z)


@_needs("fma")
def test_fma():
    some = [0.0, -0.0, 1.0, -1.0, 1.0 + 2.0**-52, 1.0 - 2.0**-52, 1e308, -1e308, INF, -INF, NAN,
            5e-324, 3, True]
    each(m_fma, [(x, y, z) for x in some for y in some for z in some])


@_needs("fma")
@HYP
@given(x=numbers, y=numbers, z=numbers)
def test_fma_hypothesis(x, y, z):
    Native(m_fma)(x, y, z)


def m_isclose(a, b, rel, tol):
    return math.isclose(a, b, rel_tol=rel, abs_tol=tol)


def m_isclose_default(a, b):
    return math.isclose(a, b)


def m_isclose_keywords(a, b, tol):
    return math.isclose(a, b, abs_tol=tol), math.isclose(b, a, rel_tol=tol), math.isclose(a, b, abs_tol=tol,
                                                                                         rel_tol=0.0)


def test_isclose():
    some = [0.0, -0.0, 1.0, 1.0 + 1e-10, 1.0 + 1e-8, -1.0, 1e308, INF, -INF, NAN, 5e-324, 3, True]
    tolerances = [0.0, 1e-9, 0.5, -1e-9, INF, NAN, 1, True]
    each(m_isclose_default, pairs(some))
    each(m_isclose_keywords, [(a, b, t) for a in some for b in some for t in tolerances])
    each(m_isclose, [(a, b, r, t) for a in some[:6] for b in some for r in tolerances for t in tolerances])


@HYP
@given(a=numbers, b=numbers, tol=st.sampled_from([0.0, 1e-9, 1e-6, 1.0, -1.0]))
def test_isclose_hypothesis(a, b, tol):
    Native(m_isclose_keywords)(a, b, tol)


def m_nextafter_steps(x, y, n):
    return math.nextafter(x, y, steps=n)


def test_nextafter_steps():
    # before 3.12 the keyword is a TypeError, by deopt
    steps = [0, 1, 2, 3, 2**52, INT64_MAX, -1, True, False]
    check = each(m_nextafter_steps, [(x, y, n) for x in SOME[:14] for y in SOME[:14] for n in steps])
    check(1.0, 2.0, 1.5)  # TypeError
    check(1.0, 2.0, None)  # steps=None: one step (3.12+)


def m_prod(a, b, c):
    return math.prod((a, b, c)), math.prod((a, b), start=c), math.prod(()), math.prod((b,))


def big_partial_product(a, b, c) -> bool:
    """Whether a product from the left m_prod makes passes through an int
    beyond int64 (CPython goes on with the big int; native code deopts)."""
    for first, *rest in ((1, a, b, c), (c, a, b)):
        product = first
        for x in rest:
            product = product * x
            if type(product) is int and not INT64_MIN <= product <= INT64_MAX:
                return True
    return False


def test_prod_of_tuples():
    some = [0, 1, -1, 3, INT64_MAX, INT64_MIN, 2**32, True, False, 0.0, -0.0, 2.5, INF, NAN, 1e308]
    each(m_prod, [(a, b, c) for a in some for b in some for c in some[:8] + [2.5, True]],
         may_deopt=big_partial_product)


@HYP
@given(a=numbers, b=numbers, c=numbers)
def test_prod_hypothesis(a, b, c):
    Native(m_prod)(a, b, c, may_deopt=big_partial_product(a, b, c))


# -- integers -----------------------------------------------------------------------
def m_gcd(a, b):
    return math.gcd(a, b)


def m_lcm(a, b):
    return math.lcm(a, b)


def m_gcd_many(a, b):
    return math.gcd(a, b, 12), math.gcd(a), math.gcd(), math.lcm(a, b, 3), math.lcm(b), math.lcm()


def m_isqrt(n):
    return math.isqrt(n)


def m_factorial(n):
    return math.factorial(n)


def m_comb(n, k):
    return math.comb(n, k)


def m_perm(n, k):
    return math.perm(n, k)


def m_perm1(n):
    return math.perm(n), math.perm(n, None)


INT_ARGS = INTS + BOOLS + [6, 10, 15, 20, 21, 25, 60, 62, 66, 67, 68, 2**32]


def _quick(n, k) -> bool:
    """comb(n, k), perm(n, k) that CPython computes quickly (not a huge int)."""
    return not (n > 200 and 80 < k <= n)


@pytest.mark.parametrize("func", [m_gcd, m_lcm, m_gcd_many, m_comb, m_perm], ids=lambda f: f.__name__)
def test_two_ints(func):
    each(func, [(n, k) for n, k in pairs(INT_ARGS) if _quick(n, k)])
    each(func, [(1.0, 2), (2, 1.5)])  # TypeError


@pytest.mark.parametrize("func", [m_isqrt, m_factorial, m_perm1], ids=lambda f: f.__name__)
def test_one_int(func):
    inputs = INT_ARGS + list(range(-2, 30)) + [4.0]
    if func is not m_isqrt:
        inputs = [n for n in inputs if n < 5000]  # (CPython would build n! for n near 2**63)
    each(func, [(n,) for n in inputs])


@pytest.mark.parametrize("func", [m_gcd, m_lcm, m_comb, m_perm], ids=lambda f: f.__name__)
@HYP
@given(a=st.one_of(st.integers(INT64_MIN, INT64_MAX), small_ints), b=small_ints)
def test_two_ints_hypothesis(func, a, b):
    if _quick(a, b):
        Native(func)(a, b)


@HYP
@given(n=st.one_of(st.integers(INT64_MIN, INT64_MAX), st.integers(-5, 10**6)))
def test_isqrt_hypothesis(n):
    Native(m_isqrt)(n)


# -- round(x, ndigits) ----------------------------------------------------------------
def r_digits(x, n):
    return round(x, n)


def r_constants(x):
    return round(x, 2), round(x, 0), round(x, -1), round(x, None)


def test_round_floats():
    ndigits = list(range(-12, 20)) + [-400, -309, -308, 300, 322, 323, 324, INT64_MIN, INT64_MAX, True]
    each(r_digits, pairs(FLOATS, ndigits))
    each(r_digits, [(k / 1000, n) for k in range(-3000, 3000, 7) for n in (0, 1, 2)])
    each(r_digits, [(2.5, 1.0), (2.5, NAN)])  # TypeError


def test_round_ints():
    # (not INT64_MIN: CPython would compute 10 ** 2 ** 63; the helper's tests take it)
    ndigits = list(range(-22, 3)) + [-40, -100, INT64_MAX, True, False]
    each(r_digits, pairs(INTS + BOOLS + [15, 25, 150, 250, -250, 5 * 10**18, 9 * 10**18], ndigits))


def test_round_constant_digits():
    each(r_constants, [(x,) for x in NUMBERS])


@HYP
@given(x=numbers, n=st.one_of(st.integers(-25, 25), st.integers(INT64_MIN, INT64_MAX)))
def test_round_hypothesis(x, n):
    if type(x) is float or n > -1000:  # (an int x: CPython computes 10 ** -n)
        Native(r_digits)(x, n)


@HYP
@given(cents=st.integers(-10**12, 10**12), scale=st.integers(0, 6), n=st.integers(-4, 6))
def test_round_decimal_ties_hypothesis(cents, scale, n):
    Native(r_digits)(cents / 10**scale, n)


# -- min and max of mixed types -------------------------------------------------------
def mn(a, b):
    return min(a, b)


def mx(a, b):
    return max(a, b)


def mn3(a, b, c):
    return min(a, b, c), max(c, b, a)


def min_then_use(a, b):
    m = min(a, b)
    return m, m * 2, max(a, b) + 1


def running_max(n, x):
    best = 0
    for i in range(n):
        best = max(best, x - i, True)
    return best


def inexact(a, b):
    # an int no double equals, compared with a float: CPython compares exactly,
    # native code deopts (see exact_float)
    return type(a) is int and type(b) is float and a != float(a) or \
        type(b) is int and type(a) is float and b != float(b)


MIXED = [0, 1, -1, 2, 7, True, False, 0.0, -0.0, 1.0, 0.5, 2.0, -1.5, INF, -INF, NAN,
         INT64_MAX, INT64_MIN, 2**53, 2**53 + 1, 9.3e18]


@pytest.mark.parametrize("func", [mn, mx, min_then_use], ids=lambda f: f.__name__)
def test_min_max_mixed(func):
    each(func, pairs(MIXED), may_deopt=inexact)


def test_min_max_three():
    each(mn3, [(a, b, c) for a in MIXED[:16] for b in MIXED[:16] for c in (0, 1.0, True, NAN)],
         may_deopt=lambda a, b, c: inexact(a, b) or inexact(b, c) or inexact(a, c))


def test_min_max_ties_keep_the_first():
    assert type(jit(mn)(1, 1.0)) is int and type(jit(mn)(1.0, 1)) is float
    assert jit(mx)(True, 1) is True and type(jit(mx)(1, True)) is int
    check = Native(mn)
    for a, b in ((1, 1.0), (1.0, 1), (True, 1), (0, False), (-0.0, 0), (0, -0.0)):
        assert check(a, b)


def test_min_max_in_a_loop():
    each(running_max, [(n, x) for n in (0, 1, 3, 5) for x in (0, 2, 2.5, -1.0, True, NAN)])


@pytest.mark.parametrize("func", [mn, mx], ids=lambda f: f.__name__)
@HYP
@given(a=numbers, b=numbers)
def test_min_max_hypothesis(func, a, b):
    Native(func)(a, b, may_deopt=inexact(a, b))


# -- divmod and pow ---------------------------------------------------------------------
def dm(a, b):
    return divmod(a, b)


def power(a, b):
    return a ** b


def power_builtin(a, b):
    return pow(a, b), pow(a, b, None)


def power_mod(a, b, m):
    return pow(a, b, m)


def power_then_use(a, b):
    p = a ** b
    return p, p + 1


def power_sum(x, n):
    total = 0
    for k in range(-n, n):
        total = total + x ** k
    return total


EXPONENTS = list(range(-5, 8)) + [62, 63, 64, -64, INT64_MIN, -(2**31), True, False]
BASES = [0, 1, -1, 2, -2, 3, 10, INT64_MAX, INT64_MIN, 2**31, True, False]


def _small_result(a, b) -> bool:
    """a ** b that CPython computes quickly (no int with billions of bits)."""
    return not (type(b) is int and b > 70 and abs(a) >= 2 and type(a) is not float)


def test_divmod_all_types():
    some = [0, 1, -1, 7, -7, INT64_MAX, INT64_MIN, True, False, 0.0, -0.0, 2.5, -2.5, INF, -INF, NAN]
    each(dm, pairs(some))


@pytest.mark.parametrize("func", [power, power_builtin, power_then_use], ids=lambda f: f.__name__)
def test_power_of_ints(func):
    each(func, pairs(BASES, EXPONENTS))


@pytest.mark.parametrize("func", [power, power_builtin], ids=lambda f: f.__name__)
def test_power_mixed(func):
    floats = [0.0, -0.0, 2.0, -2.0, 0.5, 1.5, -1.5, INF, -INF, NAN, 1e308]
    each(func, [(a, b) for a, b in pairs(BASES + floats, EXPONENTS[:13] + floats) if _small_result(a, b)])


def test_power_in_a_loop():
    each(power_sum, [(x, n) for x in (2, -3, 1, 0, 2.0, True) for n in (0, 1, 3)])


def test_power_mod():
    some = [0, 1, -1, 2, 7, -7, 10, INT64_MAX, INT64_MIN, True, False]
    each(power_mod, [(a, b, m) for a in some for b in some if b >= -1 for m in some])
    each(power_mod, [(2.0, 3, 5), (2, 3, 5.0)])  # TypeError


@HYP
@given(a=numbers, b=st.one_of(st.integers(-70, 70), st.floats(-80, 80), st.booleans()))
def test_power_hypothesis(a, b):
    if _small_result(a, b):
        Native(power_builtin)(a, b)


@HYP
@given(a=numbers, b=numbers)
def test_divmod_hypothesis(a, b):
    Native(dm)(a, b)


def test_python_version_facts():
    from jitcore.frontend import versions

    assert versions.NEXTAFTER_STEPS == (sys.version_info >= (3, 12))


REPLACED_BEFORE_THE_COMPILER = """
import builtins, json, math, sys
from unittest import mock
with mock.patch("math.sqrt", lambda x: -1.0), mock.patch("builtins.abs", lambda x: 100.0), \\
        mock.patch("math.floor", math.ceil):   # (another of math's own functions)
    from jitcore import jit

    @jit
    def f(x):
        return math.sqrt(x) + abs(x) + math.floor(x)

    replaced = [f(2.5), f.py_func(2.5), "jitcore.compiler" in sys.modules]

@jit
def g(x):
    return math.sqrt(x) + abs(x) + math.floor(x)

@jit
def h(x):
    return math.exp(x) + round(x)

print(json.dumps(replaced + [g(2.5), g.py_func(2.5), h(2.5), h.py_func(2.5), bool(h.signatures)]))
"""


def test_builtins_and_math_functions_replaced_before_the_compiler_loads():
    # The compiler's tables translate calls of builtins.abs and math.sqrt by
    # identity; they must hold the module's own functions, not whatever was
    # bound when the compiler was imported (a mock, in a user's test suite).
    import json
    import subprocess

    out = subprocess.run([sys.executable, "-W", "ignore", "-c", REPLACED_BEFORE_THE_COMPILER],
                         capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    jitted, python, loaded, after, python_after, other, python_other, native = json.loads(out.stdout)
    assert loaded  # (the compiler did load while they were replaced)
    assert jitted == python == -1.0 + 100.0 + 3
    # (the functions replaced then run in CPython for the rest of the process;
    # the others compile as ever)
    assert after == python_after == math.sqrt(2.5) + 2.5 + 2
    assert other == python_other == math.exp(2.5) + 2 and native
