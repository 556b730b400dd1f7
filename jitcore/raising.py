"""CPython's own exceptions and NumPy's own warnings where native code meets them.

Exceptions (abi.STATUS_RAISE).

Native code that finds an index out of range does not re-run the call in
CPython (which would need its stores taken back first, passes/records.py):
it returns the site (ir.RaiseSite) and the operand values, and the caller
evaluates that one subscript in Python, `a[i]` or `a[i] = x`, with the
argument and the values. The exception is then CPython's own for whatever the
buffer is (NumPy's "index 5 is out of bounds for axis 0 with size 5",
array's "array assignment index out of range", bytearray's ValueError for a
byte value it checks before the index, ...), with no message written here.

The subscript is evaluated in a code object made for the site: compiled with
the function's file name, the subscript on the function's line and at its
columns (3.11+ tracebacks underline them), renamed to the function, run
with the function's globals. So the traceback ends in a frame that reads as
the function's own at the failing line, as a call CPython ran would
(its locals are not the function's: only the names the subscript uses).

Warnings (ir.WarnSite). A NumPy integer add, subtract or multiply that
overflows wraps and warns; native code wraps too, and calls warn_at (through
csrc/inplace.c, with the GIL) to warn as NumPy would: it runs that operation
on two values of the operands' types that overflow (whether and how NumPy
warns depends on the operation and those types, not on the values: np.bool_ +
an int goes through NumPy's ufunc loop, which does not), in a code object made as above,
so np.errstate, warning filters and the warnings registry see NumPy's
own warning from the function's line. If that raises (errstate "raise", a
filter "error"), the call raises it, keeping what it did so far.
"""

from __future__ import annotations

import struct
import threading
import weakref
from collections.abc import Sequence
from functools import lru_cache
from types import CodeType, FunctionType

from .ir import BOOL, FLOAT, INT, NUMPY_SCALARS, RaiseSite, type_named

TYPE_CHECKING = False
if TYPE_CHECKING:  # (typing is slow to import; see jitcore/ir.py)
    from typing import Any

_INDEX_NAMES = ("i", "j")


def exception_at(func: FunctionType, site: RaiseSite, args: Sequence[Any],
                 bits: Sequence[int]) -> BaseException:
    """The exception CPython raises at `site` of func called with `args`,
    the site's operands being the 64-bit slots `bits` (abi.STATUS_RAISE)."""
    values = [_value(b, t) for b, t in zip(bits, site.types, strict=False)]
    code = _site_code(func.__code__, func.__name__, func.__qualname__, site)
    if site.kind == "raise":  # a raise statement or a failed assert: make that exception
        cls, template = site.raised
        try:
            args = tuple(_formatted(x, values) if how == "format" else values[x] if how == "operand"
                         else x for how, x in template)
        except Exception as exc:  # noqa: BLE001 - formatting the message raised: CPython's too
            return exc
        if code.co_names and code.co_names[0].startswith("F"):  # `assert F, M` (see _raise_text)
            return _raised(code, func, {code.co_names[0]: False, "M": args[0] if args else None})
        return _raised(code, func, {name: cls(*args) for name in code.co_names})  # `raise E`
    count = len(site.types) - (site.kind == "store")
    names: dict[str, Any] = dict(zip(_INDEX_NAMES, values[:count], strict=False))
    names["o"] = args[site.param]
    if site.kind == "store":
        names["v"] = values[-1]
    return _raised(code, func, names)


def _formatted(parts: tuple[Any, ...], values: Sequence[Any]) -> str:
    """An f-string's text: its constant parts, and its values converted
    (!s, !r, !a) and formatted by their spec, as CPython makes it."""
    text = []
    for p in parts:
        if type(p) is str:
            text.append(p)
            continue
        (how, x), conversion, spec = p
        value = values[x] if how == "operand" else x
        if conversion:
            value = (str, repr, ascii)[conversion - 1](value)
        text.append(format(value, spec))
    return "".join(text)


def _raised(code: CodeType, func: FunctionType, names: dict[str, Any]) -> BaseException:
    """What running a site's code raises, which it must."""
    return _run(code, func, names) or SystemError(
        f"jitcore: native code of {func.__qualname__} raised where CPython does not; please report this")


def _run(code: CodeType, func: FunctionType, names: dict[str, Any]) -> BaseException | None:
    """Run a site's code with func's globals: None, or what it raised (its
    traceback from the site's frame on, for the call to raise)."""
    try:
        exec(code, func.__globals__, names)
    except BaseException as exc:  # noqa: BLE001 - it is the call's: the caller raises it
        tb = exc.__traceback__
        return exc.with_traceback(tb.tb_next if tb is not None else None)
    return None


def _code_at(code: CodeType, name: str, qualname: str, line: int | None, text: str) -> CodeType:
    """`text` compiled as line `line` of code's file, named as the function."""
    from .frontend import versions  # (not at import: the front end imports this module)

    line = line if line is not None else code.co_firstlineno
    return versions.renamed(compile("\n" * (line - 1) + text + "\n", code.co_filename, "exec"),
                            name, qualname)


def _value(bits: int, t: str) -> Any:
    """The Python value of IR type t held in 64 bits (as a tuple element is)."""
    u = type_named(t)
    if u.register == FLOAT:
        value: Any = struct.unpack("<d", struct.pack("<q", bits))[0]
    else:
        value = bits
    if u == FLOAT or u == INT:
        return value
    if u == BOOL:
        return value != 0
    import numpy  # a NumPy operand: NumPy arrays came in

    return getattr(numpy, NUMPY_SCALARS[u].name[3:])(value)


@lru_cache(maxsize=256)
def _site_code(code: CodeType, name: str, qualname: str, site: RaiseSite) -> CodeType:
    from .frontend import versions

    columns = versions.source_columns(code, site.offset)
    if site.kind == "raise":
        return _code_at(code, name, qualname, site.line, _raise_text(site, columns))
    count = len(site.types) - (site.kind == "store")
    index = ",".join(_INDEX_NAMES[:count])
    target = f"o[{index}]"
    indent = 0
    if columns is not None and columns[1] - columns[0] >= len(target):
        indent = columns[0]  # the subscript spans the source's: pad it inside the brackets
        target = f"o[{index}{' ' * (columns[1] - columns[0] - len(target))}]"
    if indent:  # (a statement cannot be indented here; a parenthesized target can)
        target = "(" + " " * (indent - 1) + target + ")"
    return _code_at(code, name, qualname, site.line, target + (" = v" if site.kind == "store" else ""))


def _raise_text(site: RaiseSite, columns: tuple[int, int] | None) -> str:
    """A statement raising the site's exception whose raise spans `columns`
    (as a traceback underlines them): `raise EEE` (the exception, made
    beforehand, under a name as long as it takes) over a raise statement, or
    `assert FFF, M` over a failed assert's condition (shorter than any raise);
    at the line's start where the columns are not known."""
    cls, template = site.raised
    if columns is None:
        return "raise E"
    start, width = columns
    width -= start

    def at(column: int) -> str | None:  # (a statement may not be indented)
        return "" if column == 0 else "0;" + " " * (column - 2) if column >= 2 else None

    if width >= 7 and at(start) is not None:
        return f"{at(start)}raise {'E' * (width - 6)}"
    if cls is AssertionError and len(template) <= 1 and width >= 1 and at(start - 7) is not None:
        # CPython locates a failed assert by its test (here a comparison where it fits)
        test = "F" * width if width < 3 else "F" + " " * (width - 3) + "<F"
        return f"{at(start - 7)}assert {test}" + (", M" if template else "")
    return "raise E"


# -- warnings ------------------------------------------------------------------

# Each warn site once: (function, symbol, type, offset, line) by number. The
# number is in machine code, so sites are never removed; one per operation
# of compiled code, and a function recompiled finds its own again.
_warn_sites: list[tuple[weakref.ref[FunctionType], str, str, tuple[str, str], int, int | None]] = []
_warn_numbers: dict[tuple[CodeType, str, str, tuple[str, str], int], int] = {}
_warn_lock = threading.Lock()

_OPERATIONS = {"+": "a+b", "-": "a-b", "*": "a*b"}


def register_warn_site(func: FunctionType, symbol: str, type_name: str, operands: tuple[str, str],
                       offset: int, line: int | None) -> int:
    """The number of the warn site for `symbol` with a result of NumPy type
    `type_name`, on operands of IR types `operands`, at bytecode `offset` of
    func (ir.WarnSite.id)."""
    key = (func.__code__, symbol, type_name, operands, offset)
    with _warn_lock:
        number = _warn_numbers.get(key)
        if number is None or _warn_sites[number][0]() is not func:
            number = len(_warn_sites)
            _warn_sites.append((weakref.ref(func), symbol, type_name, operands, offset, line))
            _warn_numbers[key] = number
        return number


def warn_at(number: int) -> BaseException | None:
    """Warn as NumPy does when the operation of warn site `number` overflows
    (called by csrc/inplace.c with the GIL): None, or the exception the
    warning became, for the call to raise."""
    func, symbol, type_name, operands, offset, line = _warn_sites[number]
    f = func()
    if f is None:  # (its code cannot run any more)
        return None
    a, b = _overflowing(symbol, type_name, operands)
    return _run(_operation_code(f.__code__, f.__name__, f.__qualname__, symbol, offset, line), f,
                {"a": a, "b": b})


def _overflowing(symbol: str, type_name: str, operands: tuple[str, str]) -> tuple[Any, Any]:
    """Two values of the operands' types (NumPy's or Python's) whose `symbol`
    leaves NumPy type `type_name`: NumPy warns, or not, as it would for the
    values that overflowed (which path NumPy takes, and so whether it warns,
    depends on the types: np.bool_ + a Python int goes through the ufunc
    loop, which does not warn, np.int64 + a Python int through scalar math,
    which does)."""
    import numpy

    low, high = NUMPY_SCALARS[type_name].bounds()

    def candidates(t: str) -> list[int]:
        if t in (BOOL, "np.bool"):
            return [1, 0]
        lo, hi = NUMPY_SCALARS[t].bounds() if t in NUMPY_SCALARS else (low, high)
        return [v for v in (hi, lo, 1, -1, 2, 0) if lo <= v <= hi]

    def typed(t: str, v: int) -> Any:
        if t == INT:
            return v
        if t == BOOL:
            return bool(v)
        return getattr(numpy, NUMPY_SCALARS[t].name[3:])(v)

    def exact(x: int, y: int) -> int:
        return x + y if symbol == "+" else x - y if symbol == "-" else x * y

    for x in candidates(operands[0]):
        for y in candidates(operands[1]):
            if not low <= exact(x, y) <= high:
                return typed(operands[0], x), typed(operands[1], y)
    t = getattr(numpy, type_name[3:])  # (not reached: the extremes overflow)
    return t(high), t(high)


@lru_cache(maxsize=256)
def _operation_code(code: CodeType, name: str, qualname: str, symbol: str, offset: int,
                    line: int | None) -> CodeType:
    from .frontend import versions

    text = _OPERATIONS[symbol]
    columns = versions.source_columns(code, offset)
    if columns is not None and columns[0] > 0 and columns[1] - columns[0] >= len(text):
        # spanning the source's columns (as a traceback underlines them)
        text = "(" + " " * (columns[0] - 1) + text[:2] + " " * (columns[1] - columns[0] - 3) + "b)"
    return _code_at(code, name, qualname, line, text)
