"""The @jit object: fallback rules, strict mode, warnings, logging, threads, environment."""

from __future__ import annotations

import logging
import os
import re
import subprocess
import sys
import threading
import warnings

import pytest
from conftest import assert_same

import jitcore
from jitcore import CompileError, JitWarning, jit


def add(a, b):
    return a + b


def ident(a):
    return a


def uses_global(a):
    return a + sum((1, 2))


def test_py_func_and_metadata():
    jitted = jit(add)
    assert jitted.py_func is add
    assert jitted.__name__ == "add"
    assert jitted.__doc__ == add.__doc__
    assert jitted(2, 3) == 5


def test_bare_and_called_decorator_forms():
    @jit
    def f(a):
        return a * 3

    @jit(strict=True)
    def g(a):
        return a * 3

    assert f(5) == g(5) == 15


@pytest.mark.parametrize("args", [
    (True, 2), (True, True), (False, -1),   # bools: CPython's int/bool results
    (1.5, 2), (2, 0.25),                     # floats
    (2**63, 1), (-(2**63) - 1, 0), (2**100, 1),  # do not fit in int64
    ("a", "b"), (None, 1), ([1], [2]),      # not numbers: CPython's result or TypeError
    (1,), (1, 2, 3), (),                     # wrong arity: CPython's TypeError
])
def test_arguments_native_code_does_not_handle_run_in_cpython(args):
    assert_same(jit(add), *args)
    if not any(type(a) in (str, list) for a in args):
        assert_same(jit(strict=True)(add), *args)


@pytest.mark.parametrize("args, message", [
    (("a", "b"), "parameter 'a' is a str"),
    ((1, [2]), r"parameter 'b' is a list: pass an array.array or a NumPy array instead"),
])
def test_strict_refuses_arguments_native_code_does_not_take(args, message):
    with pytest.raises(CompileError, match=message):
        jit(strict=True)(add)(*args)


def test_bool_argument_keeps_bool_type():
    jitted = jit(strict=True)(ident)
    assert jitted(True) is True
    assert jitted(5) == 5


def test_keyword_arguments():
    jitted = jit(strict=True)(add)
    assert jitted(a=1, b=2) == 3
    assert jitted(1, b=2) == 3
    with pytest.raises(TypeError) as info:
        jitted(1, c=2)
    with pytest.raises(TypeError) as expected:
        add(1, c=2)
    assert str(info.value) == str(expected.value)


def test_unsupported_function_warns_once_and_runs_in_cpython():
    jitted = jit(uses_global)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert jitted(1) == 4
        assert jitted(2) == 5
    jit_warnings = [w for w in caught if issubclass(w.category, JitWarning)]
    assert len(jit_warnings) == 1
    message = str(jit_warnings[0].message)
    assert "uses_global" in message and "sum" in message and "running it in CPython" in message
    assert jit_warnings[0].filename == __file__  # points at the caller, not at jitcore


def test_strict_raises_compile_error_naming_file_line_construct():
    jitted = jit(strict=True)(uses_global)
    with pytest.raises(CompileError) as info:
        jitted(1)
    err = info.value
    assert err.filename == __file__
    assert err.lineno == uses_global.__code__.co_firstlineno + 1
    assert "sum" in err.construct
    assert f"{__file__}:{err.lineno}" in str(err)


@pytest.mark.parametrize("source, construct", [
    ("def f(a):\n    return a @ 2\n", "operator @"),
    ("def f(a):\n    return a.real\n", "attribute"),
    ("def f(*a):\n    return 1\n", r"\*args"),
    ("def f(a):\n    yield a\n", "generator"),
    ("def f(a):\n    return a < 1 < 'x'\n", "str"),
    ("def f(a):\n    return 'abc'\n", "str"),
    ("def f(a):\n    return [a]\n", "list"),
    ("def f(a):\n    return a is a + 1\n", "'is'"),  # (only `is None` compiles)
    ("def f(a):\n    del a\n    return 1\n", "del"),
    ("def f(a):\n    return print(a)\n", "print"),
])
def test_strict_errors_name_the_construct(source, construct):
    namespace = {}
    exec(compile(source, "<src>", "exec"), namespace)
    jitted = jit(strict=True)(namespace["f"])
    with pytest.raises(CompileError) as info:
        jitted(1)
    assert re.search(construct, str(info.value))
    assert info.value.filename == "<src>"


def test_fallback_keeps_cpython_exceptions():
    @jit
    def f(a):
        return a / 0

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", JitWarning)
        with pytest.raises(ZeroDivisionError):
            f(1)


def test_logging_lines(caplog):
    with caplog.at_level(logging.DEBUG, logger="jitcore"):
        jitted = jit(add)
        jitted(1, 2)
    text = caplog.text
    assert "Installing JIT for" in text
    assert "JIT-compiling" in text
    assert "Installed native code" in text


def test_method():
    class C:
        @jit
        def scale(self, x):
            return x * 3

    # `self` is not an int: CPython runs it, with the right result.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", JitWarning)
        assert C().scale(4) == 12


def test_threads_race_on_first_call_compile_once(monkeypatch):
    import jitcore.compiler as compiler_module

    calls = []
    real = compiler_module.compile_function

    def counting(func, signature, returns=None):
        calls.append(func)
        return real(func, signature, returns)

    monkeypatch.setattr(compiler_module, "compile_function", counting)
    jitted = jit(strict=True)(add)
    barrier = threading.Barrier(8)
    results = []

    def worker(i):
        barrier.wait()
        results.append(jitted(i, 1000) == i + 1000)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results == [True] * 8
    assert len(calls) == 1


def test_jitcore_disable_returns_function_unchanged():
    code = "import jitcore\ndef f(a): return a\nassert jitcore.jit(f) is f\nprint('ok')\n"
    env = dict(os.environ, JITCORE_DISABLE="1")
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "ok"
    env["JITCORE_DISABLE"] = "0"
    code = "import jitcore\ndef f(a): return a\nassert jitcore.jit(f) is not f\nprint('ok')\n"
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr


def test_disassemble_shows_the_running_code():
    import capstone  # noqa: F401 - the test extra installs it; a missing one must fail
    jitted = jit(strict=True)(add)
    text = jitcore.disassemble(jitted)
    address = jitted.compile().block.address
    assert text.splitlines()[0].startswith(f"0x{address:x}")
    assert "add" in text and "ret" in text
    with pytest.raises(TypeError):
        jitcore.disassemble(add)


def test_disassemble_of_uncompilable_function_raises():
    jitted = jit(uses_global)
    with pytest.warns(JitWarning), pytest.raises(CompileError):
        jitcore.disassemble(jitted)


def test_a_finalizer_calling_the_function_mid_compile_gets_cpythons_answer(monkeypatch):
    # A garbage cycle whose __del__ calls the function being compiled, collected
    # in the middle of its first compile (as a collection can be, on the same
    # thread): that call used to raise KeyError from the compiler's bookkeeping.
    import gc

    from jitcore import compiler

    def mul_add(a, b):
        return a * b + 1

    jitted = jit(strict=True)(mul_add)
    inner: list[int] = []

    class CallsOnDeath:
        def __del__(self) -> None:
            inner.append(jitted(20, 2))

    real = compiler.optimize

    def optimize_after_a_collection(ir, *rest):
        if not inner:
            cycle = CallsOnDeath()
            cycle.self = cycle
            del cycle
            gc.collect()
        return real(ir, *rest)

    monkeypatch.setattr(compiler, "optimize", optimize_after_a_collection)
    assert jitted(3, 4) == 13
    assert inner == [41]
    assert jitted.signatures == [(int, int)] and jitted.failure is None
    assert jitted(5, 5) == 26
