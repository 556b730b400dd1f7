"""Module-level jitted functions for test_pickling.py.

A jitted function pickles by reference, like a plain function: by module and
qualified name, so a 'spawn' worker finds it by importing this module. Workers
are handed the jitted functions themselves (pickled) as the function to map.
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


def run(func: Callable[..., Any], args: tuple[Any, ...]) -> tuple[Any, bool, bool, int]:
    """In a worker: func(*args), whether func is this module's own object (it
    was unpickled by reference), whether it has native code now, and the pid."""
    result = func(*args)
    own = globals().get(func.__name__) is func or func is Holder.triple
    return result, own, bool(func.signatures), os.getpid()
