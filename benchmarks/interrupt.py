"""Ctrl-C latency and GIL hand-off while native code runs.

    python -m benchmarks.interrupt [--trials K]

Ctrl-C: for each kernel (a loop, recursion without loops, a loop calling a
loop, a float loop; with the GIL held and with nogil=True) a child process
starts a native call that would run for hours, on the main thread or (last
row) on a worker thread while the main thread waits in join(); this process
sends it SIGINT and the child reports when KeyboardInterrupt arrived
(CLOCK_MONOTONIC in both). The table gives the median and the largest
latency over K trials.

GIL hand-off: a worker thread runs a long loop (jitted with the GIL held,
jitted with nogil=True, or plain CPython) while the main thread sleeps 1 ms
again and again; each wake-up waits for the worker to let the GIL go. The
table gives how long past the 1 ms each wake-up took (CPython's own row is
the switch interval at work).

The test suite (tests/test_interrupt.py, test_nogil.py) only checks that the
interrupt arrives and the GIL changes hands at all, with bounds a loaded
2-core machine keeps; this is where the latencies are measured.
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
f, big = KERNELS[sys.argv[1].removesuffix("-in-worker")]
f(20)
if sys.argv[1].endswith("-in-worker"):
    import threading
    worker = threading.Thread(target=f, args=(big,), daemon=True)
    worker.start()
    wait = worker.join
else:
    wait = lambda: f(big)
print("ready", flush=True)
try:
    wait()
    print("returned", flush=True)
except KeyboardInterrupt:
    print("interrupted", time.perf_counter(), flush=True)
"""

KERNELS = ("spin", "fib", "outer", "floats", "spin-in-worker")

HANDOFF = """
import statistics, sys, threading, time
from jitcore import jit

def spin(n):
    s = 0
    i = 0
    while i < n:
        s = (s + i * 7) % 1000003
        i += 1
    return s

mode = sys.argv[1]
if mode != "cpython":
    spin = jit(strict=True, nogil=mode == "nogil")(spin)
spin(20)
threading.Thread(target=spin, args=(10**15,), daemon=True).start()
time.sleep(0.05)
late = []
for _ in range(int(sys.argv[2])):
    start = time.perf_counter()
    time.sleep(0.001)
    late.append(time.perf_counter() - start - 0.001)
print(statistics.median(late), max(late))
"""


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
    print()
    print(f"GIL hand-off to a thread waking from a 1 ms sleep (switch interval "
          f"{sys.getswitchinterval() * 1000:g} ms), {args.trials * 20} wake-ups each")
    print("| worker runs | median ms late | max ms late |")
    print("| --- | ---: | ---: |")
    for mode, label in (("gil", "jitted loop, GIL held"), ("nogil", "jitted loop, nogil=True"),
                        ("cpython", "CPython loop")):
        out = subprocess.run([sys.executable, "-c", HANDOFF, mode, str(args.trials * 20)],
                             capture_output=True, text=True, timeout=600, check=True).stdout
        median, worst = (float(x) for x in out.split())
        print(f"| {label} | {median * 1000:.3f} | {worst * 1000:.3f} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
