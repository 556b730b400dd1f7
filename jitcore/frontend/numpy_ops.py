"""Arithmetic, comparisons and stores of NumPy scalars, as NumPy computes them.

The translator calls these where an operand is a NumPy scalar (an element
of a NumPy array, or one passed as an argument): the result has the type
NumPy promotes to (numpy_rules.py), integers wrap where NumPy's wrap (with
its overflow warning issued in place: WarnSite), and everything NumPy warns
about or raises deopts, so that the re-run in CPython warns or raises as
NumPy does. Each function takes the translator (`t`) and operands, emits the
IR and returns the result.

Loaded by the first compile that meets a NumPy scalar (translate._numpy_ops).
"""

from __future__ import annotations

import math
import struct

from ..ir import BOOL, FLOAT, INT, NUMPY_SCALARS, Const, NumpyScalar, Operand, Value, WarnSite
from . import numpy_rules
from .translate import BITWISE, FLOAT_ARITH, FLOAT_HELPERS, INT_ARITH

TYPE_CHECKING = False
if TYPE_CHECKING:
    from .translate import _Translator


def binary(t: _Translator, symbol: str, a: Operand, b: Operand) -> Operand:
    """a <symbol> b with at least one NumPy scalar, as NumPy computes it:
    in the type NumPy promotes to, deopting where NumPy would warn or
    raise (the re-run in CPython then does)."""
    if symbol not in numpy_rules.OPERATORS:
        raise t.fail(f"operator {symbol} on NumPy scalars")
    name = numpy_rules.result_type(symbol, a.type, b.type)
    if name is None:
        t.deopt()  # NumPy raises (or gives a type native code does not hold)
    result = NUMPY_SCALARS[name]
    if result.kind == "f":
        fa, fb = float_operand(t, a, result), float_operand(t, b, result)
        if symbol in FLOAT_ARITH:
            x = t.temp(FLOAT_ARITH[symbol], name, [fa, fb])
            if result.bits == 32:  # exact: float32 +-*/ via doubles rounds once
                x = t.temp("fround32", name, [x])
            t.emit("fcheck", None, [x])  # overflow, inf - inf, ...: NumPy warns
        elif symbol in ("//", "%"):
            # NumPy's divmod of doubles is CPython's; of float32s its own, in single
            # precision (a zero divisor deopts: NumPy warns)
            kind = FLOAT_HELPERS[symbol] if result.bits == 64 else \
                "numpy_floordivf" if symbol == "//" else "numpy_modf"
            x = t.temp("helper", name, [fa, fb], kind=kind)
            t.emit("fcheck", None, [x], data="always")  # (lower.do_fcheck)
        elif symbol == "**":  # C's pow (powf for float32); inf or nan: NumPy may warn
            if name not in (a.type, b.type):
                # NumPy's scalar code calls pow() only when one operand has
                # the result's type; otherwise its ufunc loop computes it,
                # with results of its own (SIMD on some processors)
                raise t.fail(f"operator ** on {_numpy_name(a.type)} and {_numpy_name(b.type)}, "
                             f"which NumPy computes in its array loop")
            kind = "numpy_pow" if result.bits == 64 else "numpy_powf"
            x = t.temp("helper", name, [fa, fb], kind=kind)
            t.emit("fcheck", None, [x], data="always")
        else:
            raise t.fail(f"operator {symbol} on NumPy {name[3:]}")
        return x
    ops = [int_operand(t, x, y) for x, y in ((a, b), (b, a))]
    if result.kind == "b":  # NumPy's bool + is or, * is and
        logical = {"+": "|", "*": "&"}.get(symbol, symbol)
        if logical not in BITWISE:
            raise t.fail(f"operator {symbol} on NumPy bools")
        return t.temp(BITWISE[logical], name, ops)
    if symbol in BITWISE:  # stays within the type: no check
        return t.temp(BITWISE[symbol], name, ops)
    if symbol == "**":  # NumPy's integer power wraps, silently
        return wrapped(t, t.temp("helper", name, ops, kind="numpy_int_pow"), result)
    if symbol == "<<":  # wraps too; a count beyond the width gives 0
        return wrapped(t, t.temp("helper", name, ops, kind="numpy_shl"), result)
    if symbol == ">>":  # stays within the type
        return t.temp("helper", name, ops, kind="numpy_shr")
    if symbol not in INT_ARITH:
        raise t.fail(f"operator {symbol} on NumPy ints")
    op = INT_ARITH[symbol]
    if op in ("add", "sub", "mul") and not (result.kind == "u" and result.bits == 64):
        return wrapping(t, op, symbol, result, ops, (a.type, b.type))
    x = t.temp(op, name, ops, checked=op in ("add", "sub", "mul"))
    t.guard_range(x, *result.bounds())  # NumPy wraps, with a warning
    return x


def wrapping(t: _Translator, op: str, symbol: str, result: NumpyScalar, ops: list[Operand],
             types: tuple[str, str]) -> Operand:
    """a + b, a - b or a * b of NumPy int type `result`: NumPy wraps the
    result and warns ("overflow encountered in scalar add"), which the
    code does in place (a WarnSite: the warning is NumPy's own, issued by
    jitcore/raising.py; passes/records.py turns it into a deopt where a
    re-run could follow and show it twice). (A uint64 does not come here:
    an int64 register cannot hold one beyond 2**63.)"""
    from ..raising import register_warn_site  # (on first use: import jitcore stays light)

    site = WarnSite(register_warn_site(t.func, symbol, result.name, (str(types[0]), str(types[1])),
                                    t.offset, t.line), symbol, result.name)
    if result.bits == 64:  # int64: the processor's overflow flag is NumPy's overflow
        return t.temp(op, result.name, ops, checked=True, data=site)
    x = t.temp(op, INT, ops)  # exact in int64: 32-bit operands
    low_bits = wrapped(t, x, result)
    t.emit("warn", None, [t.temp("cmp", BOOL, [low_bits, x], kind="ne")], data=site)
    return low_bits


def wrapped(t: _Translator, x: Value, result: NumpyScalar) -> Operand:
    """x (an int64 holding a value modulo 2**64) as NumPy int type `result`
    holds it: modulo 2**bits, signed or not (a uint64 of 2**63 or more is
    no int64: deopt, as its load does)."""
    if result.bits == 64:
        if result.kind == "u":
            t.guard(t.compare(">=", x, Const(0)))
        return x
    low = t.temp("and", result.name, [x, Const((1 << result.bits) - 1)])
    if result.kind == "u":
        return low
    sign = Const(1 << (result.bits - 1))  # (low ^ sign) - sign sign-extends
    flipped = t.temp("xor", result.name, [low, sign])
    return t.temp("sub", result.name, [flipped, sign])


def float_operand(t: _Translator, x: Operand, result: NumpyScalar) -> Operand:
    """x converted to float type `result` as NumPy converts it."""
    scalar = x.type.numpy
    value = t.numeric_as_float(x)
    if result.bits == 32 and scalar is None and x.type != BOOL:
        # a Python int or float: rounded to float32 first (beyond its range: a warning)
        if isinstance(value, Const):
            rounded = _float32(float(value.value))
            if rounded is None or (math.isinf(rounded) and not math.isinf(float(value.value))):
                t.deopt()  # NumPy warns: overflow in the cast
            return Const(rounded, FLOAT)
        value = t.temp("fround32", FLOAT, [value])
        t.emit("fcheck", None, [value])
    return value


def int_operand(t: _Translator, x: Operand, other: Operand) -> Operand:
    """x as an int operand of NumPy integer arithmetic with `other`: a
    Python int must fit the NumPy type beside it (else NumPy raises
    OverflowError)."""
    if x.type == INT:
        scalar = other.type.numpy
        if scalar is not None and scalar.kind != "b":
            low, high = scalar.bounds()
            if isinstance(x, Const):
                if not low <= int(x.value) <= high:
                    t.deopt()
            else:
                t.guard_range(x, low, high)
        return x
    return t.numeric_as_int(x)


def compare(t: _Translator, cc: str, a: Operand, b: Operand) -> Operand:
    """A comparison with a NumPy scalar: an np.bool. Ints compare exactly
    (NumPy 2 does, also with Python ints out of the NumPy type's range);
    with a float both sides are converted as NumPy's arithmetic would."""
    ints = [x for x in (a, b) if x.type.register != FLOAT]
    if len(ints) == 2:
        return t.temp("cmp", "np.bool", [t.numeric_as_int(a), t.numeric_as_int(b)], kind=cc)
    name = numpy_rules.result_type("+", a.type, b.type)
    if name is None or NUMPY_SCALARS[name].kind != "f":
        t.deopt()
    result = NUMPY_SCALARS[name]
    return t.temp("fcmp", "np.bool", [float_operand(t, a, result), float_operand(t, b, result)],
                  kind=cc)


def unary(t: _Translator, symbol: str, a: Operand) -> Operand:
    """-a, +a, ~a or abs(a) of a NumPy scalar, of its type."""
    scalar = a.type.numpy
    assert scalar is not None
    if scalar.kind == "b":
        if symbol == "~":
            return t.temp("xor", a.type, [a, Const(1, BOOL)])
        if symbol == "abs":
            return a
        t.deopt()  # TypeError: NumPy bools refuse - and +
    if symbol == "+":
        return a
    if scalar.kind == "f":
        if symbol == "~":
            t.deopt()  # TypeError
        return t.temp("fneg" if symbol == "-" else "fabs", a.type, [a])
    if symbol == "~":
        if scalar.kind == "u":
            if scalar.bits == 64:
                t.deopt()  # ~x of a uint64 below 2**63 is above: no int64 holds it
            return t.temp("xor", a.type, [a, Const(2**scalar.bits - 1)])
        return t.temp("not", a.type, [a])
    if scalar.kind == "u" and symbol == "abs":
        return a
    x = t.temp("neg" if symbol == "-" else "abs", a.type, [a], checked=True)
    t.guard_range(x, *scalar.bounds())  # -int8(-128), -uint8(5): NumPy warns
    return x


def store_value(t: _Translator, target: NumpyScalar, value: Operand) -> Operand:
    """What `a[i] = value` stores into a NumPy array of `target`s, as
    NumPy converts it; a deopt where NumPy raises or warns."""
    source = value.type.numpy
    if target.kind == "b":
        return t.truth(value)  # any nonzero (or nan) is True
    if target.kind == "f":
        if source is not None and source.kind in "iu" and target.bits == 32 and source.bits > 16:
            # NumPy rounds such an int to float32 directly: only exact ones agree with a double
            t.guard_range(value, -(2**24), 2**24)
        x = t.numeric_as_float(value)
        if target.bits == 32 and not (source is not None and source.bits <= 32):
            rounded = t.temp("fround32", FLOAT, [x])
            t.emit("fcheck", None, [rounded])  # overflow to inf warns; nan stays with CPython
        return x
    if value.type == FLOAT or (source is not None and source.kind == "f"):
        # a float: to a Python int (nan, inf: ValueError, OverflowError), then range-checked
        x = t.temp("helper", INT, [t.numeric_as_float(value)], kind="float_to_int")
        t.guard_range(x, *target.bounds())
        return x
    x = t.numeric_as_int(value)
    if source is None or source.kind == "b":
        t.guard_range(x, *target.bounds())  # a Python int out of range: OverflowError
    return x  # a NumPy int of another type wraps, as C's cast does: its low bits are stored


def _float32(x: float) -> float | None:
    """x rounded to float32 (as a double), or None where that overflows."""
    try:
        return float(struct.unpack("<f", struct.pack("<f", x))[0])
    except OverflowError:
        return None


def _numpy_name(t: str) -> str:
    """How a message names an operand's type: "NumPy int64", or the Python type."""
    return f"NumPy {t[3:]}" if t.startswith("np.") else f"a Python {t}"
