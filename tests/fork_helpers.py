"""Module-level jitted functions for test_fork.py's multiprocessing tests.

multiprocessing pickles functions by module and name, so the functions that
workers run live here. None of them is called at import: a forked worker that
calls one compiles it itself (test_fork.py checks that the parent had not).
They are plain @jit (not strict): a signature that does not compile runs in
CPython, and the answer must be CPython's either way; that the int signatures do
compile natively is checked through `signatures`.
"""

from __future__ import annotations

import math
import os
from typing import Any

from jitcore import jit


@jit
def collatz_steps(n):
    steps = 0
    while n != 1 and steps < 1000:
        if n % 2 == 0:
            n = n // 2
        else:
            n = 3 * n + 1
        steps += 1
    return steps


@jit
def mix(a, b):
    s = 0.0
    for i in range(a % 20):
        s += math.sqrt(abs(b) + i) - a / (i + 1)
    return s, a * b, a < b


@jit
def fib(n):
    if n < 2:
        return n
    return fib(n - 1) + fib(n - 2)


def plain_fib(n):
    """fib in CPython all the way down (fib.py_func's recursive calls reach the jitted fib)."""
    if n < 2:
        return n
    return plain_fib(n - 1) + plain_fib(n - 2)


FUNCTIONS = {"collatz_steps": collatz_steps, "mix": mix, "fib": fib}
REFERENCES = {"collatz_steps": collatz_steps.py_func, "mix": mix.py_func, "fib": plain_fib}


def outcome(func: Any, args: tuple[Any, ...]) -> tuple[str, Any, Any]:
    """Like conftest.outcome, with the exception type by name (picklable either way)."""
    try:
        result = func(*args)
    except Exception as exc:  # noqa: BLE001
        return ("raise", type(exc).__name__, str(exc))
    return ("value", type(result).__name__, result)


def wx_mappings() -> list:
    """Lines of /proc/self/maps that are writable and executable at once."""
    with open("/proc/self/maps") as maps:
        return [line.strip() for line in maps if "w" in line.split()[1] and "x" in line.split()[1]]


def work(task: tuple[str, tuple[Any, ...]]) -> tuple[int, list, Any, list, list]:
    """Run one jitted function in a worker:
    (pid, signatures before, outcome, signatures after, writable+executable mappings)."""
    name, args = task
    func = FUNCTIONS[name]
    before = [[t.__name__ for t in sig] for sig in func.signatures]
    result = outcome(func, args)
    after = [[t.__name__ for t in sig] for sig in func.signatures]
    return os.getpid(), before, result, after, wx_mappings()


TASKS = ([("collatz_steps", (n,)) for n in (1, 2, 3, 7, 27, 97, 871, 6171, 2**62, 2**63 - 1, 2**63,
                                             -(2**63), -5, 0, 6.0, True, 2.5)]
         + [("mix", args) for args in ((5, 2), (19, -3), (2**63 - 1, 2**63 - 1), (-1, 0), (0, 0),
                                       (3, 2.5), (-(2**63), 1), (7, -(2**63)), (2.0, 3), (4, True))]
         + [("fib", (n,)) for n in (0, 1, 2, 10, 20, -1, 2.5, True)])


def same_outcome(expected: tuple[str, Any, Any], actual: tuple[str, Any, Any]) -> bool:
    from conftest import same_value

    if expected[:2] != actual[:2]:
        return False
    return expected[2] == actual[2] if expected[0] == "raise" else same_value(expected[2], actual[2])


def pool_check(processes: int = 2) -> dict:
    """fib runs (and compiles) in this process, then a 'fork' pool runs TASKS: workers
    compile collatz_steps and mix themselves, and new signatures of fib. Then this
    process runs TASKS too (compiling after the fork). Returns what was seen."""
    import multiprocessing

    assert collatz_steps.signatures == [] and mix.signatures == [], "call pool_check once a process"
    assert fib(15) == 610 and fib.signatures == [(int,)]
    ctx = multiprocessing.get_context("fork")
    with ctx.Pool(processes) as pool:
        results = pool.map(work, TASKS, chunksize=1)
    problems = []
    compiled_in_worker = set()
    for (name, args), (pid, before, got, after, wx) in zip(TASKS, results, strict=True):
        expected = outcome(REFERENCES[name], args)
        if not same_outcome(expected, got):
            problems.append(f"worker {pid}: {name}{args!r} gave {got!r}, CPython {expected!r}")
        if wx:
            problems.append(f"worker {pid}: writable+executable mappings {wx}")
        if ["int"] * len(args) in after and ["int"] * len(args) not in before:
            compiled_in_worker.add(name)
    parent_signatures = {name: list(f.signatures) for name, f in FUNCTIONS.items()}
    for name, args in TASKS:  # now this process compiles them, after the fork
        for _ in range(2):
            expected, got = outcome(REFERENCES[name], args), outcome(FUNCTIONS[name], args)
            if not same_outcome(expected, got):
                problems.append(f"parent: {name}{args!r} gave {got!r}, CPython {expected!r}")
    return {"problems": problems, "compiled_in_worker": sorted(compiled_in_worker),
            "worker_pids": len({r[0] for r in results}), "tasks": len(TASKS),
            "parent_signatures_after_pool": {k: [[t.__name__ for t in s] for s in v]
                                             for k, v in parent_signatures.items()},
            "native_at_end": {name: (int,) * f.py_func.__code__.co_argcount in f.signatures
                              for name, f in FUNCTIONS.items()},
            "wx": wx_mappings()}
