"""A jitted function pickles the way its function would: by reference
(module and qualified name) when that name leads to it, so it can be handed
to multiprocessing.Pool and concurrent.futures.ProcessPoolExecutor workers,
with the 'fork' and the 'spawn' start methods; by value under cloudpickle
where cloudpickle pickles functions by value (lambdas, functions made inside
functions, functions of __main__). Each worker runs (and, where needed,
compiles) its own native code; every result is compared with the original
function's (py_func).

The jitted functions live in mp_kernels.py, which 'spawn' workers import.
test_clusters.py runs scripts with joblib, Dask and these pools.
"""

from __future__ import annotations

import concurrent.futures
import copy
import inspect
import io
import multiprocessing
import os
import pickle
import subprocess
import sys
import types

import cloudpickle
import mp_kernels
import pytest

from jitcore import jit
from jitcore.dispatcher import Dispatcher

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


def local_function():
    def plain(x):
        return x
    return plain


@pytest.mark.parametrize("plain", [local_function(), lambda x: x], ids=["local", "lambda"])
def test_local_jitted_function_fails_to_pickle_as_a_local_function_does(plain):
    jitted = jit(plain)
    with pytest.raises(Exception) as plain_error:
        pickle.dumps(plain)
    with pytest.raises(Exception) as jitted_error:
        pickle.dumps(jitted)
    # plain: AttributeError or PicklingError ("Can't pickle local object"),
    # depending on the Python version; the jitted function: the same
    assert type(jitted_error.value) is type(plain_error.value)
    assert str(jitted_error.value) == str(plain_error.value)


@pytest.mark.parametrize("plain", [local_function(), lambda x: x], ids=["local", "lambda"])
def test_copies_of_a_local_jitted_function_are_itself(plain):
    jitted = jit(plain)
    assert copy.copy(jitted) is jitted and copy.deepcopy(jitted) is jitted


def test_every_constructor_option_is_pickled_by_value():
    params = list(inspect.signature(Dispatcher.__init__).parameters)
    assert params[:2] == ["self", "py_func"]
    assert Dispatcher._PICKLED_OPTIONS == tuple(params[2:])


# ---------------------------------------------------------------- cloudpickle (joblib, Dask)

INTS = [0, 1, -1, 7, -12, 2**31, 2**62, -(2**62), 2**63 - 1, -(2**63), 2**64, 10**30]


def check_rebuilt(original, clone, args_list):
    """clone: original pickled by value; it compiles its own code and answers as CPython does."""
    assert type(clone) is type(original) and clone is not original
    assert clone.py_func is not original.py_func  # rebuilt by cloudpickle
    assert clone.__qualname__ == original.__qualname__ and clone.__module__ == original.__module__
    for name in Dispatcher._PICKLED_OPTIONS:
        assert getattr(clone, name) == getattr(original, name), name
    assert clone.signatures == []
    for args in args_list:
        want = original.py_func(*args)
        got = clone(*args)
        assert type(got) is type(want) and got == want, (args, got, want)
    assert clone.signatures


@pytest.mark.parametrize("func", JITTED, ids=lambda f: f.__qualname__)
def test_cloudpickle_keeps_a_module_function_by_reference(func):
    data = cloudpickle.dumps(func)
    assert pickle.loads(data) is func
    assert len(data) < 200  # a name, not the function's code


def test_cloudpickle_pickles_lambdas_and_local_functions_by_value():
    for original in (mp_kernels.cube, mp_kernels.make_affine(), jit(nogil=True)(lambda a, b: a * b - 1)):
        nargs = original.py_func.__code__.co_argcount
        clone = pickle.loads(cloudpickle.dumps(original))
        check_rebuilt(original, clone, [(n,) * nargs for n in INTS] + [(1.5,) * nargs])
        assert original.signatures == []  # pickling it compiled nothing


def test_a_function_of_main_pickles_by_name_with_pickle_and_by_value_with_cloudpickle(monkeypatch):
    """(pytest's __main__ holds it here as a script's does: test_clusters.py runs real scripts)"""
    namespace = {"__name__": "__main__", "jit": jit}
    exec("@jit(strict=True)\n"
         "def jitcore_test_fact(n):\n"
         "    return 1 if n <= 1 else n * jitcore_test_fact(n - 1)\n", namespace)
    fact = namespace["jitcore_test_fact"]
    monkeypatch.setattr(sys.modules["__main__"], "jitcore_test_fact", fact, raising=False)

    class DaskLikePickler(pickle.Pickler):  # a reducer_override that leaves functions to pickle
        def reducer_override(self, obj):
            return NotImplemented

    for dumps in (pickle.dumps, pickle_with(pickle._Pickler), pickle_with(DaskLikePickler)):
        data = dumps(fact)
        assert b"__main__" in data and b"jitcore_test_fact" in data and len(data) < 200
        assert pickle.loads(data) is fact
    clone = pickle.loads(cloudpickle.dumps(fact))
    check_rebuilt(fact, clone, [(n,) for n in (0, 1, 5, 20, 21, 30, -3)])
    # its function calls itself through its globals: one jitted function there too
    assert clone.py_func.__globals__["jitcore_test_fact"] is clone


UNINSTALLED_MODULE = """
from jitcore import jit

@jit(strict=True)
def weighted(n, w):
    total = 0.0
    for i in range(n):
        total += w * i if i % 2 else -w
    return total
"""


def test_a_module_registered_pickle_by_value_sends_its_jitted_functions_by_value(tmp_path, monkeypatch):
    """cloudpickle.register_pickle_by_value(module): what Dask users do for code the workers
    do not have installed. The jitted function goes by value as its function would, and a
    fresh interpreter that cannot import the module compiles it from the pickle."""
    (tmp_path / "jitcore_uninstalled.py").write_text(UNINSTALLED_MODULE)
    monkeypatch.syspath_prepend(str(tmp_path))
    import jitcore_uninstalled as module

    try:
        by_name = cloudpickle.dumps(module.weighted)
        assert len(by_name) < 200 and pickle.loads(by_name) is module.weighted  # not registered
        cloudpickle.register_pickle_by_value(module)
        try:
            data = cloudpickle.dumps(module.weighted)
            assert len(pickle.dumps(module.weighted)) < 200  # pickle itself: by name still
        finally:
            cloudpickle.unregister_pickle_by_value(module)
    finally:
        del sys.modules["jitcore_uninstalled"]
    assert b"jitcore_uninstalled" in data and len(data) > 200
    script = ("import pickle, sys\n"
              "f = pickle.loads(sys.stdin.buffer.read())\n"
              "print(repr(f(11, 0.75)), bool(f.signatures))\n")
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in sys.path if p != str(tmp_path))
    proc = subprocess.run([sys.executable, "-c", script], input=data, capture_output=True,
                          env=env, cwd=TESTS_DIR, timeout=TIMEOUT)
    assert proc.returncode == 0, proc.stderr.decode()
    assert proc.stdout.decode().split() == [repr(module.weighted.py_func(11, 0.75)), "True"]


def pickle_with(pickler_type):
    def dumps(obj):
        buffer = io.BytesIO()
        pickler_type(buffer).dump(obj)
        return buffer.getvalue()
    return dumps


def test_unpickled_by_value_with_jit_disabled_is_the_plain_function(monkeypatch):
    data = cloudpickle.dumps(mp_kernels.make_affine())
    monkeypatch.setenv("JITCORE_DISABLE", "1")
    plain = pickle.loads(data)
    assert isinstance(plain, types.FunctionType) and plain(2**62) == 5 * 2**62 - 7


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
