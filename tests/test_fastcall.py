"""The C fast path of calls (jitcore._fastcall, csrc/fastcall.c).

A call whose arguments are exactly of a compiled signature is served by the C
base type of Dispatcher; every other call goes to Dispatcher._call_slow, the
Python path. These tests check that the fast path really is what runs, that it
gives exactly what CPython gives (differentially, through conftest's
assert_same), and that every case it does not handle reaches the Python path
or CPython unchanged.
"""

from __future__ import annotations

import enum
import gc
import math
import struct
import subprocess
import sys
import threading
import warnings
import weakref

import pytest
from conftest import INT64_EDGES, assert_same, same_value
from hypothesis import given, settings
from hypothesis import strategies as st
from programs import make

import jitcore
import jitcore.calls as calls
import jitcore.dispatcher as dispatcher
from jitcore import (
    JitWarning,
    _fastcall,  # built with jitcore._native: a missing one must fail
    abi,
    jit,
)
from jitcore._native import ffi
from jitcore.runtime import CodeBlock, ExecMemError

INT64_MAX = 2**63 - 1
INT64_MIN = -(2**63)


# ---------------------------------------------------------------- helpers


def add(a, b):
    return a + b


def mul(a, b):
    return a * b


def ident(a):
    return a


def floordiv(a, b):
    return a // b


def mixed(a, b):
    if a > b:
        return a, b
    if a == b:
        return 1.5, a, True
    return a - b


def nothing(a):
    if a > 0:
        return None
    return


def compare(a, b):
    return a < b


def depth_func(n):
    if n == 0:
        return 0
    return 1 + depth_func(n - 1)


depth_func = jit(strict=True)(depth_func)


class IntColor(enum.IntEnum):
    RED = 1
    BLUE = 2


class MyInt(int):
    pass


class MyFloat(float):
    pass


@pytest.fixture
def slow_calls(monkeypatch):
    """Count the calls that reach the Python path (Dispatcher._call_slow)."""
    calls = []
    real = dispatcher.Dispatcher._call_slow

    def counting(self, *args, **kwargs):
        calls.append(args)
        return real(self, *args, **kwargs)

    monkeypatch.setattr(dispatcher.Dispatcher, "_call_slow", counting)
    return calls


def consistent(jitted) -> bool:
    """The C table holds exactly the signatures the Python side compiled."""
    return set(jitted._fast_signatures()) == set(jitted.signatures)


def handle_of(block: CodeBlock) -> int:
    return int(ffi.cast("uintptr_t", block.handle))


def raw(code: bytes, key, shapes=(), name=add):
    """A dispatcher whose signature `key` runs hand-written machine code."""
    jitted = jit(name)
    block = CodeBlock(code)
    assert jitted._add_entry(tuple(key), handle_of(block), list(shapes), block) is True
    return jitted


RET_OK = bytes([0x31, 0xC0, 0xC3])  # xor eax, eax; ret


def mov_eax(imm: int) -> bytes:
    return bytes([0xB8]) + struct.pack("<I", imm)


def runtime_lib():
    from jitcore._native import lib
    return lib


def bits(x: float) -> int:
    return struct.unpack("<q", struct.pack("<d", x))[0]


# ---------------------------------------------------------------- the C module


def test_constants_match_the_abi():
    assert _fastcall.STATUS_INT == abi.STATUS_INT
    assert _fastcall.STATUS_DEOPT == abi.STATUS_DEOPT
    assert _fastcall.STATUS_NONE == abi.STATUS_NONE
    assert _fastcall.STATUS_BOOL == abi.STATUS_BOOL
    assert _fastcall.STATUS_FLOAT == abi.STATUS_FLOAT
    assert _fastcall.STATUS_INTERRUPT == abi.STATUS_INTERRUPT == runtime_lib().JC_STATUS_INTERRUPT
    assert _fastcall.STATUS_DEPTH == abi.STATUS_DEPTH
    assert _fastcall.STATUS_TUPLE == abi.STATUS_TUPLE
    assert _fastcall.MAX_RESULT_SLOTS == abi.MAX_RESULT_SLOTS
    assert _fastcall.MAX_NATIVE_DEPTH == abi.MAX_NATIVE_DEPTH
    assert _fastcall.MAX_NATIVE_BUDGET == abi.MAX_NATIVE_BUDGET
    lib = runtime_lib()
    assert lib.JC_STATUS_DEPTH == abi.STATUS_DEPTH
    assert (lib.JC_NATIVE_STACK_BYTES, lib.JC_NATIVE_STACK_MARGIN, lib.JC_NATIVE_MAX_FRAME) == \
        (abi.NATIVE_STACK_BYTES, abi.NATIVE_STACK_MARGIN, abi.MAX_FRAME_BYTES)


def test_dispatcher_is_built_on_the_c_base_type():
    assert issubclass(jitcore.Dispatcher, _fastcall.DispatcherBase)
    assert dispatcher._fastcall is _fastcall
    assert "__call__" not in vars(jitcore.Dispatcher)  # the C tp_call / vectorcall serves calls
    # 3.12+ gives the flag to subclasses itself; before, _enable_vectorcall does.
    assert jitcore.Dispatcher.__flags__ & (1 << 11)  # Py_TPFLAGS_HAVE_VECTORCALL


def test_after_the_first_call_the_fast_path_runs(slow_calls):
    jitted = jit(strict=True)(add)
    assert jitted(1, 2) == 3
    assert slow_calls == [(1, 2)]  # the first call compiles, in Python
    for a, b in [(5, 6), (-1, 1), (INT64_MAX, 0), (INT64_MIN, 0)]:
        assert jitted(a, b) == a + b
    assert jitted(*(7, 8), **{}) == 15  # an empty **kwargs is no keyword
    assert slow_calls == [(1, 2)]
    assert jitted._fast_signatures() == [(int, int)]
    assert jitted(1.5, 2.0) == 3.5  # a new signature: Python path, then fast
    assert jitted(2.5, 2.0) == 4.5
    assert slow_calls == [(1, 2), (1.5, 2.0)]
    assert consistent(jitted)


def test_compile_registers_with_the_fast_path(slow_calls):
    jitted = jit(strict=True)(add)
    jitted.compile(float, int)
    assert jitted._fast_signatures() == [(float, int)]
    assert jitted(0.5, 2) == 2.5
    assert slow_calls == []


def test_deopt_runs_cpython_without_the_python_path(slow_calls):
    jitted = jit(strict=True)(mul)
    assert jitted(3, 4) == 12
    del slow_calls[:]
    assert jitted(2**32, 2**32) == 2**64  # int64 overflow: native code deopts
    assert jitted(INT64_MIN, -1) == 2**63
    assert slow_calls == []  # the C path ran py_func itself


# ---------------------------------------------------------------- ints


@pytest.mark.parametrize("func", [add, mul, floordiv, compare, mixed])
def test_int64_edges(func):
    jitted = jit(strict=True)(func)
    for a in INT64_EDGES:
        for b in INT64_EDGES[::3]:
            assert_same(jitted, a, b)
            assert_same(jitted, -a, b)
    assert consistent(jitted)


@pytest.mark.parametrize("args", [
    (2**63, 0), (0, 2**63), (-(2**63) - 1, 0), (2**100, -(2**100)), (INT64_MAX, 1),
])
def test_ints_outside_int64_get_cpythons_result(args, slow_calls):
    jitted = jit(strict=True)(add)
    jitted(1, 1)
    del slow_calls[:]
    assert_same(jitted, *args)
    assert slow_calls == []  # a compiled signature: C runs py_func itself for big ints


def test_division_by_zero_is_cpythons_exception():
    jitted = jit(strict=True)(floordiv)
    assert jitted(7, 2) == 3
    assert_same(jitted, 1, 0)
    assert_same(jitted, 1.0, 0.0)
    assert_same(jitted, INT64_MIN, -1)


# ---------------------------------------------------------------- bools


def test_bool_has_its_own_signature(slow_calls):
    jitted = jit(strict=True)(ident)
    assert jitted(1) == 1 and type(jitted(1)) is int
    assert jitted(True) is True
    assert jitted(False) is False
    assert set(jitted.signatures) == {(int,), (bool,)}
    assert set(jitted._fast_signatures()) == {(int,), (bool,)}
    assert len(slow_calls) == 2  # one compile each
    assert jitted(True) is True and jitted(0) == 0 and type(jitted(0)) is int
    assert len(slow_calls) == 2


@pytest.mark.parametrize("args", [(True, True), (True, 2), (False, -1), (True, 2.5), (False, False)])
def test_bool_arguments_give_cpythons_types(args):
    for func in (add, mul, compare, mixed):
        jitted = jit(strict=True)(func)
        for _ in range(2):  # compile, then fast
            assert_same(jitted, *args)


# ---------------------------------------------------------------- floats


SPECIAL_FLOATS = [0.0, -0.0, 1.5, -2.25, math.inf, -math.inf, math.nan, -math.nan,
                  5e-324, -5e-324, 2.2250738585072014e-308, 1.7976931348623157e308,
                  2.0**63, -(2.0**63), 1e16 + 1]


def test_floats_keep_their_bits():
    jitted = jit(strict=True)(ident)
    jitted(0.5)
    for x in SPECIAL_FLOATS + [struct.unpack("<d", struct.pack("<q", 0x7FF8000000000123))[0]]:
        y = jitted(x)
        assert type(y) is float
        assert struct.pack("<d", y) == struct.pack("<d", x)


@pytest.mark.parametrize("func", [add, mul, floordiv, compare, mixed])
def test_float_arithmetic(func):
    jitted = jit(strict=True)(func)
    for a in SPECIAL_FLOATS:
        for b in SPECIAL_FLOATS[::2] + [3, -1, True]:
            assert_same(jitted, a, b)
            assert_same(jitted, b, a)


# ---------------------------------------------------------------- results


def test_tuples_of_several_shapes_and_none():
    jitted = jit(strict=True)(mixed)
    for args in [(3, 1), (2, 2), (1, 3), (2.5, 2.5), (3.5, 1), (True, False), (True, True)]:
        for _ in range(2):
            assert_same(jitted, *args)
    assert len(jitted.compile(int, int).tuple_shapes) == 2
    nothing_jit = jit(strict=True)(nothing)
    for x in [1, -1, 0.5, True]:
        for _ in range(2):
            assert_same(nothing_jit, x)


def nested(a, b):
    return (a, (b, None)), ((a * 0.5,), a > b)


def test_nested_tuples_are_boxed_by_the_fast_path(slow_calls):
    jitted = jit(strict=True)(nested)
    jitted(1, 2)  # (compiles: through the Python path)
    assert jitted._fast_signatures() == [(int, int)]
    before = len(slow_calls)
    for a, b in [(3, 1), (-(2**63), 2**63 - 1), (0, 0)]:
        assert same_value(jitted(a, b), nested(a, b))
    assert len(slow_calls) == before


def test_results_boxed_from_the_status_of_raw_code():
    # mov qword [rsi], 5; mov rax, bits(2.5); mov [rsi+8], rax;
    # mov qword [rsi+16], 1; mov eax, 32; ret  -> status 32 = tuple shape 0
    code = (bytes([0x48, 0xC7, 0x06, 5, 0, 0, 0, 0x48, 0xB8]) + struct.pack("<q", bits(2.5))
            + bytes([0x48, 0x89, 0x46, 0x08, 0x48, 0xC7, 0x46, 0x10, 1, 0, 0, 0])
            + mov_eax(abi.STATUS_TUPLE) + bytes([0xC3]))
    jitted = raw(code, (int,), shapes=[("int", "float", "bool")])
    assert same_value(jitted(7), (5, 2.5, True))
    jitted = raw(code, (int,), shapes=[("bool", "int", "int")])
    assert same_value(jitted(7), (True, bits(2.5), 1))
    # nested shapes: the same three slots as ((int,), (float, (bool,)), ()), and with a None
    jitted = raw(code, (int,), shapes=[(("int",), ("float", ("bool",)), ())])
    assert same_value(jitted(7), ((5,), (2.5, (True,)), ()))
    jitted = raw(code, (int,), shapes=[("int", ("none", "bool"))])
    assert same_value(jitted(7), (5, (None, True)))
    # status 33: no such shape -> what the Python path raised
    jitted = raw(mov_eax(abi.STATUS_TUPLE + 1) + bytes([0xC3]), (int,), shapes=[("int",)])
    with pytest.raises(IndexError):
        jitted(1)
    # an unknown status -> ExecMemError, as from the Python path
    jitted = raw(mov_eax(9) + bytes([0xC3]), (int,))
    with pytest.raises(ExecMemError, match=r"could not be called \(status 9\)"):
        jitted(1)
    # status 1: deopt -> py_func
    jitted = raw(mov_eax(1) + bytes([0xC3]), (int, int))
    assert jitted(2**40, 3) == 2**40 + 3
    # statuses 2, 3, 4
    assert raw(mov_eax(2) + bytes([0xC3]), (int,))(1) is None
    set_one = bytes([0x48, 0xC7, 0xC2, 2, 0, 0, 0])  # mov rdx, 2: a scalar comes back in rdx
    assert raw(set_one + mov_eax(3) + bytes([0xC3]), (int,))(1) is True
    assert raw(set_one + mov_eax(4) + bytes([0xC3]), (int,))(1) == 1e-323


def test_arguments_are_packed_like_struct():
    echo = bytes([0x48, 0x8B, 0x57, 0x08]) + RET_OK  # mov rdx, [rdi+8]: the result is args[1]
    for kinds, values in [
        ((int, int), [0, -1, INT64_MAX, INT64_MIN]),
        ((int, bool), [True, False]),
        ((int, float), SPECIAL_FLOATS),
    ]:
        jitted = raw(echo, kinds)
        for v in values:
            expected = struct.unpack("<q", struct.pack("<" + ("d" if type(v) is float else "q"), v))[0]
            assert jitted(0, v) == expected


def test_native_depth_is_what_the_recursion_limit_leaves():
    # The code returns the depth budget it was given (rdx, where a result goes).
    get_depth = raw(RET_OK, ())

    def nested(levels):
        return get_depth() if levels == 0 else nested(levels - 1)

    here = get_depth()
    assert 0 < here < sys.getrecursionlimit()
    assert nested(10) == here - 11  # each Python frame deeper leaves one call less
    limit = sys.getrecursionlimit()
    try:
        sys.setrecursionlimit(limit + 7)
        assert get_depth() == here + 7
        # No cap below the limit: native frames run on jitcore's own stack,
        # which the code checks itself (csrc/stack.c).
        sys.setrecursionlimit(abi.MAX_NATIVE_DEPTH + 5000)
        assert get_depth() == here + abi.MAX_NATIVE_DEPTH + 5000 - limit
        sys.setrecursionlimit(2**31 - 1)
        assert get_depth() == abi.MAX_NATIVE_BUDGET
    finally:
        sys.setrecursionlimit(limit)
    assert get_depth() == here


def test_freed_code_is_an_error_not_a_crash():
    # Code registered by hand (the dispatcher's own cannot be freed: below)
    # and freed under its entry: the fast path checks the handle.
    block = CodeBlock(bytes([0x48, 0x8B, 0x57, 0x08]) + RET_OK)  # mov rdx, [rdi+8]: returns b
    jitted = jit(add)
    assert jitted._add_entry((int, int), handle_of(block), [], block) is True
    assert jitted(1, 2) == 2
    block.free()
    with pytest.raises(ExecMemError, match=r"status -1"):
        jitted(1, 2)


def test_a_jitted_functions_code_cannot_be_freed_by_hand():
    # Its callers' code jumps to it through cells without checking: freed
    # and reused, the memory would run another function's code. It goes back
    # to the arena when the function is garbage-collected.
    jitted = jit(strict=True)(add)
    assert jitted(1, 2) == 3
    block = jitted.compile().block
    with pytest.raises(ExecMemError, match=r"the code of jitted function .*add.*garbage-collected"):
        block.free()
    assert not block.freed
    assert jitted(1, 2) == 3


# ---------------------------------------------------------------- what goes to Python


def test_wrong_arity_and_keywords_raise_cpythons_errors(slow_calls):
    jitted = jit(strict=True)(add)
    jitted(1, 2)
    for args in [(), (1,), (1, 2, 3), (1.5,)]:
        assert_same(jitted, *args)
    for call in [lambda f: f(1, c=2), lambda f: f(1, 2, a=3), lambda f: f(b=1)]:
        with pytest.raises(TypeError) as got:
            call(jitted)
        with pytest.raises(TypeError) as expected:
            call(add)
        assert str(got.value) == str(expected.value)
    assert jitted(a=1, b=2) == 3 and jitted(1, b=2) == 3
    assert len(slow_calls) == 1 + 4 + 3 + 2


@pytest.mark.parametrize("args", [
    (IntColor.RED, 1), (IntColor.RED, IntColor.BLUE), (MyInt(5), 2), (MyFloat(1.5), 2.0),
    (1, MyInt(2**70)), ("a", "b"), ([1], [2]),
])
def test_subclasses_and_other_types_take_the_python_path(args, slow_calls):
    jitted = jit(add)  # (strict: a CompileError, test_dispatcher)
    jitted(1, 2)
    jitted(1.0, 2.0)
    del slow_calls[:]
    assert_same(jitted, *args)
    assert_same(jitted, *args)
    assert slow_calls == [args, args]
    assert consistent(jitted)


def test_none_arguments_take_the_fast_path(slow_calls):
    # None takes no slot (its type says it all): after the compile, the C
    # fast path serves such calls (`None + 1` deopts: CPython's TypeError)
    jitted = jit(strict=True)(add)
    for _ in range(3):
        assert_same(jitted, None, 1)
    assert slow_calls == [(None, 1)]
    assert consistent(jitted) and jitted.signatures == [(type(None), int)]


def test_uncompilable_function_runs_in_cpython():
    def uses_len(a):
        return a + len("ab")

    jitted = jit(uses_len)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert jitted(1) == 3
        assert jitted(2) == 4
    assert [w.filename for w in caught if issubclass(w.category, JitWarning)] == [__file__]
    assert jitted._fast_signatures() == []


def test_methods_bind_through_get():
    def scale(self, x):
        return x * 3

    class C:
        pass

    C.scale = jit(scale)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", JitWarning)
        assert C().scale(4) == 12  # `self` is no number: CPython runs it
        assert C().scale(4) == 12
    assert C.scale(2, 4) == 12 and C.scale(2, 5) == 15  # unbound: compiled, then fast
    assert C.__dict__["scale"]._fast_signatures() == [(int, int)]


def test_signatures_beyond_the_table_still_work(slow_calls):
    def three(a, b, c):
        return a + b * c

    jitted = jit(strict=True)(three)
    kinds = [1, True, 0.5]
    combos = [(a, b, c) for a in kinds for b in kinds for c in kinds]
    for args in combos:
        assert_same(jitted, *args)
    assert len(jitted.signatures) == 27
    assert len(jitted._fast_signatures()) == _fastcall.MAX_ENTRIES
    del slow_calls[:]
    for args in combos:
        assert_same(jitted, *args)  # all right, fast or not


def test_many_parameters_take_the_python_path():
    names = [f"a{i}" for i in range(_fastcall.MAX_ARGS + 1)]
    namespace = {}
    exec(f"def many({', '.join(names)}):\n    return a0 * {names[-1]} + a1\n", namespace)
    jitted = jit(strict=True)(namespace["many"])
    args = list(range(len(names)))
    assert jitted(*args) == jitted.py_func(*args)
    assert jitted(*args) == jitted.py_func(*args)
    assert jitted._fast_signatures() == [] and len(jitted.signatures) == 1


# ---------------------------------------------------------------- recursion, threads, lifetime


def test_deep_recursion_is_a_recursion_error_not_a_crash():
    assert depth_func(100) == 100
    with pytest.raises(RecursionError):
        depth_func(sys.getrecursionlimit() * 10)
    assert depth_func(300) == 300


def test_recursion_past_the_depth_budget_deopts_to_cpython():
    calls = []
    real = depth_func.py_func

    def counting(n):
        calls.append(n)
        return real(n)

    budget = min(sys.getrecursionlimit(), abi.MAX_NATIVE_DEPTH)
    depth_func(1)
    depth_func.py_func = counting  # the deopt path calls self.py_func
    try:
        assert depth_func(budget // 2) == budget // 2
        assert calls == []
        # Deeper than the recursion limit allows: the budget runs out, CPython
        # takes over and raises RecursionError, as it would have on its own.
        with pytest.raises(RecursionError):
            depth_func(budget + 20)
        assert calls
    finally:
        depth_func.py_func = real


def test_runaway_recursion_leaves_native_code_once_the_budget_runs_out():
    # down(-1) never reaches 0: native recursion runs out of depth budget,
    # CPython re-runs the call, and the calls it makes stay in CPython on the
    # way to RecursionError (before, each level started native code again,
    # a little less deep: quadratic time).
    depth_func(3)
    before = _fastcall._native_calls()
    with pytest.raises(RecursionError):
        depth_func(-1)
    assert _fastcall._native_calls() - before == 1
    assert _fastcall._depth_fallback(0) == 0  # the fallback ended with the call
    assert depth_func(50) == 50  # and native calls work again
    assert _fastcall._native_calls() - before == 2


def test_runaway_recursion_from_a_first_call_stays_in_cpython_too():
    jitted = jit(strict=True)(make("def generated(n):\n    if n == 0:\n        return 0\n"
                                   "    return 1 + generated(n - 1)\n"))
    jitted.py_func.__globals__["generated"] = jitted  # recursion reaches the jitted function
    before = _fastcall._native_calls()
    with pytest.raises(RecursionError):
        jitted(-1)  # compiles (the Python path), runs out natively, falls back
    assert _fastcall._native_calls() == before
    assert _fastcall._depth_fallback(0) == 0
    assert jitted(30) == 30


def test_threads_calling_concurrently():
    jitted_add = jit(strict=True)(add)
    jitted_mixed = jit(strict=True)(mixed)
    errors = []
    barrier = threading.Barrier(6)

    def worker(k):
        barrier.wait()
        for i in range(3000):
            a = i * 7919 + k
            checks = [
                (jitted_add(a, k), a + k),
                (jitted_add(a * 0.5, 1.25), a * 0.5 + 1.25),
                (jitted_add(INT64_MAX, a), INT64_MAX + a),  # deopts
                (jitted_mixed(a, k), mixed(a, k)),
                (jitted_mixed(k, k), mixed(k, k)),
                (jitted_add(True, i % 2 == 0), True + (i % 2 == 0)),
            ]
            for got, want in checks:
                if not same_value(got, want):
                    errors.append((k, i, got, want))

    threads = [threading.Thread(target=worker, args=(k,)) for k in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert consistent(jitted_add) and consistent(jitted_mixed)


def test_forgotten_compiles_leave_the_fast_path():
    jitted = jit(strict=True)(add)
    jitted.compile(int, int)
    key = (int, int)
    with calls._COMPILE_LOCK:
        mark = len(calls._compiled_while_compiling)
        calls._compiled_while_compiling.append((jitted, key))
        calls._forget_compiles(mark)
    assert jitted._fast_signatures() == [] and jitted.signatures == []
    assert jitted(2, 3) == 5  # compiled again
    assert jitted._fast_signatures() == [key]


def test_mutual_recursion_recompiles_stay_consistent():
    namespace = {}
    source = ("def even(n):\n    if n == 0:\n        return True\n    return odd(n - 1)\n"
              "def odd(n):\n    if n == 0:\n        return False\n    return even(n - 1)\n")
    exec(source, namespace)
    namespace["even"] = even = jit(strict=True)(namespace["even"])
    namespace["odd"] = odd = jit(strict=True)(namespace["odd"])
    assert even(10) is True and odd(7) is True and even(7) is False
    assert consistent(even) and consistent(odd)
    for n in range(12):
        assert even(n) is (n % 2 == 0)


def test_dispatchers_are_collected_with_their_code():
    namespace = {}
    exec("def fact(n):\n    if n < 2:\n        return 1\n    return n * fact(n - 1)\n", namespace)
    namespace["fact"] = fact = jit(strict=True)(namespace["fact"])
    assert fact(20) == math.factorial(20)
    assert fact(21) == math.factorial(21)  # overflow: deopt
    block = weakref.ref(fact.compile().block)
    ref = weakref.ref(fact)
    del fact, namespace
    gc.collect()
    assert ref() is None and block() is None


def test_reinit_forgets_the_old_code():
    jitted = jit(strict=True)(add)
    assert jitted(2, 3) == 5
    jitted.__init__(mul, strict=True)
    assert jitted._fast_signatures() == []
    assert jitted(2, 3) == 6


def test_copy_works_as_before():
    import copy

    jitted = jit(strict=True)(add)
    assert jitted(2, 3) == 5
    duplicate = copy.copy(jitted)
    assert duplicate(4, 5) == 9 and duplicate.py_func is add


# ---------------------------------------------------------------- the base type itself


def test_replaced_call_is_honoured():
    class Sub(jitcore.Dispatcher):
        pass

    _fastcall._enable_vectorcall(Sub)
    jitted = Sub(add)
    assert jitted(1, 2) == 3 and jitted(1, 2) == 3
    Sub.__call__ = lambda self, *args, **kwargs: ("replaced", args, kwargs)
    assert jitted(1, 2) == ("replaced", (1, 2), {})
    assert jitted(1, b=2) == ("replaced", (1,), {"b": 2})
    del Sub.__call__
    assert jitted(1, 2) == 3
    assert _fastcall.DispatcherBase.__call__(jitted, 3, 4) == 7


def test_base_type_rejects_bad_registrations():
    jitted = jit(add)
    block = CodeBlock(RET_OK)
    h = handle_of(block)
    with pytest.raises(TypeError):
        jitted._add_entry((str,), h, [], block)
    with pytest.raises(TypeError):
        jitted._add_entry([int], h, [], block)
    with pytest.raises(ValueError):
        jitted._add_entry((int,), 0, [], block)
    with pytest.raises(OverflowError):
        jitted._add_entry((int,), -1, [], block)
    with pytest.raises(TypeError):
        jitted._add_entry((int,), h, [(1.5,)], block)
    with pytest.raises(ValueError, match="NumPy result status"):  # ints name NumPy results
        jitted._add_entry((int,), h, [(1,)], block)
    with pytest.raises(TypeError):
        jitted._add_entry((int,), h, 5, block)
    assert jitted._add_entry((int,) * (_fastcall.MAX_ARGS + 1), h, [], block) is False
    assert jitted._add_entry((int,), h, [("int",) * (abi.MAX_RESULT_SLOTS + 1)], block) is False
    # nested shapes count their slots, however deep
    half = ("int",) * (abi.MAX_RESULT_SLOTS // 2)
    assert jitted._add_entry((int,), h, [(half, (half, "float"))], block) is False
    assert jitted._add_entry((int,), h, [((((("int",),),),),) * (abi.MAX_RESULT_SLOTS + 1)],
                             block) is False
    with pytest.raises(TypeError):
        jitted._add_entry((int,), h, [(("int", 2.5),)], block)
    assert jitted._fast_signatures() == []
    assert jitted._remove_entry((int,)) is False
    assert jitted._add_entry((int,), h, [], block) is True
    assert jitted._add_entry((int,), h, [], block) is True  # replaces
    assert jitted._fast_signatures() == [(int,)]
    assert jitted._remove_entry((int,)) is True
    with pytest.raises(ValueError):
        _fastcall._set_call_packed(h, h, h, h)  # already set to the four functions of _native
    with pytest.raises(TypeError):
        _fastcall._set_call_packed(h, h, h)  # needs all four
    with pytest.raises(TypeError):
        _fastcall._enable_vectorcall(int)


def test_bare_base_type_is_safe():
    base = _fastcall.DispatcherBase()
    with pytest.raises(AttributeError, match="_call_slow"):
        base(1, 2)
    assert base._fast_signatures() == []


# ---------------------------------------------------------------- differential, random


NUMBERS = st.one_of(
    st.integers(min_value=INT64_MIN, max_value=INT64_MAX),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.sampled_from(INT64_EDGES),
    st.booleans(),
    st.floats(allow_nan=True, allow_infinity=True),
)
RANDOM_TARGETS = {f.__name__: jit(strict=True)(f) for f in (add, mul, floordiv, compare, mixed)}


@settings(max_examples=300, deadline=None)
@given(name=st.sampled_from(sorted(RANDOM_TARGETS)), a=NUMBERS, b=NUMBERS)
def test_random_arguments_match_cpython(name, a, b):
    jitted = RANDOM_TARGETS[name]
    assert_same(jitted, a, b)
    assert_same(jitted, a, b)  # the second time through the fast path


# ---------------------------------------------------------------- without the C module


FALLBACK_SCRIPT = """
import sys, warnings
class Block:
    def find_spec(self, name, path=None, target=None):
        if name == "jitcore._fastcall":
            raise ImportError("blocked")
sys.meta_path.insert(0, Block())
import logging
logging.basicConfig(level=logging.DEBUG)
import jitcore, jitcore.dispatcher as d
assert d._fastcall is None and jitcore.Dispatcher.__mro__[1] is object
def add(a, b):
    return a + b
f = jitcore.jit(strict=True)(add)
assert f(1, 2) == 3 and f(1, 2) == 3 and f(2**63, 1) == 2**63 + 1 and f(True, True) == 2
assert f(1.5, 2) == 3.5 and f(a=1, b=2) == 3 and f.signatures == [(int, int), (bool, bool), (float, int)]
def uses_len(a):
    return a + len("ab")
g = jitcore.jit(uses_len)
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    assert g(1) == 3
assert caught[0].filename == "<string>", caught[0].filename
print("ok")
"""


def test_without_the_c_module_calls_go_through_python():
    out = subprocess.run([sys.executable, "-c", FALLBACK_SCRIPT], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "ok"
    assert "jitcore._fastcall unavailable" in out.stderr


def test_a_signature_that_keeps_deopting_runs_in_cpython_for_a_while(adaptive):
    # After 4 deopts in a row the next 16 calls skip the native attempt (it
    # would only add its cost), then native code is tried again, and a call
    # that finishes natively resets the count; every result stays CPython's.
    jitted = jit(strict=True)(add)
    jitted(1, 2)
    big = 2**62
    before = _fastcall._native_calls()
    for _ in range(4):
        assert jitted(big, big) == 2**63  # native attempt, deopt, CPython
    assert _fastcall._native_calls() - before == 4
    for _ in range(8):
        assert jitted(big, big) == 2**63 and jitted(1, 1) == 2  # (16 calls skipped: CPython's)
    assert _fastcall._native_calls() - before == 4
    assert jitted(1, 1) == 2  # tried natively again, and it finishes: the count starts over
    assert _fastcall._native_calls() - before == 5
    for _ in range(3):
        assert jitted(big, big) == 2**63
    assert jitted(3, 4) == 7
    assert _fastcall._native_calls() - before == 9  # three deopts are no streak


def test_a_call_that_skips_native_code_runs_the_current_py_func(adaptive):
    # The re-run takes py_func from the base type's own slot (no attribute
    # lookup): assigning py_func replaces what runs, skipping or not.
    jitted = jit(strict=True)(add)
    big = 2**62
    for _ in range(4):
        assert jitted(big, big) == 2**63  # now the next calls skip the native attempt
    assert "py_func" not in vars(jitted) and jitted.py_func is add
    jitted.py_func = lambda a, b: ("replaced", a, b)
    assert jitted(big, big) == ("replaced", big, big)  # (skipping)
    assert jitted(2**63, 1) == ("replaced", 2**63, 1)  # (an argument beyond int64)
    jitted.py_func = add
    assert jitted(big, big) == 2**63
    with pytest.raises(AttributeError):
        del jitted.py_func


def tuple_sum(p, q):
    (a, (b, c)), d = p, q
    return a + b + (0 if c is None else c) + d


def test_tuple_arguments_take_the_fast_path(slow_calls):
    jitted = jit(strict=True)(tuple_sum)
    jitted((1, (2, None)), 3)  # (compiles: through the Python path)
    jitted((1.5, (2, 3)), True)
    assert set(jitted._fast_signatures()) == set(jitted.signatures)
    before = len(slow_calls)
    for p, q in [((5, (6, None)), 7), ((-(2**63), (2**63 - 1, None)), 0), ((0.5, (2, -3)), False)]:
        assert same_value(jitted(p, q), tuple_sum(p, q))
    assert len(slow_calls) == before
    # other shapes and kinds: the Python path (which compiles them, or runs CPython)
    for p, q in [((1, (2, 3)), 4), ((1, (2, None, 4)), 5), ((2**63, (1, None)), 0),
                 ((1, (2**64, None)), 0), ((True, (2, None)), 3)]:
        assert_same(jitted, p, q)
    assert len(slow_calls) > before


def test_tuple_specs_of_the_fast_path():
    jitted = jit(add)
    block = CodeBlock(RET_OK)
    h = handle_of(block)
    kind = calls.TupleKind((int, float))
    assert jitted._add_entry((kind, int), h, [], block, 256, (("tuple", ("int", "float")), None)) is True
    assert jitted._fast_signatures() == [(kind, int)]
    big = ("int",) * (abi.MAX_RESULT_SLOTS + 1)
    assert jitted._add_entry((kind,), h, [], block, 256, (("tuple", big),)) is False
    with pytest.raises(TypeError):
        jitted._add_entry((kind,), h, [], block, 256, None)  # (a tuple must be described)
    with pytest.raises(TypeError):
        jitted._add_entry((kind,), h, [], block, 256, (("tuple", ("int", 2.5)),))
