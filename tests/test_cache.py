"""@jit(cache=True): native code kept in a file and loaded by later processes.

Each test writes a module into a temporary folder and runs it in fresh
interpreters: the first compiles and writes `__pycache__/*.jitcore`, the next
loads the code from there (its Compiled.timings_ns then has only "cache",
and the compiler is never imported). Loaded code must give exactly what
CPython gives, and a change to anything the compile read (the code, a
global it read, jitcore itself) must make the next process compile again.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

import pytest
from test_startup import SLOW

from jitcore import cache

MODULE = textwrap.dedent('''
    import math
    from array import array
    from jitcore import jit

    LIMIT = 1000
    SCALE = 2.5

    @jit(cache=True)
    def total(n):
        t = 0
        for i in range(n):
            t += i * i % LIMIT
        return t

    @jit(cache=True)
    def fib(n):
        if n < 2:
            return n
        return fib(n - 1) + fib(n - 2)

    @jit(cache=True)
    def mixed(x, y):
        return math.sqrt(x * x + y * y) * SCALE + x ** y

    @jit(cache=True)
    def mul(a, b):
        return a * b

    @jit(cache=True)
    def pick(a, i):
        if i < -1000:
            raise ValueError(f"index {i} far too small")
        return a[i]

    @jit(cache=True)
    def pair(x):
        return x > 0, -x

    @jit(cache=True)
    def spin(n):
        s = 0
        i = 0
        while i < n:
            s = (s + i * 7) % 1000003
            i += 1
        return s

    @jit(cache=True)
    def helper_user(n):
        return total(n) + 1   # calls another jitted function

    FACTOR = 3

    def plain_helper(x):      # not decorated: compiled as a callee
        return x * FACTOR

    @jit(cache=True)
    def uses_plain(n):
        return plain_helper(n) + 1

    @jit(cache=True)
    def is_even(n):
        if n == 0:
            return True
        return is_odd(n - 1)

    @jit(cache=True)
    def is_odd(n):
        if n == 0:
            return False
        return is_even(n - 1)
''')

# Runs in the child: each case's result (repr, type name) or exception, and
# where each function's code came from.
RUNNER = textwrap.dedent('''
    import json, sys
    sys.path.insert(0, sys.argv[1])
    from array import array
    import mod

    INT64 = [0, 1, -1, 2 ** 63 - 1, -2 ** 63, 3_037_000_499, 3_037_000_500, -3_037_000_500]
    cases = [("total", (n,)) for n in (0, 1, 10, 5000)]
    cases += [("fib", (n,)) for n in (0, 1, 2, 20)]
    cases += [("mixed", (x, y)) for x, y in ((3.0, 4.0), (-0.0, 2.0), (1e308, 2.0), (0.5, -1.5),
                                            (2.0, 0.5), (-8.0, 1.0 / 3.0))]
    cases += [("mul", (a, b)) for a in INT64 for b in INT64]
    cases += [("pick", (array("d", [1.5, -2.5, 3.0]), i)) for i in (0, 2, -1, -3, 3, -4, -2000)]
    cases += [("pair", (x,)) for x in (0, 5, -2 ** 63, 2 ** 63 - 1)]
    cases += [("helper_user", (10,)), ("spin", (1000,))]
    cases += [("uses_plain", (n,)) for n in (0, 5, -7, 2 ** 62, 3_074_457_345_618_258_602)]
    cases += [("is_even", (n,)) for n in (0, 1, 10, 301)] + [("is_odd", (n,)) for n in (0, 7, 300)]
    out = []
    for name, args in cases:
        for f in (getattr(mod, name), getattr(mod, name).py_func):
            try:
                r = f(*args)
                out.append([name, repr(r), type(r).__name__, [type(x).__name__ for x in r]
                            if type(r) is tuple else None])
            except Exception as exc:
                out.append([name, "raised", type(exc).__name__, str(exc)])
    sources = {}
    for name in ("total", "fib", "mixed", "mul", "pick", "pair", "helper_user", "spin",
                 "uses_plain", "is_even", "is_odd"):
        d = getattr(mod, name)
        sources[name] = sorted(sorted(d.compile(*key).timings_ns) for key in d.signatures)
    print(json.dumps({"results": out, "sources": sources,
                      "compiler": "jitcore.compiler" in sys.modules}))
''')


def _line(name):
    """The line of `name`'s decorator in MODULE, if it has one, else of its
    def: its code's co_firstlineno."""
    lines = MODULE.split("\n")
    line = next(i for i, text in enumerate(lines, 1) if text.startswith(f"def {name}("))
    return line - 1 if lines[line - 2].startswith("@") else line


def _file(folder, name):
    return folder / "__pycache__" / f"mod.{name}-{_line(name)}.{sys.implementation.cache_tag}.jitcore"


def _run(folder, env=None, runner=RUNNER):
    out = subprocess.run([sys.executable, "-c", runner, str(folder)], capture_output=True,
                         text=True, env=env, timeout=300)
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)


def _pairs(results):
    """(jitted, CPython) results side by side: they must be equal."""
    return list(zip(results[::2], results[1::2], strict=True))


@pytest.fixture
def folder(tmp_path):
    (tmp_path / "mod.py").write_text(MODULE)
    return tmp_path


COMPILED = ["encode", "frontend", "memory", "passes", "regalloc"]


def test_the_second_process_loads_the_code_and_gives_cpythons_results(folder):
    first = _run(folder)
    for jitted, python in _pairs(first["results"]):
        assert jitted == python
    files = sorted(f for f in os.listdir(folder / "__pycache__") if f.endswith(".jitcore"))
    # (plain_helper's too: a plain function called by a function with
    # cache=True is kept with it)
    assert files == sorted(_file(folder, name).name for name in [*first["sources"], "plain_helper"])
    assert all(srcs == [COMPILED] for srcs in first["sources"].values()), first["sources"]
    second = _run(folder)
    for jitted, python in _pairs(second["results"]):
        assert jitted == python
    assert second["results"] == first["results"]
    # every function's code loaded (helper_user's and uses_plain's with their
    # callees' cells, is_even's and is_odd's with each other's), nothing compiled
    assert all(srcs == [["cache"]] for srcs in second["sources"].values()), second["sources"]
    assert not second["compiler"]


def test_a_process_that_loads_everything_never_imports_the_compiler(folder):
    runner = textwrap.dedent('''
        import json, sys
        sys.path.insert(0, sys.argv[1])
        import array  # (mod imports it itself, and with it collections.abc)
        before = set(sys.modules)
        import mod
        r = [mod.total(100), mod.fib(15), mod.mixed(1.0, 2.0), mod.mul(2 ** 40, 2 ** 30)]
        print(json.dumps({"r": repr(r), "compiler": "jitcore.compiler" in sys.modules,
                          "modules": sorted(set(sys.modules) - before),
                          "stages": sorted(m for m in sys.modules if m.startswith((
                              "jitcore.frontend.translate", "jitcore.passes", "jitcore.regalloc",
                              "jitcore.x86_64"))),
                          "cache": [sorted(f.compile(*f.signatures[0]).timings_ns)
                                    for f in (mod.total, mod.fib, mod.mixed, mod.mul)]}))
    ''')
    first = _run(folder, runner=runner)
    second = _run(folder, runner=runner)
    assert first["compiler"] and first["stages"]
    assert not second["compiler"] and second["stages"] == []
    assert not set(second["modules"]) & SLOW, set(second["modules"]) & SLOW
    assert second["r"] == first["r"] == repr([sum(i * i % 1000 for i in range(100)), 610,
                                               5.0 ** 0.5 * 2.5 + 1.0, 2 ** 70])
    assert second["cache"] == [["cache"]] * 4


def _sources(folder):
    runner = textwrap.dedent('''
        import json, sys
        sys.path.insert(0, sys.argv[1])
        import mod
        r = [mod.total(2000), mod.mixed(3.0, 4.0)]
        print(json.dumps({"r": r, "src": [sorted(f.compile(*f.signatures[0]).timings_ns)
                                          for f in (mod.total, mod.mixed)]}))
    ''')
    return _run(folder, runner=runner)


@pytest.mark.parametrize("edit, changed", [
    (("LIMIT = 1000", "LIMIT = 999"), "total"),               # a global constant it read
    (("SCALE = 2.5", "SCALE = 2"), "mixed"),                   # ... of another type
    (("t += i * i % LIMIT", "t += i * i % LIMIT + 0"), "total"),  # its code
    # (edits on one line: a line more would move every function below, and
    # line numbers are part of the code, as in .pyc files)
    (("LIMIT = 1000\n", "LIMIT = 1000; unrelated = 3\n"), None),  # a name neither uses
    # a global named like the attribute mixed reads (math.sqrt): the key takes
    # every name the code holds, whatever it uses it for
    (("import math\n", "import math; sqrt = 1\n"), "mixed"),
])
def test_a_change_to_what_the_compile_read_compiles_again(folder, edit, changed):
    before = _sources(folder)
    assert _sources(folder)["src"] == [["cache"], ["cache"]]
    source = (folder / "mod.py").read_text()
    assert edit[0] in source
    (folder / "mod.py").write_text(source.replace(edit[0], edit[1]))
    after = _sources(folder)
    expected = {"total": sum(i * i % (999 if edit[1] == "LIMIT = 999" else 1000) for i in range(2000)),
                "mixed": (5.0 * (2 if edit[1] == "SCALE = 2" else 2.5)) + 81.0}
    assert after["r"] == [expected["total"], expected["mixed"]]
    for name, src in zip(("total", "mixed"), after["src"], strict=True):
        assert src == (COMPILED if name == changed else ["cache"]), (name, src, before)
    assert _sources(folder)["src"] == [["cache"], ["cache"]]  # and written again


def _callers(folder):
    runner = textwrap.dedent('''
        import json, sys
        sys.path.insert(0, sys.argv[1])
        import mod
        r = [mod.helper_user(300), mod.uses_plain(7), mod.is_even(9)]
        print(json.dumps({"r": r, "src": {f.__name__: sorted(f.compile(*f.signatures[0]).timings_ns)
                                          for f in (mod.total, mod.helper_user, mod.uses_plain,
                                                    mod.is_even, mod.is_odd)}}))
    ''')
    return _run(folder, runner=runner)


@pytest.mark.parametrize("edit, compiled", [
    # the callee's code: the callee and its caller
    (("t += i * i % LIMIT", "t += i * i % LIMIT + 0"), {"total", "helper_user"}),
    # what the callee returns (an int, now a float), its code and the
    # caller's the same: the caller's recorded call no longer fits
    (("FACTOR = 3", "FACTOR = 3.5"), {"uses_plain"}),
    # one of two mutually recursive functions
    (("return is_odd(n - 1)", "return is_odd(n + -1)"), {"is_even", "is_odd"}),
])
def test_a_change_to_a_callee_compiles_its_callers_again(folder, edit, compiled):
    first = _callers(folder)
    assert set(first["src"]) == {"total", "helper_user", "uses_plain", "is_even", "is_odd"}
    assert all(src == ["cache"] for src in _callers(folder)["src"].values())
    source = (folder / "mod.py").read_text()
    assert edit[0] in source
    (folder / "mod.py").write_text(source.replace(edit[0], edit[1]))
    after = _callers(folder)
    factor = 3.5 if edit[1] == "FACTOR = 3.5" else 3
    assert after["r"] == [sum(i * i % 1000 for i in range(300)) + 1,
                          7 * factor + 1, False]
    assert {name for name, src in after["src"].items() if src != ["cache"]} == compiled, after["src"]
    assert all(src == ["cache"] for src in _callers(folder)["src"].values())


def test_a_global_rebound_to_another_object_compiles_again(folder):
    assert _sources(folder)["src"][1] == COMPILED
    source = (folder / "mod.py").read_text()
    # math.sqrt is still what `math` gives, but `math` is now another module
    (folder / "mod.py").write_text(source.replace("import math\n", "import cmath as math\n", 1))
    runner = textwrap.dedent('''
        import json, sys, warnings
        sys.path.insert(0, sys.argv[1])
        warnings.simplefilter("ignore")
        import mod
        r = mod.mixed(3.0, 4.0)
        print(json.dumps({"r": repr(r), "native": bool(mod.mixed.signatures)}))
    ''')
    out = _run(folder, runner=runner)
    assert out == {"r": repr((5 + 0j) * 2.5 + 81.0), "native": False}  # CPython's cmath answer


PATCHED = textwrap.dedent('''
    import math
    from jitcore import jit

    @jit(cache=True)
    def norm(x, y):
        return math.sqrt(abs(x) + abs(y))
''')

PATCHING_RUNNER = textwrap.dedent('''
    import builtins, json, math, sys
    sys.path.insert(0, sys.argv[1])
    if sys.argv[2] == "abs":
        builtins.abs = lambda x: 100.0        # the builtin replaced before the module runs
    elif sys.argv[2] == "sqrt":
        math.sqrt = math.cbrt if hasattr(math, "cbrt") else math.log  # another builtin
    import patched
    r = patched.norm(-3.0, 12.0)
    sig = patched.norm.signatures
    print(json.dumps({"r": r, "expected": patched.norm.py_func(-3.0, 12.0),
                      "src": sorted(patched.norm.compile(*sig[0]).timings_ns) if sig else None}))
''')


@pytest.mark.parametrize("patch", ["abs", "sqrt"])
def test_a_patched_builtin_or_math_function_is_not_what_the_code_was_compiled_for(tmp_path, patch):
    (tmp_path / "patched.py").write_text(PATCHED)

    def run(how):
        out = subprocess.run([sys.executable, "-W", "ignore", "-c", PATCHING_RUNNER, str(tmp_path),
                              how], capture_output=True, text=True, timeout=300)
        assert out.returncode == 0, out.stderr
        return json.loads(out.stdout)

    assert run("none")["src"] == COMPILED
    assert run("none") == {"r": 15.0 ** 0.5, "expected": 15.0 ** 0.5, "src": ["cache"]}
    patched = run(patch)
    assert patched["r"] == patched["expected"] != 15.0 ** 0.5
    assert patched["src"] != ["cache"]
    # that process wrote its own code (a native call of the lambda, or cbrt's
    # helper): one key per file, so the next compiles again
    assert run("none") == {"r": 15.0 ** 0.5, "expected": 15.0 ** 0.5, "src": COMPILED}


def test_damaged_files_are_passed_over_and_rewritten(folder):
    _sources(folder)
    path = _file(folder, "total")
    good = path.read_bytes()
    damages = [good[:len(good) // 2], b"", good[:-1] + bytes([good[-1] ^ 1]),
               good[:40] + bytes([good[40] ^ 0x10]) + good[41:], b"\x00" * len(good)]
    for damaged in damages:
        path.write_bytes(damaged)
        out = _sources(folder)
        assert out["src"][0] == COMPILED
        assert out["r"][0] == sum(i * i % 1000 for i in range(2000))
        assert path.read_bytes() == good  # the same code, written again


def test_another_jitcore_or_python_never_loads_the_file(folder, monkeypatch):
    _sources(folder)
    path = _file(folder, "total")
    found = cache._read(str(path))
    assert found is not None
    key, records = found
    assert cache.__version__.encode() in key and sys.version.encode() in key
    # (the key holds every file of jitcore by size and time: an edit changes it)
    monkeypatch.setattr(cache, "_jitcore_files", None)
    stamp = cache._jitcore_stamp()
    assert any(name == "/cache.py" for name, _, _ in stamp) and len(stamp) > 20


def test_a_folder_that_cannot_be_written_leaves_the_code_in_memory(folder, tmp_path_factory):
    blocker = tmp_path_factory.mktemp("blocked") / "a file"
    blocker.write_text("not a folder")
    env = dict(os.environ, JITCORE_CACHE_DIR=str(blocker / "cache"))
    first = _run(folder, env=env)
    second = _run(folder, env=env)
    for jitted, python in _pairs(second["results"]):
        assert jitted == python
    assert all(srcs in ([COMPILED], []) for srcs in second["sources"].values())
    assert not (folder / "__pycache__").exists() or not any(
        f.endswith(".jitcore") for f in os.listdir(folder / "__pycache__"))
    assert first["results"] == second["results"]


def test_jitcore_cache_dir_is_used_when_set(folder, tmp_path_factory):
    where = tmp_path_factory.mktemp("cachedir")
    env = dict(os.environ, JITCORE_CACHE_DIR=str(where))
    _run(folder, env=env)
    second = _run(folder, env=env)
    assert second["sources"]["total"] == [["cache"]]
    (spelled,) = os.listdir(where)  # the source folder's path, spelled into one name
    assert spelled == str(folder).strip(os.sep).replace(os.sep, "%")
    assert _file(folder, "total").name in os.listdir(where / spelled)


def test_each_signature_is_kept_beside_the_others(folder):
    runner = textwrap.dedent('''
        import json, sys
        sys.path.insert(0, sys.argv[1])
        import mod
        which = sys.argv[2]
        r = mod.mul(3, 4) if which == "int" else mod.mul(1.5, 2.5)
        print(json.dumps({"r": r, "src": {repr(k): sorted(mod.mul.compile(*k).timings_ns)
                                          for k in mod.mul.signatures}}))
    ''')

    def run(which):
        out = subprocess.run([sys.executable, "-c", runner, str(folder), which],
                             capture_output=True, text=True, timeout=300)
        assert out.returncode == 0, out.stderr
        return json.loads(out.stdout)

    assert run("int")["src"] == {"(<class 'int'>, <class 'int'>)": COMPILED}
    assert run("float")["src"] == {"(<class 'float'>, <class 'float'>)": COMPILED}
    assert run("int") == {"r": 12, "src": {"(<class 'int'>, <class 'int'>)": ["cache"]}}
    assert run("float") == {"r": 3.75, "src": {"(<class 'float'>, <class 'float'>)": ["cache"]}}


def test_processes_writing_at_once_leave_a_whole_file(folder):
    procs = [subprocess.Popen([sys.executable, "-c", RUNNER, str(folder)], stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True) for _ in range(6)]
    outs = [p.communicate(timeout=300) for p in procs]
    assert all(p.returncode == 0 for p in procs), [err for _, err in outs]
    results = [json.loads(out)["results"] for out, _ in outs]
    assert all(r == results[0] for r in results)
    after = _run(folder)
    assert after["sources"]["total"] == [["cache"]] and after["results"] == results[0]
    leftovers = [f for f in os.listdir(folder / "__pycache__") if f.endswith(".tmp")]
    assert leftovers == []


def test_loaded_loops_still_stop_on_ctrl_c(folder):
    _sources(folder)  # (writes total's file; spin's is written below)
    runner = textwrap.dedent('''
        import os, signal, sys, threading, time
        sys.path.insert(0, sys.argv[1])
        import mod
        mod.spin(10)
        print(sorted(mod.spin.compile(int).timings_ns), flush=True)
        threading.Timer(0.3, os.kill, (os.getpid(), signal.SIGINT)).start()
        try:
            mod.spin(10 ** 15)   # hours, unless its poll (a relocated address) works
        except KeyboardInterrupt:
            print("interrupted", flush=True)
    ''')
    outputs = [subprocess.run([sys.executable, "-c", runner, str(folder)], capture_output=True,
                              text=True, timeout=300) for _ in range(2)]
    assert [o.stdout.split("\n")[:2] for o in outputs] == [
        [repr(COMPILED), "interrupted"], [repr(["cache"]), "interrupted"]], [o.stderr for o in outputs]


def test_functions_without_a_source_file_are_not_cached(tmp_path):
    runner = textwrap.dedent('''
        import json, os, sys
        os.chdir(sys.argv[1])
        from jitcore import jit
        ns = {"jit": jit}
        exec("@jit(cache=True)\\ndef f(n):\\n    return n * 2\\n", ns)
        print(json.dumps([ns["f"](21), sorted(os.listdir("."))]))
    ''')
    out = _run(tmp_path, runner=runner)
    assert out == [42, []]


def test_cache_option_survives_pickling_by_value():
    from jitcore import jit
    from jitcore.dispatcher import _rebuild

    def f(n):
        return n + 1

    rebuild, (py_func, options) = jit(cache=True)(f).__reduce__()
    assert rebuild is _rebuild and py_func is f and options["cache"] is True
    assert _rebuild(f, options).cache is True
