"""Executable memory under hardened kernels, imitated with seccomp-BPF filters.

Each test starts a fresh interpreter, installs a filter in it (prctl from
ctypes; the filter cannot be removed, hence the subprocess), and then runs
jitcore there:

  wx       strict W^X: mmap/mprotect/pkey_mprotect with PROT_WRITE|PROT_EXEC
           fail                                  -> expect "mprotect"
  execmem  deny-execmem (SELinux): mprotect to PROT_EXEC fails, and so does
           anonymous PROT_EXEC mmap; file-backed PROT_EXEC still works
                                                 -> expect a dual mapping
  execmem-nomemfd  deny-execmem, and memfd_create fails too -> "dualmap-shm"
  noexec   every PROT_EXEC mmap/mprotect fails, file-backed too
                                                 -> ExecMemError naming every
                                                    strategy tried, no crash
  late     jitcore first runs with mprotect, then deny-execmem is switched on:
           new code falls back to a dual mapping, old code keeps running.

x86-64 syscall numbers: mmap 9, mprotect 10, pkey_mprotect 329, memfd_create
319; seccomp_data: nr at offset 0, arch at 4, args[i] at 16 + 8*i (low word).
"""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
import textwrap

import pytest

pytestmark = pytest.mark.skipif(
    not (sys.platform.startswith("linux") and platform.machine() in ("x86_64", "AMD64")),
    reason="the seccomp filters here are written for Linux x86-64 syscall numbers",
)

SCRIPT = r'''
import ctypes, json, os, struct, sys

MODE = sys.argv[1]

# ---- a seccomp-BPF filter, assembled by hand
LD_ABS_W, JEQ, JSET, RET = 0x20, 0x15, 0x45, 0x06
ALLOW, DENY = 0x7FFF0000, 0x00050000 | 13           # SECCOMP_RET_ERRNO | EACCES
AUDIT_ARCH_X86_64 = 0xC000003E
NR, ARCH, PROT, FLAGS = 0, 4, 16 + 8 * 2, 16 + 8 * 3
MMAP, MPROTECT, PKEY_MPROTECT, MEMFD_CREATE = 9, 10, 329, 319
PROT_WRITE, PROT_EXEC, MAP_ANONYMOUS = 2, 4, 0x20

def assemble(prog):
    """prog: list of (code, k, jt_label, jf_label) or label strings."""
    labels, insns = {}, []
    for item in prog:
        if isinstance(item, str):
            labels[item] = len(insns)
        else:
            insns.append(item)
    out = []
    for pc, (code, k, jt, jf) in enumerate(insns):
        rel = lambda lab: 0 if lab is None else labels[lab] - pc - 1
        out.append((code, rel(jt), rel(jf), k))
    return out

def filter_for(mode):
    p = [(LD_ABS_W, ARCH, None, None), (JEQ, AUDIT_ARCH_X86_64, None, "allow"),
         (LD_ABS_W, NR, None, None)]
    if mode == "wx":
        p += [(JEQ, MMAP, "prot_wx", None), (JEQ, MPROTECT, "prot_wx", None),
              (JEQ, PKEY_MPROTECT, "prot_wx", "allow"),
              "prot_wx", (LD_ABS_W, PROT, None, None), (JSET, PROT_WRITE, None, "allow"),
              (JSET, PROT_EXEC, "deny", "allow")]
    elif mode in ("execmem", "execmem-nomemfd"):
        if mode == "execmem-nomemfd":
            p += [(JEQ, MEMFD_CREATE, "deny", None)]
        p += [(JEQ, MPROTECT, "prot_x", None), (JEQ, PKEY_MPROTECT, "prot_x", None),
              (JEQ, MMAP, None, "allow"),
              (LD_ABS_W, PROT, None, None), (JSET, PROT_EXEC, None, "allow"),
              (LD_ABS_W, FLAGS, None, None), (JSET, MAP_ANONYMOUS, "deny", "allow"),
              "prot_x", (LD_ABS_W, PROT, None, None), (JSET, PROT_EXEC, "deny", "allow")]
    elif mode == "noexec":
        p += [(JEQ, MMAP, "prot_x", None), (JEQ, MPROTECT, "prot_x", None),
              (JEQ, PKEY_MPROTECT, "prot_x", "allow"),
              "prot_x", (LD_ABS_W, PROT, None, None), (JSET, PROT_EXEC, "deny", "allow")]
    else:
        raise SystemExit("unknown mode " + mode)
    p += ["allow", (RET, ALLOW, None, None), "deny", (RET, DENY, None, None)]
    return assemble(p)

class SockFilter(ctypes.Structure):
    _fields_ = [("code", ctypes.c_ushort), ("jt", ctypes.c_ubyte), ("jf", ctypes.c_ubyte),
                ("k", ctypes.c_uint32)]

class SockFprog(ctypes.Structure):
    _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.POINTER(SockFilter))]

def install(mode):
    insns = filter_for(mode)
    arr = (SockFilter * len(insns))(*[SockFilter(*i) for i in insns])
    prog = SockFprog(len(insns), arr)
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl.argtypes = [ctypes.c_int, ctypes.c_ulong, ctypes.c_ulong, ctypes.c_ulong,
                           ctypes.c_ulong]
    if libc.prctl(38, 1, 0, 0, 0) != 0:                       # PR_SET_NO_NEW_PRIVS
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_NO_NEW_PRIVS)")
    if libc.prctl(22, 2, ctypes.addressof(prog), 0, 0) != 0:  # PR_SET_SECCOMP, FILTER
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_SECCOMP)")

def wx_mappings():
    with open("/proc/self/maps") as f:
        return [l.strip() for l in f if "w" in l.split()[1] and "x" in l.split()[1]]

STORE_OK = bytes.fromhex("4889c231c0c3")  # mov rdx, rax (the result); xor eax, eax; ret
ADD_CHECKED = bytes.fromhex("488b07480347087006") + STORE_OK + bytes.fromhex("b801000000c3")
def const(v):
    return b"\x48\xb8" + struct.pack("<q", v) + STORE_OK

def exercise(rt, n=300):
    blocks = [rt.CodeBlock(const(i * 7)) for i in range(n)]
    add = rt.CodeBlock(ADD_CHECKED)
    big = rt.CodeBlock(b"\x90" * 100000 + const(-3))
    ok = all(b.call(()) == (0, i * 7) for i, b in enumerate(blocks))
    ok = ok and add.call([2, 40]) == (0, 42) and add.call([2**63 - 1, 1])[0] == 1
    ok = ok and big.call(()) == (0, -3) and add.read() == ADD_CHECKED
    for b in blocks[::2]:
        b.free()
    again = [rt.CodeBlock(const(-i)) for i in range(n)]
    ok = ok and all(b.call(()) == (0, -i) for i, b in enumerate(again))
    ok = ok and all(b.call(()) == (0, i * 7) for i, b in enumerate(blocks) if i % 2)
    return ok, blocks + again + [add, big]

result = {"mode": MODE}
if MODE == "noexec":
    # nothing can be mapped executable afterwards, not even extension modules:
    # the compiler (which imports some) loads first, as after a first compile
    # (tests/test_fallback.py: a compiler that cannot load)
    import jitcore.calls
    import jitcore.compiler
    import jitcore.runtime as rt
    install(MODE)
    try:
        rt.CodeBlock(const(1))
    except rt.ExecMemError as exc:
        result["error"] = str(exc)
    else:
        result["error"] = None
    result["strategy"] = rt.strategy()
    result["stats"] = rt.stats()
    # a jitted function runs in CPython, and one warning says why and what to do
    import warnings
    from jitcore import JitWarning, jit

    @jit
    def mul_add(a, b):
        return a * b + 1

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result["values"] = [mul_add(6, 7), mul_add(2**70, 2)]
    result["warnings"] = [str(w.message) for w in caught if issubclass(w.category, JitWarning)]
elif MODE == "late":
    import jitcore.runtime as rt
    result["first"] = rt.strategy()
    ok1, old = exercise(rt)
    install("execmem")
    ok2, new = exercise(rt)
    result["ok"] = ok1 and ok2 and all(b.call(())[0] == 0 for b in old if not b.freed)
    result["strategy"] = rt.strategy()
else:
    install(MODE)
    import jitcore.runtime as rt        # loading extension modules is file-backed: allowed
    result["strategy"] = rt.strategy()
    result["ok"], keep = exercise(rt)
result["wx"] = wx_mappings()
print(json.dumps(result))
'''


def run(mode: str) -> dict:
    import jitcore

    pkg_parent = os.path.dirname(os.path.dirname(os.path.abspath(jitcore.__file__)))
    env = dict(os.environ)
    env["PYTHONPATH"] = pkg_parent + os.pathsep + env.get("PYTHONPATH", "")
    proc = subprocess.run([sys.executable, "-c", textwrap.dedent(SCRIPT), mode], env=env,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, f"mode {mode}: exit {proc.returncode}\n{proc.stdout}\n{proc.stderr}"
    return json.loads(proc.stdout.strip().splitlines()[-1])


def test_strict_wx_uses_mprotect():
    r = run("wx")
    assert r["strategy"] == "mprotect"
    assert r["ok"]
    assert r["wx"] == []


def test_deny_execmem_uses_dual_mapping():
    r = run("execmem")
    assert r["strategy"] == "dualmap-memfd"
    assert r["ok"]
    assert r["wx"] == []


def test_deny_execmem_without_memfd_uses_shm():
    r = run("execmem-nomemfd")
    assert r["strategy"] == "dualmap-shm"
    assert r["ok"]
    assert r["wx"] == []


def test_refusal_after_first_use_falls_back():
    r = run("late")
    assert r["first"] == "mprotect"
    assert r["strategy"].startswith("dualmap")
    assert r["ok"]
    assert r["wx"] == []


def test_no_exec_anywhere_raises_execmemerror():
    r = run("noexec")
    msg = r["error"]
    assert msg is not None, "CodeBlock succeeded although no PROT_EXEC mapping is allowed"
    for tried in ("mprotect", "dualmap-memfd", "dualmap-shm", "dualmap-file"):
        assert tried in msg
    assert "Permission denied" in msg
    assert "allow execmem for this process" in msg  # what to do about it
    assert r["strategy"] == "none"
    assert r["stats"]["chunks"] == 0
    assert r["wx"] == []
    assert r["values"] == [43, 2**71 + 1]
    assert len(r["warnings"]) == 1, r["warnings"]
    assert "no executable memory" in r["warnings"][0]
    assert msg in r["warnings"][0]
