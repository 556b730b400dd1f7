"""A jitted function pickles like a plain function (by reference: module and
qualified name), so it can be handed to multiprocessing.Pool and
concurrent.futures.ProcessPoolExecutor workers, with the 'fork' and the
'spawn' start methods. Each worker runs (and, where needed, compiles) its own
native code; every result is compared with the original function's (py_func).

The jitted functions live in mp_kernels.py, which 'spawn' workers import.
"""

from __future__ import annotations

import concurrent.futures
import copy
import multiprocessing
import os
import pickle
import subprocess
import sys

import mp_kernels
import pytest

from jitcore import jit

# Until jitcore.Dispatcher pickles by reference (a __reduce__ returning its
# __qualname__), pickle takes its state and fails on py_func, which is not
# what its module's name leads to. Remove this mark with that change.

TIMEOUT = 120  # seconds for one pool's work: a hang fails instead of blocking CI
TESTS_DIR = os.path.dirname(os.path.abspath(__file__))

START_METHODS = [m for m in ("fork", "spawn") if m in multiprocessing.get_all_start_methods()]

# (function, arguments) pairs: ints, floats, ints beyond int64 (CPython's answer)
TASKS = ([(mp_kernels.sum_below, (n,)) for n in (0, 1, 10, 1000, -3)]
         + [(mp_kernels.hyp2, args) for args in ((3, 4), (1.5, -2.0), (2**40, 1), (-7, 0))]
         + [(mp_kernels.digit_sum, (n,)) for n in (0, 7, 12345, -987654321, 2**63 - 1, 10**30)]
         + [(mp_kernels.Holder.triple, (n,)) for n in (5, 2**62)])

JITTED = [mp_kernels.sum_below, mp_kernels.hyp2, mp_kernels.digit_sum, mp_kernels.Holder.triple]


def expected(func, args):
    return func.py_func(*args)


# ---------------------------------------------------------------- pickle itself

@pytest.mark.parametrize("protocol", range(pickle.HIGHEST_PROTOCOL + 1))
@pytest.mark.parametrize("func", JITTED, ids=lambda f: f.__qualname__)
def test_pickles_by_reference(func, protocol):
    data = pickle.dumps(func, protocol)
    assert pickle.loads(data) is func
    assert b"py_func" not in data and b"_entries" not in data  # a name, not the object's state
    assert len(data) < 200


def test_pickle_after_compiling_is_the_same_reference():
    f = mp_kernels.sum_below
    assert f(5) == 10 and f.signatures
    clone = pickle.loads(pickle.dumps(f))
    assert clone is f and clone(6) == 15


def test_copy_and_deepcopy_are_the_function_itself():
    # as for a plain function: copy.copy(f) is f
    f = mp_kernels.hyp2
    assert copy.copy(f) is f and copy.deepcopy(f) is f
    assert copy.deepcopy([f, f])[0] is f


def test_local_jitted_function_fails_to_pickle_as_a_local_function_does():
    def plain(x):
        return x

    jitted = jit(plain)
    with pytest.raises(Exception) as plain_error:
        pickle.dumps(plain)
    with pytest.raises(Exception) as jitted_error:
        pickle.dumps(jitted)
    # plain: AttributeError or PicklingError ("Can't pickle local object"),
    # depending on the Python version; the jitted function: the same
    assert type(jitted_error.value) is type(plain_error.value)


def test_unpickles_in_a_fresh_interpreter():
    """The unpickling process imports mp_kernels and compiles there."""
    data = pickle.dumps([mp_kernels.digit_sum, mp_kernels.Holder.triple])
    script = ("import pickle, sys\n"
              "f, g = pickle.loads(sys.stdin.buffer.read())\n"
              "print(f(2**62 + 12345), g(7), bool(f.signatures), bool(g.signatures))\n")
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([TESTS_DIR] + sys.path)
    proc = subprocess.run([sys.executable, "-c", script], input=data, capture_output=True,
                          env=env, timeout=TIMEOUT)
    assert proc.returncode == 0, proc.stderr.decode()
    assert proc.stdout.decode().split() == [str(mp_kernels.digit_sum.py_func(2**62 + 12345)),
                                            "21", "True", "True"]


# ---------------------------------------------------------------- worker pools

def check_worker_results(results):
    """results: mp_kernels.run's answers for TASKS, in order."""
    assert len(results) == len(TASKS)
    for (func, args), (result, own, native, _pid) in zip(TASKS, results, strict=False):
        want = expected(func, args)
        assert type(result) is type(want) and result == want, (func.__qualname__, args, result)
        assert own, f"{func.__qualname__} was not unpickled as mp_kernels' own object"
        assert native, f"{func.__qualname__} has no native code in the worker"


@pytest.mark.parametrize("method", START_METHODS)
def test_pool_map(method):
    sum_below, hyp2 = mp_kernels.sum_below, mp_kernels.hyp2
    assert sum_below(100) == 4950  # compiled here first: 'fork' workers inherit it
    ctx = multiprocessing.get_context(method)
    with ctx.Pool(2) as pool:
        # the jitted function itself is what is sent to the workers
        got = pool.map_async(sum_below, [0, 1, 10, 1000, 5]).get(TIMEOUT)
        assert got == [sum_below.py_func(n) for n in [0, 1, 10, 1000, 5]]
        args = [(3, 4), (1.5, -2.0), (2**40, 1)]
        assert pool.starmap_async(hyp2, args).get(TIMEOUT) == [hyp2.py_func(*a) for a in args]
        digits = [0, 7, 12345, -987654321, 10**30]
        assert (pool.map_async(mp_kernels.digit_sum, digits).get(TIMEOUT)
                == [mp_kernels.digit_sum.py_func(n) for n in digits])
        # and as an argument, with a report of what the worker saw
        check_worker_results(pool.starmap_async(mp_kernels.run, TASKS).get(TIMEOUT))


@pytest.mark.parametrize("method", START_METHODS)
def test_process_pool_executor(method):
    ctx = multiprocessing.get_context(method)
    with concurrent.futures.ProcessPoolExecutor(max_workers=2, mp_context=ctx) as executor:
        futures = [executor.submit(func, *args) for func, args in TASKS]
        for (func, args), future in zip(TASKS, futures, strict=False):
            assert future.result(timeout=TIMEOUT) == expected(func, args)
        funcs, argss = zip(*TASKS, strict=False)
        check_worker_results(list(executor.map(mp_kernels.run, funcs, argss, timeout=TIMEOUT)))
