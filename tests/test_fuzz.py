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
so the calls are native) and have locals whose type changes or that may be
unbound. The generator stays inside the subset jitcore compiles, so a
CompileError is a failure too (except jitcore's documented cap on the type
combinations one block is compiled for, which dynamic locals can reach).

    JITCORE_FUZZ_EXAMPLES=100000 python -m pytest tests/test_fuzz.py   # long run
    JITCORE_FUZZ_LAST=/tmp/last.py ...   # write each program and its arguments
                                         # there first (a reproducer after a crash)
    JITCORE_FUZZ_HELPERS=0 ...           # no helper functions
    JITCORE_FUZZ_DYNAMIC=0 ...           # every local keeps one type
"""

from __future__ import annotations

import math
import os
from typing import Any, Optional, Sequence, Tuple

from conftest import INT64_EDGES, outcome, same_outcome, same_value, show_outcome
from fuzz_programs import PYTHON_TYPES, make, programs
from hypothesis import HealthCheck, given, note, reject, settings
from hypothesis import strategies as st

from jitcore import CompileError, jit

EXAMPLES = int(os.environ.get("JITCORE_FUZZ_EXAMPLES", "150"))
CALLS_PER_PROGRAM = 8
LAST_PROGRAM_FILE = os.environ.get("JITCORE_FUZZ_LAST")
# Up to this many helper functions h0, h1, ... (jitted too) that the generated function,
# and later helpers, call natively (see fuzz_programs).
HELPERS = int(os.environ.get("JITCORE_FUZZ_HELPERS", "2"))

# Dynamic variables (fuzz_programs' dynamic=True): locals whose type changes, some maybe
# unbound, compiled by basic block versioning. JITCORE_FUZZ_DYNAMIC=0 leaves them out.
DYNAMIC = os.environ.get("JITCORE_FUZZ_DYNAMIC", "1") not in ("", "0")

# CompileError texts that mean the generator left the subset (refusals jitcore documents
# for locals whose types differ between paths or that may be unbound; see translate.py):
# fix the generator, not jitcore.
GENERATOR_REFUSALS = ("different types on different paths", "may be unbound",
                      "too many combinations of local types")
# ...except that with dynamic variables, jitcore's limit on type combinations is expected.
DYNAMIC_LIMITS = ("too many combinations of local types",)

FLOAT_SPECIALS = [0.0, -0.0, 1.0, -1.0, 0.5, -0.5, 1.5, 2.5, -2.5, 3.0, 1e308, -1e308, math.inf,
                  -math.inf, math.nan, 5e-324, -5e-324, 2.2250738585072014e-308, 1e-300,
                  2.0**53, 2.0**53 + 2, 2.0**63, -(2.0**63), 2.0**64, 9.223372036854775e18,
                  4503599627370495.5, 1e16, 0.1, math.pi, 1e300, 123456.789]

INT_ARGS = st.one_of(st.sampled_from(INT64_EDGES), st.integers(-100, 100),
                     st.integers(-(2**63), 2**63 - 1))
FLOAT_ARGS = st.one_of(st.sampled_from(FLOAT_SPECIALS), st.floats(),
                       st.integers(-100, 100).map(float), st.floats(-1e6, 1e6))
ARGUMENTS = {"int": INT_ARGS, "bool": st.booleans(), "float": FLOAT_ARGS}


# -- comparison (conftest's: types exact, floats by bits, NaN == NaN, exceptions by message) --
def same(expected: Tuple[str, type, Any], actual: Tuple[str, type, Any]) -> bool:
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


def report(source: str, what: str, args: Optional[Sequence[Any]] = None) -> str:
    """The failure, and a script that reproduces it."""
    call = call_text(args) if args is not None else "generated(...)"
    return (f"{what}\n--- reproduce: save as repro.py, run with PYTHONPATH=<jitcore checkout> ---\n"
            f"{source}\n\nfrom jitcore import jit\n"
            f"jitted = jit(strict=True)(generated)\n"
            f"print('CPython', repr({call}))\n"
            f"print('jitcore', repr(jitted{call[len('generated'):]}))\n")


# -- the test ------------------------------------------------------------------------
def compile_strictly(source: str, param_types: Sequence[str]) -> Any:
    """The program's `generated`, jitted strictly (its helpers too) and compiled for its types."""
    jitted = jit(strict=True)(make(source, helpers_decorator=jit(strict=True)))
    try:
        jitted.compile(*(PYTHON_TYPES[t] for t in param_types))
    except CompileError as exc:
        if DYNAMIC and any(text in str(exc) for text in DYNAMIC_LIMITS):
            reject()
        if any(text in str(exc) for text in GENERATOR_REFUSALS):
            raise AssertionError(report(source, f"generator bug: the program is outside the "
                                                f"subset jitcore documents: {exc}")) from None
        raise AssertionError(report(source, f"jitcore refused a program in its subset: {exc}")) from None
    except Exception as exc:  # a crash inside the compiler
        raise AssertionError(report(source, f"compiling crashed: {type(exc).__name__}: {exc}")) from exc
    return jitted


def check_call(jitted: Any, reference: Any, args: Tuple[Any, ...]) -> Optional[str]:
    """None if jitted(*args) does exactly what reference(*args) (plain CPython) does."""
    expected = outcome(reference, args)
    actual = outcome(jitted, args)
    if same(expected, actual):
        return None
    return (f"{call_text(args)}: jitcore {show_outcome(actual)}, CPython {show_outcome(expected)}")


@settings(max_examples=EXAMPLES, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much,
                                 HealthCheck.data_too_large])
@given(program=programs(max_helpers=HELPERS, dynamic=DYNAMIC), data=st.data())
def test_random_programs(program, data):
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
        assert problem is None, report(source, f"jitcore differs from CPython: {problem}", args)
    assert jitted.failure is None and len(jitted.signatures) == 1, report(source, "not compiled natively")


def test_generated_programs_are_valid_python():
    """The generator's own sanity: programs execute in CPython, types as declared."""
    @settings(max_examples=30, deadline=None, database=None,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
    @given(program=programs(max_helpers=2, dynamic=True))
    def check(program):
        source, param_types = program
        func = make(source)
        assert func.__code__.co_argcount == len(param_types)
        for c in func.__code__.co_consts:
            assert not isinstance(c, int) or -(2**63) <= c < 2**63, f"folded constant {c}\n{source}"
    check()
