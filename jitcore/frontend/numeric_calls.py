"""Calls of the numeric builtins and of the math module's functions.

How each call translates: `abs`, `min`, `max`, `int`, `float`, `bool`,
`round`, `divmod` and `pow`, and the math functions (most of them calls of
the C helpers in csrc/numeric.c, which compute what CPython computes, bit
for bit). Each takes the translator and the call's arguments (stack items)
and returns the result's stack item; translate.py's do_call finds them by
the identity of the called object (_builtin_call, _keyword_call).

Loaded by the first compile that meets a C function: a function whose calls
are only of loops' builtins (range, len, enumerate, zip, in translate.py)
and of jitted functions never loads it, and its first call is lighter.
"""

from __future__ import annotations

import builtins
import math

from ..ir import BOOL, FLOAT, INT, Const, Operand
from .translate import NONE, TupleItems, _later, _numbers, _own
from .versions import NEXTAFTER_STEPS

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from .translate import Builtin, KeywordBuiltin, StackItem, _Translator


def _call_abs(t: _Translator, args: list[StackItem]) -> StackItem:
    (x,) = _numbers(t, args, "abs", 1, numpy=True)
    if x.type.numpy is not None:
        from .numpy_ops import unary  # (loaded by the first NumPy scalar)

        return unary(t, "abs", x)
    if x.type == FLOAT:
        return t.temp("fabs", FLOAT, [x])
    if x.type == BOOL:
        return t.as_int(x)
    return t.temp("abs", INT, [x], checked=True)


def _min_max(which: str):  # type: ignore[no-untyped-def]
    """min/max of 2+ numbers, Python's way: the first argument wins ties, and
    the result is the winning argument itself, with its type. With mixed types
    the comparisons are done in the widest type (ints exactly: see
    exact_float), tracking which type won; the rest of the block is then
    translated for each type the result may have (one_of)."""
    def call(t: _Translator, args: list[StackItem]) -> StackItem:
        if len(args) < 2:
            raise t.fail(f"{which}() of an iterable")
        ops = _numbers(t, args, which, numpy=True)
        if any(x.type.numpy is not None for x in ops):
            # NumPy scalars compare as Python's numbers do; the winner keeps its type
            if not all(x.type == ops[0].type for x in ops):
                raise t.fail(f"{which}() of NumPy scalars of different types (or with Python "
                             f"numbers): its result's type would depend on the values")
            same = ops[0]
            for x in ops[1:]:
                same = t.temp(("f" if x.type.is_float else "") + which, x.type, [same, x])
            return same
        ops = [t.python_scalar(x, f"{which}()") for x in ops]
        if all(x.type == ops[0].type for x in ops):
            same = ops[0]
            for x in ops[1:]:
                same = t.temp(("f" if same.type == FLOAT else "") + which, same.type, [same, x])
            return same
        wide = FLOAT if any(x.type == FLOAT for x in ops) else INT

        def convert(x: Operand) -> Operand:
            return x if x.type == wide else t.exact_float(x) if wide == FLOAT else t.as_int(x)
        types = list(dict.fromkeys(x.type for x in ops))  # the result's possible types
        result = convert(ops[0])
        winner: Operand = Const(types.index(ops[0].type))  # the index of the winner's type
        winners: dict[str, Operand] = {ops[0].type: ops[0]}  # the last winner of each type
        for x in ops[1:]:
            cx = convert(x)
            wins = t.compare("<" if which == "min" else ">", cx, result)
            result = t.temp("select", wide, [wins, cx, result])
            winner = t.temp("select", INT, [wins, Const(types.index(x.type)), winner])
            before = winners.get(x.type)
            winners[x.type] = x if before is None else t.temp("select", x.type, [wins, x, before])
        return t.one_of([(t.compare("==", winner, Const(k)), _later(winners.__getitem__, name))
                         for k, name in enumerate(types)])
    return call


def _call_int(t: _Translator, args: list[StackItem]) -> StackItem:
    (x,) = _numbers(t, args, "int", 1, numpy=True)
    if x.type.register == FLOAT:
        return t.temp("helper", INT, [t.numeric_as_float(x)], kind="float_to_int")
    return t.numeric_as_int(x)


def _call_float(t: _Translator, args: list[StackItem]) -> StackItem:
    (x,) = _numbers(t, args, "float", 1, numpy=True)
    return t.numeric_as_float(x)


def _call_bool(t: _Translator, args: list[StackItem]) -> StackItem:
    if len(args) != 1:
        t.deopt()
    return t.truth(args[0])


def _call_round(t: _Translator, args: list[StackItem]) -> StackItem:
    if len(args) == 2 and args[1] is NONE:
        args = args[:1]  # round(x, None) is round(x)
    if len(args) == 2:
        return _round_digits(t, args)
    (x,) = _numbers(t, args, "round", 1, numpy=True)
    if x.type.register == FLOAT:  # a Python int, for NumPy floats too
        return t.temp("helper", INT, [t.numeric_as_float(x)], kind="float_round")
    return t.as_int(t.python_scalar(x, "round()"))


def _round_digits(t: _Translator, args: list[StackItem]) -> StackItem:
    """round(x, ndigits): a float for a float x (float_round_digits), an int
    for an int or bool x (int_round_digits)."""
    x, ndigits = _numbers(t, args, "round() with ndigits", 2)
    if ndigits.type == FLOAT:
        t.deopt()  # TypeError: 'float' object cannot be interpreted as an integer
    ndigits = t.as_int(ndigits)
    if x.type == FLOAT:
        return t.temp("helper", FLOAT, [x, ndigits], kind="float_round_digits")
    if isinstance(ndigits, Const) and int(ndigits.value) >= 0:
        return t.as_int(x)
    return t.temp("helper", INT, [t.as_int(x), ndigits], kind="int_round_digits")


def _call_divmod(t: _Translator, args: list[StackItem]) -> StackItem:
    a, b = _numbers(t, args, "divmod", 2)
    return TupleItems([t.binary("//", a, b), t.binary("%", a, b)])


def _call_pow(t: _Translator, args: list[StackItem]) -> StackItem:
    """pow(a, b) (and pow(a, b, None)) is a ** b; pow(a, b, m) of ints a C
    helper (ValueError, a modular inverse: CPython's, by deopt)."""
    if len(args) == 3 and args[2] is NONE:
        args = args[:2]
    if len(args) == 2:
        a, b = _numbers(t, args, "pow", 2)
        if a.type in (INT, BOOL) and b.type in (INT, BOOL):
            return t.int_power(a, b)  # its type may depend on b's sign
        return t.binary("**", a, b)
    ops = _numbers(t, args, "pow", 3)
    if any(x.type == FLOAT for x in ops):
        t.deopt()  # TypeError: pow() 3rd argument not allowed unless all arguments are integers
    return t.temp("helper", INT, [t.as_int(x) for x in ops], kind="int_powmod")


def _math_float(helper: str) -> Builtin:
    def call(t: _Translator, args: list[StackItem]) -> StackItem:
        (x,) = _numbers(t, args, helper, 1, numpy=True)
        return t.temp("helper", FLOAT, [t.numeric_as_float(x)], kind=helper)
    return call


def _math_fabs(t: _Translator, args: list[StackItem]) -> StackItem:
    (x,) = _numbers(t, args, "fabs", 1, numpy=True)
    return t.temp("fabs", FLOAT, [t.numeric_as_float(x)])


def _math_round_to_int(helper: str) -> Builtin:
    def call(t: _Translator, args: list[StackItem]) -> StackItem:
        (x,) = _numbers(t, args, helper, 1)
        if x.type == FLOAT:
            return t.temp("helper", INT, [x], kind=helper)
        return t.as_int(x)
    return call


def _math_two(helper: str):  # type: ignore[no-untyped-def]
    def call(t: _Translator, args: list[StackItem]) -> StackItem:
        a, b = _numbers(t, args, helper, 2, numpy=True)
        return t.temp("helper", FLOAT, [t.numeric_as_float(a), t.numeric_as_float(b)], kind=helper)
    return call


def _math_isnan(t: _Translator, args: list[StackItem]) -> StackItem:
    (x,) = _numbers(t, args, "isnan", 1, numpy=True)
    if x.type.register != FLOAT:
        return Const(0, BOOL)
    x = t.numeric_as_float(x)
    return t.temp("fcmp", BOOL, [x, x], kind="ne")


def _math_isfinite(t: _Translator, args: list[StackItem]) -> StackItem:
    (x,) = _numbers(t, args, "isfinite", 1, numpy=True)
    if x.type.register != FLOAT:
        return Const(1, BOOL)
    x = t.numeric_as_float(x)
    magnitude = t.temp("fabs", FLOAT, [x])  # (nan < inf is false)
    return t.temp("fcmp", BOOL, [magnitude, Const(math.inf, FLOAT)], kind="lt")


def _math_angle(factor: float) -> Builtin:
    """math.degrees, math.radians: x times CPython's constant (180 / pi or pi / 180)."""
    def call(t: _Translator, args: list[StackItem]) -> StackItem:
        (x,) = _numbers(t, args, "an angle", 1, numpy=True)
        return t.temp("fmul", FLOAT, [t.numeric_as_float(x), Const(factor, FLOAT)])
    return call


def _math_trunc(t: _Translator, args: list[StackItem]) -> StackItem:
    """math.trunc: int(x) for a float (OverflowError, ValueError by deopt), x for an int."""
    (x,) = _numbers(t, args, "trunc", 1)
    if x.type == FLOAT:
        return t.temp("helper", INT, [x], kind="float_to_int")
    return t.as_int(x)


def _math_isinf(t: _Translator, args: list[StackItem]) -> StackItem:
    (x,) = _numbers(t, args, "isinf", 1, numpy=True)
    if x.type.register != FLOAT:
        return Const(0, BOOL)
    x = t.numeric_as_float(x)
    magnitude = t.temp("fabs", FLOAT, [x])
    return t.temp("fcmp", BOOL, [magnitude, Const(math.inf, FLOAT)], kind="eq")


def _math_log(t: _Translator, args: list[StackItem]) -> StackItem:
    """math.log(x) and math.log(x, base) (loghelper for each, then a division)."""
    if len(args) == 2:
        x, base = _numbers(t, args, "log", 2, numpy=True)
        return t.temp("helper", FLOAT, [t.numeric_as_float(x), t.numeric_as_float(base)],
                      kind="math_log_base")
    return _math_float("math_log")(t, args)


def _math_three(helper: str) -> Builtin:
    def call(t: _Translator, args: list[StackItem]) -> StackItem:
        ops = _numbers(t, args, helper, 3, numpy=True)
        return t.temp("helper", FLOAT, [t.numeric_as_float(x) for x in ops], kind=helper)
    return call


def _math_hypot(t: _Translator, args: list[StackItem]) -> StackItem:
    """math.hypot of 0 to 3 coordinates (vector_norm: one is its fabs)."""
    ops = [t.numeric_as_float(x) for x in _numbers(t, args, "hypot", numpy=True)]
    if not ops:
        return Const(0.0, FLOAT)
    if len(ops) == 1:
        return t.temp("fabs", FLOAT, ops)
    if len(ops) > 3:
        raise t.fail(f"math.hypot() of {len(ops)} coordinates (at most 3 compile)")
    return t.temp("helper", FLOAT, ops, kind="math_hypot" if len(ops) == 2 else "math_hypot3")


def _int_index(t: _Translator, x: Operand) -> Operand:
    """x as math's integer functions take it (operator.index): an int, a bool
    as its int; a float is their TypeError."""
    if x.type == FLOAT:
        t.deopt()
    return t.as_int(x)


def _math_ldexp(t: _Translator, args: list[StackItem]) -> StackItem:
    x, i = _numbers(t, args, "ldexp", 2, numpy=True)
    if i.type not in (INT, BOOL):
        t.deopt()  # TypeError: Expected an int as second argument to ldexp.
    return t.temp("helper", FLOAT, [t.numeric_as_float(x), t.as_int(i)], kind="math_ldexp")


def _math_split(first: str, second: str, second_type: str) -> Builtin:
    """math.frexp, math.modf: a pair, a helper call per item."""
    def call(t: _Translator, args: list[StackItem]) -> StackItem:
        (x,) = _numbers(t, args, first, 1, numpy=True)
        x = t.numeric_as_float(x)
        return TupleItems([t.temp("helper", FLOAT, [x], kind=first),
                           t.temp("helper", second_type, [x], kind=second)])
    return call


def _math_isclose(t: _Translator, args: list[StackItem], keywords: dict[str, StackItem]) -> StackItem:
    """math.isclose(a, b, *, rel_tol=1e-09, abs_tol=0.0)."""
    tolerances = {"rel_tol": Const(1e-09, FLOAT), "abs_tol": Const(0.0, FLOAT)}
    if len(args) != 2 or not set(keywords) <= set(tolerances):
        t.deopt()  # TypeError
    ops = [*args, *[keywords.get(name, default) for name, default in tolerances.items()]]
    floats = [t.numeric_as_float(x) for x in _numbers(t, ops, "isclose", numpy=True)]
    return t.temp("helper", BOOL, floats, kind="math_isclose")


def _math_nextafter(t: _Translator, args: list[StackItem], keywords: dict[str, StackItem]) -> StackItem:
    """math.nextafter(x, y) and (3.12+) math.nextafter(x, y, steps=n)."""
    steps = keywords.get("steps", NONE)
    if len(args) != 2 or set(keywords) - {"steps"} or (keywords and not NEXTAFTER_STEPS):
        t.deopt()  # TypeError
    x, y = [t.numeric_as_float(a) for a in _numbers(t, args, "nextafter", 2, numpy=True)]
    if steps is NONE:
        return t.temp("helper", FLOAT, [x, y], kind="math_nextafter")
    (n,) = _numbers(t, [steps], "nextafter()'s steps", 1)
    return t.temp("helper", FLOAT, [x, y, _int_index(t, n)], kind="math_nextafter_steps")


def _without_keywords(call: KeywordBuiltin) -> Builtin:
    return lambda t, args: call(t, args, {})


def _math_int(helper: str, count: int) -> Builtin:
    """math.isqrt, factorial, comb: of ints (bools too), an int (beyond int64: deopt)."""
    def call(t: _Translator, args: list[StackItem]) -> StackItem:
        ops = [_int_index(t, x) for x in _numbers(t, args, helper, count)]
        return t.temp("helper", INT, ops, kind=helper)
    return call


def _math_perm(t: _Translator, args: list[StackItem]) -> StackItem:
    if len(args) == 2 and args[1] is NONE:
        args = args[:1]  # perm(n, None) is perm(n): n!
    if len(args) == 1:
        return _math_int("math_factorial", 1)(t, args)
    return _math_int("math_perm", 2)(t, args)


def _math_gcd_lcm(helper: str, empty: int) -> Builtin:
    """math.gcd(*ints), math.lcm(*ints): pairwise, left to right."""
    def call(t: _Translator, args: list[StackItem]) -> StackItem:
        ops = [_int_index(t, x) for x in _numbers(t, args, helper)]
        if not ops:
            return Const(empty)
        result = ops[0]
        if len(ops) == 1:
            return t.temp("abs", INT, [result], checked=True)  # abs(-2**63): deopt
        for x in ops[1:]:
            result = t.temp("helper", INT, [result, x], kind=helper)
        return result
    return call


def _math_prod(t: _Translator, args: list[StackItem], keywords: dict[str, StackItem]) -> StackItem:
    """math.prod of a tuple (start=1): the products math_prod_impl's fast paths
    compute are those of `*` from the left (an int beyond int64: deopt)."""
    if len(args) != 1 or set(keywords) - {"start"}:
        t.deopt()  # TypeError
    if not isinstance(args[0], TupleItems):
        raise t.fail(f"math.prod() of {t.describe(args[0])} (only tuples compile)")
    product = t.operand(keywords.get("start", Const(1)), "math.prod()")
    for item in args[0].items:
        product = t.binary("*", product, t.operand(item, "math.prod()"))
    return product


# The numeric builtins (range, len, enumerate and zip are translate.py's).
BUILTIN_CALLS: dict[Any, Builtin] = {_own(builtins, name): call for name, call in {
    "abs": _call_abs, "min": _min_max("min"), "max": _min_max("max"), "int": _call_int,
    "float": _call_float, "bool": _call_bool, "round": _call_round, "divmod": _call_divmod,
    "pow": _call_pow,
}.items()}


# math functions of one float argument implemented by C helpers (csrc/numeric.c)
MATH_FLOAT_HELPERS = {_own(math, name): "math_" + name for name in (
    "sqrt", "exp", "log", "sin", "cos", "tan", "asin", "acos", "atan", "sinh", "cosh", "tanh",
    "asinh", "acosh", "atanh", "expm1", "log1p", "log2", "log10")}
# math functions some versions have (looked up, so that each Python compiles its own)
_OPTIONAL_FLOAT = {"exp2": "math_exp2", "cbrt": "math_cbrt"}
MATH_FLOAT_HELPERS.update({_own(math, name): helper for name, helper in _OPTIONAL_FLOAT.items()
                           if hasattr(math, name)})

MATH_CALLS: dict[Any, Builtin] = {  # looked up by identity: see _builtin_call
    **{fn: _math_float(name) for fn, name in MATH_FLOAT_HELPERS.items()},
    **{_own(math, name): _math_float(f"math_{name}")
       for name in ("erf", "erfc", "gamma", "lgamma", "ulp")},
    _own(math, "log"): _math_log,
    _own(math, "fabs"): _math_fabs,
    _own(math, "floor"): _math_round_to_int("float_floor"),
    _own(math, "ceil"): _math_round_to_int("float_ceil"),
    _own(math, "hypot"): _math_hypot,
    _own(math, "copysign"): _math_two("math_copysign"),
    _own(math, "atan2"): _math_two("math_atan2"),
    _own(math, "fmod"): _math_two("math_fmod"),
    _own(math, "remainder"): _math_two("math_remainder"),
    _own(math, "pow"): _math_two("math_pow"),
    _own(math, "ldexp"): _math_ldexp,
    _own(math, "frexp"): _math_split("math_frexp", "math_frexp_exponent", INT),
    _own(math, "modf"): _math_split("math_modf", "math_modf_integral", FLOAT),
    _own(math, "isclose"): _without_keywords(_math_isclose),
    _own(math, "prod"): _without_keywords(_math_prod),
    _own(math, "nextafter"): _without_keywords(_math_nextafter),
    _own(math, "isqrt"): _math_int("math_isqrt", 1),
    _own(math, "factorial"): _math_int("math_factorial", 1),
    _own(math, "comb"): _math_int("math_comb", 2),
    _own(math, "perm"): _math_perm,
    _own(math, "gcd"): _math_gcd_lcm("math_gcd", 0),
    _own(math, "lcm"): _math_gcd_lcm("math_lcm", 1),
    _own(math, "isnan"): _math_isnan,
    _own(math, "isfinite"): _math_isfinite,
    _own(math, "degrees"): _math_angle(180.0 / math.pi),
    _own(math, "radians"): _math_angle(math.pi / 180.0),
    _own(math, "trunc"): _math_trunc,
    _own(math, "isinf"): _math_isinf,
}
if hasattr(math, "fma"):  # 3.13
    MATH_CALLS[_own(math, "fma")] = _math_three("math_fma")

# Calls that take keywords: (translator, positional arguments, keywords) -> result.
KEYWORD_CALLS: dict[Any, KeywordBuiltin] = {
    _own(math, "isclose"): _math_isclose, _own(math, "nextafter"): _math_nextafter,
    _own(math, "prod"): _math_prod}


# By identity (see translate._BY_ID): id -> (the function, how its call translates).
BY_ID: dict[int, tuple[object, Builtin]] = {
    id(fn): (fn, call) for table in (BUILTIN_CALLS, MATH_CALLS) for fn, call in table.items()}
KEYWORDS_BY_ID: dict[int, tuple[object, KeywordBuiltin]] = {
    id(fn): (fn, call) for fn, call in KEYWORD_CALLS.items()}
