"""Whatever the compiler meets, the call returns CPython's answer.

Promise 4 from the compiler's side: a function jitcore cannot compile runs in
CPython with one JitWarning (strict mode: CompileError), and that includes
everything the compiler does not expect -- globals of any type (a list, a
NumPy array, an object whose __eq__, __hash__ or __repr__ raises), constants
of any type, bytecode with any operator, and an internal error of jitcore's
own. The last is a bug, not a fallback to hide behind: it is logged with its
traceback at DEBUG and counted (tests/conftest.py fails any test during which
one happens, except the ones here that provoke it on purpose).
"""

from __future__ import annotations

import dis
import logging
import math
import opcode
import subprocess
import sys
import types
import warnings
from typing import Any

import pytest
from conftest import INT64_EDGES, assert_same

from jitcore import CompileError, JitWarning, compiler, dispatcher, jit

pytestmark = [pytest.mark.filterwarnings("ignore::jitcore.JitWarning"),
              pytest.mark.filterwarnings("ignore:overflow encountered:RuntimeWarning")]  # CPython + NumPy

ARGS = [(a,) for a in INT64_EDGES] + [(1.5,), (True,), (False,), (-0.0,), (math.nan,)]


def build(source: str, name: str, namespace: dict[str, Any]) -> types.FunctionType:
    exec(compile(source, f"<{name}>", "exec"), namespace)
    return namespace[name]


# -- globals --------------------------------------------------------------------------


class Hostile:
    """An object that refuses every protocol the compiler might try on it."""

    def __eq__(self, other: object) -> bool:
        raise RuntimeError("__eq__ called")

    def __hash__(self) -> int:
        raise RuntimeError("__hash__ called")

    def __repr__(self) -> str:
        raise RuntimeError("__repr__ called")

    def __bool__(self) -> bool:
        raise RuntimeError("__bool__ called")

    def __getitem__(self, i: int) -> int:
        return 7


class HostileClass(Hostile):
    """...and lies about its class (isinstance() asks for __class__)."""

    @property
    def __class__(self):  # type: ignore[override]
        raise RuntimeError("__class__ called")


class IntLike(int):
    pass


def _globals() -> dict[str, Any]:
    values: dict[str, Any] = {
        "list": [1, 2, 3], "dict": {0: 1, 1: 2, -1: 3}, "set": {1, 2}, "tuple": (4, 5, 6),
        "str": "abc", "bytes": b"abc", "bytearray": bytearray(b"abc"), "range": range(5),
        "None": None, "complex": 1j, "big_int": 2**100, "hostile": Hostile(), "hostile_class": HostileClass(),
        "int_subclass": IntLike(5), "function": len, "module": math, "type": int,
        "nan": math.nan, "method": [].append, "lambda": lambda x: x + 1,
    }
    try:
        import numpy as np
    except ImportError:  # NumPy is in the test extra; the other cases still run
        pass
    else:
        values.update(np_array=np.arange(5), np_int=np.int64(3), np_float=np.float32(0.5),
                      np_2d=np.ones((2, 2)))
    return values


GLOBALS = _globals()

# Ways a function may use a global: read an item, call it, compare it, return it, test it.
USES = {
    "item": "def f(i):\n    return TABLE[i]\n",
    "item_loop": "def f(n):\n    s = 0\n    for i in range(3):\n        s += TABLE[i]\n    return s + n\n",
    "call": "def f(x):\n    return TABLE(x)\n",
    "compare": "def f(x):\n    return TABLE == x\n",
    "arith": "def f(x):\n    return TABLE + x\n",
    "return": "def f(x):\n    return TABLE\n",
    "truth": "def f(x):\n    if TABLE:\n        return x\n    return -x\n",
    "len": "def f(x):\n    return len(TABLE) + x\n",
    "attr": "def f(x):\n    return TABLE.real\n",
}


@pytest.mark.parametrize("use", sorted(USES))
@pytest.mark.parametrize("name", sorted(GLOBALS))
def test_any_global_gives_cpythons_answer(name, use):
    # `TABLE = [1, 2, 3]; return TABLE[i]` used to raise TypeError: unhashable
    # type from the compiler on every call.
    namespace = {"TABLE": GLOBALS[name]}
    jitted = jit(build(USES[use], "f", namespace))
    for args in ARGS:
        assert_same(jitted, *args)


def test_a_hostile_global_is_named_in_the_strict_error():
    namespace = {"TABLE": Hostile()}
    jitted = jit(strict=True)(build(USES["item"], "f", namespace))
    with pytest.raises(CompileError, match=r"global name 'TABLE' \(Hostile\)"):
        jitted(1)


def test_an_unhashable_global_warns_once_and_names_it():
    namespace = {"TABLE": [1, 2, 3]}
    jitted = jit(build(USES["item"], "f", namespace))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert [jitted(i) for i in (0, 1, 2, -1)] == [1, 2, 3, 3]
    messages = [str(w.message) for w in caught if issubclass(w.category, JitWarning)]
    assert len(messages) == 1 and "global name 'TABLE' (list)" in messages[0], messages


# -- constants ------------------------------------------------------------------------

STRANGE_CONSTANTS = ["x", b"x", 1j, (1, "a"), (1, (2, 3.5)), ((1.5,),), frozenset({1}), Ellipsis,
                     2**100, -(2**70), 2**63, math.nan, math.inf, -0.0, True, False, None, (),
                     IntLike(3), Hostile(), [1, 2], {"a": 1}]

# 1000 is not a small int, so every version loads it from co_consts
CONSTANT_USES = {
    "add": "def f(a):\n    return a + 1000\n",
    "compare": "def f(a):\n    return a < 1000\n",
    "return": "def f(a):\n    return 1000\n",
    "branch": "def f(a):\n    x = 1000\n    if x:\n        return a\n    return -a\n",
    "local": "def f(a):\n    x = 1000\n    return x - a\n",
}


def with_constant(func: types.FunctionType, value: object) -> types.FunctionType:
    """func with its constant 1000 replaced by `value` (which source code
    could not always spell, but a code object can hold)."""
    code = func.__code__
    consts = tuple(value if (type(c) is int and c == 1000) else c for c in code.co_consts)
    assert any(new is not old for new, old in zip(consts, code.co_consts, strict=True))
    return types.FunctionType(code.replace(co_consts=consts), func.__globals__, func.__name__)


@pytest.mark.parametrize("use", sorted(CONSTANT_USES))
@pytest.mark.parametrize("value", STRANGE_CONSTANTS, ids=lambda v: type(v).__name__)
def test_any_constant_gives_cpythons_answer(value, use):
    func = with_constant(build(CONSTANT_USES[use], "f", {}), value)
    jitted = jit(func)
    for args in ARGS:
        assert_same(jitted, *args)


def test_a_constant_too_deep_for_the_compiler_is_a_fallback_not_an_internal_error():
    # The compiler recurses into nested tuple constants; 5000 levels exhaust the
    # recursion limit with plenty of room left: that is the function's doing, so
    # it runs in CPython with one warning, as any construct jitcore cannot compile.
    deep: object = ()
    for _ in range(5000):
        deep = (deep,)
    func = with_constant(build(CONSTANT_USES["return"], "f", {}), deep)
    jitted = jit(func)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for a in (1, 2, 3):
            assert jitted(a) is deep
    messages = [str(w.message) for w in caught if issubclass(w.category, JitWarning)]
    assert len(messages) == 1 and "too deeply nested to compile" in messages[0], messages
    assert jitted.signatures == []
    with pytest.raises(CompileError, match="too deeply nested to compile"):
        jit(strict=True)(func)(1)


# -- bytecode -------------------------------------------------------------------------


def binary_op_variants() -> list[tuple[str, types.FunctionType]]:
    """`a + b` with its operator replaced by every other one the interpreter has.

    3.11+: every BINARY_OP argument dis._nb_ops lists (including the in-place
    forms and 3.14's subscript, argument 26, which a table indexed modulo 13
    would read as '+'). 3.10: every BINARY_* / INPLACE_* opcode.
    """
    base = build("def f(a, b):\n    return a + b\n", "f", {})
    code = base.__code__
    raw = bytearray(code.co_code)
    variants = []
    if hasattr(dis, "_nb_ops"):
        at = next(i for i in range(0, len(raw), 2) if raw[i] == opcode.opmap["BINARY_OP"])
        for arg, (name, symbol) in enumerate(dis._nb_ops):
            raw[at + 1] = arg
            variants.append((f"{name}({symbol})", bytes(raw)))
    else:
        at = next(i for i in range(0, len(raw), 2) if raw[i] == opcode.opmap["BINARY_ADD"])
        for name, op in sorted(opcode.opmap.items()):
            if name.startswith(("BINARY_", "INPLACE_")) and op < opcode.HAVE_ARGUMENT:
                raw[at] = op
                variants.append((name, bytes(raw)))
    return [(name, types.FunctionType(code.replace(co_code=co_code), {}, "f"))
            for name, co_code in variants]


VALUES = [0, 1, -1, 3, -7, 2**62, 2**63 - 1, -(2**63), True, False, 0.5, -2.0, 0.0, math.inf,
          math.nan]


@pytest.mark.parametrize("name, func", binary_op_variants(), ids=lambda x: x if isinstance(x, str) else "")
def test_every_binary_operator_gives_cpythons_answer(name, func):
    jitted = jit(func)
    huge = "POWER" in name or "LSHIFT" in name  # 3 ** 2**62 would take CPython forever
    for a in VALUES:
        for b in VALUES:
            if not (huge and type(b) is int and abs(b) > 64):
                assert_same(jitted, a, b)


def with_instruction(base: types.FunctionType, at: int, op: int, arg: int) -> types.FunctionType:
    raw = bytearray(base.__code__.co_code)
    raw[at], raw[at + 1] = op, arg
    return types.FunctionType(base.__code__.replace(co_code=bytes(raw)), {}, "f")


def test_an_operator_or_opcode_jitcore_does_not_know_is_unsupported():
    # A future CPython may add operators and opcodes: they must stop the
    # compile (never run here: CPython itself would crash on them).
    base = build("def f(a, b):\n    return a + b\n", "f", {})
    raw = base.__code__.co_code
    name = "BINARY_OP" if "BINARY_OP" in opcode.opmap else "BINARY_ADD"
    at = next(i for i in range(0, len(raw), 2) if raw[i] == opcode.opmap[name])
    cases = []
    # An opcode number this version does not use at all, not even for its
    # specialized instructions (a code object with one of those corrupts
    # memory on 3.12), and that co_code reads back unchanged (3.11-3.13 have
    # none such: only the BINARY_OP case below runs there).
    names = getattr(dis, "_all_opname", opcode.opname)
    for op in range(1, 256):
        if names[op] == f"<{op}>":
            func = with_instruction(base, at, op, 0)
            if func.__code__.co_code[at] == op:
                cases.append((func, rf"bytecode instruction <{op}>"))
                break
    if hasattr(dis, "_nb_ops"):  # 3.11+: an operator beyond the interpreter's table
        beyond = len(dis._nb_ops)
        cases.append((with_instruction(base, at, raw[at], beyond),
                      rf"operator number {beyond} \(BINARY_OP\)"))
    assert cases
    for func, message in cases:
        with pytest.raises(CompileError, match=message):
            jit(strict=True)(func).compile(int, int)


def test_subscript_is_unsupported_on_every_version():
    func = build("def f(a, b):\n    return a[b]\n", "f", {})
    with pytest.raises(CompileError, match=r"subscript x\[i\]"):
        jit(strict=True)(func).compile(int, int)


# -- internal errors -------------------------------------------------------------------


def broken_pass(*args: Any) -> None:
    raise RuntimeError("a bug in a pass")


@pytest.mark.internal_errors_expected
def test_an_internal_error_falls_back_with_one_warning(monkeypatch, caplog):
    monkeypatch.setattr(compiler, "optimize", broken_pass)
    jitted = jit(build("def f(a, b):\n    return a * b - 1\n", "f", {}))
    before = dispatcher.internal_error_count()
    with warnings.catch_warnings(record=True) as caught, caplog.at_level(logging.DEBUG, "jitcore"):
        warnings.simplefilter("always")
        for a, b in [(3, 4), (2**40, 2**40), (1.5, 2), (3, 4)]:
            assert_same(jitted, a, b)
    messages = [str(w.message) for w in caught if issubclass(w.category, JitWarning)]
    assert len(messages) == 1, messages
    assert "internal error in jitcore (RuntimeError: a bug in a pass)" in messages[0]
    assert "please report it" in messages[0] and "running it in CPython" in messages[0]
    # one per signature compiled: (int, int) and (float, int)
    assert dispatcher.internal_error_count() == before + 2
    assert "a bug in a pass" in dispatcher.internal_errors()[-1]
    logged = "\n".join(r.getMessage() for r in caplog.records if r.levelno == logging.DEBUG)
    assert "Traceback" in logged and "broken_pass" in logged


@pytest.mark.internal_errors_expected
def test_an_internal_error_in_strict_mode_is_a_compile_error_with_its_cause(monkeypatch):
    monkeypatch.setattr(compiler, "optimize", broken_pass)
    jitted = jit(strict=True)(build("def f(a, b):\n    return a * b - 1\n", "f", {}))
    with pytest.raises(CompileError, match="internal error in jitcore") as info:
        jitted(3, 4)
    assert isinstance(info.value.__cause__, RuntimeError)
    assert info.value.lineno == 1 and info.value.function == "f"


@pytest.mark.internal_errors_expected
def test_an_internal_error_in_a_callee_leaves_the_caller_correct(monkeypatch):
    callee = jit(build("def g(x):\n    return x + 1\n", "g", {}))
    caller = jit(build("def f(x):\n    return g(x) * 2\n", "f", {"g": callee}))
    real = compiler.optimize

    def broken_for_g(ir: Any, *rest: Any) -> Any:
        if ir.name == "g":
            raise KeyError("g's bug")
        return real(ir, *rest)

    monkeypatch.setattr(compiler, "optimize", broken_for_g)
    for x in (1, -5, 2**62, 2**63 - 1):
        assert_same(caller, x)
        assert_same(callee, x)


def test_the_running_interpreter_is_supported():
    # The suite runs on every version jitcore supports; on one it did not
    # know, every test comparing native code would fail, not this one.
    from jitcore.frontend import versions

    assert versions.unsupported_interpreter() is None, sys.version


NO_COMPILER = r"""
import sys, warnings
sys.modules[sys.argv[1]] = None  # the compiler cannot be imported (an ImportError)
from jitcore import CompileError, JitWarning, jit

def mul_add(a, b):
    return a * b + 1

f = jit(mul_add)
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    print(f(6, 7), f(2**70, 2), f(1.5, b=2))
print(len(caught), caught[0].category is JitWarning, caught[0].filename, caught[0].lineno)
print(caught[0].message)
try:
    jit(strict=True)(mul_add)(1, 2)
except CompileError as exc:
    print("strict:", exc)
"""


@pytest.mark.parametrize("module", ["jitcore.calls", "jitcore.frontend.translate", "jitcore.compiler"])
def test_a_compiler_that_cannot_load_leaves_calls_to_cpython(tmp_path, module):
    # `import jitcore` loads no compiler; the first call loads jitcore.calls,
    # and the first compile the compiler. If either import fails (a sandbox
    # that maps no more extension modules, a broken install), calls run in
    # CPython with one warning, and strict functions raise.
    script = tmp_path / "no_compiler.py"
    script.write_text(NO_COMPILER)
    proc = subprocess.run([sys.executable, str(script), module], capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert lines[0] == f"43 {2**71 + 1} 4.0"
    assert lines[1] == f"1 True {script} 12"  # one warning, at the user's call
    why = (f"{script}:6: cannot compile in mul_add(): jitcore's compiler did not load "
           f"(ModuleNotFoundError: import of {module} halted; None in sys.modules) "
           f"in `def mul_add(a, b):`")
    assert lines[2] == why + "; running it in CPython"
    assert lines[3] == "strict: " + why
