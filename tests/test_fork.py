"""fork() at the @jit level: jitted code keeps working in parent and child, and both compile more.

test_runtime.py forks around raw CodeBlocks; here whole jitted functions are
involved (code memory, the cells native calls go through, result buffers, the C
fast path's tables). A parent compiles and runs a few hundred generated
functions, drops some, and forks. Then, in turns, so that each side writes code
while the other holds code compiled before the fork:

  child   checks the old functions, compiles new functions (distinct code objects)
          and a new signature of old ones, checks them, and signals;
  parent  compiles new functions, drops the first half of the old ones (the child
          still uses them), compiles more (they may land where the dropped ones
          were), and signals;
  child   drops the second half of the old ones (the parent still uses them),
          compiles more, checks everything it still holds, reports through a
          pipe and exits;
  parent  checks everything it still holds, then waits for the child.

Every call is compared with the plain CPython function built from the same
source (conftest's comparison). Under the dual-mapping strategy the pre-fork code
pages are shared memory: a process writing new code into them would change the
other's code, which these checks would see as wrong answers (or as a crash: the
child's wait status must be a normal exit with status 0). Neither process may
have a writable+executable mapping. This runs in a fresh interpreter each time,
with the default strategy and with the dual mapping forced.

The multiprocessing test uses the 'fork' start method with jitted functions from
the module fork_helpers, which the workers compile after the fork.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

import fork_helpers
import pytest

LINUX = sys.platform.startswith("linux")
pytestmark = pytest.mark.skipif(not (hasattr(os, "fork") and LINUX),
                                reason="needs os.fork and /proc/self/maps")
TESTS_DIR = os.path.dirname(os.path.abspath(__file__))

SCRIPT = r'''
import gc, json, math, os, sys, warnings
from conftest import outcome, same_outcome, show_outcome
from jitcore import JitWarning, jit
from jitcore.runtime import force_strategy, strategy

warnings.simplefilter("ignore", JitWarning)  # float signatures of int code may run in CPython
MODE = sys.argv[1]
if MODE != "auto":
    force_strategy(MODE)

# Four shapes of function; {k} makes every one a distinct code object.
TEMPLATES = [
    """
def generated(a, b):
    s = {k}
    for i in range(a % 16):
        s = s * 3 + (b ^ i) - {k}
    return s
""",
    """
def generated(x, y):
    if x > y:
        return math.sqrt(abs(x) + {k}.5) * y - x / (y + {k}.25)
    return x * {k} - y, x < y
""",
    """
def generated(a, b):
    q, r = divmod(a, b + {k})
    return q, r, a > b, float(b) * 0.5
""",
    """
def generated(n, acc):
    if n <= 0:
        return acc
    return generated(n - 1, acc + {k})
""",
]
E = 2**63 - 1
ARGS = [
    [(3, 4), (0, 0), (15, -7), (E, E), (-E - 1, 5), (7, -E - 1), (31, 2**62)],
    [(3, 4), (4, 3), (0, 0), (E, -1), (-E - 1, E), (5, -5), (2**40, 3)],
    [(3, 4), (100, 7), (-100, 7), (5, -5), (-E - 1, -2), (E, 0), (0, -1000)],
    [(0, 0), (10, 5), (40, -E - 1), (3, E), (25, E - 100), (1, 2)],
]
# new signatures of old functions, compiled after the fork (none recursing without end:
# RecursionError messages are test_bad_input.py's business)
FLOAT_ARGS = [(2.5, 3), (1.5, -0.0), (2, float("nan")), (3, float("inf")), (0.5, 2.0),
              (float("-inf"), 1.0)]


def build(t, k, decorate):
    namespace = {"math": math}
    exec(compile(TEMPLATES[t].format(k=k), f"<generated {t} {k}>", "exec"), namespace)
    namespace["generated"] = decorate(namespace["generated"])  # recursion reaches it
    return namespace["generated"]


class Side:
    def __init__(self, name):
        self.name, self.errors, self.calls, self.programs = name, [], 0, 0

    def batch(self, start, count):
        """count new functions, compiled by their first call (checked right away)."""
        made = []
        for k in range(start, start + count):
            t = k % len(TEMPLATES)
            made.append((build(t, k, jit), build(t, k, lambda f: f), t, k))
        self.programs += count
        self.check(made, f"new {start}")
        for jitted, _, t, k in made:
            if (int, int) not in jitted.signatures:
                self.errors.append(f"{self.name}: {k} not compiled natively: {jitted.failure}")
        return made

    def check(self, functions, label, arg_lists=None):
        for jitted, plain, t, k in functions:
            for args in (arg_lists or ARGS[t]):
                expected = outcome(plain, args)
                for _ in range(2):  # the first call may compile, the second is the fast path
                    actual = outcome(jitted, args)
                    self.calls += 1
                    if not same_outcome(expected, actual) and len(self.errors) < 30:
                        self.errors.append(
                            f"{self.name} {label}: template {t} k={k} {args!r}: jitcore "
                            f"{show_outcome(actual)}, CPython {show_outcome(expected)}")

    def no_wx(self):
        with open("/proc/self/maps") as maps:
            wx = [l.strip() for l in maps if "w" in l.split()[1] and "x" in l.split()[1]]
        if wx:
            self.errors.append(f"{self.name}: writable+executable mappings: {wx[:5]}")

    def report(self):
        return {"errors": self.errors, "calls": self.calls, "programs": self.programs,
                "strategy": strategy()}


parent = Side("parent")
old = parent.batch(0, 400)
dropped = old[::4]
old = [f for i, f in enumerate(old) if i % 4]  # holes in the pre-fork code pages
del dropped
gc.collect()
half = len(old) // 2
to_parent_r, to_parent_w = os.pipe()
to_child_r, to_child_w = os.pipe()
pid = os.fork()
if pid == 0:
    os.close(to_child_w)
    os.close(to_parent_r)
    try:
        child = Side("child")
        child.check(old, "old, before anything")
        new1 = child.batch(100_000, 300)
        child.check(old[::7], "old, new signatures", FLOAT_ARGS)
        child.no_wx()
        os.write(to_parent_w, b"1")
        os.read(to_child_r, 1)          # the parent has compiled, dropped, compiled again
        child.check(old, "old, after the parent wrote code")
        del old[half:]                  # the parent still runs these
        gc.collect()
        new2 = child.batch(200_000, 300)
        child.check(old + new1 + new2, "everything, at the end")
        child.no_wx()
        report = child.report()
    except BaseException as exc:        # report it, never fall into the parent's code
        report = {"errors": [f"child raised {type(exc).__name__}: {exc}"], "calls": 0,
                  "programs": 0, "strategy": "?"}
    with os.fdopen(to_parent_w, "w") as out:
        json.dump(report, out)
    os._exit(1 if report["errors"] else 0)

os.close(to_parent_w)
os.close(to_child_r)
first = os.read(to_parent_r, 1)         # the child has compiled (or failed: its report)
new1 = parent.batch(300_000, 300)
del old[:half]                          # the child still runs these
gc.collect()
new2 = parent.batch(400_000, 300)
parent.check(old[::5], "old, new signatures", FLOAT_ARGS)
parent.no_wx()
os.write(to_child_w, b"1")
with os.fdopen(to_parent_r) as inp:
    text = inp.read()                   # until the child has closed its end
if first != b"1":
    text = first.decode() + text
parent.check(old + new1 + new2, "everything, after the child wrote code")
parent.no_wx()
_, status = os.waitpid(pid, 0)
print(json.dumps({"parent": parent.report(), "child": json.loads(text) if text else None,
                  "child_exited": os.WIFEXITED(status),
                  "child_status": os.WEXITSTATUS(status) if os.WIFEXITED(status) else None,
                  "child_signal": os.WTERMSIG(status) if os.WIFSIGNALED(status) else None}))
'''


def run_script(script: str, *args: str, timeout: float = 300) -> subprocess.CompletedProcess:
    """A fresh interpreter that imports this jitcore and this folder's helpers."""
    import jitcore

    pkg_parent = os.path.dirname(os.path.dirname(os.path.abspath(jitcore.__file__)))
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([TESTS_DIR, pkg_parent, env.get("PYTHONPATH", "")])
    return subprocess.run([sys.executable, "-c", textwrap.dedent(script), *args], env=env,
                          capture_output=True, text=True, timeout=timeout, cwd=TESTS_DIR)


def available(mode: str) -> None:
    from jitcore import runtime
    from jitcore.runtime import ExecMemError

    if mode == "auto":
        return
    try:
        runtime.force_strategy(mode)
    except ExecMemError as exc:
        pytest.skip(f"strategy {mode} is not available on this machine: {exc}")
    finally:
        runtime.force_strategy("auto")


@pytest.mark.parametrize("mode", ["auto", "dualmap"])
def test_fork_parent_and_child_compile_new_functions(mode):
    available(mode)
    proc = run_script(SCRIPT, mode)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    child, parent = result["child"], result["parent"]
    assert result["child_signal"] is None, f"the child died of signal {result['child_signal']}"
    assert child is not None, "the child reported nothing"
    assert child["errors"] == []
    assert parent["errors"] == []
    assert (result["child_exited"], result["child_status"]) == (True, 0)
    assert child["programs"] == 600 and parent["programs"] == 1000
    assert child["calls"] > 10_000 and parent["calls"] > 10_000
    if mode == "dualmap":
        assert parent["strategy"].startswith("dualmap") and child["strategy"] == parent["strategy"]
    else:
        assert child["strategy"] == parent["strategy"] != "none"


def check_pool_result(result: dict) -> None:
    assert result["problems"] == []
    # the workers compiled what the parent had not compiled before the fork...
    assert result["compiled_in_worker"] == ["collatz_steps", "mix"]
    assert result["parent_signatures_after_pool"] == {"collatz_steps": [], "mix": [],
                                                      "fib": [["int"]]}
    # ...and so did the parent afterwards
    assert result["native_at_end"] == {"collatz_steps": True, "mix": True, "fib": True}
    assert result["worker_pids"] == 2
    assert result["wx"] == []


def test_multiprocessing_fork_workers_compile_after_the_fork():
    """In this (pytest's) process: a 'fork' pool of two workers."""
    check_pool_result(fork_helpers.pool_check(processes=2))


POOL_SCRIPT = r'''
import json, sys
from jitcore.runtime import force_strategy, strategy
force_strategy(sys.argv[1])
import fork_helpers
result = fork_helpers.pool_check(processes=2)
result["strategy"] = strategy()
print(json.dumps(result))
'''


@pytest.mark.parametrize("mode", ["auto", "dualmap"])
def test_multiprocessing_fork_in_a_fresh_interpreter(mode):
    available(mode)
    proc = run_script(POOL_SCRIPT, mode)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    check_pool_result(result)
    if mode == "dualmap":
        assert result["strategy"].startswith("dualmap")


FORK_WHILE_COMPILING = r'''
import json, os, signal, threading, time, warnings
from jitcore import jit

warnings.simplefilter("ignore", DeprecationWarning)  # fork() with threads (3.12+)
SOURCE = """
def f{k}(a, b):
    s = {k}
    for i in range(a % 64):
        s = (s * 31 + b * i) % 1000003
    return s
"""


def fresh(k):
    namespace = {}
    exec(SOURCE.format(k=k), namespace)
    return namespace[f"f{k}"]


stop = False
compiled = [0]


def compile_forever():
    k = 0
    while not stop:
        k += 1
        f = fresh(k)
        assert jit(strict=True)(f)(50, 7) == f(50, 7)
        compiled[0] += 1


worker = threading.Thread(target=compile_forever, daemon=True)
worker.start()
while compiled[0] < 5:
    time.sleep(0.001)
outcomes = []
for n in range(20):
    time.sleep(0.003 * (n % 5))  # fork at varying points of the worker's compiles
    pid = os.fork()
    if pid == 0:
        try:
            f = fresh(10**6 + n)
            ok = jit(strict=True)(f)(63, n) == f(63, n)
        except BaseException:
            ok = False
        os._exit(0 if ok else 1)
    deadline = time.monotonic() + 30
    while True:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            outcomes.append(os.waitstatus_to_exitcode(status))
            break
        if time.monotonic() > deadline:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
            outcomes.append("hung")
            break
        time.sleep(0.01)
stop = True
worker.join()
print(json.dumps(dict(outcomes=outcomes, compiled_by_worker=compiled[0])))
'''


def test_fork_while_another_thread_compiles():
    # The child of a fork made while another thread holds the compile lock
    # once hung forever on its first compile (20 forks out of 20).
    proc = run_script(FORK_WHILE_COMPILING, timeout=900)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    assert result["outcomes"] == [0] * 20, result
    assert result["compiled_by_worker"] > 5


WRITABLE_VIEW = r'''
import json, os
from jitcore import jit
from jitcore.runtime import force_strategy, strategy
force_strategy("dualmap")


@jit(strict=True)
def f(a, b):
    return a * b


assert f(6, 7) == 42
address = f.compile().block.address


def views():
    """[permissions, start address] of every mapping of the file behind f's code."""
    lines = [line.split() for line in open("/proc/self/maps").read().splitlines()]
    backing = None
    for parts in lines:
        low, high = (int(x, 16) for x in parts[0].split("-"))
        if low <= address < high:
            backing = (parts[3], parts[4])  # device and inode
    return sorted([parts[1], int(parts[0].split("-")[0], 16)] for parts in lines
                  if (parts[3], parts[4]) == backing)


parent = views()
read, write = os.pipe()
pid = os.fork()
if pid == 0:
    report = dict(views=views(), ok=f(6, 7) == 42 and jit(lambda a: a + 1)(41) == 42)
    os.write(write, json.dumps(report).encode())
    os._exit(0)
os.close(write)
child = json.loads(os.read(read, 65536))
_, status = os.waitpid(pid, 0)
print(json.dumps(dict(strategy=strategy(), parent=parent, child=child, status=status,
                      parent_ok=f(6, 7) == 42)))
'''


def test_the_writable_view_is_inaccessible_far_away_and_not_inherited():
    # The dual mapping's writable view used to stay RW for the life of the
    # code, 0x10000 above it, and to survive fork: a child wrote through it
    # into the shared pages and the parent's f(6, 7) returned 1337.
    available("dualmap")
    proc = run_script(WRITABLE_VIEW)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    assert result["strategy"].startswith("dualmap")
    # the writable view has no access outside a write, the code is R+X
    assert [perm for perm, _ in result["parent"]] == ["---s", "r-xs"], result
    (_, view), (_, code) = result["parent"]
    assert abs(view - code) > 2**32, result  # not next to the code: at a random address
    assert [perm for perm, _ in result["child"]["views"]] == ["r-xs"], result  # the code only
    assert result["child"]["ok"] and result["parent_ok"] and result["status"] == 0


FORK_WITH_THE_WATCHDOG = r'''
import os, sys, threading, time, warnings
from jitcore import jit

warnings.simplefilter("always", DeprecationWarning)  # 3.12+ warns of threads at fork

@jit(strict=True)
def spin(n):
    t = 0
    for i in range(n):
        t = (t + i) % 1000003
    return t


def threads():
    with open("/proc/self/status") as status:
        return int(next(line for line in status if line.startswith("Threads:")).split()[1])


def others_run_meanwhile():
    """A thread runs a long native loop with the GIL held; this thread gets
    turns meanwhile only if the loop's polls let the GIL go, which the
    watchdog times."""
    done = threading.Event()
    worker = threading.Thread(target=lambda: (spin(300_000_000), done.set()))
    worker.start()
    turns = 0
    while not done.is_set():
        turns += 1
        time.sleep(0.001)
    worker.join()
    return turns


spin(1000)  # native code polled: jitcore's watchdog thread runs
before = threads()
pid = os.fork()
if pid == 0:
    os._exit(0 if others_run_meanwhile() >= 3 else 1)
after = threads()
_, status = os.waitpid(pid, 0)
print(before, after, os.waitstatus_to_exitcode(status), others_run_meanwhile() >= 3)
'''


def test_a_fork_finds_no_thread_of_jitcores_and_both_sides_start_their_own():
    """The watchdog (csrc/poll.c) is stopped before fork(): the process forks
    with its own threads only (CPython 3.12+ would warn of any other, and a
    thread at fork risks the child), and parent and child each start a new
    one, which keeps handing the GIL round while native loops hold it."""
    proc = run_script(FORK_WITH_THE_WATCHDOG)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert proc.stdout.split() == ["2", "1", "0", "True"]
    assert "multi-threaded" not in proc.stderr
