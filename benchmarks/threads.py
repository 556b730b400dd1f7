"""Thread scaling of @jit(nogil=True) calls.

    python -m benchmarks.threads [--work N] [--repeat K]

Each of T threads (T = 1, 2, ... up to the number of CPUs) makes the same
CPU-bound jitted call (a loop of N iterations); the table gives the wall time
and the speedup over one thread doing the same total work alone
(T calls in a row). With nogil=True the calls run in parallel, so the speedup
approaches T on an otherwise idle machine; with the GIL held (the default)
they take turns and it stays at 1.
"""

from __future__ import annotations

import argparse
import os
import threading
import time
from collections.abc import Callable

from jitcore import jit


def kernel(n):  # type: ignore[no-untyped-def]
    s = 0
    i = 0
    while i < n:
        s = (s + i * 7) % 1000003
        i += 1
    return s


def wall_time(call: Callable[[], object], threads: int) -> float:
    workers = [threading.Thread(target=call) for _ in range(threads)]
    start = time.perf_counter()
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    return time.perf_counter() - start


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--work", type=int, default=50_000_000, help="loop iterations per call")
    parser.add_argument("--repeat", type=int, default=3, help="best of K runs")
    args = parser.parse_args(argv)
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    print(f"{cpus} CPUs; {args.work:,} iterations per call; best of {args.repeat}")
    print("| mode | threads | wall ms | speedup vs serial |")
    print("| --- | ---: | ---: | ---: |")
    for nogil in (False, True):
        f = jit(strict=True, nogil=nogil)(kernel)
        f(10)
        def call(f: Callable[[int], int] = f) -> None:
            f(args.work)

        serial = min(wall_time(call, 1) for _ in range(args.repeat))
        for threads in range(1, max(cpus, 2) + 1):
            best = min(wall_time(call, threads) for _ in range(args.repeat))
            speedup = serial * threads / best
            print(f"| {'nogil=True' if nogil else 'GIL held'} | {threads} | {best * 1000:.0f} "
                  f"| {speedup:.2f}x |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
