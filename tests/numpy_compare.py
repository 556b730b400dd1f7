"""Comparing what a function does with NumPy arrays in CPython and in jitcore
(shared by test_numpy_arrays.py and test_random_programs.py)."""

from __future__ import annotations

import math
import warnings

import numpy as np

from jitcore import JitWarning


def same(a, b) -> bool:
    """Same type and value: NumPy scalars and arrays by dtype and bytes (any
    NaN equals any NaN), Python floats by bits, tuples element-wise."""
    if type(a) is not type(b):
        return False
    if isinstance(a, tuple):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, (np.generic, np.ndarray)):
        if a.dtype != b.dtype or np.shape(a) != np.shape(b):
            return False
        if a.dtype.kind == "f":
            nan_a, nan_b = np.isnan(a), np.isnan(b)
            if not np.array_equal(nan_a, nan_b):
                return False
            a, b = np.where(nan_a, 0, a), np.where(nan_b, 0, b)
        return np.ascontiguousarray(a).tobytes() == np.ascontiguousarray(b).tobytes()
    if isinstance(a, float):
        return (math.isnan(a) and math.isnan(b)) or a.hex() == b.hex()
    return bool(a == b)


def run(func, args):
    """(outcome, warnings, arrays after): outcome is ('value', result) or ('raise', type, message)."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            result = ("value", func(*args))
        except Exception as exc:  # noqa: BLE001 - comparing exceptions is the point
            result = ("raise", type(exc), str(exc))
    seen = [(w.category, str(w.message)) for w in caught if not issubclass(w.category, JitWarning)]
    return result, seen, [a.copy() for a in args if isinstance(a, np.ndarray)]


def difference(expected, actual) -> str | None:
    """What differs between two run() results (outcome, warnings, arrays after), or None."""
    if expected[0][0] != actual[0][0]:
        return f"{actual[0]} vs CPython {expected[0]}"
    if expected[0][0] == "value" and not same(expected[0][1], actual[0][1]):
        return f"jitcore {actual[0][1]!r} ({type(actual[0][1])}), CPython {expected[0][1]!r}"
    if expected[0][0] == "raise" and expected[0] != actual[0]:
        return f"{actual[0]} vs CPython {expected[0]}"
    if expected[1] != actual[1]:
        return f"warnings {actual[1]} vs CPython {expected[1]}"
    for e, a in zip(expected[2], actual[2], strict=True):
        if not same(e, a):
            return f"array after {a!r} vs CPython {e!r}"
    return None


def copy_like(a):
    """A fresh copy of array a with a's strides (and read-only flag)."""
    if a.flags.c_contiguous:
        c = a.copy()
    else:  # the same strides over a fresh buffer spanning as many bytes
        low, high = np.lib.array_utils.byte_bounds(a)
        base = np.zeros((high - low) // a.itemsize + 1, a.dtype)
        start = (a.__array_interface__["data"][0] - low) // a.itemsize
        c = np.lib.stride_tricks.as_strided(base[start:], a.shape, a.strides)
        c[...] = a
        assert c.strides == a.strides
    if not a.flags.writeable:
        c.flags.writeable = False
    return c


def copies(args):
    return [copy_like(a) if isinstance(a, np.ndarray) else a for a in args]


