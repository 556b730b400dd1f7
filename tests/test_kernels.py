"""Differential tests of the kernel corpus (kernels.py) against CPython.

For every kernel: its edge arguments, arguments drawn by hypothesis, and a
check that it compiles to native code. "The same" is strict here: the same
type (bool is not int, int is not float), floats bit for bit (-0.0 is not
0.0) except that any NaN equals any NaN, tuples element by element, and the
same exception type with the same message.

The CPython side does not use `kernel.py_func`: the kernels call one another
through module globals, so py_func would call the *jitted* helpers. Instead
kernels.py is imported a second time with JITCORE_DISABLE=1, which gives a
pure-CPython twin of every kernel whose helpers are pure CPython too.

With strict=True a call whose argument types jitcore cannot compile raises
CompileError. The differential tests record those per argument-type signature
(and do not retry them, nor let hypothesis shrink them) and fail with them at
the end: with the mismatches if there are any, else with the CompileError.
"""

from __future__ import annotations

import importlib.util
import math
import os
import sys
from pathlib import Path
from typing import Any

import kernels as kernels_module
import pytest
from conftest import outcome, same_outcome, same_value, show, show_outcome
from hypothesis import HealthCheck, given, settings
from kernels import KERNELS

import jitcore

MAX_PROBLEMS_SHOWN = 25


def _load_reference() -> Any:
    """kernels.py imported again with jitcore disabled: every kernel is plain CPython."""
    name = "_kernels_cpython_reference"
    spec = importlib.util.spec_from_file_location(name, Path(__file__).with_name("kernels.py"))
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    saved = os.environ.get("JITCORE_DISABLE")
    os.environ["JITCORE_DISABLE"] = "1"  # read by @jit at decoration time
    try:
        sys.modules[name] = module
        spec.loader.exec_module(module)
    finally:
        if saved is None:
            del os.environ["JITCORE_DISABLE"]
        else:
            os.environ["JITCORE_DISABLE"] = saved
    return module


REFERENCE = _load_reference()
REFERENCE_FUNCS: dict[str, Any] = {k.name: k.func for k in REFERENCE.KERNELS}
IDS = [k.name for k in KERNELS]


def signature(args: tuple[Any, ...]) -> tuple[type, ...]:
    return tuple(type(a) for a in args)


def jitted_outcome(jitted: Any, args: tuple[Any, ...]) -> tuple[Any, ...]:
    """conftest.outcome of the jitted call, except that CompileError propagates:
    with strict=True it means "no native code for these argument types"."""
    try:
        result = jitted(*args)
    except jitcore.CompileError:
        raise
    except Exception as exc:  # noqa: BLE001 - comparing exceptions is the point
        return ("raise", type(exc), str(exc))
    return ("value", type(result), result)


def difference(jitted: Any, args: tuple[Any, ...]) -> str | None:
    """None if jitted(*args) does exactly what CPython does, else a description.
    Raises CompileError if jitcore cannot compile the kernel for these arguments."""
    expected = outcome(REFERENCE_FUNCS[jitted.__name__], args)
    actual = jitted_outcome(jitted, args)
    if same_outcome(expected, actual):
        return None
    return (f"{jitted.__name__}{show(tuple(args))}: jitcore {show_outcome(actual)}, "
            f"CPython {show_outcome(expected)}")


def assert_same_exact(jitted: Any, *args: Any) -> None:
    problem = difference(jitted, args)
    assert problem is None, problem


class Comparisons:
    """Runs one kernel on many argument tuples: mismatches, and CompileErrors per
    argument-type signature (a signature that failed to compile is not retried)."""

    def __init__(self, jitted: Any) -> None:
        self.jitted = jitted
        self.problems: list[str] = []
        self.compile_errors: dict[tuple[type, ...], Exception] = {}

    def check(self, args: tuple[Any, ...]) -> str | None:
        key = signature(args)
        if key in self.compile_errors:
            return None
        try:
            problem = difference(self.jitted, args)
        except jitcore.CompileError as exc:
            self.compile_errors[key] = exc
            return None
        if problem is not None:
            self.problems.append(problem)
        return problem

    def finish(self) -> None:
        """Fail with the mismatches, or else with the first CompileError."""
        failed = [f"cannot compile for {_show_signature(k)}: {e}" for k, e in self.compile_errors.items()]
        if self.problems:
            shown = self.problems[:MAX_PROBLEMS_SHOWN]
            more = len(self.problems) - len(shown)
            pytest.fail("\n".join(shown + ([f"... and {more} more"] if more else []) + failed),
                        pytrace=False)
        if len(self.compile_errors) == 1:
            raise next(iter(self.compile_errors.values()))
        if self.compile_errors:
            first = next(iter(self.compile_errors.values()))
            code = REFERENCE_FUNCS[self.jitted.__name__].__code__  # same file and line
            raise jitcore.CompileError("; ".join(failed), code.co_filename, code.co_firstlineno,
                                       self.jitted.__name__) from first


def _show_signature(key: tuple[type, ...]) -> str:
    return "(" + ", ".join(t.__name__ for t in key) + ")"


# ---------------------------------------------------------------------------
# The comparison helper itself
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("a, b, same", [
    (0.0, -0.0, False), (-0.0, -0.0, True), (math.nan, -math.nan, True), (math.nan, 1.0, False),
    (1, 1.0, False), (True, 1, False), (1, 1, True), (2**64, 2**64, True),
    ((1.0, math.nan), (1.0, math.nan), True), ((0.0, 1), (-0.0, 1), False), ((1,), (1, 2), False),
    ((True, 1.0), (1, 1.0), False), (math.inf, math.inf, True), (math.inf, -math.inf, False),
])
def test_same_value(a, b, same):
    assert same_value(a, b) is same


def test_same_outcome_compares_exceptions():
    assert same_outcome(("raise", ValueError, "math domain error"), ("raise", ValueError, "math domain error"))
    assert not same_outcome(("raise", ValueError, "math domain error"), ("raise", ValueError, "other"))
    assert not same_outcome(("raise", ValueError, "x"), ("raise", OverflowError, "x"))
    assert not same_outcome(("raise", ValueError, "x"), ("value", str, "x"))


# ---------------------------------------------------------------------------
# The corpus
# ---------------------------------------------------------------------------


def test_corpus_is_well_formed():
    registered = [k.name for k in KERNELS]
    assert len(registered) == len(set(registered)), "a kernel is registered twice"
    jitted = {name for name, value in vars(kernels_module).items() if isinstance(value, jitcore.Dispatcher)}
    assert jitted == set(registered), "every @jit kernel in kernels.py must be in KERNELS"
    for kernel in KERNELS:
        assert getattr(kernel.func, "strict", False), f"{kernel.name} is not @jit(strict=True)"
        nparams = kernel.func.py_func.__code__.co_argcount
        assert kernel.edge_args, f"{kernel.name} has no edge arguments"
        for args in kernel.edge_args:
            assert type(args) is tuple and len(args) == nparams, f"{kernel.name}{args!r}"
        reference = REFERENCE_FUNCS[kernel.name]
        assert not isinstance(reference, jitcore.Dispatcher), "the reference must be plain CPython"
        assert reference.__code__.co_code == kernel.func.py_func.__code__.co_code


# ---------------------------------------------------------------------------
# Differential tests
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("kernel", KERNELS, ids=IDS)
def test_edge_arguments(kernel):
    comparisons = Comparisons(kernel.func)
    for args in kernel.edge_args:
        comparisons.check(args)
    comparisons.finish()


@pytest.mark.parametrize("kernel", KERNELS, ids=IDS)
def test_random_arguments(kernel):
    comparisons = Comparisons(kernel.func)

    # A CompileError is recorded, not raised, so that hypothesis does not shrink
    # it (every shrinking step would compile again); finish() raises it.
    @settings(max_examples=30, deadline=None, database=None,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
    @given(args=kernel.args_strategy)
    def check(args):
        problem = comparisons.check(args)
        assert problem is None, problem

    check()
    comparisons.finish()


@pytest.mark.parametrize("kernel", KERNELS, ids=IDS)
def test_compiles_natively(kernel):
    assert isinstance(kernel.func, jitcore.Dispatcher), "jitcore is disabled (JITCORE_DISABLE)"
    kernel.func.compile()
