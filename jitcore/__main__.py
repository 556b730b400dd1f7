"""python -m jitcore: jitcore's command line.

    python -m jitcore demo            compile a small function and show what happens
    python -m jitcore demo mul N      assemble x * N by hand, run it, free it (the seed's mj.py)
    python -m jitcore disasm FILE:FUNC [--stages] [--args V ...]
                                      the machine code of FUNC, or every stage of compiling it
    python -m jitcore bench [OPTIONS] run the benchmarks (jitcore.benchmarks, benchmarks/ here)
"""

from __future__ import annotations

import argparse
import ast
import logging
import sys
from typing import Any


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


INT64_MIN, UINT64_LIMIT = -(2**63), 2**64


def wrap_int64(value: int) -> int:
    """value modulo 2**64, as a signed int64 (what 64-bit machine arithmetic gives)."""
    value %= UINT64_LIMIT
    return value - UINT64_LIMIT if value >= 2**63 else value


def _int_expression(node: ast.AST) -> int:
    """The value of an int literal, possibly with unary -/+ and binary + - * ** (small powers only)."""
    if isinstance(node, ast.Constant) and type(node.value) is int:
        return node.value
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
        operand = _int_expression(node.operand)
        return -operand if isinstance(node.op, ast.USub) else operand
    if isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Add, ast.Sub, ast.Mult, ast.Pow)):
        left, right = _int_expression(node.left), _int_expression(node.right)
        if isinstance(node.op, ast.Pow):
            if not 0 <= right <= 256 or abs(left) > UINT64_LIMIT:
                raise ValueError("power too large")
            return int(left**right)
        if isinstance(node.op, ast.Mult):
            return left * right
        return left + right if isinstance(node.op, ast.Add) else left - right
    raise ValueError("not an int expression")


def int64_constant(text: str) -> int:
    """argparse type of `demo mul N`: an int written as int(text, 0) reads it (0x.. works),
    or as a small expression like 2**63-1; it must fit in 64 bits, signed or unsigned."""
    try:
        value = int(text, 0)
    except ValueError:
        try:
            value = _int_expression(ast.parse(text.strip(), mode="eval").body)
        except (SyntaxError, ValueError, MemoryError, RecursionError):
            raise argparse.ArgumentTypeError(
                f"{text!r} is not an integer (write it in decimal, or 0x.., 0o.., 0b..)") from None
    if not INT64_MIN <= value < UINT64_LIMIT:
        spelled = text if text == str(value) else f"{text} = {value}"
        raise argparse.ArgumentTypeError(f"{spelled} does not fit in 64 bits: N must be in "
                                         f"-2**63 .. 2**64-1")
    return value


def demo_mul(value: int) -> int:
    """The seed's mj.py: machine code for x * value, made executable, run, freed.

    Every step uses a public layer of jitcore: jitcore.asm assembles,
    jitcore.native puts the bytes in executable memory and calls them."""
    from .asm import Assembler, format_listing, rax, rdi
    from .handwritten import native
    from .runtime import stats, strategy

    as_int64 = wrap_int64(value)
    note = f" (the same 64 bits as {as_int64})" if as_int64 != value else ""
    print(f"JIT-compiling mul(x) = x * {value}{note} with jitcore.asm")
    print("  a = Assembler(); a.mov(rax, N); a.imul(rax, rdi); a.ret(); code = a.assemble()")
    print("  (System V ABI: x arrives in rdi, the result goes back in rax)")
    a = Assembler()
    a.mov(rax, value)
    a.imul(rax, rdi)
    a.ret()
    code = a.assemble()
    print(format_listing(a.listing(), code))
    print(f"Copying the {len(code)} bytes into executable memory (strategy: {strategy()}; "
          f"never writable and executable at once)")
    mul = native(code, [int], int)
    print(f"mul is native code at 0x{mul.address:x}: {mul!r}")
    print(f"Testing mul(0) ... mul(9) against Python's i * {value}, wrapped to int64")
    failures = 0
    for i in range(10):
        expected = wrap_int64(i * value)
        actual = mul(i)
        failures += actual != expected
        print(f"{'OK' if actual == expected else 'FAIL':<4} mul({i}) = {actual}"
              + ("" if actual == expected else f"   expected {expected}"))
    blocks = stats()["blocks_live"]
    print("Freeing the executable memory")
    mul.free()
    print(f"Freed: {mul!r} (live code blocks: {blocks} -> {stats()['blocks_live']})")
    return 1 if failures else 0


def load_function(target: str) -> tuple[Any, str]:
    """FILE:FUNC -> (a Dispatcher for FUNC, what went wrong or "").

    FILE is imported as a module by path (its directory first on sys.path,
    as for a script, but with the file's stem as __name__, so a
    `if __name__ == "__main__":` block does not run). FUNC may be dotted
    (Class.method). An undecorated function is wrapped in a Dispatcher, which
    replaces it in its module so that its recursive calls reach native code.
    """
    import importlib.util
    import os
    import types

    from .dispatcher import Dispatcher

    path, sep, name = target.rpartition(":")
    if not sep or not path or not name:
        return None, f"expected FILE:FUNC (e.g. prog.py:f), got {target!r}"
    if not os.path.isfile(path):
        return None, f"no such file: {path}"
    stem = os.path.splitext(os.path.basename(path))[0]
    module_name = stem if stem.isidentifier() and stem not in sys.modules else "_jitcore_disasm_target"
    spec = importlib.util.spec_from_file_location(module_name, path)
    if spec is None or spec.loader is None:
        return None, f"cannot import {path} as a Python module"
    module = importlib.util.module_from_spec(spec)
    sys.path.insert(0, os.path.dirname(os.path.abspath(path)))
    sys.modules[module_name] = module
    spec.loader.exec_module(module)  # what it raises is the user's to see, with its traceback
    owner: Any = module
    obj: Any = module
    for part in name.split("."):
        owner = obj
        obj = getattr(obj, part, None)
        if obj is None:
            return None, f"{path} has no {name}"
    if isinstance(obj, Dispatcher):
        return obj, ""
    if not isinstance(obj, types.FunctionType):
        return None, f"{name} in {path} is of type {type(obj).__name__}, not a function"
    dispatcher = Dispatcher(obj)
    if owner is module:
        setattr(module, name, dispatcher)  # recursive calls look the name up in the module
    return dispatcher, ""


def parse_args_values(texts: list[str]) -> tuple[list[Any], str]:
    """--args VALUE ...: Python literals (ast.literal_eval), or the type names int, bool, float."""
    names: dict[str, type] = {"int": int, "bool": bool, "float": float}
    values: list[Any] = []
    for text in texts:
        if text in names:
            values.append(names[text])
            continue
        try:
            values.append(ast.literal_eval(text))
        except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
            return [], f"--args: {text!r} is not a Python literal (e.g. 3, -1, 2.5, True) or int/bool/float"
    return values, ""


def disasm(parser: argparse.ArgumentParser, target: str, stages: bool, arg_texts: list[str] | None) -> int:
    """The annotated machine code jit makes for FILE:FUNC, or with --stages every stage."""
    from .explanation import explain

    func, problem = load_function(target)
    if problem:
        parser.error(problem)
    values: list[Any]
    if arg_texts is None:
        values = [1] * func.py_func.__code__.co_argcount
    else:
        values, problem = parse_args_values(arg_texts)
        if problem:
            parser.error(problem)
    explanation = explain(func, *values)
    if stages:
        print(explanation)
    elif explanation.failure is not None:
        print(explanation.header())
        print(explanation.failure_text())
    else:
        print(f"{explanation.header()}: {len(explanation.code)} bytes of machine code")
        print(explanation.machine_code())
    return 0 if explanation.failure is None else 1


def bench(argv: list[str]) -> int:
    """Run the benchmark runner (benchmarks/run.py) with these options (see
    benchmarks/README.md): jitcore.benchmarks in an installed wheel, or the
    benchmarks/ folder beside the package in a source checkout (an editable
    install has no jitcore.benchmarks)."""
    try:
        from .benchmarks.run import main as run_benchmarks  # type: ignore[import-not-found]
    except ImportError:
        from pathlib import Path

        root = Path(__file__).resolve().parent.parent
        if not (root / "benchmarks" / "run.py").is_file():
            print("python -m jitcore bench: this jitcore has no benchmarks (neither "
                  "jitcore.benchmarks nor a source checkout's benchmarks/)", file=sys.stderr)
            return 2
        sys.path.insert(0, str(root))
        from benchmarks.run import main as run_benchmarks
    return int(run_benchmarks(argv))


DESCRIPTION = """\
jitcore compiles numeric Python functions to x86-64 machine code: put @jit on
a function and its first call compiles it (see README.md)."""

EPILOG = """\
examples:
  python -m jitcore demo             watch @jit compile, run and fall back on one function
  python -m jitcore demo mul 11      assemble x * 11 by hand, run it from executable memory, free it
  python -m jitcore disasm prog.py:f --stages --args 3 2.5
                                     every stage of compiling f(int, float) in prog.py
  python -m jitcore bench --quick    a smoke run of every benchmark section
  python -m jitcore bench --help     the benchmark options

Run `python -m jitcore COMMAND --help` for more on a command."""

DEMO_HELP = ("compile foo(a, b) = a*a - b*b with @jit, call it and show its machine code; "
             "`demo mul N` runs x * N assembled by hand")
DEMO_DESCRIPTION = """\
Defines foo(a, b) = a*a - b*b with @jit, with jitcore's DEBUG log shown, and
calls it: the first call compiles foo to x86-64 machine code, later calls run
it. foo(2**32, 1) overflows int64 in native code, so that call is re-run in
CPython and still gives 18446744073709551615. Then it prints how this process
gets executable memory and foo's machine code as it is in memory (the
disassembly needs capstone: pip install 'jitcore[disasm]').

`demo mul N` does what the seed program mj.py did, with jitcore's public
layers: it assembles mul(x) = x * N with jitcore.asm (mov rax, N; imul rax,
rdi; ret) and prints the listing, copies the bytes into executable memory with
jitcore.native and prints the address and how this process gets such memory,
checks mul(0) ... mul(9) against Python's i * N wrapped to int64, and frees the
memory. N is any 64-bit value, -2**63 .. 2**64-1, in decimal, 0x/0o/0b or
as a small expression like 2**63-1 (default 11); a negative one too
(demo mul -0x10, or demo mul -- -0x10)."""

DISASM_HELP = "show the machine code jit makes for FUNC in FILE (--stages: every compile stage)"
DISASM_DESCRIPTION = """\
Imports FILE as a module (its top-level code runs, but not its
`if __name__ == "__main__":` block), takes FUNC from it (a @jit function or a
plain one; Class.method works) and compiles it for the types of the --args
values, as its first call with them would. Prints the machine code, each
instruction under the IR instruction and source line it comes from; with
--stages every stage (jitcore.explain): bytecode, IR, the IR after each pass,
the register assignment, the machine code and compile times. A function that
cannot be compiled prints which construct, file and line stop it, and the exit
status is 1."""

BENCH_HELP = "time jitcore against CPython, numba and PyPy"
BENCH_DESCRIPTION = """\
Runs the benchmarks that ship with jitcore (benchmarks/ of the source
checkout) with the OPTIONS given: steady-state speedups over CPython, call
overhead, compile latency, import and decoration time, and short scripts end
to end; numba and PyPy are compared when installed. Exit status 1 if an
engine's result differs from CPython's. Its options (--quick, --only
SECTIONS, --markdown PATH, --json PATH, ...) are below; see
benchmarks/README.md."""


def _negative_constant_as_positional(argv: list[str] | None) -> list[str]:
    """`demo mul -0x10` as `demo mul -- -0x10`: argparse reads a leading '-' as
    an option unless it looks like a decimal number, and which texts those are
    differs between Python versions (3.14 takes -0x10, 3.13 does not)."""
    words = list(sys.argv[1:] if argv is None else argv)
    if words[:2] == ["demo", "mul"] and len(words) == 3 and words[2].startswith("-") \
            and words[2] not in ("-h", "--help"):
        try:
            int64_constant(words[2])
        except argparse.ArgumentTypeError:
            return words  # an option after all: argparse says what is wrong
        return ["demo", "mul", "--", words[2]]
    return words


def main(argv: list[str] | None = None) -> int:
    formatter = argparse.RawDescriptionHelpFormatter
    parser = argparse.ArgumentParser(prog="python -m jitcore", description=DESCRIPTION,
                                     epilog=EPILOG, formatter_class=formatter)
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", title="commands")
    demo_parser = commands.add_parser("demo", help=DEMO_HELP, description=DEMO_DESCRIPTION,
                                      formatter_class=formatter)
    demo_parser.add_argument("example", nargs="?", choices=["mul"],
                             help="mul: x * N assembled by hand and run (the seed's mj.py)")
    demo_parser.add_argument("constant", nargs="?", type=int64_constant, metavar="N",
                             help="the constant of `demo mul` (default 11)")
    disasm_parser = commands.add_parser("disasm", help=DISASM_HELP, description=DISASM_DESCRIPTION,
                                        formatter_class=formatter)
    disasm_parser.add_argument("target", metavar="FILE:FUNC",
                               help="a Python file and a function in it, e.g. prog.py:f")
    disasm_parser.add_argument("--stages", action="store_true",
                               help="show every stage: bytecode, IR, passes, registers, machine code")
    disasm_parser.add_argument("--args", nargs="+", metavar="VALUE", dest="values",
                               help="example arguments, Python literals (3 -1 2.5 True) or type names "
                                    "(int float bool); their types select the signature "
                                    "(default: 1 for each parameter)")
    # bench's options (--quick, --markdown PATH, ...) and its --help are
    # parsed by benchmarks/run.py; main() prints BENCH_DESCRIPTION first
    commands.add_parser("bench", add_help=False, help=BENCH_HELP)
    args, rest = parser.parse_known_args(_negative_constant_as_positional(argv))
    if args.command == "bench":
        if "-h" in rest or "--help" in rest:  # then benchmarks/run.py prints its options
            print(f"python -m jitcore bench [OPTIONS]\n\n{BENCH_DESCRIPTION}\n")
        return bench(rest)
    if rest:
        hint = ""
        if args.command == "demo" and rest[0].startswith("-"):
            hint = f" (a negative N goes after --: python -m jitcore demo mul -- {rest[0]})"
        parser.error(f"unrecognized arguments: {' '.join(rest)}{hint}")
    if args.command == "demo":
        if args.example == "mul":
            return demo_mul(11 if args.constant is None else args.constant)
        if args.constant is not None:
            parser.error("demo: N goes with an example: python -m jitcore demo mul N")
        return demo()
    if args.command == "disasm":
        return disasm(disasm_parser, args.target, args.stages, args.values)
    parser.print_help()
    return 2


if __name__ == "__main__":
    sys.exit(main())
