"""Differential fuzzing: random typed programs with control flow, jitted strictly vs CPython.

Each example is a random function from fuzz_programs.programs() (ints, bools,
floats, if/elif/else, for-range and bounded while loops, break/continue,
early returns, tuples, builtins and math functions), compiled with
`jit(strict=True)` for its parameter types and called with about eight
argument tuples. Every call must do exactly what CPython does: the same type
(bool is not int, int is not float), floats bit for bit (-0.0 is not 0.0,
any NaN equals any NaN), tuples element by element, and the same exception
type and message.

Programs also call up to two earlier generated helper functions (jitted too,
or, for half the programs, left plain, which the jitted function then compiles
as if decorated; either way the calls are native; some helpers return a type
that differs by path) and have locals whose type changes or that may be
unbound. The generator stays inside the subset jitcore compiles, so a
CompileError is a failure too (except jitcore's documented cap on the type
combinations one block is compiled for, which dynamic locals can reach).

    JITCORE_FUZZ_EXAMPLES=100000 python -m pytest tests/test_fuzz.py   # long run
    JITCORE_FUZZ_SECONDS=3600 python -m pytest -s tests/test_fuzz.py   # run for an hour
    python tests/fuzz_long.py --seconds 3600                # the same, with a summary
    JITCORE_FUZZ_LAST=/tmp/last.py ...   # write each program and its arguments
                                         # there first (a reproducer after a crash)
    JITCORE_FUZZ_HELPERS=0 ...           # no helper functions
    JITCORE_FUZZ_DYNAMIC=0 ...           # every local keeps one type
    JITCORE_FUZZ_ARRAYS=0 ...            # no array parameters

Half the programs also take int64 or float64 arrays (NumPy arrays in several
layouts, array.array, or a strided memoryview of one), read their elements
and store into them, in and out of range, in loops; each call's warnings and
the arrays' contents afterwards are compared too (a re-run's rollback
included).

With JITCORE_FUZZ_SECONDS=N, test_random_programs_for_a_time_budget runs batches
of JITCORE_FUZZ_BATCH (default 100) examples, each batch with fresh random seeds
and no example database, until N seconds have passed; a failing batch is
recorded (hypothesis's shrunk reproducer) and the run goes on. At the end it
prints "P programs, C calls, F failures" and, with JITCORE_FUZZ_RECORD=path,
writes those counts and the failure reports there as JSON; it fails if F > 0.
Without JITCORE_FUZZ_SECONDS that test does not exist: the normal run is the
short one above.
"""

from __future__ import annotations

import array
import copy
import json
import math
import os
import time
import warnings
import zlib
from collections.abc import Sequence
from typing import Any

from conftest import INT64_EDGES, outcome, same_outcome, same_value, show_outcome
from fuzz_programs import BIG_VALUES, PYTHON_TYPES, make, programs
from hypothesis import HealthCheck, given, note, reject, settings
from hypothesis import strategies as st
from numpy_compare import copy_like

from jitcore import CompileError, jit
from jitcore.calls import TupleKind, _array_kind_for

EXAMPLES = int(os.environ.get("JITCORE_FUZZ_EXAMPLES", "150"))
CALLS_PER_PROGRAM = 8
LAST_PROGRAM_FILE = os.environ.get("JITCORE_FUZZ_LAST")
# Up to this many helper functions h0, h1, ... (jitted too) that the generated function,
# and later helpers, call natively (see fuzz_programs).
HELPERS = int(os.environ.get("JITCORE_FUZZ_HELPERS", "2"))

# Dynamic variables (fuzz_programs' dynamic=True): locals whose type changes, some maybe
# unbound, compiled by basic block versioning. JITCORE_FUZZ_DYNAMIC=0 leaves them out.
DYNAMIC = os.environ.get("JITCORE_FUZZ_DYNAMIC", "1") not in ("", "0")

# CompileError texts that mean the generator left the subset (jitcore's cap on the type
# combinations one block is compiled for, translate.MAX_VERSIONS: strict refuses what
# would deopt there): fix the generator, not jitcore. (Locals whose types differ between
# paths or that may be unbound are compiled, by basic block versioning.)
GENERATOR_REFUSALS = ("combinations of local types reach line",)
# ...except that with dynamic variables, jitcore's limit on type combinations is expected.
DYNAMIC_LIMITS = ("combinations of local types reach line",)

FLOAT_SPECIALS = [0.0, -0.0, 1.0, -1.0, 0.5, -0.5, 1.5, 2.5, -2.5, 3.0, 1e308, -1e308, math.inf,
                  -math.inf, math.nan, 5e-324, -5e-324, 2.2250738585072014e-308, 1e-300,
                  2.0**53, 2.0**53 + 2, 2.0**63, -(2.0**63), 2.0**64, 9.223372036854775e18,
                  4503599627370495.5, 1e16, 0.1, math.pi, 1e300, 123456.789]

INT_ARGS = st.one_of(st.sampled_from(INT64_EDGES), st.integers(-100, 100),
                     st.integers(-(2**63), 2**63 - 1))
FLOAT_ARGS = st.one_of(st.sampled_from(FLOAT_SPECIALS), st.floats(),
                       st.integers(-100, 100).map(float), st.floats(-1e6, 1e6))


def _strided_view(code: str, values: list[Any]) -> memoryview:
    """A memoryview of these values whose elements are 2 apart (m[::2])."""
    view = memoryview(array.array(code, [0] * (2 * len(values))))[::2]
    view[:] = array.array(code, values)
    return view


def _array(values: list[Any], code: str, how: str) -> Any:
    """An array argument of these values: array.array, a strided memoryview of
    one, or a NumPy array laid out `how`."""
    if how == "array.array":
        return array.array(code, values)
    if how == "memoryview":
        return _strided_view(code, values)
    import numpy as np

    a = np.array(values, dtype="int64" if code == "q" else "float64")
    if how == "strided":
        wide = np.zeros(2 * len(a), a.dtype)
        wide[::2] = a
        return wide[::2]
    if how == "reversed":
        return a[::-1].copy()[::-1]
    return a


def _arrays(code: str, items: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.builds(_array, st.lists(items, min_size=0, max_size=6), st.just(code),
                     st.sampled_from(["numpy", "numpy", "strided", "reversed", "array.array",
                                      "memoryview"]))


ARGUMENTS = {"int": INT_ARGS, "bool": st.booleans(), "float": FLOAT_ARGS,
             "pair": st.tuples(INT_ARGS, FLOAT_ARGS),
             "int_array": _arrays("q", st.one_of(st.sampled_from(INT64_EDGES), st.integers(-100, 100))),
             "float_array": _arrays("d", FLOAT_ARGS)}
# Array programs (fuzz_programs' arrays=True): JITCORE_FUZZ_ARRAYS=0 leaves them out.
ARRAYS = os.environ.get("JITCORE_FUZZ_ARRAYS", "1") not in ("", "0")


# -- comparison (conftest's: types exact, floats by bits, NaN == NaN, exceptions by message) --
def same(expected: tuple[str, type, Any], actual: tuple[str, type, Any]) -> bool:
    if same_outcome(expected, actual):
        return True
    # float ** float may give a complex (then the whole call ran in CPython): compare by parts
    if expected[0] == actual[0] == "value" and expected[1] is actual[1] is complex:
        return same_value(expected[2].real, actual[2].real) and same_value(expected[2].imag,
                                                                           actual[2].imag)
    return False


def call_text(args: Sequence[Any]) -> str:
    """A call a human can paste: floats as float('nan') / float('inf') where needed."""
    def arg(x: Any) -> str:
        if type(x) is float and not math.isfinite(x):
            return f"float({str(x)!r})"
        return repr(x)
    return f"generated({', '.join(arg(a) for a in args)})"


def report(source: str, what: str, args: Sequence[Any] | None = None) -> str:
    """The failure, and a script that reproduces it."""
    call = call_text(args) if args is not None else "generated(...)"
    return (f"{what}\n--- reproduce: save as repro.py, run with PYTHONPATH=<jitcore checkout> ---\n"
            f"{source}\n\nfrom jitcore import jit\n"
            f"jitted = jit(strict=True)(generated)\n"
            f"print('CPython', repr({call}))\n"
            f"print('jitcore', repr(jitted{call[len('generated'):]}))\n")


# -- the test ------------------------------------------------------------------------
def compile_strictly(source: str, param_types: Sequence[str]) -> Any:
    """The program's `generated`, jitted strictly (its helpers too) and compiled for its types
    (arrays: C-contiguous NumPy ones; other layouts compile, strictly, at their first call)."""
    # Half the programs (by their text) leave their helpers plain: the jitted
    # function then compiles them as if decorated (calls.helper_dispatcher).
    plain = zlib.crc32(source.encode()) % 2 == 0
    jitted = jit(strict=True)(make(source, helpers_decorator=None if plain else jit(strict=True)))
    try:
        jitted.compile(*(PYTHON_TYPES[t] if t in PYTHON_TYPES else TupleKind((int, float)) if t == "pair"
                         else _array_kind_for("l" if t == "int_array" else "d", 1, "C", False)
                         for t in param_types))
    except CompileError as exc:
        if DYNAMIC and any(text in str(exc) for text in DYNAMIC_LIMITS):
            COUNTS["capped"] += 1  # not native: counts against the native rate
            reject()
        if any(text in str(exc) for text in GENERATOR_REFUSALS):
            raise AssertionError(report(source, f"generator bug: the program is outside the "
                                                f"subset jitcore documents: {exc}")) from None
        raise AssertionError(report(source, f"jitcore refused a program in its subset: {exc}")) from None
    except Exception as exc:  # a crash inside the compiler
        raise AssertionError(report(source, f"compiling crashed: {type(exc).__name__}: {exc}")) from exc
    return jitted


def run_call(func: Any, args: tuple[Any, ...]) -> tuple[Any, list[tuple[Any, str]], list[Any]]:
    """func(*args) on fresh copies of the array arguments (NumPy ones in the
    same layout): its outcome, its warnings and the arrays' contents afterwards."""
    args = tuple(copy.copy(a) if isinstance(a, array.array) else
                 _strided_view(a.format, a.tolist()) if isinstance(a, memoryview) else
                 copy_like(a) if hasattr(a, "strides") else a for a in args)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = outcome(func, args)
    seen = [(w.category, str(w.message)) for w in caught]
    contents = [(type(a).__name__, a.tolist()) for a in args if hasattr(a, "tolist")]
    return result, seen, contents


def same_contents(expected: list[Any], actual: list[Any]) -> bool:
    return all(e[0] == a[0] and len(e[1]) == len(a[1])
               and all(same_value(x, y) for x, y in zip(e[1], a[1], strict=True))
               for e, a in zip(expected, actual, strict=True))


def check_call(jitted: Any, reference: Any, args: tuple[Any, ...]) -> str | None:
    """None if jitted(*args) does exactly what reference(*args) (plain CPython) does:
    the outcome, the warnings, and what array arguments hold afterwards."""
    expected, expected_warnings, expected_arrays = run_call(reference, args)
    actual, actual_warnings, actual_arrays = run_call(jitted, args)
    if not same(expected, actual):
        return f"{call_text(args)}: jitcore {show_outcome(actual)}, CPython {show_outcome(expected)}"
    if expected_warnings != actual_warnings:
        return f"{call_text(args)}: warnings {actual_warnings}, CPython {expected_warnings}"
    if not same_contents(expected_arrays, actual_arrays):
        return f"{call_text(args)}: arrays after {actual_arrays}, CPython {expected_arrays}"
    return None


# Time-budget mode (JITCORE_FUZZ_SECONDS): how long, examples per batch, where to record.
SECONDS = float(os.environ.get("JITCORE_FUZZ_SECONDS", "0") or 0)
BATCH = int(os.environ.get("JITCORE_FUZZ_BATCH", "100"))
RECORD_FILE = os.environ.get("JITCORE_FUZZ_RECORD")
# Programs compiled and calls compared so far in this process (every mode).
# "capped": programs that did not compile for jitcore's cap on type combinations
# (the native rate is programs / (programs + capped); every other refusal fails).
COUNTS = {"programs": 0, "calls": 0, "capped": 0}


def native_rate(programs: int, capped: int) -> str:
    return f"native rate {100.0 * programs / max(1, programs + capped):.2f}% ({capped} capped)"


def check_program(program, data):
    """One example: compile the program strictly and compare CALLS_PER_PROGRAM calls."""
    source, param_types = program
    note(f"program:\n{source}")
    if LAST_PROGRAM_FILE:
        with open(LAST_PROGRAM_FILE, "w") as f:
            f.write(source)
    jitted = compile_strictly(source, param_types)
    reference = make(source)  # helpers plain too: jitted.py_func would call the jitted ones
    arguments = st.tuples(*(ARGUMENTS[t] for t in param_types))
    for _ in range(CALLS_PER_PROGRAM):
        args = data.draw(arguments, label="args")
        if LAST_PROGRAM_FILE:
            with open(LAST_PROGRAM_FILE, "a") as f:
                f.write(f"# {call_text(args)}\n")
        problem = check_call(jitted, reference, args)
        COUNTS["calls"] += 1
        assert problem is None, report(source, f"jitcore differs from CPython: {problem}", args)
    assert jitted.failure is None and len(jitted.signatures) >= 1, report(source, "not compiled natively")
    COUNTS["programs"] += 1


@settings(max_examples=EXAMPLES, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much,
                                 HealthCheck.data_too_large])
@given(program=programs(max_helpers=HELPERS, dynamic=DYNAMIC, arrays=ARRAYS), data=st.data())
def test_random_programs(program, data):
    check_program(program, data)


def run_for(seconds: float, batch: int = BATCH) -> dict:
    """Fuzz in batches of `batch` examples until `seconds` have passed; the counts and
    the failure reports (one per failing batch: the run goes on after a failure)."""
    one_batch = settings(max_examples=batch, deadline=None, database=None,
                         suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much,
                                                HealthCheck.data_too_large])(
        given(program=programs(max_helpers=HELPERS, dynamic=DYNAMIC, arrays=ARRAYS), data=st.data())(
            check_program))
    start = time.monotonic()
    programs_before, calls_before, capped_before = COUNTS["programs"], COUNTS["calls"], COUNTS["capped"]
    failures = []
    batches = 0
    while batches == 0 or time.monotonic() - start < seconds:
        batches += 1
        try:
            one_batch()
        except Exception as exc:  # noqa: BLE001 - recorded, reported at the end
            notes = "\n".join(getattr(exc, "__notes__", ()))  # the program, the arguments
            failures.append(f"{type(exc).__name__}: {exc}\n{notes}")
        if RECORD_FILE:  # written after every batch: a crash keeps the counts so far
            record = dict(programs=COUNTS["programs"] - programs_before,
                          calls=COUNTS["calls"] - calls_before, capped=COUNTS["capped"] - capped_before,
                          failures=len(failures),
                          batches=batches, seconds=round(time.monotonic() - start, 1),
                          reports=failures)
            with open(RECORD_FILE, "w") as f:
                json.dump(record, f, indent=1)
    return dict(programs=COUNTS["programs"] - programs_before, calls=COUNTS["calls"] - calls_before,
                capped=COUNTS["capped"] - capped_before, failures=failures, batches=batches, seconds=time.monotonic() - start)


if SECONDS:
    def test_random_programs_for_a_time_budget():
        result = run_for(SECONDS)
        summary = (f"{result['programs']} programs, {result['calls']} calls, "
                   f"{len(result['failures'])} failures, "
                   f"{native_rate(result['programs'], result['capped'])}")
        print(f"\n{summary} ({result['batches']} batches, {result['seconds']:.0f} s)")
        assert result["programs"] > 0
        assert not result["failures"], summary + "\n\n" + "\n\n".join(result["failures"][:3])


def test_generated_programs_are_valid_python():
    """The generator's own sanity: programs execute in CPython, types as declared."""
    @settings(max_examples=30, deadline=None, database=None,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
    @given(program=programs(max_helpers=2, dynamic=True))
    def check(program):
        source, param_types = program
        func = make(source)
        assert func.__code__.co_argcount == len(param_types)
        for c in func.__code__.co_consts:  # (the big ints meant to be big, and what they fold from)
            assert not isinstance(c, int) or -(2**63) <= c < 2**63 or c in BIG_VALUES \
                or c in (2**63, 2**100), f"folded constant {c}\n{source}"
    check()
