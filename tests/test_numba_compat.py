"""numba code under jitcore: njit, numba's keywords, signature strings and
eager compilation (README: "Coming from numba"; jitcore/signatures.py)."""

from __future__ import annotations

import array
import importlib.util
import math
import os
import runpy
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest
from conftest import INT64_EDGES, assert_same

from jitcore import CompileError, JitWarning, jit, njit
from jitcore.calls import ArrayKind, TupleKind, _array_kind_for
from jitcore.signatures import SignatureError, parse

HERE = Path(__file__).resolve().parent
SCRIPT = HERE / "numba_script.py"


def C(code, ndim=1, readonly=False):
    return _array_kind_for(code, ndim, "C", readonly)


def A(code, ndim=1, readonly=False):
    return _array_kind_for(code, ndim, "A", readonly)


def keys(spec):
    return [key for sig in parse(spec) for key in sig.keys()]


# -- keywords ------------------------------------------------------------------------

def uses_a_string(n):
    return len(str(n))  # str() and len() of a str: CPython only


def test_njit_is_jit_with_nopython_which_is_strict():
    # numba's njit never falls back to object mode: jitcore's njit never
    # falls back to CPython (CompileError instead), like strict=True.
    for decorated in (njit(uses_a_string), njit()(uses_a_string), jit(nopython=True)(uses_a_string),
                      njit(nopython=True)(uses_a_string), njit(strict=True)(uses_a_string)):
        assert decorated.strict
        with pytest.raises(CompileError, match="str"):
            decorated(12)


@pytest.mark.parametrize("options", [{}, {"nopython": False}, {"forceobj": True}, {"strict": False},
                                     {"forceobj": True, "nopython": False}, {"looplift": False}])
def test_nopython_false_and_forceobj_are_the_fallback_to_cpython(options):
    f = jit(**options)(uses_a_string)
    assert not f.strict
    with pytest.warns(JitWarning, match="running it in CPython"):
        assert f(12345) == 5


@pytest.mark.parametrize("call, message", [
    (lambda: jit(nopython=True, forceobj=True), "only one of them"),
    (lambda: jit(strict=False, nopython=True), "contradict"),
    (lambda: jit(strict=True, forceobj=True), "contradict"),
    (lambda: njit(nopython=False), "njit means nopython=True"),
    (lambda: njit(forceobj=True), "njit means nopython=True"),
    (lambda: njit(strict=False), "njit means nopython=True"),
])
def test_contradicting_keywords_raise_value_error(call, message):
    with pytest.raises(ValueError, match=message):
        call()


@pytest.mark.parametrize("decorator", [jit, njit])
def test_an_unknown_keyword_is_a_type_error_listing_the_accepted_ones(decorator):
    with pytest.raises(TypeError) as info:
        decorator(fastmaths=True)
    message = str(info.value)
    assert "'fastmaths'" in message and f"{decorator.__name__}()" in message
    for accepted in ("strict", "nogil", "nopython", "cache", "fastmath", "parallel", "boundscheck",
                     "error_model", "inline", "locals", "forceobj", "looplift", "debug"):
        assert accepted in message


@pytest.mark.parametrize("options, error, message", [
    ({"cache": "yes"}, TypeError, "cache takes True or False"),
    ({"nogil": 1}, TypeError, "nogil takes True or False"),
    ({"fastmath": "fast"}, ValueError, "fastmath takes True, False or a set of"),
    ({"fastmath": {"nnan", "fastest"}}, ValueError, "fastmath takes"),
    ({"error_model": "c"}, ValueError, "'python' or 'numpy'"),
    ({"inline": "sometimes"}, ValueError, "'never', 'always' or a function"),
    ({"boundscheck": "no"}, TypeError, "boundscheck takes True or False"),
    ({"locals": ["x"]}, TypeError, "a dict of local names"),
    ({"parallel": "yes"}, ValueError, "parallel takes"),
])
def test_a_keyword_with_a_value_numba_would_not_take_is_an_error(options, error, message):
    with pytest.raises(error, match=message):
        jit(**options)


def float_kernel(a, b):
    # (a + b) - b is not a: reassociating it (as fastmath allows) would change it;
    # a != a is True for NaN (nnan would assume False).
    return (a + b) - b, a != a, math.sqrt(abs(a)) / (b or 1.0)


SILENT_OPTIONS = [{"cache": True}, {"cache": False}, {"fastmath": True}, {"fastmath": False},
                  {"fastmath": {"nnan", "ninf", "contract"}}, {"boundscheck": True},
                  {"boundscheck": False}, {"boundscheck": None}, {"inline": "always"},
                  {"inline": "never"}, {"looplift": True}, {"debug": True}, {"error_model": "python"},
                  {"nogil": True}, {"parallel": False}, {"locals": {}},
                  {"cache": True, "fastmath": True, "nogil": True, "boundscheck": False}]


@pytest.mark.parametrize("options", SILENT_OPTIONS)
def test_options_that_change_nothing_pass_quietly_and_results_stay_cpythons(options):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        f = njit(**options)(float_kernel)
        for a, b in [(1e-16, 1.0), (float("nan"), 2.0), (-0.0, 0.0), (1e308, 1e308), (3.0, -7.5)]:
            assert_same(f, a, b)
    assert f.signatures == [(float, float)]  # native code, no fallback


def sum_to(a, n):
    total = 0.0
    for i in range(n):
        total += a[i]
    return total


@pytest.mark.parametrize("boundscheck", [False, None, True])
def test_bounds_are_always_checked_whatever_boundscheck_says(boundscheck):
    f = njit(boundscheck=boundscheck)(sum_to)
    for a in (np.arange(5.0), array.array("d", [1.0, 2.0, 3.0])):
        assert_same(f, a, len(a))
        assert_same(f, a, len(a) + 1)  # IndexError, as in CPython (numba without boundscheck reads past)
        with pytest.raises(IndexError):
            f(a, len(a) + 1)
    assert len(f.signatures) == 2


def test_parallel_true_warns_at_the_decorator_that_calls_run_on_one_thread():
    with pytest.warns(JitWarning, match="one thread") as caught:
        f = njit(parallel=True)(sum_to)
    assert caught[0].filename == __file__
    assert "nogil=True" in str(caught[0].message) and "prange" in str(caught[0].message)
    assert_same(f, np.arange(10.0), 10)
    with pytest.warns(JitWarning, match="one thread"):
        njit(parallel={"prange": True})(sum_to)


def divide(a, b):
    return a / b


def test_error_model_numpy_warns_that_python_semantics_are_kept():
    with pytest.warns(JitWarning, match="ZeroDivisionError") as caught:
        f = njit(error_model="numpy")(divide)
    assert caught[0].filename == __file__
    assert_same(f, 1.0, 0.0)  # ZeroDivisionError, as in CPython (numba's numpy model: inf)
    with pytest.raises(ZeroDivisionError):
        f(1.0, 0.0)
    with np.errstate(divide="ignore"):
        assert f(np.float64(1.0), np.float64(0.0)) == math.inf  # NumPy's own rules, as in CPython


def test_locals_are_ignored_with_a_warning():
    with pytest.warns(JitWarning, match="locals= is ignored"):
        f = njit(locals={"total": "float32"})(sum_to)
    assert_same(f, np.arange(4.0), 4)


def test_with_jitcore_disabled_functions_are_returned_but_mistakes_still_raise(monkeypatch):
    monkeypatch.setenv("JITCORE_DISABLE", "1")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert njit(parallel=True)(sum_to) is sum_to
        assert njit("float64(float64[:], int64)")(sum_to) is sum_to
    with pytest.raises(TypeError, match="'paralel'"):
        njit(paralel=True)
    with pytest.raises(SignatureError):
        njit("float64(flot64)")


# -- signature parsing ---------------------------------------------------------------

@pytest.mark.parametrize("spec, expected", [
    ("int64(int64)", [(int,)]),
    ("float64(float64, float64)", [(float, float)]),
    ("(int64, float64)", [(int, float)]),
    ("  i8 ( f8 ,b1 ) ", [(float, bool)]),
    ("boolean(bool_, boolean)", [(bool, bool)]),
    ("int32(int32, uint8, float32, uint64)", [(np.int32, np.uint8, np.float32, np.uint64)]),
    ("intp(intp, double, byte)", [(int, float, np.uint8)]),
    ("float64[:](float64[:])", [(C("d"),), (A("d"),)]),
    ("int64(float64[:, :])", [(C("d", 2),), (A("d", 2),)]),
    ("void(float64[::1])", [(C("d"),)]),
    ("void(int32[:, ::1])", [(C("i", 2),)]),
    ("void(float32[::1, :])", [(A("f", 2),)]),
    ("void(uint8[::1], boolean[:])", [(C("B"), C("?")), (C("B"), A("?"))]),
    ("none(none)", [(type(None),)]),
    ("(int64,) -> int64", [(int,)]),
    ("(array(float64, 2d, C), readonly array(int64, 1d, A)) -> none",
     [(C("d", 2), C("l", 1, True)), (C("d", 2), A("l", 1, True))]),
    ("void(float64[:], int32[:, :], int64)", [(C("d"), C("i", 2), int), (A("d"), A("i", 2), int)]),
    ("int64(UniTuple(int64, 2), Tuple(int64, float64))",
     [(TupleKind((int, int)), TupleKind((int, float)))]),
    ("int64(UniTuple(int64 x 3), Tuple((boolean, float64)))",
     [(TupleKind((int, int, int)), TupleKind((bool, float)))]),
    (["int64(int64)", "float64(float64)"], [(int,), (float,)]),
    ((int, float), [(int, float)]),
    ((np.float32, "float64[::1]", bool, None), [(np.float32, C("d"), bool, type(None))]),
    ([(int,), "(float64,)"], [(int,), (float,)]),
    ((C("d"), A("l", 2)), [(C("d"), A("l", 2))]),  # what f.signatures lists
])
def test_signatures_name_the_argument_types_jitcore_compiles(spec, expected):
    assert keys(spec) == expected


def test_a_signature_keeps_its_declared_return_type():
    (sig,) = parse("float64(int64)")
    assert sig.returns == "float64" and sig.accepts(("float",)) and sig.accepts(("np.float32",))
    assert not sig.accepts(("int",)) and not sig.accepts(("none",)) and not sig.accepts(("tuple", "float"))
    (sig,) = parse("(int64)")
    assert sig.returns is None and sig.accepts(("int",)) and sig.accepts(("tuple", "int"))
    (sig,) = parse("UniTuple(int32, 2)(int64)")
    assert sig.accepts(("tuple", "int", "np.int64")) and not sig.accepts(("tuple", "int", "float"))


class FakeNumbaType:
    """Stands for a numba type object (numba itself is not needed): read by its printed form."""

    __module__ = "numba.core.types.npytypes"

    def __init__(self, text):
        self.text = text

    def __str__(self):
        return self.text


def test_numba_type_objects_are_read_by_their_printed_form_without_importing_numba():
    assert keys(FakeNumbaType("(int64, float64) -> float64")) == [(int, float)]
    assert keys((FakeNumbaType("array(float64, 1d, A)"), FakeNumbaType("int64"))) == [
        (C("d"), int), (A("d"), int)]
    assert keys([FakeNumbaType("(int64,) -> int64"), "float64(float64)"]) == [(int,), (float,)]
    f = njit(FakeNumbaType("(int64,) -> int64"))(lambda_free_square)
    assert f.signatures == [(int,)]
    # a numba Signature prints arrays by their repr: its args and return_type are read instead
    sig = FakeNumbaType("(Array(float64, 1, 'C', False, aligned=True),) -> float64")
    sig.args, sig.return_type = (FakeNumbaType("array(float64, 1d, C)"),), FakeNumbaType("float64")
    (parsed,) = parse(sig)
    assert parsed.keys() == [(C("d"),)] and parsed.returns == "float64"


def lambda_free_square(x):
    return x * x


@pytest.mark.parametrize("spec, message", [
    ("int64(flot64)", "unknown type 'flot64' at column 7"),
    ("int64(int64", "expected ',' or '\\)', found the end"),
    ("int64 int64)", "expected '\\(', found 'int64'"),
    ("int64(int64) int64", "unexpected 'int64' at column 14"),
    ("int64(int64$)", "unexpected '\\$' at column 12"),
    ("", "expected a type, found the end"),
    ("int64", "expected '\\(', found the end"),
    ("complex128(complex128)", "complex128: complex numbers run in CPython"),
    ("float16(float16)", "float16 is not among the NumPy types"),
    ("float64(float64[:, :, :])", "a 3-D array: jitcore compiles arrays of 1 and 2 dimensions"),
    ("void(float64[:, ::1, :])", "'::1' marks the contiguous axis"),
    ("void(readonly int64)", "readonly applies to arrays only"),
    ("void(array(float64, 1d, Z))", "expected 'C' or 'F' or 'A', found 'Z'"),
    ("void(UniTuple(int64, two))", "expected a number"),
    (42, "cannot read the signature 42 \\(a int\\)"),
    ([], "an empty list of signatures"),
    ((int, "flot64"), "unknown type 'flot64'"),
    ((list,), "cannot read the argument type <class 'list'>"),
])
def test_an_unreadable_signature_says_where_and_what_is_expected(spec, message):
    with pytest.raises(SignatureError, match=message) as info:
        parse(spec)
    assert isinstance(info.value, ValueError)
    with pytest.raises(SignatureError, match=message):
        njit(spec)  # at the decorator, before any function is seen
    if isinstance(spec, str):
        assert "a signature is written as numba writes it" in str(info.value)


# -- eager compilation ---------------------------------------------------------------

def mix(a, b):
    return a * b - a // (b or 1) + (a ^ b)


def test_signatures_compile_at_the_decorator():
    f = njit("int64(int64, int64)")(mix)
    assert f.signatures == [(int, int)]  # before any call
    g = njit(["int64(int64, int64)", "float64(float64, float64)"])(lambda_free_hypot)
    assert g.signatures == [(int, int), (float, float)]
    h = jit("float64(float64[:], int64)")(sum_to)
    assert h.signatures == [(C("d"), int), (A("d"), int)]
    for a in (np.arange(6.0), np.arange(12.0)[::2]):
        assert_same(h, a, 6)
    assert len(h.signatures) == 2  # the C-contiguous and the strided array found their code


def lambda_free_hypot(a, b):
    return a * a + b * b


def test_eagerly_compiled_functions_give_cpythons_answers_on_int64_edges():
    f = njit("int64(int64, int64)")(mix)
    compiled = list(f.signatures)
    for a in INT64_EDGES:
        for b in INT64_EDGES[::3]:
            assert_same(f, a, b)  # overflow past int64: CPython's exact int, never wrapped
    assert f(2**62, 4) == mix(2**62, 4) == 2**64 - 2**60 + (2**62 ^ 4)
    assert f.signatures == compiled  # (no new compiles: the eager one served every call)
    g = njit("float64(float64, float64)")(lambda_free_hypot)
    for a, b in [(1e200, 1e200), (-0.0, 0.0), (float("nan"), 1.0), (float("inf"), -1.0), (5e-324, 3.0)]:
        assert_same(g, a, b)


def test_other_argument_types_still_compile_on_their_first_call():
    f = njit("int64(int64)")(lambda_free_square)
    assert f(1.5) == 2.25 and f(True) == 1  # numba would refuse these; jitcore compiles them
    assert f.signatures == [(int,), (float,), (bool,)]


def test_a_narrow_numpy_type_names_that_numpy_scalar():
    f = njit("int32(int32)")(lambda_free_square)
    assert f.signatures == [(np.int32,)]
    assert_same(f, np.int32(1000))
    with np.errstate(over="ignore"):
        assert_same(f, np.int32(100000))  # wraps (NumPy's warning, here ignored), as in CPython
    assert f.signatures == [(np.int32,)]
    assert type(f(np.int32(3))) is np.int32  # NumPy's type kept (numba returns an int)


def not_native(n):
    return len(str(n))


def test_a_strict_signature_that_does_not_compile_raises_at_the_decorator():
    with pytest.raises(CompileError, match="str") as info:
        njit("int64(int64)")(not_native)
    assert info.value.function == "not_native"


def test_a_signature_that_does_not_compile_warns_at_the_decorator_and_runs_in_cpython():
    with pytest.warns(JitWarning, match="running it in CPython") as caught:
        f = jit("int64(int64)")(not_native)
    assert caught[0].filename == __file__
    assert f.signatures == [] and f(12345) == 5


def test_compile_takes_a_signature_string_as_numbas_compile_does():
    f = jit(sum_to)
    compiled = f.compile("float64(float64[:], int64)")
    assert compiled.signature == ("array:d:1C", "int")
    assert f.signatures == [(C("d"), int), (A("d"), int)]
    with pytest.raises(SignatureError, match="has 1 argument types"):
        f.compile("float64(float64[:])")
    with pytest.raises(CompileError, match="str"):
        njit(not_native).compile("int64(int64)")
    with pytest.warns(JitWarning, match="str") as caught, pytest.raises(CompileError, match="str"):
        jit(not_native).compile("int64(int64)")
    assert caught[0].filename == __file__


def test_a_signature_of_the_wrong_length_is_an_error_at_the_decorator():
    with pytest.raises(SignatureError, match=r"has 2 argument types, but lambda_free_square\(\) takes 1"):
        njit("int64(int64, int64)")(lambda_free_square)


def half(n):
    return n // 2


def maybe_half(n):
    if n > 0:
        return n / 2
    return n


def store(a, x):
    a[0] = x


def divmod_of(a, b):
    return divmod(a, b)


def test_a_declared_return_type_that_differs_warns_and_cpythons_result_is_returned():
    # numba would convert the result to the declared type; jitcore gives CPython's.
    with pytest.warns(JitWarning, match=r"half\(int\) is declared to return float64 but returns int: "
                                        r"jitcore returns what CPython returns") as caught:
        f = njit("float64(int64)")(half)
    assert caught[0].filename == __file__
    assert f(7) == 3 and type(f(7)) is int
    with pytest.warns(JitWarning, match="declared to return int64 but returns float"):
        njit("int64(int64)")(maybe_half)
    with pytest.warns(JitWarning, match="declared to return none but returns int"):
        njit("void(int64)")(half)


@pytest.mark.parametrize("spec, func", [
    ("int64(int64)", half), ("int32(int64)", half), ("uint8(int64)", half),
    ("void(float64[::1], float64)", store), ("none(int64[:], int64)", store),
    ("(int64)", maybe_half), ("UniTuple(int64, 2)(int64, int64)", divmod_of),
])
def test_a_matching_declared_return_type_is_quiet(spec, func):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert njit(spec)(func).signatures


# -- typing --------------------------------------------------------------------------

def test_dispatcher_is_generic_for_type_checkers_only():
    # At run time Dispatcher is a plain subclass of the C base type: the
    # same MRO (and so the same calls) as without typing, and typing is not imported.
    from jitcore import Dispatcher
    from jitcore.dispatcher import _DispatcherBase

    assert Dispatcher.__mro__ == (Dispatcher, _DispatcherBase, object)
    assert Dispatcher[[int, float], float].__origin__ is Dispatcher
    # (what the interpreter's start-up imported, a site hook say, does not count)
    out = subprocess.run([sys.executable, "-c", "import sys\nbefore = set(sys.modules)\nimport jitcore\n"
                          "jitcore.njit(cache=True, fastmath=True)(lambda x: x)\n"
                          "print('typing' in set(sys.modules) - before)"], capture_output=True, text=True)
    assert out.stdout.strip() == "False", out.stderr


def test_the_typing_example_runs():
    # tests/typing/user_script.py is what the lint session checks with mypy --strict;
    # its well-typed part must also run.
    runpy.run_path(str(HERE / "typing" / "user_script.py"), run_name="__main__")


# -- a real numba program ------------------------------------------------------------

def run_script(path, **env):
    out = subprocess.run([sys.executable, "-W", "error", str(path)], capture_output=True, text=True,
                         env={**os.environ, **env}, timeout=300)
    assert out.returncode == 0, out.stderr
    return out.stdout


def test_the_numba_script_prints_what_cpython_prints():
    jitted = run_script(SCRIPT)  # (-W error: not a warning either)
    assert jitted == run_script(SCRIPT, JITCORE_DISABLE="1")
    assert "primes below 100000: 9592" in jitted


def test_the_numba_script_runs_natively():
    module = runpy.run_path(str(SCRIPT))
    eager = {"monte_carlo_pi": [(int, int)], "collatz_steps": [(int,)],
             "dot": [(C("d"), C("d")), (A("d"), A("d")), (C("l"), C("l")), (A("l"), A("l"))]}
    for name, signatures in eager.items():
        assert module[name].signatures == signatures, name  # compiled at import, before a call
    module["main"]()
    for name in ("prime_sieve", "pairwise_distances", "longest_collatz"):
        assert module[name].signatures, name  # compiled by the calls: njit would have raised otherwise


@pytest.mark.skipif(importlib.util.find_spec("numba") is None, reason="numba is not installed")
def test_the_numba_script_prints_what_numba_prints(tmp_path):
    text = SCRIPT.read_text()
    assert text.count("from jitcore import njit\n") == 1
    with_numba = tmp_path / "with_numba.py"
    with_numba.write_text(text.replace("from jitcore import njit\n", "from numba import njit\n"))
    out = subprocess.run([sys.executable, str(with_numba)], capture_output=True, text=True,
                         env={**os.environ, "NUMBA_CACHE_DIR": str(tmp_path / "cache")}, timeout=600)
    assert out.returncode == 0, out.stderr
    assert out.stdout == run_script(SCRIPT)


def test_array_kinds_are_shared_with_the_dispatcher():
    # f.signatures lists the same objects the signature made (the C fast path compares them by identity)
    f = njit("float64(float64[::1], int64)")(sum_to)
    (key,) = f.signatures
    assert key[0] is C("d") and isinstance(key[0], ArrayKind)


REAL_NUMBA_TYPES = """
import numba
from jitcore import njit
from jitcore.calls import _array_kind_for as kind
from jitcore.signatures import parse

def square(x):
    return x * x

def store(a, x):
    a[0] = x

assert njit(numba.int64(numba.int64))(square).signatures == [(int,)]
g = njit([numba.void(numba.float64[::1], numba.float64), (numba.int32[:], numba.int64)])(store)
assert g.signatures == [(kind("d", 1, "C", False), float), (kind("i", 1, "C", False), int),
                        (kind("i", 1, "A", False), int)], g.signatures
(sig,) = parse(numba.float64(numba.float32[:, ::1], numba.boolean))
assert sig.keys() == [(kind("f", 2, "C", False), bool)] and sig.returns == "float64", sig
print("ok")
"""


@pytest.mark.skipif(importlib.util.find_spec("numba") is None, reason="numba is not installed")
def test_real_numba_type_objects_are_read_by_their_printed_form():
    # (in a child: numba's LLVM maps memory read-write-execute, which this
    # process's own checks of its mappings would find)
    out = subprocess.run([sys.executable, "-c", REAL_NUMBA_TYPES], capture_output=True, text=True,
                         timeout=300)
    assert out.returncode == 0 and out.stdout.strip() == "ok", out.stderr
