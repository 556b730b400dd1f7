"""Everything at once, for a bounded time: threads, fork, GC cycles and SIGINT.

One child process runs for a few seconds while:

- threads call jitted functions in a loop, with the GIL (a loop, native
  recursion) and without it (nogil), and check every result;
- the main thread makes garbage cycles whose finalizers compile and call new
  jitted functions, and collects them;
- it sends itself SIGINT, with a Python handler that returns (so every call
  goes on, or starts again, and gives CPython's answer);
- it forks; each child calls the inherited functions, compiles a new one, and
  exits with a status saying whether every answer was right.

The child process must end by itself, with no wrong answer, no crash and no
hung grandchild (a grandchild that outlives its time limit is killed and
counted as hung).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

DURATION_S = 4.0

STRESS = r"""
import gc, json, os, signal, sys, threading, time, warnings
from jitcore import jit

warnings.simplefilter("ignore", DeprecationWarning)  # fork() with threads running (3.12+)


@jit(strict=True)
def spin(n):
    s = 0
    i = 0
    while i < n:
        s = (s + i * 7) % 1000003
        i += 1
    return s


@jit(strict=True, nogil=True)
def spin_nogil(n):
    s = 0
    for i in range(n):
        s = (s * 31 + i) % 1000003
    return s


@jit(strict=True)
def fib(n):
    return n if n < 2 else fib(n - 1) + fib(n - 2)


CASES = [(spin, 200_000), (spin_nogil, 200_000), (fib, 18)]
EXPECTED = {f.__name__: f.py_func(arg) for f, arg in CASES}
errors = []
stop = threading.Event()
calls = [0]


def caller(f, arg):
    while not stop.is_set():
        result = f(arg)
        calls[0] += 1
        if result != EXPECTED[f.__name__]:
            errors.append(f"{f.__name__}({arg}) = {result!r}")


class Cycle:
    count = 0

    def __init__(self):
        self.me = self
        Cycle.count += 1
        self.k = Cycle.count

    def __del__(self):
        # A finalizer that compiles and calls a new function in the middle of a collection.
        g = jit(eval(f"lambda a: a * {self.k} + 1"))
        if g(5) != 5 * self.k + 1 or spin(1000) != spin.py_func(1000):
            errors.append(f"finalizer {self.k}")


signals = []
signal.signal(signal.SIGINT, lambda sig, frame: signals.append(sig))
threads = [threading.Thread(target=caller, args=case) for case in CASES for _ in range(2)]
for t in threads:
    t.start()
deadline = time.monotonic() + float(sys.argv[1])
forks = 0
while time.monotonic() < deadline:
    for _ in range(10):
        Cycle()
    gc.collect()
    os.kill(os.getpid(), signal.SIGINT)
    pid = os.fork()
    if pid == 0:
        ok = (spin(5000) == spin.py_func(5000) and fib(15) == 610
              and spin_nogil(5000) == spin_nogil.py_func(5000)
              and jit(lambda a: a + 1)(41) == 42)
        os._exit(0 if ok else 1)
    limit = time.monotonic() + 60
    while True:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            break
        if time.monotonic() > limit:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
            status = "hung"
            break
        time.sleep(0.005)
    if status != 0:
        errors.append(f"child: {status}")
    forks += 1
stop.set()
for t in threads:
    t.join()
print(json.dumps(dict(errors=errors, forks=forks, calls=calls[0], signals=len(signals),
                      finalized=Cycle.count)))
"""


def test_threads_fork_gc_cycles_and_sigint_together():
    import jitcore

    pkg_parent = os.path.dirname(os.path.dirname(os.path.abspath(jitcore.__file__)))
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([pkg_parent, os.environ.get("PYTHONPATH", "")]))
    proc = subprocess.run([sys.executable, "-c", textwrap.dedent(STRESS), str(DURATION_S)],
                          capture_output=True, text=True, timeout=600, env=env)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    assert result["errors"] == [], result
    # It really did all of it, more than once.
    assert result["forks"] >= 3 and result["calls"] >= 10 and result["signals"] >= 3, result
    assert result["finalized"] >= 30, result
