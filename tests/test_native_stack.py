"""jitcore's native stack (csrc/stack.c): generated code runs on a stack of
its own per thread, Python code never does, and the stack check in the
prologue of calling functions sends a call to CPython before the stack ends.
Deep recursion against CPython is in test_recursion.py."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import threading

import pytest

from jitcore import CompileError, abi, jit
from jitcore.compiler import compile_function

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"),
                                reason="reads /proc/self/maps")


def run_script(source: str, timeout: float = 120) -> str:
    proc = subprocess.run([sys.executable, "-c", textwrap.dedent(source)], capture_output=True,
                          text=True, timeout=timeout)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return proc.stdout


def runtime_lib():
    from jitcore._native import lib
    return lib


def native_stacks() -> int:
    """How many native stacks this process has mapped: read/write mappings
    of exactly the stack's size less its guard, at an address aligned to it."""
    count = 0
    with open("/proc/self/maps") as maps:
        for line in maps:
            span, perms = line.split()[:2]
            start, end = (int(x, 16) for x in span.split("-"))
            if perms.startswith("rw") and end % abi.NATIVE_STACK_BYTES == 0 \
                    and end - start == abi.NATIVE_STACK_BYTES - 65536:
                count += 1
    return count


@jit
def down(n):
    return 0 if n == 0 else 1 + down(n - 1)


def test_the_constants_agree_with_the_c_side():
    lib = runtime_lib()
    assert lib.JC_NATIVE_STACK_BYTES == abi.NATIVE_STACK_BYTES
    assert lib.JC_NATIVE_STACK_MARGIN == abi.NATIVE_STACK_MARGIN
    assert lib.JC_NATIVE_MAX_FRAME == abi.MAX_FRAME_BYTES
    assert abi.NATIVE_STACK_CHECK_MASK == 0x0FF00000  # fits test's sign-extended imm32


def test_python_code_never_runs_on_the_native_stack():
    assert runtime_lib().jc_on_native_stack() == 0
    assert down(100) == 100
    assert runtime_lib().jc_native_stack_ready() == 1


def test_each_thread_gets_one_and_gives_it_back():
    down(10)  # this thread's
    # Threads an earlier test left running may still be giving theirs back:
    # let them end first, so the count only moves with this test's threads.
    for other in threading.enumerate():
        if other is not threading.current_thread():
            other.join(60)
    before = native_stacks()
    for _ in range(100):  # (a joined thread's stack goes just after join returns)
        threading.Event().wait(0.02)
        if native_stacks() == before:
            break
        before = native_stacks()
    inside: list[int] = []
    stop = threading.Event()

    def work():
        inside.append(down(500))
        stop.wait(60)

    threads = [threading.Thread(target=work) for _ in range(3)]
    for t in threads:
        t.start()
    for _ in range(6000):
        if len(inside) == 3:
            break
        threading.Event().wait(0.01)
    assert inside == [500] * 3
    assert native_stacks() == before + 3
    stop.set()
    for t in threads:
        t.join()
    # unmapped as each thread exits (its TLS destructors run just after join returns)
    for _ in range(6000):
        if native_stacks() == before:
            break
        threading.Event().wait(0.01)
    assert native_stacks() == before


def test_signal_handlers_run_on_the_threads_stack_and_may_call_jitted_code():
    # A SIGALRM handler runs from the periodic poll of a native loop: on the
    # thread's own stack (3.14+ checks C recursion against its bounds), where
    # deep Python recursion works as usual, and a jitted call it makes
    # continues on the native stack below the loop's frames.
    out = run_script("""
        import signal, sys
        from jitcore import jit
        from jitcore._native import lib

        @jit
        def down(n):
            return 0 if n == 0 else 1 + down(n - 1)

        @jit
        def spin(n):
            s = 0
            for i in range(n):
                s = (s + i) & 1023
            return s

        def py_down(n):
            return 0 if n == 0 else 1 + py_down(n - 1)

        class Stop(Exception):
            pass

        seen = []
        def handler(signum, frame):
            seen.append((lib.jc_on_native_stack(), py_down(5000),
                         down(20000)))
            if len(seen) == 3:
                raise Stop
            signal.setitimer(signal.ITIMER_REAL, 0.02)

        sys.setrecursionlimit(30000)
        down(1), spin(1)
        signal.signal(signal.SIGALRM, handler)
        signal.setitimer(signal.ITIMER_REAL, 0.05)
        try:
            spin(10**18)
        except Stop:
            print(seen)
    """)
    assert out.strip() == repr([(0, 5000, 20000)] * 3)


def test_a_forked_child_keeps_only_its_own_threads_stack():
    out = run_script("""
        import os, threading
        from jitcore import jit
        import test_native_stack as t

        go = threading.Event()
        def work():
            t.down(100)
            go.wait()
        threads = [threading.Thread(target=work) for _ in range(2)]
        for th in threads:
            th.start()
        t.down(100)
        while t.native_stacks() < 3:
            pass
        pid = os.fork()
        if pid == 0:
            ok = t.native_stacks() == 1 and t.down(50000) == 50000
            os._exit(0 if ok else 1)
        _, status = os.waitpid(pid, 0)
        go.set()
        for th in threads:
            th.join()
        print(os.waitstatus_to_exitcode(status))
    """.replace("import test_native_stack as t",
                f"import sys; sys.path.insert(0, {os.path.dirname(__file__)!r}); "
                "sys.setrecursionlimit(60000); import test_native_stack as t"))
    assert out.strip() == "0"


def test_calling_functions_check_the_stack_in_their_prologue():
    compiled = compile_function(down.py_func, keep_stages=True)
    assert compiled.stages is not None
    texts = [text for _, _, text in compiled.stages.listing]
    check = texts.index(f"test rsp, {abi.NATIVE_STACK_CHECK_MASK:#x}")
    assert texts[check - 1].startswith("sub rsp, ")  # right after the frame is allocated
    assert texts[check + 1] == "je depth_exhausted"


def wide(a):
    b = a + 1.5
    c = a * 2.5
    return b * c + down(3)


def test_a_frame_larger_than_native_code_may_take_is_a_compile_error(monkeypatch):
    monkeypatch.setattr(abi, "MAX_FRAME_BYTES", 40)
    with pytest.raises(CompileError, match=r"test_native_stack.py:\d+: cannot compile in wide\(\): "
                                           r"1 KB of stack per call \(more than the 0 KB"):
        jit(strict=True)(wide)(3.0)
    monkeypatch.undo()
    assert jit(strict=True)(wide)(3.0) == wide(3.0)


# -- what native code cannot finish re-runs as CPython's own recursion -----

RERUN_SCRIPT = """
import sys, threading
from jitcore import jit
from jitcore._native import lib

JIT = sys.argv[1] == "jit"
deco = jit if JIT else (lambda f: f)


@deco
def overflows_at_the_bottom(n, big):
    return big * big if n == 0 else 1 + overflows_at_the_bottom(n - 1, big)


@deco
def wide(n, a):
    b = a * 1.5
    c = a * 2.5
    d = a * 3.5
    e = a * 4.5
    if n == 0:
        return 0.0
    return wide(n - 1, a) + b + c + d + e


def python_calls(f, *args):
    # f(*args), and how many Python frames of f's code it ran (0: all native)
    code = getattr(f, "py_func", f).__code__
    count = [0]

    def profile(frame, event, arg):
        if event == "call" and frame.f_code is code:
            count[0] += 1

    sys.setprofile(profile)
    try:
        return f(*args), count[0]
    finally:
        sys.setprofile(None)


def main():
    sys.setrecursionlimit(60000)
    if JIT:
        overflows_at_the_bottom(3, 2), wide(3, 1.0)  # compiled
    results = []
    # a deopt 30000 levels down re-runs every level above it in CPython
    value, in_python = python_calls(overflows_at_the_bottom, 30000, 2**40)
    results += [value, in_python > 0]
    # a native stack that runs out re-runs the recursion in CPython
    lib.jc_native_stack_shrink(256 * 1024)
    value, in_python = python_calls(wide, 20000, 0.5)
    results += [value, in_python > 0]
    lib.jc_native_stack_shrink(0)
    value, in_python = python_calls(wide, 20000, 0.5)
    results += [value, in_python == 0 if JIT else in_python > 0]  # all of the stack: native
    print(results)


threading.stack_size(512 * 1024 * 1024)  # 3.10's own recursion needs the C stack
t = threading.Thread(target=main)
t.start()
t.join()
"""


def test_what_native_code_cannot_finish_reruns_as_cpythons_recursion():
    """A deopt deep in a native recursion, or a native stack that runs out,
    re-runs in CPython: the levels nested past a few run py_func's shadow,
    whose jitted calls are plain Python calls (no C call per level, which
    3.12+'s C recursion limit, or the C stack, would stop long before the
    recursion limit). Before, both raised RecursionError on 3.12+."""
    outputs = []
    for engine in ("jit", "cpython"):
        proc = subprocess.run([sys.executable, "-c", RERUN_SCRIPT, engine], capture_output=True,
                              text=True, timeout=300)
        assert proc.returncode == 0, proc.stderr[-3000:]
        outputs.append(proc.stdout.strip())
    jitted, cpython = outputs
    assert jitted == cpython
    assert "False" not in jitted


def test_a_shadow_calls_shadows_and_reads_the_modules_globals():
    shadow = down._shadow()
    assert shadow is not None and shadow is down._shadow()  # made once
    assert shadow.__code__ is down.py_func.__code__
    assert shadow.__qualname__ == down.py_func.__qualname__
    assert shadow.__globals__["down"] is shadow  # its recursion is a plain Python call
    assert shadow.__globals__["sys"] is sys  # other globals are the module's
    with pytest.raises(KeyError):
        shadow.__globals__["no_such_name"]
    assert shadow(50) == 50

    @jit
    def never_called(n):
        return n

    assert never_called._shadow() is None  # nothing compiled: py_func runs
