"""python -m jitcore: the command line.

    python -m jitcore demo     compile a small function and show what happens
    python -m jitcore bench    run the benchmarks (benchmarks/ in the source checkout)
"""

from __future__ import annotations

import argparse
import logging
import sys
from typing import List, Optional


def demo() -> int:
    """The seed's decorator demo: foo(a, b) = a*a - b*b, compiled on first call."""
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(logging.Formatter("%(message)s"))
    log = logging.getLogger("jitcore")
    log.addHandler(handler)
    log.setLevel(logging.DEBUG)

    from . import disassemble, jit
    from .runtime import strategy

    print("Definition point of foo")

    @jit
    def foo(a, b):  # type: ignore[no-untyped-def]
        return a * a - b * b

    print("Calling foo")
    for a, b in [(1, 2), (2, 3), (-7, 11)]:
        print(f"foo({a}, {b}) => {foo(a, b)}")
    big = foo(2**32, 1)
    print(f"foo(2**32, 1) => {big}   (a*a overflows int64: the call is re-run in CPython)")
    assert big == 2**64 - 1 == foo.py_func(2**32, 1)
    print(f"Executable memory strategy: {strategy()}")
    print("Disassembly of foo")
    try:
        print(disassemble(foo))
    except ImportError as exc:
        print(f"({exc})")
    return 0


def bench(argv: List[str]) -> int:
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
    return run_benchmarks(argv)


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m jitcore", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    commands.add_parser("demo", help="compile foo(a, b) = a*a - b*b, call it and disassemble it")
    # bench's options (--quick, --markdown PATH, ...) are parsed by benchmarks/run.py
    commands.add_parser("bench", add_help=False,
                        help="benchmark jitcore against CPython, numba and PyPy")
    args, rest = parser.parse_known_args(argv)
    if args.command == "bench":
        return bench(rest)
    if rest:
        parser.error(f"unrecognized arguments: {' '.join(rest)}")
    if args.command == "demo":
        return demo()
    parser.print_help()
    return 2


if __name__ == "__main__":
    sys.exit(main())
