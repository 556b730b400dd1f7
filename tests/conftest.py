"""Shared test helpers: differential comparison against CPython.

"The same" is strict: the same type (bool is not int, int is not float),
floats bit for bit (-0.0 is not 0.0) except that any NaN equals any NaN,
tuples element by element, and the same exception type with the same message.
"""

from __future__ import annotations

import math
import struct
from typing import Any

import pytest

from jitcore import dispatcher, jit
from jitcore.dispatcher import _fastcall

INT64_EDGES = [0, 1, -1, 2, -2, 3, 7, 10, 2**31 - 1, -(2**31), 2**31, 2**32, -(2**32),
               2**62, -(2**62), 2**63 - 1, -(2**63), 2**63 - 2, -(2**63) + 1, 3037000499,
               3037000500, -3037000500]


# -- adaptive deopts -----------------------------------------------------------------
# A signature whose calls keep deopting runs its next calls in CPython for a
# while (csrc/fastcall.c): a differential test would then compare CPython
# with itself. The suite turns that off; tests of it ask for `adaptive`.
def pytest_configure(config):
    if _fastcall is not None:
        _fastcall._set_adaptive(False)


@pytest.fixture
def adaptive():
    if _fastcall is None:
        pytest.fail("the C fast path (jitcore._fastcall) was not built")
    previous = _fastcall._set_adaptive(True)
    yield
    _fastcall._set_adaptive(previous)


# -- internal errors ----------------------------------------------------------------
# A compile that fails with an unexpected exception falls back to CPython (the
# user's call still works), but it is a jitcore bug: any test during which one
# happens fails, unless it is marked @pytest.mark.internal_errors_expected
# (tests of the fallback itself); and so does the session if one happened
# outside any test (in a module-scoped fixture, say).
_expected_internal_errors = [0]


@pytest.fixture(autouse=True)
def _no_internal_errors(request):
    before = dispatcher.internal_error_count()
    yield
    new = dispatcher.internal_error_count() - before
    if request.node.get_closest_marker("internal_errors_expected"):
        _expected_internal_errors[0] += new
    elif new:
        pytest.fail(f"{new} internal compile error(s) fell back to CPython:\n"
                    + "\n".join(dispatcher.internal_errors()[-new:]), pytrace=False)


def pytest_sessionfinish(session, exitstatus):
    unexplained = dispatcher.internal_error_count() - _expected_internal_errors[0]
    if unexplained > 0:
        print(f"\n{unexplained} internal compile error(s) fell back to CPython outside any test:")
        print("\n".join(dispatcher.internal_errors()[-unexplained:]))
        session.exitstatus = 1


def outcome(func, args):
    """What calling func(*args) does: ('value', type, value) or ('raise', type, message)."""
    try:
        result = func(*args)
    except Exception as exc:  # noqa: BLE001 - comparing exceptions is the point
        return ("raise", type(exc), str(exc))
    return ("value", type(result), result)


def assert_same(jitted, *args):
    """jitted(*args) does exactly what CPython does: see same_outcome."""
    expected = outcome(jitted.py_func, args)
    actual = outcome(jitted, args)
    assert same_outcome(expected, actual), (
        f"{jitted.__name__}{args}: jitcore {show_outcome(actual)}, CPython {show_outcome(expected)}")


def same_value(a: Any, b: Any) -> bool:
    """Same type, floats by bits (any NaN equals any NaN), tuples element-wise."""
    if a is b:
        return True  # also objects that refuse ==
    if type(a) is not type(b):
        return False
    if type(a) is float:
        if math.isnan(a) and math.isnan(b):
            return True
        return struct.pack("<d", a) == struct.pack("<d", b)
    if type(a) is complex:
        return same_value(a.real, b.real) and same_value(a.imag, b.imag)
    if type(a) is tuple:
        return len(a) == len(b) and all(same_value(x, y) for x, y in zip(a, b, strict=False))
    if type(a).__module__ == "numpy" and hasattr(a, "dtype"):  # arrays and NumPy scalars
        import numpy as np

        return a.dtype == b.dtype and bool(np.array_equal(a, b, equal_nan=a.dtype.kind in "fc"))
    return bool(a == b)


def same_outcome(expected: tuple[Any, ...], actual: tuple[Any, ...]) -> bool:
    if expected[0] != actual[0] or expected[1] is not actual[1]:
        return False
    if expected[0] == "raise":
        if expected[1] is RecursionError:
            # CPython words it by the counter that ran out: 3.12 keeps separate
            # budgets for Python frames ("...exceeded") and C calls ("...exceeded
            # in comparison"), and a jitted function's calls pass through C.
            return all(m.startswith("maximum recursion depth exceeded")
                       for m in (expected[2], actual[2]))
        return expected[2] == actual[2]  # CPython's exact message
    return same_value(expected[2], actual[2])


def show(value: Any) -> str:
    if type(value) is float:
        return f"{value!r} [{value.hex()}]"
    if type(value) is tuple:
        inner = ", ".join(show(v) for v in value)
        return f"({inner}{',' if len(value) == 1 else ''})"
    return repr(value)


def show_outcome(result: tuple[Any, ...]) -> str:
    kind, typ, payload = result
    if kind == "raise":
        return f"raised {typ.__name__}({payload!r})"
    return f"returned {typ.__name__} {show(payload)}"


def ran_natively(jitted, *args):
    """jitted(*args), failing if any of it ran in CPython (after a first call,
    which compiles it). The check runs on a fresh dispatcher: one whose calls
    deopted in a row in other tests runs its next calls in CPython for a while."""
    jitted(*args)  # (the signature, for the tests that look for it)
    jitted = jit(jitted.py_func, strict=jitted.strict)
    jitted(*args)
    real = jitted.py_func

    def refuse(*a):
        raise AssertionError(f"{jitted.__name__}{a} ran in CPython")

    jitted.py_func = refuse
    try:
        return jitted(*args)
    finally:
        jitted.py_func = real
