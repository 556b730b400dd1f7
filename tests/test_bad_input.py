"""Bad and unusual input to jitted functions that were compiled for ints first.

Every function below exists twice, built from the same source: a plain CPython
function (the reference; its recursive calls reach the plain function too) and a
`@jit` one (whose recursive calls are native). Each jitted function is called
with ints first, so it is compiled natively for (int, ...), and is then called with
what native code does not handle: the wrong number of arguments, keyword
arguments (valid, unknown, duplicated), None, str, list, dict, ints outside int64,
bools, floats (a new native signature) including nan, inf and -0.0, subclasses of
int and float (some overriding operators), and objects that only have __index__
or __float__. Every call must do exactly what CPython does (conftest's comparison:
same type, float bits, same exception type and message), and every call is made
three times, so the first call of a signature (compiling, or deciding that CPython
runs it) and the later ones (the C fast path, or the cached decision) are both
checked.
"""

from __future__ import annotations

import enum
import math
import struct
import warnings
from typing import Any

import pytest
from conftest import INT64_EDGES, same_outcome, show_outcome
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from jitcore import JitWarning, jit

# Some float signatures of these functions do not compile (e.g. gcd(int, float)
# returns int or float on different paths): they run in CPython with one JitWarning.
pytestmark = pytest.mark.filterwarnings("ignore::jitcore.JitWarning")

INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1
REPEATS = 3

SOURCES = {
    # int arithmetic and bit operations, a branch on a comparison
    "intops": """
def intops(a, b):
    x = a * 3 + b
    if x > a:
        x = x - (a ^ b)
    else:
        x = x + (a & 255) - (b | 1)
    return x % 1000003 - (a << 3)
""",
    # float arithmetic, math.sqrt, a float division that can divide by zero
    "floaty": """
def floaty(x, y):
    r = x * 0.5 + y
    if r > 1.0:
        r = math.sqrt(r)
    return r / (y - 2.0) - x
""",
    # the conversion builtins: they accept str, __index__ and __float__ objects
    "convert": """
def convert(x, y):
    return math.sqrt(float(x) * float(x)) + int(y)
""",
    # truthiness, comparisons, bool results and values of either type
    "logic": """
def logic(a, b):
    if a and not b:
        return a > b
    if a == b:
        return (a < 0) ^ (b < 0)
    return a if a < b else b > 0
""",
    # a tuple of int, int, bool, and divmod's tuple
    "tup": """
def tup(a, b):
    q = a // 3
    if b == 0:
        return q, a - q * 3, a < b
    d, m = divmod(a, b)
    return d, m, not a
""",
    # range() with arguments from the caller (takes __index__), at most 21 rounds
    "walk": """
def walk(n, k):
    s = 0
    c = 0
    for i in range(n, k, 3):
        s += i * c
        c += 1
        if c > 20:
            break
    return s, c
""",
    # direct recursion, depth O(log) for ints
    "gcd": """
def gcd(a, b):
    if b == 0:
        return a
    return gcd(b, a % b)
""",
    # recursion returning a tuple
    "egcd": """
def egcd(a, b):
    if b == 0:
        return a, 1, 0
    g, x, y = egcd(b, a % b)
    return g, y, x - (a // b) * y
""",
    # recursion with one parameter: shifts end at 0 or -1 after at most ~100 calls
    "nbits": """
def nbits(n):
    if n == 0 or n == -1:
        return 0
    return 1 + nbits(n >> 1)
""",
}

# The ints each function is called with first, so that (int, ...) compiles natively.
FIRST_CALL = {"intops": (3, 4), "floaty": (3, 7), "convert": (3, 4), "logic": (3, 4),
              "tup": (17, 5), "walk": (1, 30), "gcd": (12, 18), "egcd": (240, 46), "nbits": (1000,)}
NAMES = sorted(SOURCES)


def build_source(source: str, name: str, decorate) -> Any:
    """Function `name` of `source` in a fresh namespace, decorated (its recursive calls
    reach the decorated function)."""
    namespace: dict[str, Any] = {"math": math}
    exec(compile(source, f"<{name}>", "exec"), namespace)
    namespace[name] = decorate(namespace[name])
    return namespace[name]


def build(name: str, decorate) -> Any:
    return build_source(SOURCES[name], name, decorate)


PLAIN = {name: build(name, lambda f: f) for name in NAMES}


def fresh(name: str) -> Any:
    """A new jitted `name`, compiled natively for ints by its first call."""
    jitted = build(name, jit)
    args = FIRST_CALL[name]
    with warnings.catch_warnings():
        warnings.simplefilter("error", JitWarning)  # the int signature must compile
        assert jitted(*args) == PLAIN[name](*args)
    assert jitted.signatures == [(int,) * len(args)], jitted.failure
    return jitted


# ---------------------------------------------------------------- unusual arguments

class MyInt(int):
    pass


class MyFloat(float):
    pass


class Weird(int):
    """An int whose operators are not int's: native code must never run them as ints."""

    def __add__(self, other):
        return "weird +"

    __radd__ = __add__

    def __mul__(self, other):
        return -7

    __rmul__ = __mul__

    def __lt__(self, other):
        return "weird <"

    def __bool__(self):
        return False


class Color(enum.IntEnum):
    RED = 1
    BLUE = 2


class Index:
    """Only __index__: range(), int() and float() take it, arithmetic does not."""

    def __init__(self, value):
        self.value = value

    def __index__(self):
        return self.value

    def __repr__(self):
        return f"Index({self.value})"


class FloatLike:
    """Only __float__: float() and math.sqrt take it, int() and arithmetic do not."""

    def __init__(self, value):
        self.value = value

    def __float__(self):
        return self.value

    def __repr__(self):
        return f"FloatLike({self.value})"


class BadIndex:
    """__index__ returning a non-int: CPython's TypeError."""

    def __index__(self):
        return "seven"


class RaisingIndex:
    def __index__(self):
        raise ValueError("no index for you")

    def __float__(self):
        raise ArithmeticError("no float either")


HUGE = [2**63, -(2**63) - 1, 10**30, -(10**30), 2**64]
FLOATS = [0.0, -0.0, 1.0, -1.0, 0.5, 2.0, 3.0, 1e308, math.inf, -math.inf, math.nan,
          5e-324, 2.0**63, -(2.0**63)]
ODD = [None, "", "12", "a", "nan", [], [1, 2], {}, {1: 2}, (), (3,), True, False,
       MyInt(5), MyInt(-3), MyInt(0), MyInt(2**70), MyFloat(1.5), MyFloat(-0.0),
       MyFloat(math.nan), Weird(3), Weird(0), Color.RED, Color.BLUE, Index(5), Index(-4),
       Index(2**63), Index(0), FloatLike(2.5), FloatLike(-0.0), FloatLike(math.inf),
       BadIndex(), RaisingIndex(), object(), 1j]
EDGE4 = [INT64_MIN, INT64_MAX, 0, -1]
VALUES = EDGE4 + [1, 2, 3, 7, -7, 18] + HUGE + FLOATS + ODD


def outcome(func, args: tuple[Any, ...], kwargs: dict[str, Any]) -> tuple[str, type, Any]:
    """('value', type, value) or ('raise', type, message), as in conftest.outcome."""
    try:
        result = func(*args, **kwargs)
    except Exception as exc:  # noqa: BLE001 - comparing exceptions is the point
        return ("raise", type(exc), str(exc))
    return ("value", type(result), result)


def same_value_or_object(a: Any, b: Any) -> bool:
    """conftest.same_value, also for float subclasses (by bits: MyFloat('nan') != itself)."""
    if type(a) is not type(b):
        return False
    if isinstance(a, float):
        return (math.isnan(a) and math.isnan(b)) or struct.pack("<d", a) == struct.pack("<d", b)
    if type(a) is tuple:
        return len(a) == len(b) and all(same_value_or_object(x, y) for x, y in zip(a, b, strict=True))
    return a is b or bool(a == b)


def same(expected: tuple[str, type, Any], actual: tuple[str, type, Any]) -> bool:
    if same_outcome(expected, actual):
        return True
    return expected[0] == actual[0] == "value" and same_value_or_object(expected[2], actual[2])


def check(jitted, name: str, args: tuple[Any, ...], kwargs: dict[str, Any] = {}) -> None:  # noqa: B006
    expected = outcome(PLAIN[name], args, kwargs)
    for attempt in range(REPEATS):
        actual = outcome(jitted, args, kwargs)
        assert same(expected, actual), (
            f"{name}(*{args!r}, **{kwargs!r}), call {attempt + 1}: jitcore {show_outcome(actual)}, "
            f"CPython {show_outcome(expected)}")


def arity(name: str) -> int:
    return len(FIRST_CALL[name])


# ---------------------------------------------------------------- systematic

@pytest.fixture(scope="module")
def compiled():
    """One jitted copy of each function, kept across tests: later tests see more signatures."""
    return {name: fresh(name) for name in NAMES}


@pytest.mark.parametrize("name", NAMES)
def test_wrong_arity(name, compiled):
    jitted = compiled[name]
    n = arity(name)
    for count in sorted({0, n - 1, n + 1, n + 2} - {n}):
        for filler in (5, 2.5, None, INT64_MAX):
            check(jitted, name, (filler,) * count)
    check(jitted, name, FIRST_CALL[name])  # and the native code still answers


@pytest.mark.parametrize("name", NAMES)
def test_keyword_arguments(name, compiled):
    jitted = compiled[name]
    params = PLAIN[name].__code__.co_varnames[:arity(name)]
    values = FIRST_CALL[name]
    check(jitted, name, (), dict(zip(params, values, strict=True)))                  # all by keyword
    check(jitted, name, values[:-1], {params[-1]: values[-1]})         # the last by keyword
    check(jitted, name, (), dict(zip(reversed(params), values, strict=True)))       # out of order
    check(jitted, name, values, {"zzz": 1})                            # unknown name
    check(jitted, name, values[:-1], {"zzz": 1})
    check(jitted, name, values, {params[0]: 1})                        # given twice
    check(jitted, name, (), {params[0]: values[0]})                    # some missing
    check(jitted, name, (), {})
    check(jitted, name, (), dict(zip(params, (INT64_MIN, INT64_MAX), strict=False)))
    check(jitted, name, (), dict(zip(params, (2**64, 1.5), strict=False)))
    # positional calls still take the native code afterwards, with the right answers
    check(jitted, name, values)
    assert (int,) * arity(name) in jitted.signatures


@pytest.mark.parametrize("name", NAMES)
def test_each_value_in_each_position(name, compiled):
    """Every value of VALUES in one position, the others ordinary ints or int64 edges."""
    jitted = compiled[name]
    n = arity(name)
    for value in VALUES:
        for pos in range(n):
            for other in (FIRST_CALL[name][1 - pos] if n == 2 else None, INT64_MAX, -1, 0):
                args = [other] * n
                args[pos] = value
                check(jitted, name, tuple(args))
        if n == 2:
            check(jitted, name, (value, value))


@pytest.mark.parametrize("name", NAMES)
def test_fresh_function_first_called_with_bad_input(name):
    """The first call after the int compile is the bad one, then ints again."""
    for value in (None, "a", 2**63, -(2**63) - 1, 10**30, True, 2.5, math.nan, -0.0,
                  MyInt(3), MyFloat(2.0), Index(3), FloatLike(1.5), Weird(2)):
        jitted = fresh(name)
        args = (value,) * arity(name)
        check(jitted, name, args)
        check(jitted, name, FIRST_CALL[name])
        check(jitted, name, (INT64_MIN,) + FIRST_CALL[name][1:])


def test_int_edges_all_pairs(compiled):
    """All pairs of conftest's int64 edges (and a few outside int64) for two-argument functions."""
    ints = INT64_EDGES + [2**63, -(2**63) - 1]
    for name in NAMES:
        jitted = compiled[name]
        if arity(name) == 1:
            for a in ints:
                check(jitted, name, (a,))
            continue
        for a in ints:
            for b in ints:
                check(jitted, name, (a, b))


@pytest.mark.parametrize("name", NAMES)
def test_floats_where_ints_were_seen(name, compiled):
    """Float and mixed signatures compile anew (or run in CPython) and agree bit for bit."""
    jitted = compiled[name]
    specials = FLOATS + [0.1, -2.5, 1e-300, 123456.789]
    others = specials[::2] + [0, 1, -1, INT64_MAX, INT64_MIN]
    if name in ("gcd", "egcd"):
        # nan and inf recurse until RecursionError, which takes jitcore ~15 ms a call
        # (CPython: ~0.3 ms): fewer pairs
        specials = [0.0, -0.0, 0.5, -2.5, 1e308, 5e-324, math.inf, math.nan]
        others = [0, 1, INT64_MAX, 3.0, math.nan]
    for a in specials:
        if arity(name) == 1:
            check(jitted, name, (a,))
            continue
        for b in others:
            check(jitted, name, (a, b))
            check(jitted, name, (b, a))


COUNTDOWN = """
def countdown(n):
    if n == 0:
        return 0
    return 1 + countdown(n - 1)
"""


@pytest.mark.parametrize("name, args", [
    ("countdown", (-1,)), ("countdown", (2.5,)), ("countdown", (math.nan,)),
    ("countdown", (-(2**63),)), ("countdown", (2**63,)), ("countdown", (MyInt(-1),)),
    ("gcd", (math.nan, 1)), ("gcd", (math.inf, 46)), ("egcd", (math.inf, 46)),
])
def test_runaway_recursion_raises_cpythons_recursion_error(name, args):
    """Recursion that never ends: CPython's RecursionError, with CPython's message."""
    if name == "countdown":
        plain = build_source(COUNTDOWN, name, lambda f: f)
        jitted = build_source(COUNTDOWN, name, jit)
        assert jitted(10) == 10 and jitted.signatures == [(int,)]
    else:
        plain, jitted = PLAIN[name], fresh(name)
    expected = outcome(plain, args, {})
    assert expected[1] is RecursionError
    for attempt in range(REPEATS):
        actual = outcome(jitted, args, {})
        assert same(expected, actual), (f"{name}{args!r}, call {attempt + 1}: jitcore "
                                        f"{show_outcome(actual)}, CPython {show_outcome(expected)}")


# ---------------------------------------------------------------- hypothesis

INTS = st.one_of(st.sampled_from(EDGE4), st.sampled_from(INT64_EDGES),
                 st.integers(-1000, 1000), st.integers(INT64_MIN, INT64_MAX))
ANYTHING = st.one_of(
    INTS,
    INTS,  # ints weigh double: mostly the compiled signature, with odd values mixed in
    st.sampled_from(HUGE), st.integers(-(2**80), 2**80),
    st.booleans(),
    st.sampled_from(FLOATS), st.floats(),
    st.sampled_from(ODD),
    INTS.map(MyInt), st.floats().map(MyFloat), st.integers(-50, 50).map(Index),
    st.floats(allow_nan=True).map(FloatLike),
    st.text(max_size=3), st.lists(st.integers(-3, 3), max_size=3), st.none(),
)


@st.composite
def calls(draw):
    name = draw(st.sampled_from(NAMES))
    n = arity(name)
    count = draw(st.sampled_from([n] * 6 + [0, n - 1, n + 1]))
    args = tuple(draw(ANYTHING) for _ in range(count))
    kwargs: dict[str, Any] = {}
    if draw(st.integers(0, 5)) == 0:  # some positional arguments passed by keyword instead
        params = PLAIN[name].__code__.co_varnames[:n]
        split = draw(st.integers(0, min(count, n)))
        kwargs = {p: a for p, a in zip(params[split:], args[split:], strict=False)}
        args = args[:split]
        if draw(st.booleans()):
            kwargs[draw(st.sampled_from(["zzz", params[0]]))] = draw(ANYTHING)
    return name, args, kwargs


HYPOTHESIS_COMPILED = {}


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(call=calls(), new=st.integers(0, 9))
@example(call=("intops", (INT64_MIN, INT64_MAX), {}), new=0)
@example(call=("intops", (INT64_MAX, -1), {}), new=1)
@example(call=("tup", (INT64_MIN, -1), {}), new=0)
@example(call=("gcd", (INT64_MIN, -1), {}), new=0)
@example(call=("egcd", (INT64_MIN, 0), {}), new=0)
@example(call=("nbits", (INT64_MIN,), {}), new=0)
@example(call=("walk", (INT64_MAX - 4, INT64_MAX), {}), new=0)
@example(call=("walk", (INT64_MIN, INT64_MAX), {}), new=0)
@example(call=("floaty", (INT64_MAX, 0), {}), new=0)
@example(call=("convert", (INT64_MIN, -1), {}), new=0)
@example(call=("logic", (INT64_MIN, INT64_MAX), {}), new=0)
def test_random_argument_mixes(call, new):
    name, args, kwargs = call
    if new == 0 or name not in HYPOTHESIS_COMPILED:  # sometimes a first call after the int compile
        HYPOTHESIS_COMPILED[name] = fresh(name)
    jitted = HYPOTHESIS_COMPILED[name]
    check(jitted, name, args, kwargs)
    # whatever came before, the int64 edges still give CPython's answers
    n = arity(name)
    for edges in ((INT64_MIN,) * n, (INT64_MAX,) * n, (0,) * n, (-1,) * n):
        check(jitted, name, edges)
    if name in ("intops", "tup", "gcd", "egcd", "nbits", "logic"):
        assert (int,) * n in jitted.signatures
