"""The jitcore benchmark runner: jitcore against CPython, numba and PyPy, side by side.

    python -m benchmarks.run [--quick] [--markdown PATH] [--chart PATH] [--numpy-chart PATH]
                             [--json PATH] [--only SECTIONS] [--profile N] [--repeat K]
                             [--no-numba] [--no-pypy]
    python -m jitcore bench  (same options)

Everything is reported as times and ratios, never as pass/fail on a time.
numba, PyPy (`pypy3` on PATH) and matplotlib are optional: each one that is
missing is skipped with a message. The exit status is 0 unless an engine
returned a result different from CPython's (then 1). See benchmarks/README.md.
"""

from __future__ import annotations

import argparse
import cProfile
import datetime
import io
import json
import math
import os
import platform
import pstats
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import warnings
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

# This package is `benchmarks` in the source checkout and `jitcore.benchmarks`
# in an installed wheel (pyproject.toml maps it): imports within it are relative.
from . import kernels
from .timing import loop_calls, loop_empty, measure

BENCH_DIR = Path(__file__).resolve().parent
# What PyPy's worker needs (it imports neither jitcore nor numba): run_pypy
# copies these into a package of their own, so that PyPy never sees a
# site-packages built for CPython.
PYPY_WORKER_FILES = ("__init__.py", "worker.py", "kernels.py", "timing.py")
STAGES = ("frontend", "passes", "regalloc", "encode", "memory")


# ---------------------------------------------------------------------------
# Output: tables printed as text and written as Markdown
# ---------------------------------------------------------------------------


class Report:
    """Collects sections (title, notes, tables) and prints them as they come."""

    def __init__(self) -> None:
        self.parts: list[tuple[str, Any]] = []

    def heading(self, title: str) -> None:
        self.parts.append(("heading", title))
        print(f"\n== {title} ==", flush=True)

    def note(self, text: str) -> None:
        self.parts.append(("note", text))
        print(text, flush=True)

    def table(self, header: Sequence[str], rows: Sequence[Sequence[str]], left: int = 1) -> None:
        """Print a table; its first `left` columns are left-aligned, the rest right-aligned."""
        self.parts.append(("table", (list(header), [list(r) for r in rows], left)))
        widths = [max(len(str(c)) for c in col) for col in zip(header, *rows, strict=False)]
        line = lambda cells: "  ".join(str(c).ljust(w) if i < left else str(c).rjust(w)  # noqa: E731
                                       for i, (c, w) in enumerate(zip(cells, widths, strict=False)))
        print(line(header))
        print("  ".join("-" * w for w in widths))
        for row in rows:
            print(line(row))
        sys.stdout.flush()

    def code(self, text: str) -> None:
        self.parts.append(("code", text))
        print(text, flush=True)

    def markdown(self) -> str:
        out: list[str] = []
        for kind, value in self.parts:
            if kind == "heading":
                out.append(f"\n## {value}\n")
            elif kind == "note":
                out.append(value + "\n")
            elif kind == "code":
                out.append("```\n" + value.rstrip("\n") + "\n```\n")
            else:
                header, rows, left = value
                out.append("| " + " | ".join(header) + " |")
                out.append("|" + "|".join(" --- " if i < left else " ---: "
                                          for i in range(len(header))) + "|")
                for row in rows:
                    out.append("| " + " | ".join(str(c) for c in row) + " |")
                out.append("")
        return "# jitcore benchmarks\n" + "\n".join(out) + "\n"


def ms(seconds: float | None) -> str:
    if seconds is None:
        return "—"
    value = seconds * 1e3
    return f"{value:.3f}" if value < 1 else f"{value:.2f}" if value < 100 else f"{value:.0f}"


def ratio(x: float | None) -> str:
    if x is None:
        return "—"
    return f"{x:.2f}x" if x < 10 else f"{x:.1f}x"


def geomean(values: Sequence[float]) -> float | None:
    values = [v for v in values if v and v > 0]
    if not values:
        return None
    return math.exp(sum(math.log(v) for v in values) / len(values))


def div(a: float | None, b: float | None) -> float | None:
    return a / b if a is not None and b else None


# ---------------------------------------------------------------------------
# The machine and the engines
# ---------------------------------------------------------------------------


def cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def nproc() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 0


def load_numba(enabled: bool) -> tuple[Any, str]:
    """(the numba module or None, a version or why it is skipped)."""
    if not enabled:
        return None, "skipped (--no-numba)"
    try:
        import numba  # optional competitor: never a dependency of jitcore
    except Exception as exc:  # ImportError, or a broken install
        return None, f"skipped: cannot import numba ({type(exc).__name__}: {exc})"
    return numba, numba.__version__


def find_pypy(enabled: bool, name: str) -> tuple[str | None, str]:
    """(path of pypy3 or None, its version or why it is skipped)."""
    if not enabled:
        return None, "skipped (--no-pypy)"
    path = shutil.which(name)
    if path is None:
        return None, f"skipped: `{name}` is not on PATH"
    try:
        out = subprocess.run([path, "-c", "import sys; print(sys.version)"], capture_output=True,
                             text=True, timeout=60)
        version = " ".join(out.stdout.split())
    except (OSError, subprocess.SubprocessError) as exc:
        return None, f"skipped: `{path}` does not run ({exc})"
    return path, version or "unknown version"


def jitcore_env() -> dict[str, str]:
    """The environment for a subprocess that must import this jitcore."""
    import jitcore

    root = str(Path(jitcore.__file__).resolve().parent.parent)
    env = dict(os.environ)
    paths = [root] + ([env["PYTHONPATH"]] if env.get("PYTHONPATH") else [])
    env["PYTHONPATH"] = os.pathsep.join(dict.fromkeys(paths))
    return env


def identity(func: Callable) -> Callable:
    return func


# ---------------------------------------------------------------------------
# 1. Steady-state kernels
# ---------------------------------------------------------------------------


def jitcore_problems(namespace: dict[str, Any], entry: str) -> list[str]:
    """Why a jitcore kernel (or a helper it calls) does not run natively, if it doesn't."""
    from jitcore import Dispatcher

    problems = []
    for name, obj in namespace.items():
        if isinstance(obj, Dispatcher) and obj.failure is not None:
            problems.append(f"{name} runs in CPython: {obj.failure}")
    if isinstance(namespace.get(entry), Dispatcher) and not namespace[entry].signatures:
        problems.append(f"{entry} has no native signature")
    return problems


def jitcore_compile_ns(namespace: dict[str, Any]) -> int:
    """Sum of the stage times of every signature compiled so far in a jitcore namespace."""
    from jitcore import Dispatcher

    return sum(sum(obj.compile(*sig).timings_ns.values())
               for obj in namespace.values() if isinstance(obj, Dispatcher)
               for sig in obj.signatures)


def run_engine_in_process(engine: str, decorator: Callable, quick: bool, repeat: int,
                          problems: list[str], cases: list[Any] | None = None,
                          ) -> dict[str, dict[str, Any]]:
    namespace = kernels.load(decorator, engine)
    results: dict[str, dict[str, Any]] = {}
    for name, func_name, full_args, quick_args, _ in (kernels.CASES if cases is None else cases):
        args = kernels.materialize(quick_args if quick else full_args)
        compiled_before = jitcore_compile_ns(namespace) if engine == "jitcore" else 0
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            try:
                m = measure(namespace[func_name], args, repeat)
            except Exception as exc:
                results[name] = {"error": f"{type(exc).__name__}: {exc}"}
                problems.append(f"{engine} {name}: raised {type(exc).__name__}: {exc}")
                continue
        for w in caught:
            problems.append(f"{engine} {name}: warning {w.category.__name__}: {w.message}")
        if engine == "jitcore":
            problems.extend(f"jitcore {name}: {p}" for p in jitcore_problems(namespace, func_name))
            # the kernel and the helpers it compiled on its first call
            m["compile_stages"] = (jitcore_compile_ns(namespace) - compiled_before) / 1e9
        m["result_type"] = type(m["result"]).__name__
        results[name] = m
    return results


def run_pypy(pypy: str, quick: bool, repeat: int, problems: list[str],
             buffers: bool = False) -> dict[str, Any] | None:
    cmd = [pypy, "-m", "pypy_worker.worker", str(repeat)] + (["--quick"] if quick else []) \
        + (["--buffers"] if buffers else [])
    root = tempfile.mkdtemp(prefix="jitcore-pypy-worker-")
    os.mkdir(os.path.join(root, "pypy_worker"))
    for name in PYPY_WORKER_FILES:
        shutil.copy(BENCH_DIR / name, os.path.join(root, "pypy_worker", name))
    env = dict(os.environ, PYTHONPATH=root)
    try:
        out = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=root, timeout=900)
    except (OSError, subprocess.SubprocessError) as exc:
        problems.append(f"PyPy worker did not run: {exc}")
        return None
    finally:
        shutil.rmtree(root, ignore_errors=True)
    if out.returncode != 0:
        problems.append(f"PyPy worker exited {out.returncode}: {out.stderr.strip()[-500:]}")
        return None
    return json.loads(out.stdout)


def bench_kernels(report: Report, ctx: dict[str, Any]) -> dict[str, Any]:
    report.heading("1. Steady-state kernels")
    return kernel_tables(report, ctx, kernels.CASES, buffers=False)


def bench_buffer_kernels(report: Report, ctx: dict[str, Any]) -> dict[str, Any]:
    report.heading("1b. Buffer kernels")
    report.note("Loops over `array.array` and `bytes` arguments (the same objects for every "
                "engine). jitcore keeps CPython's semantics: bounds checks where the loop does "
                "not prove the index in range, int64 overflow checks on every integer add.")
    return kernel_tables(report, ctx, kernels.BUFFER_CASES, buffers=True)


def bench_numpy_kernels(report: Report, ctx: dict[str, Any]) -> dict[str, Any] | None:
    report.heading("1c. NumPy array kernels")
    try:
        import numpy  # noqa: F401
    except ImportError:
        report.note("NumPy is not installed: skipped.")
        return None
    report.note("The same kinds of loops over NumPy arrays, 1-D and 2-D. Elements are NumPy "
                "scalars: CPython and jitcore return np.float64 / np.int64 and warn on overflow "
                "as NumPy does; numba returns Python floats and ints and wraps silently, so its "
                "results are compared by value. PyPy is not run here.")
    return kernel_tables(report, ctx, kernels.NUMPY_CASES, buffers=True, numpy_args=True)


def kernel_tables(report: Report, ctx: dict[str, Any], cases: list[Any],
                  buffers: bool, numpy_args: bool = False) -> dict[str, Any]:
    """Run `cases` in every engine: the steady-state table, then the first calls."""
    quick, repeat, problems = ctx["quick"], ctx["repeat"], ctx["problems"]
    from jitcore import jit

    report.note(f"Each engine: one warm-up call (a JIT compiles there), then the best of {repeat} "
                "timed calls, GC off. Times in ms. speedup = CPython time / engine time; "
                "jitcore/numba > 1 means numba is faster. `ok` = every engine's result "
                "equals CPython's (value and type).")
    data: dict[str, dict[str, dict[str, Any]]] = {}
    print("timing CPython ...", flush=True)
    data["cpython"] = run_engine_in_process("cpython", identity, quick, repeat, problems, cases)
    print("timing jitcore ...", flush=True)
    data["jitcore"] = run_engine_in_process("jitcore", jit, quick, repeat, problems, cases)
    if ctx["numba"] is not None:
        print("timing numba ...", flush=True)
        data["numba"] = run_engine_in_process("numba", ctx["numba"].njit, quick, repeat, problems,
                                              cases)
    if ctx["pypy"] is not None and not numpy_args:
        print("timing PyPy (subprocess) ...", flush=True)
        pypy = run_pypy(ctx["pypy"], quick, repeat, problems, buffers)
        if pypy is not None:
            data["pypy"] = pypy["cases"]

    def best(engine: str, name: str) -> float | None:
        m = data.get(engine, {}).get(name)
        return m["best"] if m and "error" not in m else None

    header = ["kernel", "args", "CPython", "jitcore", "numba", "PyPy", "jitcore speedup",
              "numba speedup", "PyPy speedup", "jitcore/numba", "check"]
    rows, speedups = [], {"jitcore": [], "numba": [], "pypy": [], "jit/numba": []}
    mismatches = []
    for name, _func_name, full_args, quick_args, _ in cases:
        args = quick_args if quick else full_args
        py, jc, nb, pp = (best(e, name) for e in ("cpython", "jitcore", "numba", "pypy"))
        expected = data["cpython"][name].get("result")
        bad = []
        for engine in ("jitcore", "numba", "pypy"):
            m = data.get(engine, {}).get(name)
            if m is None:
                continue
            if "error" in m:
                bad.append(f"{engine}: error")
            elif engine == "numba" and numpy_args:
                if m["result"] != expected or not m["results_agree"]:  # numba: Python types
                    bad.append(f"{engine}: {m['result']!r} != {expected!r}")
            elif (m["result"] != expected or m["result_type"] != type(expected).__name__
                  or not m["results_agree"]):
                bad.append(f"{engine}: {m['result']!r} != {expected!r}")
        if bad:
            mismatches.append(f"{name}: " + "; ".join(bad))
        s_jc, s_nb, s_pp, j_n = div(py, jc), div(py, nb), div(py, pp), div(jc, nb)
        for key, v in (("jitcore", s_jc), ("numba", s_nb), ("pypy", s_pp), ("jit/numba", j_n)):
            if v is not None:
                speedups[key].append(v)
        rows.append([name, kernels.describe(args), ms(py), ms(jc), ms(nb), ms(pp), ratio(s_jc),
                     ratio(s_nb), ratio(s_pp), ratio(j_n), "MISMATCH" if bad else "ok"])
    n = len(cases)
    rows.append(["geometric mean", "", "", "", "", ""] +
                [ratio(geomean(speedups[k])) if len(speedups[k]) == n else
                 (ratio(geomean(speedups[k])) + f" ({len(speedups[k])}/{n})" if speedups[k] else "—")
                 for k in ("jitcore", "numba", "pypy", "jit/numba")] + [""])
    report.table(header, rows)
    for m in mismatches:
        report.note(f"**MISMATCH** {m}")
    ctx["mismatches"].extend(mismatches)

    # First calls: compile + one run, for the JITs.
    header = ["kernel", "CPython first call", "jitcore first call", "jitcore compile (stages)",
              "numba first call"]
    rows = [[name, ms(data["cpython"][name].get("first")),
             ms(data["jitcore"].get(name, {}).get("first")),
             ms(data["jitcore"].get(name, {}).get("compile_stages")),
             ms(data.get("numba", {}).get(name, {}).get("first"))]
            for name, *_ in cases]
    report.note("\nFirst call of each kernel in ms: one sample, compile included for the JITs "
                "(numba's first kernel also pays numba's one-time initialisation). `jitcore "
                "compile (stages)` is the sum of `timings_ns` of the kernel and the helpers it "
                "compiled.")
    report.table(header, rows)
    data["geomeans"] = {k: geomean(v) for k, v in speedups.items()}  # type: ignore[assignment]
    return data


# ---------------------------------------------------------------------------
# 2. Call overhead
# ---------------------------------------------------------------------------

ADD_SOURCE = "@jit\ndef add(a, b):\n    return a + b\n"


def make_add(decorator: Callable) -> Callable:
    namespace: dict[str, Any] = {"jit": decorator}
    exec(compile(ADD_SOURCE, "<benchmarks add>", "exec"), namespace)
    return namespace["add"]


def bench_calls(report: Report, ctx: dict[str, Any]) -> dict[str, Any]:
    from jitcore import jit

    n = 200_000 if ctx["quick"] else 1_000_000
    repeat = 3 if ctx["quick"] else 7
    report.heading("2. Call overhead")
    empty = min(loop_empty(n) for _ in range(repeat)) / n * 1e9
    report.note(f"`add(a, b)` called as `add(1, 2)` {n:,} times from a Python `for` loop, best of "
                f"{repeat}. `net` subtracts the empty loop ({empty:.1f} ns per iteration).")
    engines = [("CPython (plain def)", identity), ("jitcore @jit", jit)]
    if ctx["numba"] is not None:
        engines.append(("numba @njit", ctx["numba"].njit))
    rows, out = [], {"empty_loop_ns": empty}
    for label, decorator in engines:
        add = make_add(decorator)
        assert add(1, 2) == 3  # compiles
        per_call = min(loop_calls(add, n) for _ in range(repeat)) / n * 1e9
        out[label] = per_call
        rows.append([label, f"{per_call:.1f}", f"{per_call - empty:.1f}"])
    report.table(["add(a, b)", "ns per call", "net ns per call"], rows)
    return out


# ---------------------------------------------------------------------------
# 3. Compile latency
# ---------------------------------------------------------------------------


def bench_compile(report: Report, ctx: dict[str, Any]) -> dict[str, Any]:
    from jitcore import jit

    reps_jc = 10 if ctx["quick"] else 50
    reps_nb = 2 if ctx["quick"] else 5
    args = kernels.COMPILE_PROBE_ARGS
    report.heading("3. Compile latency")
    report.note(f"First call of a fresh 16-line loop function `smooth_sum{args}` (int and float "
                "arithmetic, if/elif/else, abs), compile included; a new function object each "
                f"time. jitcore: {reps_jc} compiles"
                + (f", numba: {reps_nb}" if ctx["numba"] is not None else "") + ". Times in ms.")
    report.code(kernels.COMPILE_PROBE_SOURCE.strip("\n"))
    expected = kernels.fresh_compile_probe(identity)(*args)
    out: dict[str, Any] = {}

    def first_calls(decorator: Callable, reps: int) -> tuple[list[float], list[Any]]:
        times, funcs = [], []
        for _ in range(reps):
            func = kernels.fresh_compile_probe(decorator)
            start = time.perf_counter()
            result = func(*args)
            times.append(time.perf_counter() - start)
            funcs.append(func)
            if result != expected:
                ctx["mismatches"].append(f"compile probe: {result!r} != {expected!r}")
        return times, funcs

    rows = []
    times, funcs = first_calls(jit, reps_jc)
    stage_ns = {s: [f.compile().timings_ns[s] for f in funcs] for s in STAGES}
    rest_ns = [t * 1e9 - sum(stage_ns[s][i] for s in STAGES) for i, t in enumerate(times)]
    out["jitcore"] = {"median": statistics.median(times), "min": min(times), "max": max(times),
                      "stages_median_ns": {s: statistics.median(v) for s, v in stage_ns.items()},
                      "rest_median_ns": statistics.median(rest_ns)}
    problems = jitcore_problems({"smooth_sum": funcs[0]}, "smooth_sum")
    ctx["problems"].extend(f"jitcore compile probe: {p}" for p in problems)
    rows.append(["jitcore", ms(min(times)), ms(statistics.median(times)), ms(max(times))])
    if ctx["numba"] is not None:
        nb_times, _ = first_calls(ctx["numba"].njit, reps_nb)
        out["numba"] = {"median": statistics.median(nb_times), "min": min(nb_times),
                        "max": max(nb_times)}
        rows.append(["numba", ms(min(nb_times)), ms(statistics.median(nb_times)),
                     ms(max(nb_times))])
        rows.append(["numba / jitcore (median)", "", ratio(div(statistics.median(nb_times),
                                                               statistics.median(times))), ""])
    report.table(["engine", "min", "median", "max"], rows)

    total = sum(out["jitcore"]["stages_median_ns"].values())
    srows = [[s, f"{v / 1e3:.0f}", f"{100 * v / total:.0f}%"]
             for s, v in out["jitcore"]["stages_median_ns"].items()]
    srows.append(["sum of stages", f"{total / 1e3:.0f}", "100%"])
    srows.append(["rest of the first call (dispatch, checks, the run itself; median)",
                  f"{out['jitcore']['rest_median_ns'] / 1e3:.0f}", ""])
    report.note("\njitcore's stages (`dispatcher.compile().timings_ns`, median over the compiles), µs:")
    report.table(["stage", "µs", "share"], srows)
    return out


SCALING_SIZES = (10, 30, 100, 300, 1000, 3000, 5000)
SCALING_SIZES_QUICK = (10, 100, 1000)
NUMBA_SCALING_MAX = 1000  # numba's compile of the larger ones takes minutes


def bench_compile_scaling(report: Report, ctx: dict[str, Any]) -> dict[str, Any]:
    from jitcore import jit

    sizes = SCALING_SIZES_QUICK if ctx["quick"] else SCALING_SIZES
    report.heading("4. Compile time and memory by function size")
    report.note("`benchmarks/kernels.py: straight_line_source(n)`: n masked int assignments, no "
                "branch. jitcore: the sum of `compile().timings_ns`, best of 3 fresh functions "
                "(1 from 3000 statements); `vs 100`: that time over the 100-statement one "
                "(linear compile time gives n/100). `kept`: the Python memory a live jitted "
                "function holds after its first call (tracemalloc, the machine code's Python copy "
                "included), against `code`, its machine code in bytes."
                + (f" numba: the first call, compile included, up to {NUMBA_SCALING_MAX} "
                   "statements." if ctx["numba"] is not None else ""))
    rows, out = [], {}
    args = (12345, 678)
    for n in sizes:
        expected = kernels.fresh_straight_line(n, identity)(*args)
        times = []
        for _ in range(1 if n >= 3000 else 3):
            func = kernels.fresh_straight_line(n, jit)
            result = func(*args)
            if result != expected:
                ctx["mismatches"].append(f"straight_line({n}): {result!r} != {expected!r}")
            problems = jitcore_problems({"straight_line": func}, "straight_line")
            ctx["problems"].extend(f"jitcore straight_line({n}): {p}" for p in problems)
            times.append(sum(func.compile().timings_ns.values()) / 1e9)
        code = len(func.compile().code)
        kept = kept_bytes(n, jit, args) if n <= 1000 else None
        nb = None
        if ctx["numba"] is not None and n <= NUMBA_SCALING_MAX:
            nb_func = kernels.fresh_straight_line(n, ctx["numba"].njit)
            start = time.perf_counter()
            nb_func(*args)
            nb = time.perf_counter() - start
        out[n] = {"jitcore": min(times), "code": code, "kept": kept, "numba": nb}
        base = out.get(100, {}).get("jitcore")
        rows.append([str(n), ms(min(times)), f"{min(times) / n * 1e6:.0f}",
                     ratio(div(min(times), base)) if n >= 100 else "", str(code),
                     str(kept) if kept is not None else "—",
                     f"{kept / code:.1f}" if kept is not None else "—", ms(nb)])
    report.table(["statements", "jitcore ms", "µs / statement", "vs 100", "code bytes",
                  "kept bytes", "kept / code", "numba ms"], rows)
    return out


def kept_bytes(statements: int, decorator: Callable, args: tuple[Any, ...]) -> int:
    """Python memory a fresh jitted straight_line function holds after its first call."""
    import gc
    import tracemalloc

    plain = kernels.fresh_straight_line(statements, identity)
    plain.__code__.co_code  # noqa: B018  CPython caches this copy on the code object: not ours
    gc.collect()
    tracemalloc.start()
    try:
        func = decorator(plain)
        func(*args)
        gc.collect()
        kept, _ = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    del func
    return kept


def profile_compile(report: Report, ctx: dict[str, Any], count: int) -> str:
    """cProfile of compiling the probe `count` times; returns the pstats text."""
    from jitcore import jit

    report.heading(f"Compile-time profile: cProfile of {count} compiles of smooth_sum(int, float)")
    funcs = [kernels.fresh_compile_probe(jit) for _ in range(count)]
    profiler = cProfile.Profile()
    start = time.perf_counter()
    profiler.enable()
    for f in funcs:
        f.compile(int, float)
    profiler.disable()
    elapsed = time.perf_counter() - start
    report.note(f"{count} compiles took {elapsed:.2f} s under cProfile "
                f"({elapsed / count * 1e3:.2f} ms each; cProfile inflates this).")
    # Own time summed per source file: which part of the compiler the time is spent in.
    stats = pstats.Stats(profiler)
    per_file: dict[str, float] = {}
    for (filename, _, _), (_, _, tottime, _, _) in stats.stats.items():  # type: ignore[attr-defined]
        path = Path(filename)
        if "jitcore" in path.parts:
            label = "/".join(path.parts[path.parts.index("jitcore"):])
        elif filename == "~":
            label = "C builtins (isinstance, min, set/list/dict methods, ...)"
        elif filename.startswith("<"):
            label = "generated code " + filename
        else:
            label = "stdlib " + path.name
        per_file[label] = per_file.get(label, 0.0) + tottime
    total = sum(per_file.values()) or 1.0
    rows = [[label, f"{t / count * 1e6:.0f}", f"{100 * t / total:.1f}%"]
            for label, t in sorted(per_file.items(), key=lambda kv: -kv[1])[:15]]
    report.note("Own time per source file (µs per compile under cProfile):")
    report.table(["file", "µs per compile", "share"], rows)
    texts = []
    for key, title in (("tottime", "by own time (tottime)"), ("cumulative", "by cumulative time")):
        buf = io.StringIO()
        stats = pstats.Stats(profiler, stream=buf).strip_dirs().sort_stats(key)
        stats.print_stats(25 if key == "tottime" else 30)
        text = buf.getvalue()
        text = text[text.index("   ncalls"):] if "   ncalls" in text else text
        report.note(f"Top functions {title}:")
        report.code(text)
        texts.append(text)
    return "\n".join(texts)


# ---------------------------------------------------------------------------
# 4. Import time, 5. End to end (subprocesses)
# ---------------------------------------------------------------------------


def wall(cmd: list[str], env: dict[str, str], repeat: int, cwd: str | None = None
         ) -> tuple[float | None, subprocess.CompletedProcess]:
    best, out = None, None
    for _ in range(repeat):
        start = time.perf_counter()
        out = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=cwd, timeout=600)
        elapsed = time.perf_counter() - start
        if out.returncode != 0:
            return None, out
        best = elapsed if best is None else min(best, elapsed)
    return best, out  # type: ignore[return-value]


def importtime_us(module: str, env: dict[str, str]) -> int | None:
    """Cumulative µs of `import module` as `python -X importtime` reports it."""
    out = subprocess.run([sys.executable, "-X", "importtime", "-c", f"import {module}"],
                         capture_output=True, text=True, env=env, timeout=300)
    if out.returncode != 0:
        return None
    for line in out.stderr.splitlines():
        parts = [p.strip() for p in line.split("|")]
        if len(parts) == 3 and parts[2] == module:
            return int(parts[1])
    return None


def bytecode_env(env: dict[str, str], prefix: str, write: bool) -> dict[str, str]:
    """env with .pyc files read from (and, if `write`, written to) the folder `prefix` only.

    The runner owns that cache, so that "warm" (bytecode cached, as after a pip
    install) and "cold" (every module compiled from source) imports are both
    measured whatever PYTHONDONTWRITEBYTECODE says, and the source tree is not
    written to."""
    env = dict(env, PYTHONPYCACHEPREFIX=prefix)
    if write:
        env.pop("PYTHONDONTWRITEBYTECODE", None)
    else:
        env["PYTHONDONTWRITEBYTECODE"] = "1"
    return env


def package_dir(module: str, ctx: dict[str, Any]) -> str:
    mod = ctx["numba"] if module == "numba" else __import__(module)
    return str(Path(mod.__file__).resolve().parent)


def bench_import(report: Report, ctx: dict[str, Any]) -> dict[str, Any]:
    repeat = 2 if ctx["quick"] else 5
    base_env = jitcore_env()
    warm = bytecode_env(base_env, ctx["pycache"], write=True)
    report.heading("5. Import time")
    report.note(f"Wall clock of `python -c \"import M\"` in a fresh process, best of {repeat} "
                "interleaved rounds; "
                "`net` subtracts `python -c pass`. `warm`: every .pyc cached, as after an "
                "install; `cold`: the package's own .pyc files missing (the rest cached), as on "
                "the first run from a fresh checkout, or on every run with "
                "PYTHONDONTWRITEBYTECODE=1. `-X importtime`: the cumulative time the "
                "interpreter reports for the top-level import (warm, one run).")
    modules = ["jitcore"] + (["numba"] if ctx["numba"] is not None else [])
    # Fill the cache: the interpreter's own startup modules and each module measured.
    for code in ["pass"] + [f"import {m}" for m in modules]:
        subprocess.run([sys.executable, "-c", code], env=warm, capture_output=True, timeout=600)
    runs: dict[str, tuple[list[str], dict[str, str]]] = {
        "base": ([sys.executable, "-c", "pass"], warm)}
    for module in modules:
        # The warm cache less the package's own bytecode (the cache mirrors absolute paths).
        cold_dir = ctx["pycache"] + "-cold-" + module
        shutil.copytree(ctx["pycache"], cold_dir)
        shutil.rmtree(cold_dir + package_dir(module, ctx), ignore_errors=True)
        cmd = [sys.executable, "-c", f"import {module}"]
        runs[module] = (cmd, warm)
        runs[module + " cold"] = (cmd, bytecode_env(base_env, cold_dir, write=False))
    # Interleaved rounds, best of `repeat` each, so that a noisy moment hits every command.
    best: dict[str, float | None] = {}
    failed: dict[str, str] = {}
    for _ in range(repeat):
        for key, (cmd, env) in runs.items():
            if key in failed:
                continue
            t, proc = wall(cmd, env, 1)
            if t is None:
                failed[key] = proc.stderr.strip()[-300:]
                best[key] = None
            else:
                best[key] = t if best.get(key) is None else min(best[key], t)  # type: ignore
    base = best["base"]
    rows = [["python -c pass", ms(base), "", "", "", ""]]
    out: dict[str, Any] = {"baseline": base}
    for module in modules:
        t, tc = best[module], best[module + " cold"]
        if t is None or tc is None:
            why = failed.get(module) or failed.get(module + " cold")
            ctx["problems"].append(f"import {module} failed: {why}")
            rows.append([f"import {module}", "failed", "", "", "", ""])
            continue
        it = importtime_us(module, warm)
        out[module] = {"warm": t, "warm_net": t - (base or 0), "cold": tc,
                       "cold_net": tc - (base or 0), "importtime_us": it}
        rows.append([f"import {module}", ms(t), ms(t - (base or 0)), ms(tc), ms(tc - (base or 0)),
                     ms(it / 1e6) if it is not None else "—"])
    report.table(["command", "warm ms", "warm net", "cold ms", "cold net", "-X importtime ms"],
                 rows)
    out["decorate_100"] = decorate_100(warm, repeat, ctx)
    if out["decorate_100"] is not None:
        report.note(f"`@jit` on 100 functions (a fresh process, jitcore imported, best of {repeat}): "
                    f"{ms(out['decorate_100'])} ms in all; decorating compiles nothing and "
                    "imports nothing more (the first call does).")
    return out


DECORATE_100 = """
import time
import jitcore
ns = {}
exec("\\n".join(f"def f{i}(a, b):\\n    return a * b + {i}" for i in range(100)), ns)
funcs = [ns[f"f{i}"] for i in range(100)]
start = time.perf_counter()
jitted = [jitcore.jit(f) for f in funcs]
print(time.perf_counter() - start)
"""


def decorate_100(env: dict[str, str], repeat: int, ctx: dict[str, Any]) -> float | None:
    """Seconds that @jit takes on 100 functions in a fresh process (best of `repeat`)."""
    best = None
    for _ in range(repeat):
        proc = subprocess.run([sys.executable, "-c", DECORATE_100], capture_output=True, text=True,
                              env=env, timeout=300)
        if proc.returncode != 0:
            ctx["problems"].append(f"@jit on 100 functions failed: {proc.stderr.strip()[-300:]}")
            return None
        t = float(proc.stdout)
        best = t if best is None else min(best, t)
    return best


# The end-to-end runs: full, short, and short with the JITs' code caches
# (jitcore and numba only: CPython has its .pyc files in every run).
E2E_SIZES = ("full", "short", "short cached")


def bench_e2e(report: Report, ctx: dict[str, Any]) -> dict[str, Any]:
    repeat = 1 if ctx["quick"] else 9  # (a short process is at the mercy of a busy machine)
    env = bytecode_env(jitcore_env(), ctx["pycache"], write=True)  # .pyc cached, as installed
    # code caches of their own (not next to the script, which may be installed read-only)
    cached_env = dict(env, JITCORE_CACHE_DIR=ctx["pycache"] + "-jitcore-cache",
                      NUMBA_CACHE_DIR=ctx["pycache"] + "-numba-cache")
    script = str(BENCH_DIR / "e2e_script.py")
    report.heading("6. End to end")
    report.note("`benchmarks/e2e_script.py`: a fresh process imports the JIT, decorates four "
                "kernels (collatz, fib, primes, a Mandelbrot row), runs a small workload and "
                "prints a checksum; `short`: the same with a tenth of the work, a script where "
                "start-up (import, decoration, compiles) weighs most; `short, cached`: the short "
                "script with `cache=True` on the kernels, run again after a first run wrote "
                "the code cache (as .pyc files are, in every run). Wall clock of the whole "
                f"process, best of {repeat} interleaved rounds after one unmeasured run (so .pyc "
                "files and code caches are written).")
    engines = [("CPython (no JIT)", [sys.executable, script, "python"], env),
               ("jitcore", [sys.executable, script, "jitcore"], env)]
    if ctx["numba"] is not None:
        engines.append(("numba", [sys.executable, script, "numba"], env))
    if ctx["pypy"] is not None:
        engines.append(("PyPy (no decorator)", [ctx["pypy"], script, "python"],
                        bytecode_env(dict(os.environ, PYTHONPATH=""), ctx["pycache"] + "-pypy",
                                     write=True)))
    runs = []
    for size in E2E_SIZES:
        for label, cmd, run_env in engines:
            if size == "short cached" and label not in ("jitcore", "numba"):
                continue
            runs.append((label, size, cmd + size.split(), cached_env if "cached" in size else run_env))
    best: dict[tuple[str, str], float] = {}
    every: dict[tuple[str, str], list[float]] = {}
    checksums: dict[tuple[str, str], str] = {}
    failed: set[tuple[str, str]] = set()
    for _, _, cmd, run_env in runs:
        subprocess.run(cmd, env=run_env, capture_output=True, timeout=600)  # caches .pyc, code
    # Interleaved rounds, so that a noisy moment hits every engine.
    for _ in range(repeat):
        for label, size, cmd, run_env in runs:
            if (label, size) in failed:
                continue
            t, proc = wall(cmd, run_env, 1)
            if t is None:
                ctx["problems"].append(f"end to end {label} ({size}) failed: "
                                       f"{proc.stderr.strip()[-300:]}")
                failed.add((label, size))
                continue
            if proc.stderr.strip():
                ctx["problems"].append(f"end to end {label} ({size}) wrote to stderr: "
                                       f"{proc.stderr.strip()[:300]}")
            checksums[label, size] = proc.stdout.strip()
            best[label, size] = min(t, best.get((label, size), t))
            every.setdefault((label, size), []).append(t)
    rows, out = [], {}
    for label, _, _ in engines:
        row = [label]
        for size in E2E_SIZES:
            t = best.get((label, size))
            base = best.get(("CPython (no JIT)", size.split()[0]))
            expected = checksums.get(("CPython (no JIT)", size.split()[0]))
            if checksums.get((label, size), expected) != expected:
                ctx["mismatches"].append(f"end to end {label} ({size}): checksum "
                                         f"{checksums[label, size]} != {expected}")
            if (label, size) in failed:
                row += ["failed", ""]
            elif t is None:
                row += ["—", ""]
            else:
                row += [ms(t), ratio(div(base, t))]
            out[label if size == "full" else f"{label} {size}"] = t
        rows.append(row)
    report.table(["engine", "wall ms", "speedup vs CPython", "short: wall ms", "short: speedup",
                  "short, cached: wall ms", "short, cached: speedup"], rows)
    if repeat > 1:
        medians = ", ".join(f"{label} ({size}) {ms(sorted(ts)[len(ts) // 2])}"
                            for (label, size), ts in every.items() if size != "full")
        report.note(f"Medians over the rounds: {medians}.")
    return out


# ---------------------------------------------------------------------------
# Chart
# ---------------------------------------------------------------------------


def write_chart(path: str, kernel_data: dict[str, Any], cases: list[Any] | None = None,
                title: str = "steady-state speedup over CPython") -> str:
    """A bar chart of each engine's speedup over CPython for `cases` (section 1's by default)."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except Exception as exc:
        return f"chart skipped: cannot import matplotlib ({type(exc).__name__}: {exc})"
    names = [c[0] for c in (cases if cases is not None else kernels.CASES)] + ["geomean"]
    engines = [(e, label) for e, label in (("jitcore", "jitcore"), ("numba", "numba"),
                                            ("pypy", "PyPy")) if e in kernel_data]
    fig, ax = plt.subplots(figsize=(max(9, len(names) * 0.95), 4.5))
    width = 0.8 / len(engines)
    for i, (engine, label) in enumerate(engines):
        values = []
        for name in names[:-1]:
            py = kernel_data["cpython"][name].get("best")
            m = kernel_data[engine].get(name, {})
            values.append(py / m["best"] if "best" in m and py else 0.0)
        values.append(geomean(values) or 0.0)
        positions = [j + (i - (len(engines) - 1) / 2) * width for j in range(len(names))]
        bars = ax.bar(positions, values, width, label=label)
        ax.bar_label(bars, labels=[f"{v:.0f}" if v >= 10 else f"{v:.1f}" for v in values],
                     fontsize=7)
    ax.set_xticks(range(len(names)), names, rotation=20 if len(names) > 8 else 0, fontsize=8)
    ax.set_yscale("log")
    ax.axhline(1.0, color="grey", linewidth=0.8)
    ax.set_ylabel("speedup vs CPython (log scale)")
    ax.set_title(f"jitcore benchmark: {title} {platform.python_version()}")
    ax.set_ylim(top=ax.get_ylim()[1] * 3)
    ax.legend(loc="upper left", ncols=len(engines))
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return f"chart written to {path}"


# ---------------------------------------------------------------------------
# Main
# ---------------------------------------------------------------------------


# --only's names for the sections, in the order they run.
SECTIONS = ["kernels", "buffers", "numpy", "calls", "compile", "scaling", "import", "e2e"]


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.run",
                                     description="jitcore against CPython, numba and PyPy.")
    parser.add_argument("--quick", action="store_true",
                        help="small sizes and few repeats: a smoke run of every section")
    parser.add_argument("--markdown", metavar="PATH", help="also write the tables as Markdown")
    parser.add_argument("--chart", metavar="PATH", help="write a PNG bar chart of section 1's "
                                                        "speedups (needs matplotlib)")
    parser.add_argument("--numpy-chart", metavar="PATH",
                        help="write a PNG bar chart of section 1c's speedups (NumPy kernels)")
    parser.add_argument("--only", metavar="SECTIONS", default=None,
                        help="run only these sections, comma-separated, of: " + ", ".join(SECTIONS))
    parser.add_argument("--json", metavar="PATH", help="write the raw measurements as JSON")
    parser.add_argument("--profile", metavar="N", type=int, default=0,
                        help="also cProfile N compiles of the compile-latency function")
    parser.add_argument("--repeat", metavar="K", type=int, default=None,
                        help="timed calls per kernel after the warm-up (default 5, 2 with --quick)")
    parser.add_argument("--no-numba", action="store_true", help="do not try numba")
    parser.add_argument("--no-pypy", action="store_true", help="do not try PyPy")
    parser.add_argument("--pypy", metavar="NAME", default="pypy3",
                        help="the PyPy executable to look for on PATH (default pypy3)")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    started = time.perf_counter()
    if os.environ.get("JITCORE_DISABLE", "") not in ("", "0"):
        print("warning: JITCORE_DISABLE is set: @jit returns functions unchanged, so the "
              "'jitcore' numbers are CPython's", file=sys.stderr)
    import jitcore

    numba, numba_version = load_numba(not args.no_numba)
    pypy, pypy_version = find_pypy(not args.no_pypy, args.pypy)
    ctx: dict[str, Any] = {"quick": args.quick, "repeat": args.repeat or (2 if args.quick else 5),
                           "numba": numba, "pypy": pypy, "problems": [], "mismatches": []}
    report = Report()
    report.heading("Machine")
    machine = {
        "date": datetime.datetime.now().astimezone().isoformat(timespec="seconds"),
        "nproc": nproc(),
        "cpu": cpu_model(),
        "platform": platform.platform(),
        "cpython": sys.version.replace("\n", " "),
        "jitcore": f"{jitcore.__version__} ({Path(jitcore.__file__).resolve().parent})",
        "numba": numba_version,
        "pypy": pypy_version,
        "mode": "--quick (smoke run: sizes too small for meaningful ratios)" if args.quick
        else "full",
    }
    report.table(["what", "value"], [[k, str(v)] for k, v in machine.items()], left=2)
    results: dict[str, Any] = {"machine": machine}
    only = set(SECTIONS if args.only is None else args.only.split(","))
    if not only <= set(SECTIONS):
        print(f"--only: unknown sections {sorted(only - set(SECTIONS))}", file=sys.stderr)
        return 2
    sections = [("kernels", "kernels", bench_kernels), ("buffers", "buffer_kernels", bench_buffer_kernels),
                ("numpy", "numpy_kernels", bench_numpy_kernels), ("calls", "calls", bench_calls),
                ("compile", "compile", bench_compile), ("scaling", "compile_scaling", bench_compile_scaling)]
    for name, key, bench in sections:
        if name in only:
            results[key] = bench(report, ctx)
    with tempfile.TemporaryDirectory(prefix="jitcore-bench-") as tmp:
        ctx["pycache"] = os.path.join(tmp, "pycache")
        if "import" in only:
            results["import"] = bench_import(report, ctx)
        if "e2e" in only:
            results["e2e"] = bench_e2e(report, ctx)
    if args.profile > 0:
        results["profile"] = profile_compile(report, ctx, args.profile)

    report.heading("Problems")
    if ctx["problems"] or ctx["mismatches"]:
        for p in ctx["mismatches"]:
            report.note(f"- MISMATCH: {p}")
        for p in ctx["problems"]:
            report.note(f"- {p}")
    else:
        report.note("none: every kernel compiled natively with jitcore and every engine's "
                    "results equal CPython's.")
    results["problems"] = ctx["problems"]
    results["mismatches"] = ctx["mismatches"]
    if args.chart and results.get("kernels"):
        print(write_chart(args.chart, results["kernels"]))
    if args.numpy_chart and results.get("numpy_kernels"):
        print(write_chart(args.numpy_chart, results["numpy_kernels"], kernels.NUMPY_CASES,
                          "loops over NumPy arrays, speedup over CPython"))
    if args.markdown:
        Path(args.markdown).write_text(report.markdown())
        print(f"markdown written to {args.markdown}")
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=1, default=str))
        print(f"json written to {args.json}")
    print(f"\nbenchmark run took {time.perf_counter() - started:.1f} s")
    return 1 if ctx["mismatches"] else 0


if __name__ == "__main__":
    sys.exit(main())
