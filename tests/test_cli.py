"""python -m jitcore: the demo a new user runs first."""

from __future__ import annotations

import subprocess
import sys

import pytest


def run(*args):
    return subprocess.run([sys.executable, "-m", "jitcore", *args], capture_output=True, text=True,
                          timeout=120)


def test_demo():
    out = run("demo")
    assert out.returncode == 0, out.stderr
    text = out.stdout
    for expected in ["Installing JIT for <function", "JIT-compiling <function",
                     "Installed native code for", "foo(1, 2) => -3", "foo(2, 3) => -5",
                     "foo(2**32, 1) => 18446744073709551615", "Disassembly of foo", "imul", "ret"]:
        assert expected in text, f"{expected!r} missing from:\n{text}"
    assert text.index("Installing JIT") < text.index("Calling foo") < text.index("JIT-compiling")


def test_help_lists_commands():
    out = run("--help")
    assert out.returncode == 0
    assert "demo" in out.stdout


def test_no_command_prints_help_and_fails():
    out = run()
    assert out.returncode == 2
    assert "demo" in out.stdout


def test_help_documents_each_command():
    out = run("--help")
    assert out.returncode == 0
    text = " ".join(out.stdout.split())  # argparse wraps lines to the terminal's width
    for expected in ["demo compile foo(a, b) = a*a - b*b with @jit",
                     "bench time jitcore against CPython, numba and PyPy",
                     "python -m jitcore bench --quick", "python -m jitcore COMMAND --help"]:
        assert expected in text, f"{expected!r} missing from:\n{out.stdout}"


def test_demo_help():
    out = run("demo", "--help")
    assert out.returncode == 0
    text = " ".join(out.stdout.split())
    assert "usage: python -m jitcore demo" in text
    assert "overflows int64" in text and "jitcore[disasm]" in text


# -- demo mul N: the seed's mj.py --------------------------------------------------

def wrap_int64(value):
    value %= 2**64
    return value - 2**64 if value >= 2**63 else value


def test_demo_mul_reproduces_the_seed_program():
    out = run("demo", "mul", "11")
    assert out.returncode == 0, out.stderr
    text = out.stdout
    for expected in ["mul(x) = x * 11", "mov rax, 0xb", "imul rax, rdi", "ret", "b8 0b 00 00 00",
                     "48 0f af c7", "executable memory (strategy: ", "mul is native code at 0x",
                     "OK   mul(0) = 0", "OK   mul(9) = 99", "Freeing the executable memory",
                     "Freed: <NativeFunction int64_t(int64_t) freed>"]:
        assert expected in text, f"{expected!r} missing from:\n{text}"
    assert "FAIL" not in text
    assert text.index("imul") < text.index("mul is native code") < text.index("OK") < text.index("Freed")


def test_demo_mul_default_and_64_bit_constants():
    assert "OK   mul(9) = 99" in run("demo", "mul").stdout  # 11, as mj.py
    for spelled, value in [("0xffffffffffffffff", 2**64 - 1), ("-9223372036854775808", -(2**63)),
                           ("2**63-1", 2**63 - 1), ("0", 0)]:
        out = run("demo", "mul", spelled)
        assert out.returncode == 0, out.stderr
        for i in range(10):
            assert f"OK   mul({i}) = {wrap_int64(i * value)}\n" in out.stdout, (spelled, out.stdout)


@pytest.mark.parametrize("spelled, words", [
    ("2**64", "2**64 = 18446744073709551616 does not fit in 64 bits"),
    ("18446744073709551616", "does not fit in 64 bits: N must be in -2**63 .. 2**64-1"),
    ("abc", "'abc' is not an integer"),
    ("1.5", "'1.5' is not an integer"),
])
def test_demo_mul_rejects_what_does_not_fit(spelled, words):
    out = run("demo", "mul", spelled)
    assert out.returncode == 2
    assert "usage: python -m jitcore demo" in out.stderr
    assert words.format(program=program) in out.stderr, out.stderr
    assert out.stdout == ""


def test_demo_mul_takes_a_negative_constant_on_every_version():
    # argparse itself takes "-0x10" as a value on 3.14+ only
    for words in (("-0x10",), ("--", "-0x10")):
        out = run("demo", "mul", *words)
        assert out.returncode == 0 and "OK   mul(9) = -144" in out.stdout, out.stderr
    out = run("demo", "mul", "-2**63")
    assert out.returncode == 0 and f"mul(1) = {-2**63}" in out.stdout, out.stderr
    out = run("demo", "mul", "-x")  # not a number: still an unknown option
    assert out.returncode == 2 and "-x" in out.stderr


# -- disasm FILE:FUNC -------------------------------------------------------------

PROGRAM = '''\
from jitcore import jit


def fib(n):
    if n < 2:
        return n
    return fib(n - 1) + fib(n - 2)


@jit
def mix(a, x):
    return a * 2 + x / 4.0


def talks(a):
    print(a)
    return a


LIMIT = 10

if __name__ == "__main__":
    raise SystemExit("the __main__ block must not run")
'''


@pytest.fixture
def program(tmp_path):
    path = tmp_path / "prog.py"
    path.write_text(PROGRAM)
    return path


def test_disasm_prints_the_annotated_machine_code(program):
    out = run("disasm", f"{program}:mix")
    assert out.returncode == 0, out.stderr
    text = out.stdout
    assert text.startswith("mix(int, int), defined at ")  # default: 1 for each parameter
    assert "bytes of machine code" in text and "; line 12: return a * 2 + x / 4.0" in text
    assert "cvtsi2sd" in text and "ret" in text and "== bytecode" not in text


def test_disasm_stages_with_args(program):
    out = run("disasm", f"{program}:mix", "--stages", "--args", "3", "2.5")
    assert out.returncode == 0, out.stderr
    text = out.stdout
    for expected in ["jitcore.explain: mix(int, float)", "mix.compile(int, float).code has the same bytes",
                     "== bytecode (dis) ==", "== IR from the front end ==", "round 1, fold: ",
                     "round 1, cleanup: ", "== register assignment", "== machine code: ",
                     "divsd", "== compile time =="]:
        assert expected in text, f"{expected!r} missing from:\n{text}"


def test_disasm_an_undecorated_recursive_function(program):
    out = run("disasm", f"{program}:fib", "--stages", "--args", "int")
    assert out.returncode == 0, out.stderr
    assert "fib.compile(int).code has the same bytes" in out.stdout
    assert "call qword ptr" in out.stdout


def test_disasm_a_function_that_runs_in_cpython(program):
    out = run("disasm", f"{program}:talks", "--stages")
    assert out.returncode == 1
    assert "runs in CPython: jitcore cannot compile" in out.stdout
    assert f"{program}:16: print(a)" in out.stdout
    assert "== bytecode (dis) ==" in out.stdout


@pytest.mark.parametrize("args, words", [
    (["nowhere.py:f"], "no such file: nowhere.py"),
    (["{program}"], "expected FILE:FUNC"),
    (["{program}:nope"], "has no nope"),
    (["{program}:LIMIT"], "LIMIT in {program} is of type int, not a function"),
    (["{program}:mix", "--args", "x y"], "--args: 'x y' is not a Python literal"),
])
def test_disasm_mistakes(program, args, words):
    out = run("disasm", *[a.format(program=program) for a in args])
    assert out.returncode == 2
    assert words.format(program=program) in out.stderr, out.stderr


def test_help_lists_disasm():
    out = run("--help")
    assert out.returncode == 0
    text = " ".join(out.stdout.split())
    assert "disasm show the machine code jit makes for FUNC in FILE (--stages: every compile stage)" in text
    assert "python -m jitcore demo mul 11" in text
    assert "python -m jitcore disasm prog.py:f --stages --args 3 2.5" in text
    out = run("disasm", "--help")
    assert out.returncode == 0
    text = " ".join(out.stdout.split())
    assert "usage: python -m jitcore disasm" in text and "--stages" in text and "--args VALUE" in text
    out = run("demo", "--help")
    assert "demo mul N" in " ".join(out.stdout.split())


def test_bench_runs_from_the_installed_package(tmp_path):
    # From an installed wheel the benchmarks are jitcore.benchmarks; -I and a
    # folder outside the checkout keep the source tree's benchmarks/ out of
    # reach (in an editable install bench falls back to the checkout's).
    out = subprocess.run([sys.executable, "-I", "-m", "jitcore", "bench", "--quick", "--only",
                          "import,e2e", "--no-numba", "--no-pypy"], capture_output=True, text=True,
                         timeout=600, cwd=tmp_path)
    assert out.returncode == 0, out.stderr[-2000:]
    text = out.stdout
    assert "5. Import time" in text and "import jitcore" in text and "`@jit` on 100 functions" in text
    assert "6. End to end" in text and "CPython (no JIT)" in text
    rows = [line.split() for line in text.splitlines() if line.startswith("jitcore ")]
    # the e2e row: full, short, and short with the code cache (times and ratios)
    assert rows and len(rows[-1]) == 7 and "failed" not in rows[-1] and "—" not in rows[-1], text
    assert "none: every kernel compiled natively" in text, text
