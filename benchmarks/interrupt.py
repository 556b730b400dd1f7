"""Ctrl-C latency: how long after SIGINT a native computation raises KeyboardInterrupt.

    python -m benchmarks.interrupt [--trials K]

For each kernel (a loop, recursion without loops, a loop calling a loop, a
float loop; with the GIL held and with nogil=True) a child process starts a
native call that would run for hours; this process sends it SIGINT and the
child reports when KeyboardInterrupt arrived (CLOCK_MONOTONIC in both). The
table gives the median and the largest latency over K trials. The test suite
(tests/test_interrupt.py) only checks that the interrupt arrives at all, with
a bound a loaded 2-core machine keeps; this is where latency is measured.
"""

from __future__ import annotations

import argparse
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time

CHILD = """
import sys, time
from jitcore import jit

@jit(strict=True, nogil=NOGIL)
def spin(n):
    s = 0
    i = 0
    while i < n:
        s = (s + i * 7) % 1000003
        i += 1
    return s

@jit(strict=True, nogil=NOGIL)
def fib(n):
    if n < 2:
        return n
    return fib(n - 1) + fib(n - 2)

@jit(strict=True, nogil=NOGIL)
def outer(n):
    t = 0
    for k in range(n):
        t += spin(n) % 7
    return t

@jit(strict=True, nogil=NOGIL)
def floats(n):
    x = 0.0
    for i in range(n):
        x = x * 0.5 + 1.0
    return x

KERNELS = {"spin": (spin, 10**15), "fib": (fib, 90), "outer": (outer, 10**9),
           "floats": (floats, 10**15)}
f, big = KERNELS[sys.argv[1]]
f(20)
print("ready", flush=True)
try:
    f(big)
    print("returned", flush=True)
except KeyboardInterrupt:
    print("interrupted", time.perf_counter(), flush=True)
"""

KERNELS = ("spin", "fib", "outer", "floats")


def latency(script: str, kernel: str) -> float:
    child = subprocess.Popen([sys.executable, script, kernel], stdout=subprocess.PIPE, text=True)
    try:
        assert child.stdout is not None
        if child.stdout.readline().strip() != "ready":
            raise RuntimeError(f"{kernel}: the child did not start")
        time.sleep(0.1)  # deep inside the native call
        sent = time.perf_counter()
        child.send_signal(signal.SIGINT)
        out, _ = child.communicate(timeout=60)
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
    word, _, when = out.strip().partition(" ")
    if word != "interrupted":
        raise RuntimeError(f"{kernel}: {out!r}")
    return float(when) - sent


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=10, help="signals per kernel and mode")
    args = parser.parse_args(argv)
    print(f"CPython {sys.version.split()[0]}; {args.trials} trials each")
    print("| kernel | mode | median ms | max ms |")
    print("| --- | --- | ---: | ---: |")
    with tempfile.TemporaryDirectory() as tmp:
        for nogil in (False, True):
            script = os.path.join(tmp, f"child_{nogil}.py")
            with open(script, "w") as f:
                f.write(CHILD.replace("NOGIL", str(nogil)))
            for kernel in KERNELS:
                samples = [latency(script, kernel) for _ in range(args.trials)]
                mode = "nogil=True" if nogil else "GIL held"
                print(f"| {kernel} | {mode} | {statistics.median(samples) * 1000:.3f} "
                      f"| {max(samples) * 1000:.3f} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
