"""Code memory seen through @jit: never rwx, shared pages, returned when a function dies."""

from __future__ import annotations

import gc

from programs import make

from jitcore import jit
from jitcore.runtime import deopt_stub, stats


def rwx_mappings():
    with open("/proc/self/maps") as maps:
        return [line for line in maps if line.split()[1].startswith("rwx")]


def fresh_functions(count):
    # Distinct code objects, so nothing is shared between them.
    return [jit(strict=True)(make(f"def generated(a, b):\n    return a * {i} - b + {i * 7}\n"))
            for i in range(count)]


def test_no_rwx_mapping_after_compiling_many_functions():
    functions = fresh_functions(600)
    for i, f in enumerate(functions):
        assert f(3, 4) == 3 * i - 4 + i * 7
    assert rwx_mappings() == []
    # Many small functions share chunks of pages.
    assert stats()["chunks"] < len(functions) // 10


def test_code_memory_is_returned_when_functions_die():
    deopt_stub()  # shared by all functions, made once: not part of the count
    gc.collect()
    gc.disable()  # no collection of earlier tests' garbage in the middle of the count
    try:
        before = stats()
        functions = fresh_functions(300)
        for f in functions:
            f(1, 2)
        during = stats()
    finally:
        gc.enable()
    assert during["blocks_live"] >= before["blocks_live"] + 300
    del functions, f
    gc.collect()
    after = stats()
    assert after["blocks_live"] <= before["blocks_live"]
    assert after["bytes_live"] <= before["bytes_live"]
    assert after["chunks"] <= before["chunks"] + 1  # at most one empty chunk kept for reuse


def test_compiling_and_dropping_repeatedly_stays_bounded():
    # Relative to what is live now: code other test modules keep alive (their
    # module-level jitted functions) sits in chunks of its own.
    gc.collect()
    before = stats()["chunks"]
    for _ in range(5):
        functions = fresh_functions(200)
        for f in functions:
            f(5, 6)
        del functions, f
        gc.collect()
    assert stats()["chunks"] <= before + 1  # at most the one empty chunk kept for reuse
    assert rwx_mappings() == []
