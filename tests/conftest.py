"""Shared test helpers: differential comparison against CPython."""

from __future__ import annotations

INT64_EDGES = [0, 1, -1, 2, -2, 3, 7, 10, 2**31 - 1, -(2**31), 2**31, 2**32, -(2**32),
               2**62, -(2**62), 2**63 - 1, -(2**63), 2**63 - 2, -(2**63) + 1, 3037000499,
               3037000500, -3037000500]


def outcome(func, args):
    """What calling func(*args) does: ('value', type, value) or ('raise', type, message)."""
    try:
        result = func(*args)
    except Exception as exc:  # noqa: BLE001 - comparing exceptions is the point
        return ("raise", type(exc), str(exc))
    return ("value", type(result), result)


def assert_same(jitted, *args):
    expected = outcome(jitted.py_func, args)
    actual = outcome(jitted, args)
    assert actual == expected, f"{jitted.__name__}{args}: jitcore gave {actual}, CPython {expected}"
