"""Where jitcore cannot make native code, it must still import and run every
@jit function in CPython, with one JitWarning per function saying why.

Each case runs in a fresh interpreter that first simulates the situation, then
imports jitcore:

* "no C module": jitcore._native and jitcore._fastcall cannot be imported
  (as on a platform where the build did not produce them);
* "not x86-64": os.uname().machine answers "aarch64" (as on an ARM Linux
  machine or Apple silicon), while the C module is there and loads;
* "no fastcall": only jitcore._fastcall is missing, which costs speed only:
  functions still compile to native code, without any warning;
* interpreters jitcore does not know: a CPython newer than its tables (3.16),
  another implementation (PyPy) and a free-threaded build, each simulated
  before jitcore is imported (the C modules are there and load).
"""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import subprocess
import sys
import textwrap

import pytest

# Set up before `import jitcore`, in the child process.
NO_C_MODULE = """
import sys
# None in sys.modules makes `import jitcore._native` raise ModuleNotFoundError.
sys.modules["jitcore._native"] = None
sys.modules["jitcore._fastcall"] = None
"""
NOT_X86_64 = """
import os
_uname = os.uname()
os.uname = lambda: os.uname_result(_uname[:4] + ("aarch64",))
"""
NO_FASTCALL = """
import sys
sys.modules["jitcore._fastcall"] = None
"""

# sys.version_info as a CPython 3.16 would have it (a plain named tuple: the
# struct sequence cannot be made by hand).
CPYTHON_316 = """
import collections, sys
VersionInfo = collections.namedtuple("VersionInfo", "major minor micro releaselevel serial")
sys.version_info = VersionInfo(3, 16, 0, "final", 0)
"""
PYPY = """
import sys, types
implementation = types.SimpleNamespace(**vars(sys.implementation))
implementation.name = "pypy"
sys.implementation = implementation
"""
FREE_THREADED = """
import sys
sys.abiflags += "t"  # as on a build with Py_GIL_DISABLED (python3.14t)
"""

# What the child runs after the set-up; prints one JSON line for the test.
PROBE = """
import json, warnings

with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    import jitcore
    from jitcore import CompileError, JitWarning, jit
    import_warnings = [str(w.message) for w in caught]

    @jit
    def total(n):
        s = 0
        i = 0
        while i < n:
            s += i
            i += 1
        return s

    @jit
    def hyp(a, b):
        return a * a + b * b

    # several calls and several signatures per function: still one warning each
    results = [total(10), total(1000), total(10), hyp(3, 4), hyp(1.5, 2.0), hyp(3, 4),
               hyp(2**40, 1)]  # a*a overflows int64: CPython's answer either way

@jit(strict=True)
def strict_total(n):
    s = 0
    i = 0
    while i < n:
        s += i
        i += 1
    return s

try:
    strict = ["returned", strict_total(10)]
except CompileError as exc:
    strict = ["CompileError", str(exc)]
except Exception as exc:  # anything else is a failure the test reports
    strict = [type(exc).__name__, str(exc)]

jit_warnings = [str(w.message) for w in caught if issubclass(w.category, JitWarning)]
other_warnings = [f"{w.category.__name__}: {w.message}" for w in caught
                  if not issubclass(w.category, JitWarning)]
print(json.dumps(dict(
    results=results,
    expected=[total.py_func(10), total.py_func(1000), total.py_func(10), hyp.py_func(3, 4),
              hyp.py_func(1.5, 2.0), hyp.py_func(3, 4), hyp.py_func(2**40, 1)],
    native=[bool(total.signatures), bool(hyp.signatures)],
    import_warnings=import_warnings,
    jit_warnings=jit_warnings,
    other_warnings=other_warnings,
    strict=strict,
)))
"""

# Words one of which the reason must contain, per situation.
WHY_NO_C_MODULE = ("_native", "C module", "C extension")
WHY_NOT_X86_64 = ("x86-64", "x86_64", "aarch64")
WHY_CPYTHON_316 = ("CPython 3.16.0",)
WHY_PYPY = ("PyPy",)
WHY_FREE_THREADED = ("free-threaded",)


def run_child(setup: str, body: str, *args: str) -> subprocess.CompletedProcess:
    """Run setup + body in a fresh interpreter that imports this same jitcore
    (located without importing it here)."""
    spec = importlib.util.find_spec("jitcore")
    assert spec is not None and spec.origin is not None
    pkg_parent = os.path.dirname(os.path.dirname(os.path.abspath(spec.origin)))
    env = dict(os.environ)
    env.pop("JITCORE_DISABLE", None)
    env["PYTHONPATH"] = pkg_parent + os.pathsep + env.get("PYTHONPATH", "")
    script = textwrap.dedent(setup) + "\n" + textwrap.dedent(body)
    return subprocess.run([sys.executable, "-c", script, *args], env=env, capture_output=True,
                          text=True, timeout=120)


def probe(setup: str) -> dict:
    proc = run_child(setup, PROBE)
    assert proc.returncode == 0, f"child failed:\n{proc.stderr}"
    return json.loads(proc.stdout.strip().splitlines()[-1])


def assert_runs_in_cpython(report: dict, why: tuple) -> None:
    assert report["results"] == report["expected"]
    assert report["native"] == [False, False]
    assert report["import_warnings"] == [], "importing jitcore must not warn"
    assert report["other_warnings"] == []
    # exactly one JitWarning per function (total, hyp), each saying why
    assert len(report["jit_warnings"]) == 2, report["jit_warnings"]
    for message in report["jit_warnings"]:
        assert any(word in message for word in why), message
    kind, message = report["strict"]
    assert kind == "CompileError", report["strict"]
    assert any(word in message for word in why), message




def test_no_c_module():
    assert_runs_in_cpython(probe(NO_C_MODULE), WHY_NO_C_MODULE)


def test_not_x86_64():
    assert_runs_in_cpython(probe(NOT_X86_64), WHY_NOT_X86_64)


@pytest.mark.parametrize("setup, why", [(CPYTHON_316, WHY_CPYTHON_316), (PYPY, WHY_PYPY),
                                        (FREE_THREADED, WHY_FREE_THREADED)],
                         ids=["cpython-3.16", "pypy", "free-threaded"])
def test_unknown_interpreter(setup, why):
    # import works, every function runs in CPython with one warning naming
    # the interpreter, strict mode raises CompileError naming it
    assert_runs_in_cpython(probe(setup), why)


@pytest.mark.skipif(shutil.which("pypy3") is None,
                    reason="no pypy3 here (the Debian root of the 3.14/3.15 sessions has one)")
def test_real_pypy(tmp_path):
    # A real interpreter jitcore does not compile for: this jitcore's Python
    # files (its C modules are CPython's), imported and used by PyPy.
    spec = importlib.util.find_spec("jitcore")
    assert spec is not None and spec.origin is not None
    shutil.copytree(os.path.dirname(spec.origin), tmp_path / "jitcore",
                    ignore=shutil.ignore_patterns("*.so", "__pycache__"))
    env = {"PATH": os.environ.get("PATH", ""), "PYTHONPATH": str(tmp_path)}
    proc = subprocess.run(["pypy3", "-c", textwrap.dedent(PROBE)], env=env, capture_output=True,
                          text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert_runs_in_cpython(json.loads(proc.stdout.strip().splitlines()[-1]), WHY_PYPY)


def test_no_fastcall_still_compiles():
    report = probe(NO_FASTCALL)
    assert report["results"] == report["expected"]
    assert report["native"] == [True, True]
    assert report["jit_warnings"] == [] and report["other_warnings"] == []
    assert report["strict"] == ["returned", 45]


DEMO = """
import runpy
sys.argv = ["jitcore", "demo"]
runpy.run_module("jitcore", run_name="__main__", alter_sys=True)
"""


@pytest.mark.parametrize("setup, why", [(NO_C_MODULE, WHY_NO_C_MODULE), (NOT_X86_64, WHY_NOT_X86_64)],
                         ids=["no-c-module", "not-x86-64"])
def test_demo_runs_without_native_code(setup, why):
    proc = run_child("import sys\n" + setup, DEMO)
    assert proc.returncode == 0, proc.stderr
    assert "foo(1, 2) => -3" in proc.stdout
    assert "foo(2**32, 1) => 18446744073709551615" in proc.stdout
    assert "Installed native code" not in proc.stdout
    assert any(word in proc.stdout + proc.stderr for word in why), proc.stdout + proc.stderr
