"""python -m jitcore: the command line.

    python -m jitcore demo     compile a small function and show what happens
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


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m jitcore", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    commands.add_parser("demo", help="compile foo(a, b) = a*a - b*b, call it and disassemble it")
    args = parser.parse_args(argv)
    if args.command == "demo":
        return demo()
    parser.print_help()
    return 2


if __name__ == "__main__":
    sys.exit(main())
