"""Jitted functions on real engines, run as users run them: a script started
with `python script.py` hands jitted functions to worker processes of joblib
(its default loky backend, which pickles with cloudpickle), dask.distributed
(a LocalCluster of worker processes), concurrent.futures.ProcessPoolExecutor
and multiprocessing.Pool (pickle; 'fork' and 'spawn').

The script's functions come from its own `__main__` (top level: by name under
pickle, which spawn workers find by running the script again as __mp_main__;
by value under cloudpickle, since joblib's and Dask's workers do not run it)
and from an importable module, mp_kernels (by name everywhere), plus a lambda
and a function made inside a function from each (by value; cloudpickle only,
pickle refuses them as it refuses their functions: see test_pickling.py).

For every task the worker reports its answer, which the test compares with
CPython's (the same script's tasks computed by a
process with JITCORE_DISABLE=1, where @jit returns functions unchanged),
including ints beyond int64, where the call re-runs in CPython; and
what the worker's jitted function is: compiled there (its signatures: the
script never calls a jitted function, and pickles carry no native code), its
options (strict, nogil), whether it is the worker's own object found by name,
and the worker's pid.
"""

from __future__ import annotations

import multiprocessing
import os
import pickle
import subprocess
import sys

import pytest

TESTS_DIR = os.path.dirname(os.path.abspath(__file__))
TIMEOUT = 90  # seconds for one script; the script waits at most WAIT for any result
WAIT = 60

SCRIPT = '''
import os, pickle, sys
from jitcore import jit
import mp_kernels


@jit(strict=True)
def poly(x):
    return 3 * x * x - 2 * x + 1


@jit(strict=True, nogil=True)
def collatz_steps(n):
    steps = 0
    while n > 1:
        n = 3 * n + 1 if n % 2 else n // 2
        steps += 1
    return steps


@jit(strict=True)
def fact(n):  # recursive: by value, its globals hold its own jitted function
    return 1 if n <= 1 else n * fact(n - 1)


square = jit(strict=True)(lambda x: x * x)


def make_shift():
    @jit(strict=True)
    def shift(x):
        return (x << 3) - x
    return shift


def probe(f, args):
    """In a worker: f(*args), and what the worker's f is."""
    result = f(*args)
    found = sys.modules.get(f.__module__)
    for part in f.__qualname__.split("."):
        found = getattr(found, part, None)
    return {"result": result, "signatures": [str(s) for s in f.signatures], "strict": f.strict,
            "nogil": f.nogil, "own": found is f, "pid": os.getpid(),
            "in_its_globals": f.py_func.__globals__.get(f.__name__) is f}


def tasks(engine):
    """(label, jitted function, arguments); lambdas and local functions only
    for the engines that pickle with cloudpickle."""
    by_name = [("__main__.poly", poly, a) for a in ((3,), (-2.5,), (2**40,))]
    by_name += [("__main__.collatz_steps", collatz_steps, a) for a in ((27,), (2**62 + 1,), (10**30,))]
    by_name += [("__main__.fact", fact, a) for a in ((20,), (25,))]
    by_name += [("mp_kernels.hyp2", mp_kernels.hyp2, a) for a in ((3, 4), (1.5, -2.0), (2**40, 1))]
    by_name += [("mp_kernels.digit_sum", mp_kernels.digit_sum, a) for a in ((12345,), (10**30,))]
    by_name += [("mp_kernels.Holder.triple", mp_kernels.Holder.triple, a) for a in ((5,), (2**62,))]
    if engine not in ("joblib", "dask"):
        return by_name
    shift, affine = make_shift(), mp_kernels.make_affine()
    by_value = [("__main__.square", square, a) for a in ((9,), (0.5,), (2**32,))]
    by_value += [("__main__.make_shift()", shift, a) for a in ((11,), (2**61,))]
    by_value += [("mp_kernels.cube", mp_kernels.cube, a) for a in ((-4,), (2**21,))]
    by_value += [("mp_kernels.make_affine()", affine, a) for a in ((6,), (2**62,))]
    return by_name + by_value


def run_joblib(todo):
    from joblib import Parallel, delayed
    with Parallel(n_jobs=2, timeout=WAIT) as parallel:
        direct = parallel(delayed(f)(*args) for _, f, args in todo)  # the function as the task
        probed = parallel(delayed(probe)(f, args) for _, f, args in todo)  # as an argument
    return direct, probed


def run_dask(todo):
    from dask.distributed import Client, LocalCluster
    # any free port for the HTTP server (dashboard, health): the default 8787
    # may be taken by another test run on the machine
    with LocalCluster(n_workers=2, processes=True, threads_per_worker=1,
                      dashboard_address=":0") as cluster, Client(cluster) as client:
        direct = [client.submit(f, *args, pure=False) for _, f, args in todo]
        probed = [client.submit(probe, f, args, pure=False) for _, f, args in todo]
        return ([future.result(timeout=WAIT) for future in direct],
                [future.result(timeout=WAIT) for future in probed])


def run_executor(todo, method):
    import concurrent.futures, multiprocessing
    context = multiprocessing.get_context(method)
    with concurrent.futures.ProcessPoolExecutor(max_workers=2, mp_context=context) as executor:
        direct = [executor.submit(f, *args) for _, f, args in todo]
        probed = [executor.submit(probe, f, args) for _, f, args in todo]
        return ([future.result(timeout=WAIT) for future in direct],
                [future.result(timeout=WAIT) for future in probed])


def run_pool(todo, method):
    import multiprocessing
    with multiprocessing.get_context(method).Pool(2) as pool:
        direct = [pool.apply_async(f, args) for _, f, args in todo]
        probed = [pool.apply_async(probe, (f, args)) for _, f, args in todo]
        return [r.get(WAIT) for r in direct], [r.get(WAIT) for r in probed]


if __name__ == "__main__":
    engine, out = sys.argv[1], sys.argv[2]
    if engine == "cpython":  # run with JITCORE_DISABLE=1: @jit returned every function unchanged
        report = {(label, args): f(*args) for label, f, args in tasks("joblib")}
    else:
        todo = tasks(engine)
        kind, _, method = engine.partition("-")
        if kind in ("joblib", "dask"):
            direct, probed = {"joblib": run_joblib, "dask": run_dask}[kind](todo)
        else:
            direct, probed = {"executor": run_executor, "pool": run_pool}[kind](todo, method)
        report = {"pid": os.getpid(), "signatures_here": [s for _, f, _ in todo for s in f.signatures],
                  "tasks": [dict(label=label, args=args, direct=result, strict=f.strict, nogil=f.nogil,
                                 **{"worker_" + key: value for key, value in seen.items()})
                            for (label, f, args), result, seen in zip(todo, direct, probed)]}
    with open(out, "wb") as file:
        pickle.dump(report, file)
'''.replace("WAIT", str(WAIT))

START_METHODS = [m for m in ("fork", "spawn") if m in multiprocessing.get_all_start_methods()]
ENGINES = (["joblib", "dask"] + [f"executor-{m}" for m in START_METHODS]
           + [f"pool-{m}" for m in START_METHODS])
CLOUDPICKLE_ENGINES = ("joblib", "dask")


def run_script(tmp_path, engine, **environ):
    script, out = tmp_path / "cluster_script.py", tmp_path / "report.pickle"
    script.write_text(SCRIPT)
    env = dict(os.environ, **environ)
    env["PYTHONPATH"] = os.pathsep.join([TESTS_DIR] + sys.path)  # mp_kernels, this jitcore
    proc = subprocess.run([sys.executable, str(script), engine, str(out)], cwd=tmp_path,
                          capture_output=True, text=True, env=env, timeout=TIMEOUT)
    assert proc.returncode == 0, proc.stderr[-4000:]
    assert "JitWarning" not in proc.stderr, proc.stderr[-4000:]  # in no process
    with open(out, "rb") as file:
        return pickle.load(file)


@pytest.fixture(scope="module")
def cpython_answers(tmp_path_factory):
    """(label, args) -> what CPython answers: the script's tasks run in a
    process where @jit returns functions unchanged."""
    return run_script(tmp_path_factory.mktemp("cpython"), "cpython", JITCORE_DISABLE="1")


@pytest.mark.parametrize("engine", ENGINES)
def test_engine_runs_jitted_functions_natively_in_its_workers(tmp_path, engine, cpython_answers):
    report = run_script(tmp_path, engine)
    assert report["signatures_here"] == []  # the script itself never compiled anything
    labels = {task["label"] for task in report["tasks"]}
    by_value = {"__main__.square", "__main__.make_shift()", "mp_kernels.cube", "mp_kernels.make_affine()"}
    assert by_value <= labels if engine in CLOUDPICKLE_ENGINES else not labels & by_value
    assert any(2**63 <= abs(cpython_answers[task["label"], task["args"]])  # re-runs in CPython too
               for task in report["tasks"])
    for task in report["tasks"]:
        where = (engine, task["label"], task["args"])
        want = cpython_answers[task["label"], task["args"]]
        for got in (task["direct"], task["worker_result"]):
            assert type(got) is type(want) and got == want, (where, got, want)
        assert task["worker_pid"] != report["pid"], where
        # compiled in the worker, with the options the script gave it
        assert task["worker_signatures"], where
        assert (task["worker_strict"], task["worker_nogil"]) == (task["strict"], task["nogil"]), where
        # __main__'s functions: by name under pickle (a fork worker inherits
        # the script's, a spawn worker ran it again), by value under cloudpickle
        if task["label"] in by_value or (task["label"].startswith("__main__.")
                                         and engine in CLOUDPICKLE_ENGINES):
            assert not task["worker_own"], f"{where}: sent by name, not by value"
        else:
            assert task["worker_own"], f"{where}: not the worker's own, found by name"
        if task["label"] == "__main__.fact":  # one jitted function, also when rebuilt by value
            assert task["worker_in_its_globals"], where
