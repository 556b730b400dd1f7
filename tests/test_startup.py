"""What a short script pays for jitcore: the modules `import jitcore` and a
first compile load. Their time is measured by `python -m jitcore bench`
(import, short script); here, that the slow ones stay out."""

from __future__ import annotations

import dis
import json
import subprocess
import sys

from jitcore.frontend import translate

# Standard modules that cost a first call up to a millisecond or more each
# (with what they import) and that jitcore's compile path does without.
SLOW = {"typing", "collections", "collections.abc", "functools", "threading", "dis", "inspect",
        "re", "enum", "logging", "dataclasses", "weakref", "array", "ast", "tokenize",
        "linecache", "traceback", "tempfile", "pathlib", "ctypes", "operator", "bisect"}

SCRIPT = """
import sys
before = set(sys.modules)
from jitcore import jit
imported = set(sys.modules) - before

@jit(strict=True)
def kernel(n, x):
    total = 0.0
    for i in range(n):
        total += x * i if i % 3 else -x
    return total

@jit(strict=True)
def collatz(n):
    steps = 0
    while n != 1:
        n = n // 2 if n % 2 == 0 else 3 * n + 1
        steps += 1
    return steps

assert kernel(10, 0.5) == kernel.py_func(10, 0.5)
assert collatz(27) == 111
assert kernel.signatures and collatz.signatures  # compiled natively
compiled = set(sys.modules) - before

@jit(strict=True)
def distance(a, b):
    return abs(a - b)

assert distance(2, 7) == 5
numeric = set(sys.modules) - before - compiled
import json
print(json.dumps([sorted(imported), sorted(compiled), sorted(numeric)]))
"""


def _run() -> tuple[set[str], set[str], set[str]]:
    out = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True, check=True,
                         timeout=300)
    imported, compiled, numeric = json.loads(out.stdout)
    return set(imported), set(compiled), set(numeric)


def test_import_and_first_compile_leave_the_slow_modules_out():
    imported, compiled, numeric = _run()
    # the compiler and cffi load on the first call
    assert not imported & {"jitcore.calls", "jitcore.compiler", "jitcore.runtime", "jitcore.frontend",
                           "jitcore._native", "_cffi_backend"}, imported
    assert not imported & SLOW, imported & SLOW
    assert "jitcore.compiler" in compiled  # (the script did compile)
    assert not compiled & SLOW, compiled & SLOW
    # nor math, a C module (about 0.25 ms to load) that the program loads if it uses it
    assert "math" not in compiled, compiled
    # the translation of numeric builtins and math functions loads with the
    # first function that calls one (abs), not with loops and arithmetic;
    # that of NumPy scalars with the first NumPy scalar, and the lowering of
    # buffer elements with the first buffer
    assert not compiled & {"jitcore.frontend.numeric_calls", "jitcore.frontend.numpy_ops",
                           "jitcore.frontend.numpy_rules", "jitcore.x86_64.memory"}, compiled
    assert {m for m in numeric if m.startswith("jitcore")} == {"jitcore.frontend.numeric_calls"}, \
        numeric  # (and math, with 3.15's math.integer, unless the program loaded it)


def test_code_flags_are_the_ones_dis_names():
    names = {name: flag for flag, name in dis.COMPILER_FLAG_NAMES.items()}
    assert translate.CO_VARARGS == names["VARARGS"]
    assert translate.CO_VARKEYWORDS == names["VARKEYWORDS"]
    assert translate.CO_GENERATOR == names["GENERATOR"]
    assert translate.CO_COROUTINE == names["COROUTINE"]
    assert translate.CO_ASYNC_GENERATOR == names["ASYNC_GENERATOR"]


# A first call that compiles (and so imports the compiler): the scripts below end with it.
FIRST_CALL = """
from jitcore import jit

@jit(strict=True)
def total(n):
    t = 0
    for i in range(n):
        t += i
    return t

assert total(10) == 45
"""


def _output(script: str, setting: str) -> str:
    return subprocess.run([sys.executable, "-c", script, setting], capture_output=True, text=True,
                          check=True, timeout=300).stdout


GC_SCRIPT = """
import gc, sys
if sys.argv[1] == "off":
    gc.disable()
""" + FIRST_CALL + """
print(gc.isenabled())
"""


def test_the_first_call_leaves_the_cycle_collector_as_it_found_it():
    # (the compiler's import runs with the collector paused: dispatcher._import_compiler)
    for setting, expected in (("on", "True"), ("off", "False")):
        assert _output(GC_SCRIPT, setting).strip() == expected, setting


PROMOTE_SCRIPT = """
import gc, json, sys, weakref
class Node:
    pass
a, b = Node(), Node()
a.other, b.other = b, a
collected = []
weakref.finalize(a, collected.append, "cycle")
del a, b  # garbage, but only the collector can tell
if sys.argv[1] == "frozen":
    gc.freeze()  # as before a fork
frozen = gc.get_freeze_count()
""" + FIRST_CALL + """
from jitcore.frontend import translate
in_oldest = any(o is translate._Translator for o in gc.get_objects(generation=2))
after = dict(enabled=gc.isenabled(), frozen=[frozen, gc.get_freeze_count()], in_oldest=in_oldest)
gc.collect()
after["collected"] = collected
print(json.dumps(after))
"""


def test_the_compilers_objects_go_straight_to_the_oldest_generation():
    """The compiler's import (dispatcher.gc_paused) leaves its objects, which
    live as long as the process, where only full collections scan them;
    a program's garbage cycle from before is still freed by gc.collect(),
    and objects the program froze stay frozen."""
    result = json.loads(_output(PROMOTE_SCRIPT, "on"))
    assert result["enabled"] and result["collected"] == ["cycle"], result
    before, after = result["frozen"]
    assert after == before, result  # what was frozen stays frozen
    if before == 0:  # (CPython 3.12 starts with objects frozen of its own: then nothing moves)
        assert result["in_oldest"], result
    result = json.loads(_output(PROMOTE_SCRIPT, "frozen"))
    assert result["enabled"] and result["frozen"][0] > 0, result
    assert result["frozen"][1] == result["frozen"][0], result  # not thawed by jitcore
