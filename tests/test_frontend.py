"""Front end: bytecode of every supported CPython -> one vocabulary -> IR."""

from __future__ import annotations

import dis
import inspect
import pathlib
import re
import sys

import fuzz_programs
from hypothesis import HealthCheck, given, settings
from test_passes import evaluate

from jitcore.frontend import build_ir, versions
from jitcore.frontend.bytecode import decode, decode_with_dis


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


# -- the bytecode reader: the same as dis, faster ----------------------------------------

def _same_decoding(code):
    """decode() and the dis-based reference agree (NaN constants compare by repr)."""
    def key(instrs):
        return [(i.op, type(i.arg), repr(i.arg), i.offset, i.line) for i in instrs]
    return key(decode(code)) == key(decode_with_dis(code))


def _corpus_code_objects():
    import inspect

    import kernels

    import jitcore

    found = []
    for module in (kernels, sys.modules[__name__]):
        for value in vars(module).values():
            func = value.py_func if isinstance(value, jitcore.Dispatcher) else value
            if inspect.isfunction(func):
                found.append(func.__code__)
    return found


def test_reader_matches_dis_on_the_corpus():
    codes = _corpus_code_objects()
    rules = versions.table()
    fast = 0
    for code in codes:
        assert _same_decoding(code), code.co_name
        raw = versions.instructions(code, rules)
        if raw is None:
            continue
        fast += 1
        reference = [versions.dis_fixed(d, code) for d in dis.get_instructions(code)]
        assert [(r.opname, r.arg, repr(r.argval), r.offset) for r in raw] == \
            [(d.opname, d.arg, repr(d.argval), d.offset) for d in reference], code.co_name
    assert fast >= len(codes) * 3 // 4  # the fast reader handles nearly all of them


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(fuzz_programs.programs(max_helpers=2, dynamic=True))
def test_reader_matches_dis_on_random_programs(program):
    source, _ = program
    namespace: dict = {}
    exec(compile(source, "<generated>", "exec"), namespace)
    for value in namespace.values():
        if inspect.isfunction(value):
            assert _same_decoding(value.__code__)


def test_reader_handles_extended_args_and_far_jumps():
    # More than 256 constants and a long body: EXTENDED_ARG before LOAD_CONST
    # and before jumps.
    body = "\n".join(f"    t = t + {i}.5 if t > {i} else t - {i}" for i in range(300))
    source = f"def generated(t):\n    while t < 10**9:\n{body}\n        t += 1\n    return t\n"
    source = source.replace("\n    t = t", "\n        t = t")
    namespace: dict = {}
    exec(compile(source, "<generated>", "exec"), namespace)
    code = namespace["generated"].__code__
    assert any(ins.opname == "EXTENDED_ARG" for ins in dis.get_instructions(code))
    assert versions.instructions(code, versions.table()) is not None
    assert _same_decoding(code)
