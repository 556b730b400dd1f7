"""Stores into buffer arguments: `a[i] = x` natively, and a call that
re-runs in CPython (a deopt, Ctrl-C and a handler that returns, an exhausted
depth budget) takes its stores back first (csrc/undo.h), so the arguments end
exactly as CPython leaves them, never with a store applied twice.

Every differential test runs CPython on one copy of the arguments and jitcore
on another, and compares the results (value and type, or exception) and the
arguments' contents afterwards.
"""

from __future__ import annotations

import array
import copy
import struct
import subprocess
import sys
import textwrap
import threading

import pytest
from conftest import INT64_EDGES, outcome, same_outcome, show_outcome
from hypothesis import given, settings
from hypothesis import strategies as st

from jitcore import jit
from jitcore.ir import BUFFER_ELEMENTS as ELEMENTS

INT_CODES = [c for c, e in ELEMENTS.items() if e.type == "int"]


def contents(x):
    """What a buffer holds: ints as they are, floats bit for bit (-0.0 is not
    0.0) except that any NaN equals any NaN (which NaN an operation on two
    NaNs gives is the C compiler's choice, in CPython too)."""
    if isinstance(x, memoryview):
        return ("memoryview", x.format, contents(x.tolist()))
    if isinstance(x, array.array):
        return ("array", x.typecode, contents(x.tolist()))
    if isinstance(x, (bytearray, bytes)):
        return (type(x).__name__, bytes(x))
    if isinstance(x, list):
        return [("nan" if v != v else struct.pack("<d", v)) if isinstance(v, float) else v
                for v in x]
    return x


def fresh(args):
    out = []
    for a in args:
        if isinstance(a, memoryview):
            out.append(memoryview(copy.copy(a.obj)).cast("B").cast(a.format) if a.format != "B"
                       else memoryview(copy.copy(a.obj)))
        elif isinstance(a, (array.array, bytearray)):
            out.append(copy.copy(a))
        else:
            out.append(a)
    return out


def assert_same_effects(jitted, *args):
    """jitted(*args) returns or raises what CPython does, and leaves every
    argument as CPython leaves it."""
    theirs, ours = fresh(args), fresh(args)
    expected = outcome(jitted.py_func, theirs)
    actual = outcome(jitted, ours)
    assert same_outcome(expected, actual), (
        f"{jitted.__name__}: jitcore {show_outcome(actual)}, CPython {show_outcome(expected)}")
    assert [contents(a) for a in ours] == [contents(a) for a in theirs], jitted.__name__


def int_range(code):
    bits = 8 * array.array(code).itemsize
    return (0, 2**bits - 1) if code.isupper() else (-(2 ** (bits - 1)), 2 ** (bits - 1) - 1)


def arrays(code, max_size=20):
    if code in "fd":
        values = st.floats(width=32 if code == "f" else 64)
    else:
        low, high = int_range(code)
        values = st.integers(low, high) | st.sampled_from([low, high, 0, 1])
    return st.lists(values, max_size=max_size).map(lambda v: array.array(code, v))


@jit(strict=True)
def prefix_sum(a):
    s = 0
    for i in range(len(a)):
        s += a[i]
        a[i] = s  # overflows the element type somewhere: CPython raises there
    return s


@jit(strict=True)
def scale(a, k):
    for i in range(len(a)):
        a[i] = a[i] * k
    return len(a)


@jit(strict=True)
def reverse(a):
    i = 0
    j = len(a) - 1
    while i < j:
        a[i], a[j] = a[j], a[i]
        i += 1
        j -= 1


@jit(strict=True)
def put(a, i, x):
    a[i] = x
    return a[i]


@jit(strict=True)
def bump_then_overflow(a, big):
    # stores first, then an int64 overflow: native code deopts after its stores
    for i in range(len(a)):
        a[i] += 1
    return big * big


@jit(strict=True)
def histogram(data, counts):
    for b in data:
        counts[b % len(counts)] += 1
    return counts[0]


@pytest.mark.parametrize("code", list(ELEMENTS))
@settings(max_examples=30, deadline=None)
@given(data=st.data())
def test_stores_leave_arguments_as_cpython_does(code, data):
    a = data.draw(arrays(code))
    assert_same_effects(prefix_sum, a)
    assert_same_effects(scale, a, data.draw(st.sampled_from([2, -1, 3.5, True, 0])))
    assert_same_effects(reverse, a)
    assert_same_effects(reverse, memoryview(a))
    i = data.draw(st.integers(-len(a) - 2, len(a) + 2))
    x = data.draw(st.sampled_from([0, 1, -1, 255, 256, -129, 2**31, 2**63 - 1, -(2**63), 2**64,
                                   1.5, float("nan"), 1e300, True]))
    assert_same_effects(put, a, i, x)


@pytest.mark.parametrize("make", [bytearray, lambda b: memoryview(bytearray(b)),
                                  lambda b: array.array("B", b)])
def test_bytes_like_stores(make):
    data = bytes(range(250, 256)) + b"\x00\x07"
    assert_same_effects(prefix_sum, make(data))  # exceeds 255: ValueError / OverflowError midway
    for x in (0, 255, 256, -1, 1.0, True):
        assert_same_effects(put, make(data), 2, x)


def test_read_only_buffers_refuse_stores_as_cpython_does():
    for buf in (b"abc", memoryview(b"abc"), memoryview(bytearray(b"abc")).toreadonly()):
        assert_same_effects(put, buf, 0, 1)
        assert_same_effects(reverse, buf)


@settings(max_examples=40, deadline=None)
@given(values=st.lists(st.integers(-(2**62), 2**62), max_size=30),
       big=st.sampled_from([3, 2**31, 2**32, -(2**40), 2**62]))
def test_a_deopt_after_stores_does_not_apply_them_twice(values, big):
    a = array.array("q", values)
    assert_same_effects(bump_then_overflow, a, big)
    assert_same_effects(bump_then_overflow, bytearray(v % 255 for v in values), big)


@settings(max_examples=30, deadline=None)
@given(data=st.binary(max_size=200), n=st.integers(0, 9))
def test_histogram(data, n):
    assert_same_effects(histogram, data, array.array("q", [0] * n))
    assert_same_effects(histogram, data, array.array("b", [120] * n))  # overflows int8


@jit(strict=True)
def swap(a, i, j):
    a[i], a[j] = a[j], a[i]


@jit(strict=True)
def shuffle_then_overflow(a, big):
    for i in range(len(a) - 1):
        swap(a, i, i + 1)
    return big * big


def test_stores_in_a_callee_are_taken_back_too():
    for big in (2, 2**40):
        assert_same_effects(shuffle_then_overflow, array.array("i", range(9)), big)


def test_a_large_buffer_is_taken_back_with_a_mapped_record():
    a = array.array("d", range(300_000))  # a record of 4.8 MB: mapped, committed where stored
    b = array.array("d", range(300_000))
    assert bump_then_overflow(a, 2**40) == 2**80
    bump_then_overflow.py_func(b, 2**40)
    assert a == b


def test_the_native_code_does_the_stores():
    # (a fresh dispatcher: calls that deopted in other tests could make the
    # shared one run its next calls in CPython, csrc/fastcall.c FC_SKIP_FIRST)
    jitted = jit(prefix_sum.py_func)
    a = array.array("q", range(1000))
    real = jitted.py_func
    jitted(array.array("q", [1]))
    jitted.py_func = None  # any re-run in CPython would fail
    try:
        assert jitted(a) == sum(range(1000))
    finally:
        jitted.py_func = real
    assert a[-1] == sum(range(1000)) and a[1] == 1


INTERRUPT_SCRIPT = r"""
import array, os, signal, sys, threading, time
from jitcore import jit

@jit
def bump(a, rounds):
    for r in range(rounds):
        for i in range(len(a)):
            a[i] += 1
    return a[0]

a = array.array("q", [0] * 1000)
bump(a, 1)
handled = []
signal.signal(signal.SIGINT, lambda *_: handled.append(1))  # returns: the call starts again

def interrupt():
    for _ in range(3):
        time.sleep(0.02)
        os.kill(os.getpid(), signal.SIGINT)

threading.Thread(target=interrupt, daemon=True).start()
result = bump(a, 500_000)  # runs for about a second: every SIGINT lands inside it
print(result, min(a), max(a), len(handled))
"""


def test_a_call_that_restarts_after_a_signal_handler_stores_once():
    proc = subprocess.run([sys.executable, "-c", textwrap.dedent(INTERRUPT_SCRIPT)],
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    result, low, high, handled = proc.stdout.split()
    assert (int(result), int(low), int(high)) == (500_001,) * 3
    assert handled == "3"


def test_a_rollback_keeps_what_another_thread_wrote():
    # bump writes a[0], then waits (without the GIL) until another thread has
    # overwritten a[0] and set a[1]; then it overflows and re-runs in CPython.
    # The rollback must leave the other thread's a[0] alone (it no longer
    # holds bump's value): CPython's re-run then adds 1 to it.
    @jit(strict=True, nogil=True)
    def bump(a, big):
        a[0] = a[0] + 1
        while a[1] == 0:
            pass
        return big * big

    a = array.array("q", [0, 0])
    bump(array.array("q", [0, 1]), 2)  # compiled

    def other():
        for _ in range(10_000_000):
            if a[0] == 1:
                break
        a[0] = 777
        a[1] = 1

    thread = threading.Thread(target=other)
    thread.start()
    assert bump(a, 2**40) == 2**80
    thread.join()
    assert list(a) == [778, 1]


def test_int64_edges_stored_exactly():
    a = array.array("q", [0] * len(INT64_EDGES))
    for i, x in enumerate(INT64_EDGES):
        assert put(a, i, x) == x
    assert list(a) == INT64_EDGES


def test_generated_code_reads_the_undo_record_where_c_puts_its_fields():
    from jitcore import abi
    from jitcore._native import ffi

    assert (ffi.offsetof("jc_undo", "dirty"), ffi.offsetof("jc_undo", "pre"),
            ffi.offsetof("jc_undo", "post")) == (abi.UNDO_DIRTY, abi.UNDO_PRE, abi.UNDO_POST)


@jit
def mark_then_spin(src, dst, turns, big):
    # dst is only written; which element depends on src[0]
    if src[0] > 0:
        dst[0] = 1
    else:
        dst[1] = 1
    s = 0
    for i in range(turns):  # polls: another thread asks for the GIL meanwhile
        s += i & 7
    return s * big  # a deopt: CPython re-runs the call


def test_a_thread_that_changes_an_argument_before_the_re_run_sees_a_rolled_back_call():
    """Another thread waits for the GIL during a call that stored into dst
    and then deopts, and changes the argument the store depended on; it may
    run before the re-run in CPython redoes the store (at a poll, or at any
    point of the re-run). The store must have been taken back: otherwise the
    re-run would store into the other element, and dst would hold both
    stores, which no CPython run gives. (Why stores into a buffer the code
    only writes are recorded too.)"""
    src = array.array("q", [1])
    dst = array.array("q", [0, 0])
    mark_then_spin(src, dst, 10, 1)  # compiled; the next calls are the fast path's
    for _ in range(3):
        src[0], dst[0], dst[1] = 1, 0, 0
        ready = threading.Event()

        def writer():
            ready.wait()
            src[0] = -1  # needs the GIL: waits for one of the call's polls

        thread = threading.Thread(target=writer)
        thread.start()
        ready.set()
        mark_then_spin(src, dst, 5_000_000, 2**62)  # natively a few ms, then a re-run
        thread.join()
        assert list(dst) in ([1, 0], [0, 1]), list(dst)


@pytest.mark.parametrize("code", list(ELEMENTS))
@settings(max_examples=20, deadline=None)
@given(data=st.data())
def test_stores_into_strided_memoryviews_leave_them_as_cpython_does(code, data):
    a = data.draw(arrays(code))
    for step in (2, -1, -3):
        # fresh() copies a memoryview's object whole: build the view on the copy each time
        def make(a=a, step=step):
            return memoryview(copy.copy(a))[::step]

        for jitted, extra in ((prefix_sum, ()), (scale, (3,)), (reverse, ()), (put, (1, 2**40)),
                              (bump_then_overflow, (2**40,))):
            theirs, ours = make(), make()
            expected = outcome(jitted.py_func, [theirs, *extra])
            actual = outcome(jitted, [ours, *extra])
            assert same_outcome(expected, actual), (
                f"{jitted.__name__}[::{step}]: jitcore {show_outcome(actual)}, "
                f"CPython {show_outcome(expected)}")
            assert contents(ours.obj) == contents(theirs.obj), (jitted.__name__, step)


def test_stores_into_a_strided_memoryview_are_native():
    sums = jit(running_sums_view.py_func)  # (fresh: no deopts of other tests behind it)
    sums(memoryview(array.array("i", range(3)))[::-2])  # compiled
    real = sums.py_func
    sums.py_func = None  # any re-run in CPython would fail
    try:
        a = array.array("i", range(10))
        assert sums(memoryview(a)[::-2]) == 25  # 9 + 7 + 5 + 3 + 1
    finally:
        sums.py_func = real
    assert a.tolist() == [0, 25, 2, 24, 4, 21, 6, 16, 8, 9]
    with pytest.raises(TypeError, match="read-only"):
        put(memoryview(bytes(4))[::2], 0, 1)


@jit(strict=True)
def running_sums_view(a):
    s = 0
    for i in range(len(a)):
        s += a[i]
        a[i] = s
    return s
