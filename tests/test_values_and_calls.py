"""Values beyond one native number, and calls, natively (strict=True) with
CPython's results: None (locals, parameters, `is None`, returned alone or in a
tuple), tuples and ints beyond int64 held in locals, `in` on tuples, defaults
and keywords at calls, plain (undecorated) helpers compiled as if decorated.
Every function here runs in CPython too and the outcomes (value and type, or
exception) must match."""

from __future__ import annotations

import pytest
from conftest import INT64_EDGES, assert_same, outcome, ran_natively, same_outcome

from jitcore import CompileError, JitWarning, jit
from jitcore.calls import TupleKind


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


@jit(strict=True)
def nested_results(a, b):
    if a > b:
        return (a, b), (a - b, None, (b * 0.5,)), a > 0
    return (b, a), (b - a, None, (a * 0.5,)), ()


@jit(strict=True)
def takes_nested_results(a, b):
    (x, y), (d, nothing, (half,)), flag = nested_results(a, b)
    return x + y + d + half, nothing, flag, nested_results(b, a)[1][2]


def test_nested_tuples_are_returned_and_unpacked():
    """`return (a, b), (c, d)`: the result slots are flat, the shape nests
    (from Python, by the C fast path and without it, and to native callers,
    also from a callee returning different shapes on different paths)."""
    edges = [0, 1, -1, 7, 2**62, -(2**62), 2**63 - 1, -(2**63)]
    for a in edges:
        for b in edges[:5]:
            assert_same(nested_results, a, b)
            assert_same(takes_nested_results, a, b)
    assert ran_natively(takes_nested_results, 5, 3) == takes_nested_results.py_func(5, 3)
    slow = jit(nested_results.py_func, strict=True)
    assert slow._call_slow(3, 5) == nested_results.py_func(3, 5)  # (boxed in Python)


def test_nested_results_of_numpy_scalars():
    np = pytest.importorskip("numpy")

    @jit(strict=True)
    def pairs(x):
        return (x, (x * x,)), (float(x), None)

    for x in [np.int32(3), np.float32(-1.5), np.uint8(12)]:
        assert_same(pairs, x)


def test_is_compares_none_only():
    def same_ints(a, b):
        return a is b

    with pytest.raises(CompileError, match="'is' comparison"):
        jit(strict=True)(same_ints)(1, 2)


# -- `in` on tuples, plain helpers --------------------------------------------------------

@jit(strict=True)
def digit_kinds(n):
    odd_primes = 0
    others = 0
    for i in range(n):
        if i % 10 in (3, 5, 7):
            odd_primes += 1
        elif i % 10 not in (0, 2, 4, 6, 8, 1.0):
            others += 1
        if i * 0.5 in (1.5, 2, True):
            others += 100
    return odd_primes, others


def test_in_and_not_in_a_tuple():
    for n in [0, 1, 10, 37, 100]:
        assert_same(digit_kinds, n)


def nan_in_tuples(x, y):
    a = x
    return a in (x, 1.0), x in (y,), float(x) in (2.0, x), min(x, y) not in (x,), y in (0.5,)


def test_a_nan_is_in_a_tuple_that_holds_that_very_object():
    """CPython's `in` asks `is` first: `x in (x,)` is True for a NaN x, and
    for math.nan passed twice `x in (y,)` too; a NaN made apart is not in."""
    jitted = jit(strict=True)(nan_in_tuples)
    nan = float("nan")
    for x, y in [(nan, 2.0), (nan, nan), (nan, float("nan")), (1.0, 1.0), (0.5, nan), (-0.0, 0.0)]:
        assert_same(jitted, x, y)
    assert ran_natively(jitted, 1.0, 0.5) == nan_in_tuples(1.0, 0.5)  # (no NaN: native)


def clamp(x, lo, hi):  # a plain helper: compiled as if decorated
    if x < lo:
        return lo
    if x > hi:
        return hi
    return x


def sign(x):
    return (x > 0) - (x < 0)


def count_down(n):  # recursive, plain
    if n <= 0:
        return 0
    return 1 + count_down(n - 1)


@jit(strict=True)
def uses_plain_helpers(n, lo, hi):
    t = 0
    for i in range(-n, n):
        t += clamp(i, lo, hi) * sign(i - 1) + clamp(i * 0.5, -1.5, 2.5)
    return t + count_down(n)


def listing(x):
    return [x]


def uses_a_helper_outside_the_subset(x):
    return listing(x)


def test_plain_helpers_compile_as_if_decorated():
    for n, lo, hi in [(0, 0, 0), (5, -2, 3), (20, 3, -3), (40, -100, 100)]:
        assert_same(uses_plain_helpers, n, lo, hi)
    assert uses_plain_helpers.signatures == [(int, int, int)]
    with pytest.raises(CompileError) as info:
        jit(strict=True)(uses_a_helper_outside_the_subset)(3)
    # one root cause, where it is, and the calls that led there on one line
    here = __file__
    root = listing.__code__.co_firstlineno + 1
    call = uses_a_helper_outside_the_subset.__code__.co_firstlineno + 1
    assert str(info.value) == (
        f"{here}:{root}: cannot compile in listing(): list display in `return [x]` (called via "
        f"uses_a_helper_outside_the_subset() at {here}:{call}); hint: use a tuple, or pass a NumPy "
        f"array or array.array as an argument")
    assert info.value.construct == "list display"
    assert (info.value.filename, info.value.lineno, info.value.function) == (here, root, "listing")
    lenient = jit(uses_a_helper_outside_the_subset)
    with pytest.warns(JitWarning, match=r"listing"):
        assert lenient(3) == [3]


@jit(strict=True)
def with_tuples(a, b):
    p = (a, b * 0.5)
    q = (p, a - 1)
    x, y = p
    (u, v), w = q
    big = 2**70
    if a > 10:
        return big  # CPython returns the big int (a re-run)
    limit = 2**64
    if a < limit:  # compared exactly with the big int
        x += 1
    return x + y + p[0] + q[1] + u * v - w + (big > a)


def test_tuples_and_big_ints_in_locals():
    for a, b in [(0, 0), (3, 4), (11, 2), (-(2**63), 5), (2**63 - 1, -1)]:
        assert_same(with_tuples, a, b)


@jit(strict=True)
def enumerates(n, start):
    t = 0
    for i, v in enumerate(range(3, n, 2)):
        t += i * v
    for i, v in enumerate(range(n), start):
        t -= i ^ v
    for i, (a, b) in enumerate(zip(range(n), range(n, 0, -1))):  # noqa: B905 - as users write it
        t += i * a - b
    for a, b, c in zip(range(n), range(2 * n), range(5)):  # noqa: B905
        t += a * b + c
    return t


def test_enumerate_and_zip_over_ranges():
    for n in [0, 1, 2, 7, 30]:
        for start in [0, -3, 2**40]:
            assert_same(enumerates, n, start)


@jit(strict=True)
def weighted(a, b):
    s = 0.0
    for i, x in enumerate(a):
        s += i * x
    for x, y in zip(a, b):  # noqa: B905
        s -= x * y
    return s


def test_enumerate_and_zip_over_arrays():
    import array

    for k in [0, 1, 5]:
        a = array.array("d", [i * 0.5 for i in range(k)])
        b = array.array("d", [1.5] * (k + 2))
        assert_same(weighted, a, b)
        assert_same(weighted, b, a)


MATH_ONE = ["tan", "asin", "acos", "atan", "sinh", "cosh", "tanh", "asinh", "acosh", "atanh",
            "expm1", "log1p", "log2", "log10", "degrees", "radians", "isfinite", "trunc"]


@pytest.mark.parametrize("name", MATH_ONE)
def test_more_of_math(name):
    import math

    source = f"import math\ndef f(x):\n    return math.{name}(x)\n"
    namespace: dict = {}
    exec(compile(source, f"<math.{name}>", "exec"), namespace)
    jitted = jit(strict=True)(namespace["f"])
    values = [0.0, -0.0, 0.5, -0.5, 1.0, -1.0, 2.0, 1e-300, 710.0, -710.0, 1e308, math.inf,
              -math.inf, math.nan, 0, 1, -3, 2**53 + 1, 2**63 - 1, True]
    for x in values:
        if name == "trunc" or type(x) is not bool:
            assert_same(jitted, x)


@jit(strict=True)
def powers(a, b, m):
    return pow(a, b), pow(a, b, m), pow(a * 0.5, 2)


def test_pow_with_two_and_three_arguments():
    for a in INT64_EDGES[:12]:
        for b in [0, 1, 2, 3, 5, 63, -1]:
            for m in [1, -1, 7, -7, 2**63 - 1, -(2**63), 0]:
                assert_same(powers, a, b, m)


@jit(strict=True)
def over_tuples(x, y):
    t = 0.0
    for v in (1, x, 2.5, y, True):  # each item as it was when the loop began
        t += v
        x = 100
    for a, b in ((1, 2), (x, 3.5)):
        t += a * b
    k = 0
    for v in (3, 1, 4):
        if v == 1:
            continue
        if v > y:
            break
        k += v
    else:
        k -= 1
    for _v in ():
        k += 1000
    return t, k


def test_for_over_a_tuple():
    for x, y in [(3, 0.5), (-1, 10.0), (2**62, -0.0), (0, float("nan"))]:
        assert_same(over_tuples, x, y)


@jit(strict=True)
def keyword_calls(n):
    return (total(n, start=2) + total(n, scale=0.5, step=3) + total(n=n) + total(n, scale=2.0)
            + total(step=2, n=n, start=1))


@jit(strict=True)
def bad_keyword_call(n):
    return total(n, stride=2)


def test_keyword_arguments_at_native_calls():
    for n in [0, 1, 10, 33]:
        assert_same(keyword_calls, n)
        assert_same(bad_keyword_call, n)  # CPython's TypeError


# -- loops that need many translations ---------------------------------------------------

def drift(n, k):
    """At the loop's head a, b, c and d may each be an int or a float: 16
    combinations of local types, more than a block is compiled for (12)."""
    a = b = c = d = 0
    for i in range(n):
        if i == k:
            a = a + 0.5
        if i == k + 1:
            b = b + 0.5
        if i == k + 2:
            c = c + 0.5
        if i == k + 3:
            d = d + 0.5
        if i == k + 5:
            a = 1
    return a, b, c, d


def test_a_block_past_its_type_combinations_deopts_with_a_warning():
    """Paths that bring a block a 13th combination run in CPython (the call
    re-runs there): the rest stays native, one warning says where; strict
    refuses the function, with the same words."""
    line = drift.__code__.co_firstlineno
    with pytest.warns(JitWarning) as caught:
        jitted = jit(drift)
        for n in range(12):
            for k in range(-1, 8):
                assert_same(jitted, n, k)
    assert [str(w.message) for w in caught] == [
        f"{__file__}:{line + 13}: drift() runs natively, but more than 12 combinations of local "
        f"types reach line {line + 13} (locals change type in a loop?): calls that bring it "
        f"another one run in CPython"]
    with pytest.warns(JitWarning):  # (a fresh dispatcher warns again)
        assert ran_natively(jitted, 3, 1) == drift(3, 1)
    with pytest.raises(CompileError) as error:
        jit(strict=True)(drift)(3, 1)
    assert str(error.value) == (
        f"{__file__}:{line + 13}: cannot compile in drift(): more than 12 combinations of local types "
        f"reach line {line + 13} (locals change type in a loop?) in `if i == k + 5:`")


def long_tuple_loop_source(turns: int) -> str:
    body = "\n".join(f"            t = (t + v * {k} + i) % 1000.5" for k in range(turns))
    return (f"def long_loop(n, a, b):\n    t = 0.0\n    for v in (a, b, 1.5, a * b):\n"
            f"        for i in range(n):\n{body}\n    return t, v\n")


def test_a_tuple_loop_too_large_to_unroll_is_a_loop_that_picks_its_item():
    """`for v in (a, b, 1.5, a * b)` around a large body: not four copies of
    the body but one loop over the indices (the items have one type)."""
    namespace: dict = {}
    exec(long_tuple_loop_source(150), namespace)
    plain = namespace["long_loop"]
    jitted = jit(strict=True)(plain)
    for args in [(0, 1.0, 2.0), (5, 1.5, -2.0), (3, float("nan"), 0.25), (7, -0.0, 1e308)]:
        assert_same(jitted, *args)
    assert ran_natively(jitted, 4, 2.0, 3.0) == plain(4, 2.0, 3.0)
    assert len(jitted.compile(int, float, float).code) < 40000  # (unrolled, it would be four times)


def test_a_large_loop_over_items_of_different_types_names_the_construct():
    namespace: dict = {}
    exec(long_tuple_loop_source(150).replace("(a, b, 1.5, a * b)", "(a, b, 1, a * b)"), namespace)
    with pytest.raises(CompileError, match="for loop over a tuple of 4 items of different types"):
        jit(strict=True)(namespace["long_loop"])(1, 1.0, 2.0)


# -- messages: one line, the root cause, its source, the calls that led there, a hint ------

SCALE = [1.0, 2.0]
boxed = lambda x: [x]  # noqa: E731 - a lambda, on purpose


def prints(x):
    print(x)
    return x


def reads_a_list(x):
    return SCALE[0] * x


def calls_a_lambda(x):
    return boxed(x)


def reads_an_attribute(x):
    return x.real


def middle(x):
    return listing(x) if x else x


def outer(x):
    return middle(x + 1)


def message(func, *args):
    with pytest.raises(CompileError) as info:
        jit(strict=True)(func)(*args)
    return str(info.value)


def test_messages_name_the_root_cause_in_one_line():
    here = __file__

    def at(func, k=1):
        return f"{here}:{func.__code__.co_firstlineno + k}"

    assert message(prints, 1) == (
        f"{at(prints)}: cannot compile in prints(): global name 'print' (builtin_function_or_method) "
        f"in `print(x)`; hint: print outside the jitted function (or return what you would print)")
    assert message(reads_a_list, 1) == (
        f"{at(reads_a_list)}: cannot compile in reads_a_list(): global name 'SCALE' (list) in "
        f"`return SCALE[0] * x`; hint: jitted code reads int, float and bool globals (as "
        f"constants), functions, math and builtins: pass other objects as arguments")
    assert message(calls_a_lambda, 1) == (
        f"{at(boxed, 0)}: cannot compile in <lambda>(): list display in "
        f"`boxed = lambda x: [x]  # noqa: E731 - a lambda, on purpose` (called via "
        f"calls_a_lambda() at {at(calls_a_lambda)}); hint: use a tuple, or pass a NumPy array or "
        f"array.array as an argument")
    assert message(reads_an_attribute, 1) == (
        f"{at(reads_an_attribute)}: cannot compile in reads_an_attribute(): attribute access .real "
        f"in `return x.real`; hint: read the attribute before the call and pass its value as an "
        f"argument")
    assert message(outer, 1) == (
        f"{at(listing)}: cannot compile in listing(): list display in `return [x]` (called via "
        f"outer() at {at(outer)} -> middle() at {at(middle)}); hint: use a tuple, or pass a NumPy "
        f"array or array.array as an argument")
    assert message(outer, [1]) == (
        f"{at(outer, 0)}: cannot compile in outer(): parameter 'x' is a list: pass an array.array "
        f"or a NumPy array instead (native code reads buffers) in `def outer(x):`")


# -- f-strings in the messages of raise and assert -------------------------------------

CHECKED_RATIO = """
def checked_ratio(n, x, flag):
    if n < 0:
        raise ValueError(f"n must be >= 0, got {n} (x={x:.3f}, {x!r}, {flag}, {flag!s:>6}|{None})")
    if x != x:
        raise ArithmeticError(f"{x}", "not a number", n)
    assert n < 100, f"too big: {n:_} {n:#x} {x:e} {x!a} {n!r:^9} {1.5:.1%}"
    assert n != 7, f"{n}"
    if n == 13:
        raise OverflowError(f"{n:q}")  # (CPython raises a ValueError making the message)
    return n * x
"""
namespace: dict = {}
exec(compile(CHECKED_RATIO, "<checked_ratio>", "exec"), namespace)  # (pytest rewrites asserts here)
checked_ratio = jit(strict=True)(namespace["checked_ratio"])


def test_f_strings_make_the_messages_of_raise_and_assert():
    for n in [-1, -(2**63), 0, 3, 7, 13, 99, 100, 2**63 - 1]:
        for x in [1.5, -0.0, float("nan"), float("inf"), 1e300, 2.5e-310]:
            for flag in [True, False]:
                assert_same(checked_ratio, n, x, flag)


def test_f_strings_of_numpy_scalars_and_the_limits():
    np = pytest.importorskip("numpy")

    @jit(strict=True)
    def check(a, b):
        if a > b:
            raise ValueError(f"a={a} b={b:.2f} {a!r}")
        return a - b

    for a, b in [(np.int32(5), np.float32(1.5)), (np.uint8(3), np.float64(-2.0))]:
        assert_same(check, a, b)

    def computed_spec(n, w):
        if n < 0:
            raise ValueError(f"{n:{w}}")
        return n

    def stored_message(n):
        message = f"{n}"
        raise ValueError(message)

    with pytest.raises(CompileError, match="f-string with a computed format spec"):
        jit(strict=True)(computed_spec)(1, 5)
    with pytest.raises(CompileError, match="assigning an f-string"):
        jit(strict=True)(stored_message)(1)


# -- tuple arguments ------------------------------------------------------------------------

def norm2(p):
    return p[0] * p[0] + p[1] * p[1]


def dist2(p, q):
    return norm2((p[0] - q[0], p[1] - q[1]))


@jit(strict=True)
def walk(n, start=(0.0, 0.0)):
    t = 0.0
    a = start
    for i in range(n):
        b = (i * 0.5, i % 3)
        t += dist2(a, b)  # tuples passed natively, to plain helpers
        a = b
    return t, a


@jit(strict=True)
def unpacks(p, q):
    (x, (y, z)), w = p, q
    if z is None:
        return x + y, w
    return x * y - z, w[0] if len(w) == 2 else w  # (w: nested or a tuple of one)


def test_tuples_are_arguments_from_python_and_between_native_functions():
    for n in [0, 1, 7, 30]:
        assert_same(walk, n)
        assert_same(walk, n, (1, 2))
        assert_same(walk, n, (True, -2.5))
    assert ran_natively(walk, 5, (1.5, 2.5)) == walk.py_func(5, (1.5, 2.5))
    for p, q in [((1, (2, None)), (3, 4.5)), ((1.5, (2, 3)), (True,)), ((2**62, (4, -1)), (0, 0)),
                 ((-(2**63), (1, 0)), (1, 1)), ((1, (2**63, 1)), (0, 0)),  # beyond int64: CPython
                 ((1, (2, 3)), ((1, 2), 3))]:
        assert_same(unpacks, p, q)
    assert (int, TupleKind((int, int))) in walk.signatures


def test_tuple_arguments_native_code_does_not_take_are_named():
    np = pytest.importorskip("numpy")

    def first(p):
        return p[0]

    for p in [(np.float32(1.5), np.int8(-3)), ((), 1), (None,)]:
        assert_same(jit(strict=True)(first), p)
    with pytest.raises(CompileError, match=r"parameter 'p' is a tuple\(list, int\): native code "
                                           r"takes tuples of int, float, bool, None"):
        jit(strict=True)(first)(([1], 2))
    with pytest.raises(CompileError, match="32 numbers at most"):
        jit(strict=True)(first)(tuple(range(33)))
    lenient = jit(first)
    assert lenient(([1], 2)) == [1] and lenient(tuple(range(33))) == 0  # (in CPython, quietly)


# -- strict callees in a re-run ------------------------------------------------------------

def magnitude(z):
    return abs(z) + 1


def root_magnitude(x):
    r = 0.0
    if x < 0:
        r = x ** 0.5  # a complex for x < 0: this call re-runs in CPython
    return magnitude(r)


strict_magnitude = jit(strict=True)(magnitude)


def root_strict_magnitude(x):  # root_magnitude, calling the strict one
    r = 0.0
    if x < 0:
        r = x ** 0.5
    return strict_magnitude(r)


def test_a_strict_callee_in_a_re_run_does_what_cpython_does():
    """A strict function's native code was fine for its arguments; a value
    only the re-run in CPython computes (a complex) reaches a strict callee,
    which must then do what CPython does, not raise CompileError. Called by
    the user with such a value, it still refuses."""
    caller = jit(strict=True)(root_strict_magnitude)
    for x in [4.0, -4.0, 0.0, -0.0, float("-inf"), -1e308, 2.5e-310]:
        assert same_outcome(outcome(root_magnitude, (x,)), outcome(caller, (x,))), x
    with pytest.raises(CompileError, match="parameter 'z' is a complex"):
        strict_magnitude(2j)
    assert strict_magnitude(2.0) == 3.0
