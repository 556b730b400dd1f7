"""@jit(nogil=True): the GIL is released while native code runs.

Results must be exactly those of the GIL-holding path (conftest's exact
comparison), other threads must run Python code while a nogil call is in
native code, and code freed meanwhile must stay mapped until the call ends.
"""

from __future__ import annotations

import gc
import sys
import threading
import time

import pytest
from conftest import INT64_EDGES, assert_same

from jitcore import jit
from jitcore.runtime import CodeBlock, call_packed, new_results, stats


@jit(strict=True, nogil=True)
def spin(n):
    s = 0
    i = 0
    while i < n:
        s = (s + i * 7) % 1000003
        i += 1
    return s


@jit(strict=True, nogil=True)
def mixed(a, b):
    if b == 0:
        return a // (b + 1), a * 0.5
    return a // b, a * b * 1.5


@jit(strict=True, nogil=True)
def fib(n):
    if n < 2:
        return n
    return fib(n - 1) + fib(n - 2)


@jit(strict=True, nogil=True)
def helper_user(x, y):
    return spin(x % 50) + x * y  # overflows for large operands: deopt under nogil


@pytest.mark.parametrize("f, args", [
    (spin, [(0,), (1,), (1000,), (-5,)]),
    (mixed, [(a, b) for a in INT64_EDGES for b in INT64_EDGES]),
    (fib, [(0,), (1,), (15,), (-3,)]),
    (helper_user, [(a, b) for a in INT64_EDGES[:4] for b in (0, 1, 3, 2**62)]),
])
def test_results_are_cpythons(f, args):
    for a in args:
        for _ in range(2):  # first call (Python path), then the C fast path
            assert_same(f, *a)


def longest_pause_during(call):
    """Run call() in another thread while this thread keeps taking timestamps;
    return (the longest stretch of the call during which this thread took
    none, how long the call took)."""
    window = []
    started, done = threading.Event(), threading.Event()

    def worker():
        started.set()
        begin = time.perf_counter()
        call()
        window[:] = [begin, time.perf_counter()]
        done.set()

    stamps = []
    thread = threading.Thread(target=worker)
    thread.start()
    started.wait()
    while not done.is_set():
        stamps.append(time.perf_counter())
    thread.join()
    begin, end = window
    inside = [begin] + [t for t in stamps if begin < t < end] + [end]
    return max(b - a for a, b in zip(inside, inside[1:], strict=False)), end - begin


def test_other_threads_run_python_while_native_code_runs():
    spin(10)
    pause, duration = longest_pause_during(lambda: spin(30_000_000))
    assert duration > 0.02, "the call was too short to tell"
    assert pause < duration / 2, (pause, duration)


def test_gil_holding_calls_let_other_threads_run_at_the_switch_interval():
    # Without nogil the call holds the GIL, but like CPython's eval loop it
    # lets it go once per switch interval (csrc/poll.c), so this thread
    # still runs during the call (before, it waited for the whole call).
    @jit(strict=True)
    def spin_gil(n):
        s = 0
        i = 0
        while i < n:
            s = (s + i * 7) % 1000003
            i += 1
        return s

    spin_gil(10)
    pause, duration = longest_pause_during(lambda: spin_gil(60_000_000))
    assert duration > 0.1, "the call was too short to tell"
    assert pause < duration / 2, (pause, duration)


def test_many_threads_many_calls():
    errors = []
    expected = {a: mixed.py_func(a, 7) for a in range(-50, 50)}

    def worker():
        for _ in range(20):
            for a in range(-50, 50):
                if mixed(a, 7) != expected[a]:
                    errors.append(a)

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []


def test_code_freed_during_a_call_without_the_gil_waits_for_it():
    # A long native loop called through cffi (which releases the GIL, as the
    # nogil path does): code freed by another thread meanwhile is only
    # queued, and returned to the arena when the call ends.
    spin(10)
    code = spin.compile(int).code
    long_loop = CodeBlock(code)
    victim = CodeBlock(b"\x31\xc0\xc3")  # xor eax, eax; ret
    gc.collect()
    out = new_results(1)
    n = 100_000_000
    arg = n.to_bytes(8, "little", signed=True)
    started = threading.Event()
    thread = threading.Thread(target=lambda: (started.set(),
                                              call_packed(long_loop.handle, arg, out, 100)))
    before = stats()["blocks_live"]
    thread.start()
    started.wait()
    time.sleep(0.02)  # the call is in native code by now (it lasts ~0.3 s)
    victim.free()
    during = stats()["blocks_live"]
    thread.join()
    long_loop.free()  # no call under way: returned at once
    after = stats()["blocks_live"]
    assert during == before  # queued, still mapped
    assert after == before - 2
    assert out[0].i == spin(n)


def test_values_in_registers_survive_the_periodic_poll():
    # Ints and floats live in registers across the loop's poll, which now and
    # then calls jc_poll_slow and lets the GIL go (csrc/poll.c): two threads
    # and this one take turns, and every result is CPython's.
    previous = sys.getswitchinterval()
    sys.setswitchinterval(1e-5)  # jitcore reads it when it compiles: a slow poll every ~0.1 ms
    try:
        @jit(strict=True)
        def mix(n, x):
            a, b, f, g = 0, 1, x, 0.5
            for i in range(n):
                a = (a + i * b) & 0xFFFF
                b = (b * 3 + a) & 0xFF
                f = f * 0.999 + g
                g = g * 0.5 + 0.25
            return a, b, f, g

        n = 400_000
        expected = mix.py_func(n, 1.5)
        assert mix(n, 1.5) == expected
        results: list[object] = []

        def worker():
            for _ in range(10):
                results.append(mix(n, 1.5))

        threads = [threading.Thread(target=worker) for _ in range(2)]
        for t in threads:
            t.start()
        spins = 0
        while any(t.is_alive() for t in threads):
            spins += 1  # Python code of this thread, between the native calls' turns
        for t in threads:
            t.join()
        assert results == [expected] * 20
        assert mix.signatures == [(int, float)]
    finally:
        sys.setswitchinterval(previous)
