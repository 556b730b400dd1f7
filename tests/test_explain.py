"""jitcore.explain: every compile stage, and the machine code shown is the code that runs."""

from __future__ import annotations

import gc
import math

import pytest

from jitcore import CompileError, Explanation, explain, jit
from jitcore.compiler import compile_function
from jitcore.passes import LAST, PIPELINE
from jitcore.runtime import stats


@jit
def loop(a, b):
    s = 0
    for i in range(a):
        s += i * b
    return s


@jit
def floaty(n, x):
    y = x * 2.0 + n
    if y > 10:
        return math.sqrt(y)
    return y / 3.0


@jit
def fib(n):
    if n < 2:
        return n
    return fib(n - 1) + fib(n - 2)


@jit
def twice_fib(n):
    return 2 * fib(n)


def plain(a, b):
    return a * a - b * b


def uses_a_list(a):
    items = [a, a]  # the construct jitcore does not compile
    return len(items)


UNSUPPORTED_LINE = uses_a_list.__code__.co_firstlineno + 1


STAGE_TITLES = ["== bytecode (dis) ==", "== IR from the front end ==", "== register assignment",
                "== machine code: ", "== compile time =="]


@pytest.mark.parametrize("func, args", [
    (loop, (3, 4)), (floaty, (1, 2.5)), (floaty, (True, 2.5)), (fib, (10,)), (twice_fib, (5,)),
])
def test_the_code_shown_is_the_code_that_runs(func, args):
    e = explain(func, *args)
    assert isinstance(e, Explanation) and e.compiled and e.failure is None
    key = tuple(type(a) for a in args)
    assert e.argtypes == key
    assert e.code == func.compile(*key).code
    assert e.same_as_running is True
    # the listing covers the code exactly, in order
    assert b"".join(ins.code for ins in e.listing) == e.code
    offset = 0
    for ins in e.listing:
        assert ins.offset == offset
        offset += len(ins.code)


def test_every_stage_is_named_in_the_text():
    e = explain(loop, 3, 4)
    text = str(e)
    for title in STAGE_TITLES:
        assert title in text, title
    position = [text.index(title) for title in STAGE_TITLES]
    assert position == sorted(position)  # in pipeline order
    assert "jitcore.explain: loop(int, int), defined at " in text
    assert "loop.compile(int, int).code has the same bytes" in text
    # each pass of each round, with its number of changes
    assert [(p.round, p.name) for p in e.passes][:len(PIPELINE)] == [(1, name) for name, _ in PIPELINE]
    for p in e.passes:
        assert f"round {p.round}, {p.name}: {p.changes} change" in text
    assert sum(p.changes for p in e.passes) > 0  # the front end's moves get cleaned up
    assert e.passes[-1].ir == e.ir and e.ir_before != e.ir
    last_round = e.passes[-1].round
    assert all(p.changes == 0 for p in e.passes[:-1] if p.round == last_round)  # a fixed point
    assert e.passes[-1].name == LAST[0] and [p.name for p in e.passes].count(LAST[0]) == 1
    # the bytecode, the IR and the registers
    assert "FOR_ITER" in e.bytecode and e.bytecode.rstrip() in text
    assert e.ir_before.startswith("function loop(a: int, b: int):")
    assert " -> r" in e.allocation and "stack slots:" in e.allocation
    # the machine code, annotated with IR instructions and source lines
    assert "imul" in text and "ret" in text
    first_line = loop.py_func.__code__.co_firstlineno
    lines = {ins.line for ins in e.listing if ins.line is not None}
    assert lines and all(first_line + 1 < line <= first_line + 5 for line in lines)
    assert any(ins.ir and "mul.ovf" in ins.ir for ins in e.listing if "imul" in ins.text)
    assert "; line " in text and "s += i * b" in text
    assert set(e.timings_ns) == {"frontend", "passes", "regalloc", "encode", "memory"}
    assert all(ns >= 0 for ns in e.timings_ns.values())


def test_machine_code_text_matches_listing():
    e = explain(floaty, 1, 2.0)
    body = e.machine_code()
    for ins in e.listing:
        if not ins.is_label:
            assert f"{ins.offset:04x}  {ins.code.hex(' ')}" in body
    assert "; prologue" in body


def test_types_instead_of_values():
    assert explain(floaty, int, float).code == explain(floaty, 7, 0.5).code


def test_a_plain_function_gives_the_code_jit_would_run():
    e = explain(plain, 2, 3)
    assert e.compiled and e.same_as_running is None  # not a @jit function: nothing to compare with
    assert e.code == jit(plain).compile(int, int).code


def test_explain_returns_its_memory():
    explain(plain, 1, 1)  # warm up
    gc.collect()
    before = stats()["blocks_live"]
    for _ in range(5):
        explain(plain, 1, 1)
    gc.collect()
    assert stats()["blocks_live"] == before


def test_stages_are_kept_only_when_asked():
    default = compile_function(plain)
    assert default.stages is None and default.ir_before == "" and default.ir == ""
    kept = compile_function(plain, keep_stages=True)
    assert kept.stages is not None and kept.code == default.code
    assert len(kept.stages.pass_ir) == len(kept.passes)
    assert len(kept.stages.origins) == len(kept.stages.listing)


def test_an_unsupported_function_says_construct_file_and_line():
    e = explain(uses_a_list, 1)
    assert not e.compiled
    assert isinstance(e.failure, CompileError)
    assert "list" in e.failure.construct
    assert e.failure.filename == __file__ and e.failure.lineno == UNSUPPORTED_LINE
    text = str(e)
    assert "runs in CPython: jitcore cannot compile" in text
    assert f"{__file__}:{UNSUPPORTED_LINE}" in text
    assert "items = [a, a]" in text
    assert "== bytecode (dis) ==" in text and "== machine code" not in text
    assert e.code == b"" and e.listing == []


def test_unsupported_argument_types_and_counts():
    e = explain(loop, "x", 1)
    assert not e.compiled and "arguments of type str" in e.failure.construct
    e = explain(loop, 1)
    assert not e.compiled and "1 argument (it takes 2)" in e.failure.construct
    assert "runs in CPython" in str(e)


def test_a_generator_is_refused_by_its_shape():
    def gen(n):
        yield n

    e = explain(gen, 1)
    assert not e.compiled and e.failure.lineno == gen.__code__.co_firstlineno
    assert "generator" in e.failure.construct


def test_explain_wants_a_function():
    with pytest.raises(TypeError, match="explain"):
        explain(len, 1)
