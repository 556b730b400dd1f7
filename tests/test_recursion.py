"""Recursion depth exactly as CPython, on both call paths.

A jitted function recursing natively gets a depth budget from the recursion
limit and the Python frames already on the stack (calls.native_depth_budget,
the same C function for the fast path and the slow path). At the boundary:
where CPython's own recursion of the function, called from the same frame,
returns a value, the native code returns it; one level deeper, the native
code runs out, and CPython runs the call and raises RecursionError.

Each case is checked at several depths of the calling frame (the first call
of `depth(300)` made 900 frames deep once returned a value where CPython
raises) and recursion limits, against the plain function's own boundary found
by trying it from the same frame.
"""

from __future__ import annotations

import sys
import warnings
from typing import Any

import pytest
from conftest import outcome, same_outcome, show_outcome

from jitcore import CompileError, JitWarning, _fastcall, calls, jit

SOURCE = """
def depth(n):
    if n == 0:
        return 0
    return 1 + depth(n - 1)
"""


def plain() -> Any:
    """The function as CPython runs it: recursing into itself."""
    namespace: dict[str, Any] = {}
    exec(SOURCE, namespace)
    return namespace["depth"]


def jitted() -> Any:
    """A fresh jitted copy whose recursion reaches the jitted copy itself."""
    namespace: dict[str, Any] = {}
    exec(SOURCE, namespace)
    result = namespace["depth"] = jit(namespace["depth"])
    return result


def call_at(frames: int, func: Any, n: int) -> tuple[Any, ...]:
    """outcome(func, (n,)) made `frames` Python frames deeper than this call."""
    if frames == 0:
        return outcome(func, (n,))
    return call_at(frames - 1, func, n)


def plain_boundary(frames: int) -> int:
    """The largest n for which CPython's own depth(n), called through
    call_at(frames, ...) from the caller's frame, returns a value."""
    func = plain()
    low, high = 0, sys.getrecursionlimit()
    assert call_at(frames, func, low)[0] == "value"
    while low < high:
        mid = (low + high + 1) // 2
        if call_at(frames, func, mid)[0] == "value":
            low = mid
        else:
            high = mid - 1
    return low


def warm(path: str) -> Any:
    """A jitted depth() compiled (from a shallow frame) and reached through
    `path`: "fast" (the C fast path) or "slow" (Dispatcher._call_slow)."""
    func = jitted()
    assert func(3) == 3 and func.signatures == [(int,)]
    if path == "slow":
        calls.unregister_fast(func, (int,))  # the C fast path now hands every call to _call_slow
    return func


@pytest.fixture(params=[None, 3000], ids=["default-limit", "limit-3000"])
def limit(request):
    old = sys.getrecursionlimit()
    if request.param is not None:
        sys.setrecursionlimit(request.param)
    yield sys.getrecursionlimit()
    sys.setrecursionlimit(old)


def check_boundary(path: str, frames: int) -> None:
    boundary = plain_boundary(frames)
    frames += 1  # plain_boundary's own frame: call from the same depth as it did
    func = warm(path)
    for n in (boundary - 1, boundary, boundary + 1, boundary + 2):
        expected = call_at(frames, plain(), n)
        assert expected[0] == "value" if n <= boundary else expected[1] is RecursionError
        got = call_at(frames, func, n)
        assert same_outcome(expected, got), f"depth({n}): {show_outcome(got)}"


@pytest.mark.parametrize("path", ["fast", "slow"])
@pytest.mark.parametrize("frames", [0, 100, 700])
def test_the_boundary_is_cpythons(limit, path, frames):
    check_boundary(path, frames)


def test_both_paths_give_native_code_the_depth_cpython_allows(monkeypatch):
    # The fast path hands the budget to this code, which returns it (rdx).
    from jitcore.runtime import CodeBlock

    get_budget = jit(lambda: 0)
    block = CodeBlock(bytes([0x31, 0xC0, 0xC3]))  # xor eax, eax; ret
    assert get_budget._add_entry((), int(calls._ffi.cast("uintptr_t", block.handle)), [], block)
    # The slow path's budget, as it passes it to the native call.
    budgets: list[int] = []
    real = calls.call_packed

    def recording(handle: Any, packed: bytes, out: Any, depth: int) -> int:
        budgets.append(depth)
        return real(handle, packed, out, depth)

    monkeypatch.setattr(calls, "call_packed", recording)
    slow = warm("slow")
    fast = get_budget()
    assert slow(1) == 1
    assert budgets[-1] == fast, "both paths, called from the same frame, give the same budget"
    # n levels of native recursion need n + 1 <= budget: from the frame where
    # CPython's deepest recursion is depth(boundary), the budget is boundary + 1
    # (before 3.12, where the deepest frame's own C calls may count, it can be
    # one less: the call then runs in CPython, never deeper natively).
    boundary = plain_boundary(0)
    kind, _, budget = call_at(1, lambda n: get_budget(), 0)
    budget += 1  # get_budget ran one frame deeper than depth() does in plain_boundary
    slack = _fastcall.DEEPEST_FRAME_C_LEVELS
    assert boundary + 1 - slack <= budget <= boundary + 1, (budget, boundary)
    assert slack == (1 if sys.version_info < (3, 12) else 0)


@pytest.mark.parametrize("frames", [0, 300, 900])
@pytest.mark.parametrize("n", [5, 300, 999])
def test_first_calls_from_any_depth_give_cpythons_answer(limit, frames, n):
    # The first call compiles inside the call (the slow path) and may find
    # little stack left for the compiler itself: the answer is CPython's
    # either way, and no internal error is counted.
    if frames >= limit - 50:
        pytest.skip("deeper than the limit lets the test itself go")
    expected = call_at(frames, plain(), n)
    got = call_at(frames, jitted(), n)
    assert same_outcome(expected, got), f"{show_outcome(got)}, CPython {show_outcome(expected)}"


def test_depth_300_from_900_frames_deep():
    # The case: CPython raises, and so must a first call (slow path)
    # and a later one (fast path).
    assert sys.getrecursionlimit() == 1000
    expected = call_at(900, plain(), 300)
    assert expected[1] is RecursionError
    func = jitted()
    for _ in range(2):
        got = call_at(900, func, 300)
        assert same_outcome(expected, got), show_outcome(got)


def test_deep_999_at_the_default_limit():
    assert sys.getrecursionlimit() == 1000
    expected = outcome(plain(), (999,))
    assert expected[1] is RecursionError  # this frame is already some levels deep
    func = jitted()
    for _ in range(2):
        got = outcome(func, (999,))
        assert same_outcome(expected, got), show_outcome(got)


def test_a_compile_out_of_stack_is_retried_from_a_shallower_frame():
    # From as deep as CPython can still run depth(3), the compiler itself runs
    # out of stack: that call runs in CPython (no warning: nothing is wrong
    # with the function), and the next call, from a shallow frame, compiles.
    frames = next(k for k in range(sys.getrecursionlimit()) if not _fits(k + 1))
    func = jitted()
    with warnings.catch_warnings():
        warnings.simplefilter("error", JitWarning)
        assert call_at(frames, func, 3) == ("value", int, 3)
        assert func.signatures == []
        assert func(10) == 10
    assert func.signatures == [(int,)]
    # strict: native code or an exception, from every depth; going up from
    # the deepest, where jitcore's own code has room but the compiler has not,
    # the exception says why, before the depth where the compile succeeds
    outcomes = []
    for k in range(frames, frames - 200, -1):
        outcomes.append(call_at(k, jit(strict=True)(func.py_func), 3))
        if outcomes[-1][0] == "value":
            break
    assert outcomes[-1] == ("value", int, 3)
    assert all(kind == "raise" and error in (CompileError, RecursionError)
               for kind, error, _ in outcomes[:-1]), outcomes
    assert any(error is CompileError and "not enough recursion depth left to compile" in message
               for _, error, message in outcomes[:-1]), outcomes


def _fits(frames: int) -> bool:
    try:
        return call_at(frames, plain(), 3)[0] == "value"
    except RecursionError:  # outcome() itself ran out
        return False


STACK_SCRIPT = r"""
import sys, threading
from jitcore import jit

kind, n, limit, thread_stack = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
deco = jit if sys.argv[5] == "jit" else (lambda f: f)


@deco
def down(n):
    return 0 if n == 0 else 1 + down(n - 1)


def big(k):
    # k float locals live across the recursive call: a frame of about 8k bytes
    names = [f"x{i}" for i in range(k)]
    body = "\n".join(f"    {v} = a * {i + 1}.5" for i, v in enumerate(names))
    src = (f"def big(n, a):\n{body}\n    if n == 0:\n        return 0.0\n"
           f"    return big(n - 1, a) + {' + '.join(names)}\n")
    ns = {}
    exec(src, ns)
    ns["big"] = deco(ns["big"])
    return ns["big"]


def run():
    func = down if kind == "down" else big(int(kind[3:]))
    args = (n,) if kind == "down" else (n, 0.25)
    ran_in_cpython = []
    if sys.argv[5] == "jit":
        func(1, *args[1:])  # compiles it
        real = func.py_func  # compiled now: what runs in CPython from here on is counted
        func.py_func = lambda *a: ran_in_cpython.append(1) or real(*a)
    try:
        result = repr(func(*args))
    except RecursionError:
        result = "RecursionError"
    print(result, "cpython" if ran_in_cpython else "native")


sys.setrecursionlimit(limit)
if thread_stack:
    threading.stack_size(thread_stack)
    t = threading.Thread(target=run)
    t.start()
    t.join()
else:
    run()
"""


@pytest.mark.parametrize("kind, n, limit, thread_stack", [
    ("big100", 9500, 10000, 0),       # big frames, deep: segfaulted
    ("big1100", 990, 1000, 0),        # huge frames at the default limit: segfaulted
    ("down", 13000, 10**6, 0),        # a raised limit: segfaulted on 3.10/3.11
    ("down", 9000, 10000, 256 * 1024),  # a small thread stack: segfaulted
    ("down", 200000, 10**6, 0),       # far past any thread's stack
    ("big100", 3000, 10000, 256 * 1024),  # big frames in a small thread
    ("down", 50010, 50000, 0),        # a raised limit is still a limit
    ("big100", 20010, 20000, 0),
])
def test_deep_recursion_is_cpythons(kind, n, limit, thread_stack):
    """Native code runs on a stack of jitcore's own (csrc/stack.c), so any
    recursion limit, frame size and thread stack give CPython's answer, all
    of it computed natively: the value, or RecursionError where CPython's
    limit says so. Where CPython itself crashes (3.10 recurses in C), the
    value or RecursionError, never a crash."""
    import subprocess

    def run(engine):
        return subprocess.run([sys.executable, "-c", STACK_SCRIPT, kind, str(n), str(limit),
                               str(thread_stack), engine], capture_output=True, text=True,
                              timeout=600)

    jitted = run("jit")
    assert jitted.returncode == 0, jitted.stderr[-2000:]
    result, where = jitted.stdout.split()
    cpython = run("cpython")
    if cpython.returncode == 0:
        assert result == cpython.stdout.split()[0], (jitted.stdout, cpython.stdout)
    else:  # CPython crashed: jitcore must not
        assert result != "", cpython.stderr[-500:]
    if result != "RecursionError":
        assert where == "native", jitted.stdout
