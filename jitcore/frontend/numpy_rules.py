"""What type NumPy gives an operation on NumPy scalars, asked of NumPy itself.

The elements of a NumPy array are NumPy scalars (ir.NUMPY_SCALARS), whose
arithmetic follows NumPy 2's promotion rules (NEP 50): a Python int, float or
bool beside a NumPy scalar is "weak" and takes the NumPy operand's type
(`np.float32(1) + 0.1` is a float32), two NumPy scalars promote as arrays do
(`int8 + uint8` is int16, `uint64 + int64` float64), and an int with a float
gives a float. Rather than copying NumPy's tables here, the front end asks the
installed NumPy once per (operator, types): it runs the operation on sample
values (ones) and reads the type of the result. NumPy is imported only when a
function is compiled for NumPy arguments.

The values themselves are computed by native code; translate.py checks the
cases where NumPy warns or raises (overflow, division by zero, a Python int
out of the NumPy type's range, a non-finite float result) and leaves those
calls to CPython, which then warns or raises exactly as NumPy does.
"""

from __future__ import annotations

from ..ir import BOOL, FLOAT, INT, NUMPY_BY_CODE, NUMPY_SCALARS

TYPE_CHECKING = False
if TYPE_CHECKING:  # (typing, functools, collections.abc are slow to import; see jitcore/ir.py)
    from collections.abc import Callable
    from typing import Any

# The operators whose result type is asked of NumPy (lambdas rather than the
# operator module: a first call pays for each import).
OPERATORS: dict[str, Callable[[Any, Any], Any]] = {
    "+": lambda a, b: a + b, "-": lambda a, b: a - b, "*": lambda a, b: a * b,
    "/": lambda a, b: a / b, "//": lambda a, b: a // b, "%": lambda a, b: a % b,
    "&": lambda a, b: a & b, "|": lambda a, b: a | b, "^": lambda a, b: a ^ b,
    "**": lambda a, b: a ** b, "<<": lambda a, b: a << b, ">>": lambda a, b: a >> b,
}


def _sample(t: str) -> Any:
    """A value of IR type t for NumPy to compute with: a one."""
    if t == INT:
        return 1
    if t == BOOL:
        return True
    if t == FLOAT:
        return 1.0
    import numpy

    return numpy.dtype(NUMPY_SCALARS[t].code).type(1)


_RESULT_TYPES: dict[tuple[str, str, str], str | None] = {}


def result_type(symbol: str, a: str, b: str) -> str | None:
    """The IR type of `a <symbol> b` for IR types a and b (at least one a
    NumPy type), or None where NumPy refuses it or gives a type native code
    does not hold (a float16, an object). Asked of NumPy once per question."""
    key = (symbol, a, b)
    if key not in _RESULT_TYPES:
        _RESULT_TYPES[key] = _ask_numpy(symbol, a, b)
    return _RESULT_TYPES[key]


def _ask_numpy(symbol: str, a: str, b: str) -> str | None:
    import warnings  # (here: only programs that use NumPy need it)

    import numpy

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            result = OPERATORS[symbol](_sample(a), _sample(b))
        except (TypeError, ValueError, ArithmeticError):
            return None
    if not isinstance(result, numpy.generic):
        return None
    scalar = NUMPY_BY_CODE.get(result.dtype.char)
    if scalar is None or numpy.dtype(scalar.code).type is not type(result):
        return None
    return scalar.name
