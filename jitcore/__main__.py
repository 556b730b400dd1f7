"""python -m jitcore: jitcore's command line.

    python -m jitcore demo            compile a small function and show what happens
    python -m jitcore bench [OPTIONS] run the benchmarks (benchmarks/ in the source checkout)
"""

from __future__ import annotations

import argparse
import logging
import sys


def demo() -> int:
    """The seed's decorator demo: foo(a, b) = a*a - b*b, compiled on first call."""
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(logging.Formatter("%(message)s"))
    log = logging.getLogger("jitcore")
    log.addHandler(handler)
    log.setLevel(logging.DEBUG)

    from . import CompileError, Dispatcher, disassemble, jit
    from .runtime import strategy

    print("Definition point of foo")

    @jit
    def foo(a: int, b: int) -> int:
        return a * a - b * b

    print("Calling foo")
    for a, b in [(1, 2), (2, 3), (-7, 11)]:
        print(f"foo({a}, {b}) => {foo(a, b)}")
    big = foo(2**32, 1)
    print(f"foo(2**32, 1) => {big}   (a*a overflows int64: the call is re-run in CPython)")
    assert isinstance(foo, Dispatcher)
    assert big == 2**64 - 1 == foo.py_func(2**32, 1)
    print(f"Executable memory strategy: {strategy()}")
    print("Disassembly of foo")
    try:
        print(disassemble(foo))
    except (ImportError, CompileError) as exc:  # no capstone; no native code on this machine
        print(f"({exc})")
    return 0


def bench(argv: list[str]) -> int:
    """Run benchmarks/run.py with these options (see benchmarks/README.md).

    The benchmarks live beside the package in the source checkout, not in
    the installed package."""
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    if (root / "benchmarks" / "run.py").is_file():
        sys.path.insert(0, str(root))
    try:
        from benchmarks.run import main as run_benchmarks
    except ImportError as exc:
        print(f"python -m jitcore bench needs the benchmarks/ folder of jitcore's source "
              f"checkout ({exc})", file=sys.stderr)
        return 2
    return int(run_benchmarks(argv))


DESCRIPTION = """\
jitcore compiles numeric Python functions to x86-64 machine code: put @jit on
a function and its first call compiles it (see README.md)."""

EPILOG = """\
examples:
  python -m jitcore demo             watch @jit compile, run and fall back on one function
  python -m jitcore bench --quick    a smoke run of every benchmark section
  python -m jitcore bench --help     the benchmark options

Run `python -m jitcore COMMAND --help` for more on a command."""

DEMO_HELP = "compile foo(a, b) = a*a - b*b with @jit, call it and show its machine code"
DEMO_DESCRIPTION = """\
Defines foo(a, b) = a*a - b*b with @jit, with jitcore's DEBUG log shown, and
calls it: the first call compiles foo to x86-64 machine code, later calls run
it. foo(2**32, 1) overflows int64 in native code, so that call is re-run in
CPython and still gives 18446744073709551615. Then it prints how this process
gets executable memory and foo's machine code as it is in memory (the
disassembly needs capstone: pip install 'jitcore[disasm]')."""

BENCH_HELP = "time jitcore against CPython, numba and PyPy (needs the source checkout)"
BENCH_DESCRIPTION = """\
Runs benchmarks/run.py of jitcore's source checkout (the benchmarks are not
in the installed package) with the OPTIONS given: steady-state speedups over
CPython, call overhead, compile latency and import time; numba and PyPy are
compared when installed. Exit status 1 if an engine's result differs from
CPython's. Its options (--quick, --markdown PATH, --chart PATH, --json PATH,
...) are below when the checkout is there; see benchmarks/README.md."""


def main(argv: list[str] | None = None) -> int:
    formatter = argparse.RawDescriptionHelpFormatter
    parser = argparse.ArgumentParser(prog="python -m jitcore", description=DESCRIPTION,
                                     epilog=EPILOG, formatter_class=formatter)
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", title="commands")
    commands.add_parser("demo", help=DEMO_HELP, description=DEMO_DESCRIPTION,
                        formatter_class=formatter)
    # bench's options (--quick, --markdown PATH, ...) and its --help are
    # parsed by benchmarks/run.py; main() prints BENCH_DESCRIPTION first
    commands.add_parser("bench", add_help=False, help=BENCH_HELP)
    args, rest = parser.parse_known_args(argv)
    if args.command == "bench":
        if "-h" in rest or "--help" in rest:  # then benchmarks/run.py prints its options
            print(f"python -m jitcore bench [OPTIONS]\n\n{BENCH_DESCRIPTION}\n")
        return bench(rest)
    if rest:
        parser.error(f"unrecognized arguments: {' '.join(rest)}")
    if args.command == "demo":
        return demo()
    parser.print_help()
    return 2


if __name__ == "__main__":
    sys.exit(main())
