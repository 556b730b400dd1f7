"""Calls that cannot finish natively, called again and again.

    python -m benchmarks.deopt [--repeat K]

`add(2**62, 2**62)` overflows int64 and `fact(30)` overflows it half way:
every call deopts and CPython computes the big int. Each such call pays the
native attempt and then the whole call in CPython. A signature whose calls
keep deopting runs its next calls in CPython directly (csrc/fastcall.c,
FC_DEOPTS_BEFORE_SKIPPING), so what is left is the C fast path's own cost in
front of CPython's call. The table gives ns per call (best of K runs of
100,000 calls from a Python loop, the empty loop not subtracted) and the
ratio to plain CPython; a call that stays native is shown for scale.
"""

from __future__ import annotations

import argparse
import timeit

from jitcore import jit


def add(a, b):  # type: ignore[no-untyped-def]
    return a + b


def fact(n):  # type: ignore[no-untyped-def]
    r = 1
    for i in range(2, n + 1):
        r *= i
    return r


CASES = [("add(2**62, 2**62)", add, (2**62, 2**62)), ("fact(30)", fact, (30,)),
         ("add(1, 2) (native)", add, (1, 2)), ("fact(20) (native)", fact, (20,))]


def per_call_ns(func, args, repeat: int) -> float:  # type: ignore[no-untyped-def]
    number = 100_000
    return min(timeit.repeat(lambda: func(*args), number=number, repeat=repeat)) / number * 1e9


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args(argv)
    print("| call | CPython ns | jitcore ns | jitcore / CPython |")
    print("| --- | ---: | ---: | ---: |")
    for label, func, call_args in CASES:
        jitted = jit(func)
        jitted(*call_args)  # compiled (and for the deopting ones, the first deopts)
        cpython = per_call_ns(func, call_args, args.repeat)
        native = per_call_ns(jitted, call_args, args.repeat)
        print(f"| {label} | {cpython:.1f} | {native:.1f} | {native / cpython:.2f}x |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
