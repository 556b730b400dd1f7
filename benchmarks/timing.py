"""Timing helpers shared by the runner (CPython) and the PyPy worker.

Plain Python 3.9+, no imports beyond the standard library, so that PyPy can
import it.
"""

import gc
import time


def timed_call(func, args):
    """(seconds, result) of one call of func(*args), with the GC off."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        start = time.perf_counter()
        result = func(*args)
        elapsed = time.perf_counter() - start
    finally:
        if was_enabled:
            gc.enable()
    return elapsed, result


def measure(func, args, repeat):
    """Warm up with one call (a JIT compiles there), then time `repeat` more.

    Returns a dict: first (seconds of the first call, compile included),
    best (the fastest of the timed calls), times (all of them), result (of the
    first call) and results_agree (every later call returned the same value
    and type as the first).
    """
    first, result = timed_call(func, args)
    times = []
    agree = True
    for _ in range(repeat):
        elapsed, again = timed_call(func, args)
        times.append(elapsed)
        if again != result or type(again) is not type(result):
            agree = False
    return {"first": first, "best": min(times), "times": times, "result": result,
            "results_agree": agree}


def loop_calls(func, n):
    """Seconds for n calls func(1, 2) from a Python for loop."""
    rng = range(n)
    start = time.perf_counter()
    for _ in rng:
        func(1, 2)
    return time.perf_counter() - start


def loop_empty(n):
    """Seconds for the same loop with an empty body: the loop's own cost."""
    rng = range(n)
    start = time.perf_counter()
    for _ in rng:
        pass
    return time.perf_counter() - start
