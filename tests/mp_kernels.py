"""Jitted functions of an importable module, for test_pickling.py and test_clusters.py.

A jitted function pickles like its function: the module-level ones by
reference (module and qualified name), so a worker finds them by importing
this module; `cube` and the function `make_affine` returns, which no name
leads to, by value under cloudpickle (joblib, Dask), as their functions would.
Workers are handed the jitted functions themselves (pickled) as the function
to map.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

from jitcore import jit


@jit(strict=True)
def sum_below(n):
    s = 0
    i = 0
    while i < n:
        s += i
        i += 1
    return s


@jit(strict=True)
def hyp2(a, b):
    return a * a + b * b


@jit(strict=True)
def digit_sum(n):
    """Never called by the test process itself: every worker compiles it."""
    if n < 0:
        n = -n
    s = 0
    while n > 0:
        s += n % 10
        n //= 10
    return s


class Holder:
    @staticmethod
    @jit(strict=True)
    def triple(x):
        return 3 * x


cube = jit(strict=True)(lambda x: x * x * x)


def make_affine():
    """A jitted function made inside a function, with both options set."""
    @jit(strict=True, nogil=True)
    def affine(x):
        return 5 * x - 7
    return affine


def run(func: Callable[..., Any], args: tuple[Any, ...]) -> tuple[Any, bool, bool, int]:
    """In a worker: func(*args), whether func is this module's own object (it
    was unpickled by reference), whether it has native code now, and the pid."""
    result = func(*args)
    own = globals().get(func.__name__) is func or func is Holder.triple
    return result, own, bool(func.signatures), os.getpid()
