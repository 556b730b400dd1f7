"""python -m jitcore: the demo a new user runs first."""

from __future__ import annotations

import subprocess
import sys


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
