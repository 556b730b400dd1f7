"""Front end: bytecode of every supported CPython -> one vocabulary -> IR."""

from __future__ import annotations

import pathlib
import re

from test_passes import evaluate

from jitcore.frontend import build_ir
from jitcore.frontend.bytecode import decode


def foo(a, b):
    return a * a - b * b


def swap(a, b):
    a, b = b, a + b
    return a - b


def aug(n):
    n -= 10
    n *= 3
    return +n


def no_return(n):
    n -= 10


def vocabulary(func):
    return [(i.op, i.arg) for i in decode(func.__code__)]


def test_foo_vocabulary_is_the_same_on_every_version():
    # 3.11+ add RESUME, 3.13 fuses LOAD_FAST pairs: none of it may show here.
    assert vocabulary(foo) == [
        ("load_local", "a"), ("load_local", "a"), ("binary", "*"),
        ("load_local", "b"), ("load_local", "b"), ("binary", "*"),
        ("binary", "-"), ("return", None),
    ]


def test_augmented_assignment_and_unary_plus():
    assert vocabulary(aug) == [
        ("load_local", "n"), ("load_const", 10), ("binary", "-"), ("store_local", "n"),
        ("load_local", "n"), ("load_const", 3), ("binary", "*"), ("store_local", "n"),
        ("load_local", "n"), ("unary", "+"), ("return", None),
    ]


def test_implicit_return_none():
    assert vocabulary(no_return)[-2:] == [("load_const", None), ("return", None)]


def test_lines_are_tracked():
    lines = {i.line for i in decode(aug.__code__) if i.op == "store_local"}
    first = aug.__code__.co_firstlineno
    assert lines == {first + 1, first + 2}


def test_swap_keeps_the_old_value():
    # `a, b = b, a + b`: whatever order a version stores in, b's old value
    # must reach a even though b is overwritten (3.12+ store b first).
    ir = build_ir(swap)
    for a, b in [(3, 5), (-7, 2), (0, 0)]:
        assert evaluate(ir, [a, b]) == swap(a, b)


def test_ir_of_foo():
    lines = build_ir(foo).dump().splitlines()
    assert lines[0] == "function foo(a: int, b: int):"
    assert lines[2:] == [  # lines[1] is the block's label, which names a bytecode offset
        "    v2 = mul.ovf a, a",
        "    v3 = mul.ovf b, b",
        "    v4 = sub.ovf v2, v3",
        "    ret.int v4",
    ]


def test_read_before_assignment_deopts():
    # CPython raises UnboundLocalError: the native path hands the call to it.
    def f(a):
        b = c  # noqa: F821
        return b

    assert "deopt" in build_ir(f).dump()


def test_signature_types_the_parameters():
    ir = build_ir(foo, ("float", "int"))
    assert ir.dump().splitlines()[0] == "function foo(a: float, b: int):"
    assert "fmul" in ir.dump() and "i2f" in ir.dump()


def test_version_checks_live_only_in_versions_py():
    package = pathlib.Path(build_ir.__code__.co_filename).parent.parent
    offenders = [
        str(path.relative_to(package))
        for path in package.rglob("*.py")
        if path.name != "versions.py" and re.search(r"version_info|hexversion", path.read_text())
    ]
    assert offenders == []
