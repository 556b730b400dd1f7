"""jitcore.runtime / csrc: executable memory and native calls, on hand-assembled code.

Every machine-code snippet below is written out byte by byte, with its assembly
beside it (checked against capstone in test_snippets_disassemble).
"""

from __future__ import annotations

import gc
import os
import struct
import subprocess
import sys
import textwrap
import threading

import pytest

from jitcore import runtime
from jitcore.runtime import CHUNK_SIZE, CodeBlock, ExecMemError

INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1
INT_MAX = 2**31 - 1
LINUX = sys.platform.startswith("linux")

# ---------------------------------------------------------------- snippets
# entry ABI: rdi -> int64 args, rax = status (0 = ok), rdx = the int result
# (which jc_call stores in the result slot; rsi -> the slots, for tuples)

STORE_OK = bytes.fromhex(
    "4889c2"  # mov rdx, rax
    "31c0"  # xor eax, eax
    "c3"  # ret
)
ADD = bytes.fromhex(
    "488b07"  # mov rax, [rdi]
    "48034708"  # add rax, [rdi+8]
) + STORE_OK
SUB = bytes.fromhex(
    "488b07"  # mov rax, [rdi]
    "482b4708"  # sub rax, [rdi+8]
) + STORE_OK
OVERFLOW_STATUS_1 = bytes.fromhex(
    "b801000000"  # mov eax, 1
    "c3"  # ret
)
ADD_CHECKED = bytes.fromhex(
    "488b07"  # mov rax, [rdi]
    "48034708"  # add rax, [rdi+8]
    "7006"  # jo +6 (over STORE_OK)
) + STORE_OK + OVERFLOW_STATUS_1
IMUL_CHECKED = bytes.fromhex(
    "488b07"  # mov rax, [rdi]
    "480faf4708"  # imul rax, [rdi+8]
    "7006"  # jo +6
) + STORE_OK + OVERFLOW_STATUS_1
SUM_N = bytes.fromhex(  # args[0] = n, result = args[1] + ... + args[n]
    "488b0f"  # mov rcx, [rdi]
    "31c0"  # xor eax, eax
    "4885c9"  # test rcx, rcx
    "7409"  # jz done (+9)
    "480304cf"  # loop: add rax, [rdi+rcx*8]
    "48ffc9"  # dec rcx
    "75f7"  # jnz loop (-9)
) + STORE_OK  # done:


def const_code(value: int) -> bytes:
    """mov rax, imm64; mov rdx, rax; xor eax, eax; ret"""
    return b"\x48\xb8" + struct.pack("<q", value) + STORE_OK


def status_code(status: int) -> bytes:
    """mov rax, imm32 (sign-extended); ret"""
    return b"\x48\xc7\xc0" + struct.pack("<i", status) + b"\xc3"


def spin_code(value: int) -> bytes:
    """Loop args[0] times (>= 1), then return value."""
    return bytes.fromhex(
        "488b0f"  # mov rcx, [rdi]
        "48ffc9"  # loop: dec rcx
        "75fb"  # jnz loop (-5)
    ) + const_code(value)


def wrap64(x: int) -> int:
    return (x + 2**63) % 2**64 - 2**63


EDGES = [0, 1, -1, 2, -2, 7, 2**31 - 1, -(2**31), 2**32, 2**62, -(2**62), INT64_MAX, INT64_MIN,
         INT64_MAX - 1, INT64_MIN + 1, 3037000499, 3037000500, -3037000500]


# ---------------------------------------------------------------- helpers

def maps() -> list[tuple[str, str]]:
    """(perms, line) of every mapping of this process."""
    with open("/proc/self/maps") as f:
        return [(line.split()[1], line.rstrip("\n")) for line in f]


def wx_mappings() -> list[str]:
    return [line for perms, line in maps() if "w" in perms and "x" in perms]


def settle() -> None:
    """Let the garbage collector free blocks that other code dropped."""
    gc.collect()


def force_or_skip(name: str) -> None:
    try:
        runtime.force_strategy(name)
    except ExecMemError as exc:
        runtime.force_strategy("auto")
        pytest.skip(f"strategy {name} is not available on this machine: {exc}")


@pytest.fixture(params=["auto", "dualmap"] if LINUX else ["auto"])
def mode(request):
    """Run a test under the default strategy choice and under forced dual mapping."""
    force_or_skip(request.param)
    try:
        yield request.param
    finally:
        runtime.force_strategy("auto")


def run_script(script: str, *args: str, timeout: float = 120) -> subprocess.CompletedProcess:
    """Run a Python script in a fresh interpreter that imports this same jitcore."""
    import jitcore

    pkg_parent = os.path.dirname(os.path.dirname(os.path.abspath(jitcore.__file__)))
    env = dict(os.environ)
    env["PYTHONPATH"] = pkg_parent + os.pathsep + env.get("PYTHONPATH", "")
    return subprocess.run([sys.executable, "-c", textwrap.dedent(script), *args], env=env,
                          capture_output=True, text=True, timeout=timeout)


# ---------------------------------------------------------------- the snippets themselves

def test_snippets_disassemble():
    capstone = pytest.importorskip("capstone")
    md = capstone.Cs(capstone.CS_ARCH_X86, capstone.CS_MODE_64)
    md.syntax = capstone.CS_OPT_SYNTAX_INTEL

    def asm(code: bytes) -> list[str]:
        insns = list(md.disasm(code, 0x1000))
        assert sum(i.size for i in insns) == len(code), "undecodable bytes"
        return [f"{i.mnemonic} {i.op_str}".strip() for i in insns]

    assert asm(ADD) == ["mov rax, qword ptr [rdi]", "add rax, qword ptr [rdi + 8]",
                        "mov rdx, rax", "xor eax, eax", "ret"]
    assert asm(ADD_CHECKED)[2] == "jo 0x100f"  # -> mov eax, 1
    assert asm(ADD_CHECKED)[-2:] == ["mov eax, 1", "ret"]
    assert asm(IMUL_CHECKED)[1] == "imul rax, qword ptr [rdi + 8]"
    assert asm(SUM_N) == ["mov rcx, qword ptr [rdi]", "xor eax, eax", "test rcx, rcx",
                          "je 0x1013", "add rax, qword ptr [rdi + rcx*8]", "dec rcx",
                          "jne 0x100a", "mov rdx, rax", "xor eax, eax", "ret"]
    assert asm(const_code(-5))[0] == "movabs rax, 0xfffffffffffffffb"
    assert asm(status_code(-5)) == ["mov rax, 0xfffffffffffffffb", "ret"]
    assert asm(spin_code(1))[:3] == ["mov rcx, qword ptr [rdi]", "dec rcx", "jne 0x1003"]


# ---------------------------------------------------------------- calls

def test_strategy_is_known():
    assert runtime.strategy() in {"mprotect", "dualmap-memfd", "dualmap-shm", "dualmap-file"}


@pytest.mark.parametrize("a", EDGES)
def test_add_sub_wrap_like_int64(a):
    add, sub = CodeBlock(ADD), CodeBlock(SUB)
    for b in EDGES:
        assert add.call([a, b]) == (0, wrap64(a + b))
        assert sub.call((a, b)) == (0, wrap64(a - b))


def test_checked_ops_report_overflow_status():
    add, mul = CodeBlock(ADD_CHECKED), CodeBlock(IMUL_CHECKED)
    for a in EDGES:
        for b in EDGES:
            status, result = add.call([a, b])
            if INT64_MIN <= a + b <= INT64_MAX:
                assert (status, result) == (0, a + b)
            else:
                assert status == 1
            status, result = mul.call([a, b])
            if INT64_MIN <= a * b <= INT64_MAX:
                assert (status, result) == (0, a * b)
            else:
                assert status == 1


def test_many_arguments():
    block = CodeBlock(SUM_N)
    for n in (0, 1, 2, 10, 100, 1000):
        args = list(range(-n // 2, n - n // 2))
        assert block.call([n] + args) == (0, sum(args))
    assert block.call([3, INT64_MAX, 1, 0]) == (0, INT64_MIN)  # wraps


@pytest.mark.parametrize("status, expected", [(0, 0), (1, 1), (2, 2), (7, 7), (INT_MAX, INT_MAX),
                                              # negative statuses: -1 is reserved for bad handles
                                              (-1, INT_MAX), (-5, INT_MAX), (-(2**31), INT_MAX)])
def test_status_propagation(status, expected):
    assert CodeBlock(status_code(status)).call([])[0] == expected


def test_status_above_int_range():
    # mov rax, 2**32 + 1; ret
    assert CodeBlock(b"\x48\xb8" + struct.pack("<q", 2**32 + 1) + b"\xc3").call(())[0] == INT_MAX


def test_code_must_be_bytes_like():
    assert CodeBlock(bytearray(ADD)).call([1, 2]) == (0, 3)
    assert CodeBlock(memoryview(ADD)).read() == ADD
    with pytest.raises(TypeError):
        CodeBlock(5)  # not 5 zero bytes
    with pytest.raises(TypeError):
        CodeBlock("c3")


def test_argument_conversion():
    block = CodeBlock(ADD)
    assert block.call(iter([1, 2])) == (0, 3)  # any iterable
    assert block.call(range(5, 7)) == (0, 11)
    assert block.call([True, 2]) == (0, 3)
    with pytest.raises(OverflowError):
        block.call([2**63, 0])
    with pytest.raises(OverflowError):
        block.call([0, INT64_MIN - 1])
    with pytest.raises(TypeError):
        block.call(["1", 2])
    with pytest.raises(TypeError):
        block.call([1.5, 2])
    assert block.call([40, 2]) == (0, 42)  # still fine after failures


# ---------------------------------------------------------------- blocks

def test_read_returns_what_was_written(mode):
    codes = [ADD, SUB, ADD_CHECKED, SUM_N, const_code(12345), b"\xc3", bytes(range(256)) * 3]
    blocks = [CodeBlock(c) for c in codes]
    for code, block in zip(codes, blocks, strict=False):
        assert block.size == len(code)
        assert block.read() == code
    # writing later blocks never disturbed earlier neighbours
    more = [CodeBlock(const_code(i)) for i in range(300)]
    for code, block in zip(codes, blocks, strict=False):
        assert block.read() == code
    for i, block in enumerate(more):
        assert block.call([]) == (0, i)


def test_addresses_aligned_and_distinct():
    blocks = [CodeBlock(b"\x90" * n + b"\xc3") for n in range(0, 100)]
    addrs = [b.address for b in blocks]
    assert all(a % 16 == 0 for a in addrs)
    spans = sorted((b.address, b.address + b.size) for b in blocks)
    assert all(end <= start for (_, end), (start, _) in zip(spans, spans[1:], strict=False)), "blocks overlap"


def test_blocks_share_chunks(mode):
    settle()
    before = runtime.stats()
    blocks = [CodeBlock(const_code(i)) for i in range(500)]  # 500 * 16 bytes
    after = runtime.stats()
    assert after["blocks_live"] - before["blocks_live"] == 500
    assert after["bytes_live"] - before["bytes_live"] == 500 * 16
    assert after["chunks"] - before["chunks"] <= 1
    assert all(b.call([]) == (0, i) for i, b in enumerate(blocks))


def test_free_returns_memory_and_unmaps_empty_chunks(mode):
    settle()
    before = runtime.stats()
    blocks = [CodeBlock(b"\x90" * 1000 + const_code(i)) for i in range(300)]  # ~5 chunks
    grown = runtime.stats()
    assert grown["chunks"] - before["chunks"] >= 4
    assert grown["bytes_mapped"] - before["bytes_mapped"] >= 4 * CHUNK_SIZE
    for b in blocks:
        b.free()
    after = runtime.stats()
    assert after["blocks_live"] == before["blocks_live"]
    assert after["bytes_live"] == before["bytes_live"]
    # every chunk that emptied is unmapped, except at most one spare
    assert after["chunks"] <= before["chunks"] + 1
    assert after["bytes_mapped"] <= before["bytes_mapped"] + CHUNK_SIZE


def test_garbage_collection_frees_blocks():
    settle()
    before = runtime.stats()["blocks_live"]
    blocks = [CodeBlock(const_code(i)) for i in range(50)]
    assert runtime.stats()["blocks_live"] == before + 50
    del blocks
    settle()
    assert runtime.stats()["blocks_live"] == before


def test_space_is_reused_after_free(mode):
    a, b, c = CodeBlock(const_code(1)), CodeBlock(const_code(2)), CodeBlock(const_code(3))
    hole = b.address
    b.free()
    d = CodeBlock(const_code(4))  # same size: first fit finds the hole
    assert d.address == hole
    assert [x.call([]) for x in (a, c, d)] == [(0, 1), (0, 3), (0, 4)]
    # neighbouring holes coalesce: two 16-byte holes take a 32-byte block
    e, f, g = (CodeBlock(const_code(i)) for i in (5, 6, 7))
    assert (e.address + 16, f.address + 16) == (f.address, g.address)  # fresh chunk: in order
    start = e.address
    f.free()
    e.free()
    big = CodeBlock(b"\x90" * 16 + const_code(8))
    assert big.address == start
    assert big.call([]) == (0, 8) and g.call([]) == (0, 7)


def test_random_allocate_and_free_stay_consistent(mode):
    import random

    rng = random.Random(1234)
    settle()
    base = runtime.stats()
    live: dict[int, tuple[CodeBlock, bytes]] = {}
    for step in range(3000):
        if live and rng.random() < 0.45:
            key = rng.choice(list(live))
            live.pop(key)[0].free()
        else:
            size = rng.choice([1, 15, 16, 17, 100, 1000, 5000, 30000])
            code = bytes(rng.getrandbits(8) for _ in range(min(size, 64))) * (size // 64 + 1)
            code = code[:size]
            live[step] = (CodeBlock(code), code)
        if step % 500 == 0:
            spans = sorted((b.address, b.address + b.size) for b, _ in live.values())
            assert all(end <= start for (_, end), (start, _) in zip(spans, spans[1:], strict=False))
            assert all(b.read() == code for b, code in live.values())
            st = runtime.stats()
            assert st["blocks_live"] - base["blocks_live"] == len(live)
            assert st["bytes_live"] - base["bytes_live"] == sum(-(-len(c) // 16) * 16
                                                                for _, c in live.values())
    for b, _ in live.values():
        b.free()
    after = runtime.stats()
    assert (after["blocks_live"], after["bytes_live"]) == (base["blocks_live"], base["bytes_live"])
    assert after["chunks"] <= base["chunks"] + 1


def test_free_is_idempotent_and_blocks_calls():
    block = CodeBlock(ADD)
    assert "CodeBlock" in repr(block)
    block.free()
    block.free()
    assert block.freed
    with pytest.raises(ValueError):
        block.call([1, 2])
    with pytest.raises(ValueError):
        block.read()
    assert repr(block) == "<CodeBlock freed>"


def test_large_block_gets_its_own_chunk(mode):
    settle()
    before = runtime.stats()
    code = b"\x90" * (CHUNK_SIZE + 5000) + const_code(-77)  # runs through 70 KB of nops
    big = CodeBlock(code)
    grown = runtime.stats()
    assert grown["chunks"] == before["chunks"] + 1
    assert grown["bytes_mapped"] - before["bytes_mapped"] >= len(code)
    assert big.call([]) == (0, -77)
    assert big.read() == code
    small = CodeBlock(const_code(5))  # goes elsewhere: the big chunk is the big block's own
    assert small.call([]) == (0, 5)
    assert not big.address <= small.address < big.address + len(code)
    big.free()
    assert runtime.stats()["bytes_mapped"] <= grown["bytes_mapped"] + CHUNK_SIZE - len(code)


def test_length_bounds():
    from jitcore._native import ffi, lib

    with pytest.raises(ExecMemError, match="no code"):
        CodeBlock(b"")
    block = CodeBlock(ADD)
    buf = ffi.new("unsigned char[]", 64)
    assert lib.jc_code_read(block._ptr, buf, len(ADD)) == 0
    assert lib.jc_code_read(block._ptr, buf, len(ADD) + 1) == -1  # beyond the block
    assert b"holds" in ffi.string(lib.jc_last_error())
    assert lib.jc_code_read(block._ptr, buf, 0) == 0
    out = ffi.new("jc_code **")
    assert lib.jc_code_new(ffi.NULL, 10, out) == -1 and out[0] == ffi.NULL
    assert lib.jc_code_new(b"\xc3", 2**40, out) == -1 and b"too large" in ffi.string(lib.jc_last_error())


def test_bad_handles_are_errors_not_crashes():
    from jitcore._native import ffi, lib

    result = ffi.new("int64_t *")
    assert lib.jc_call(ffi.NULL, [], result) == -1
    assert b"NULL" in ffi.string(lib.jc_last_error())
    lib.jc_code_free(ffi.NULL)
    out = ffi.new("jc_code **")
    assert lib.jc_code_new(ADD, len(ADD), out) == 0
    handle = out[0]
    assert lib.jc_call(handle, [1, 2], result) == 0 and result[0] == 3
    assert lib.jc_call(handle, [1, 2], ffi.NULL) == -1
    lib.jc_code_free(handle)
    assert lib.jc_call(handle, [1, 2], result) == -1  # freed
    assert b"freed" in ffi.string(lib.jc_last_error())
    lib.jc_code_free(handle)  # double free: ignored
    assert lib.jc_code_address(handle) == 0 and lib.jc_code_size(handle) == 0
    assert lib.jc_code_read(handle, ffi.new("unsigned char[]", 4), 4) == -1


def test_force_strategy_errors():
    with pytest.raises(ExecMemError, match="unknown strategy"):
        runtime.force_strategy("bogus")
    # No platform maps MAP_JIT memory: on Intel Macs it is writable and executable at once.
    with pytest.raises(ExecMemError, match="unknown strategy"):
        runtime.force_strategy("map_jit")
    old = CodeBlock(ADD)
    runtime.force_strategy("none")
    try:
        assert runtime.strategy() == "none"
        with pytest.raises(ExecMemError, match="disabled"):
            CodeBlock(ADD)
        assert old.call([2, 3]) == (0, 5)  # existing code keeps running
    finally:
        runtime.force_strategy("auto")
    assert CodeBlock(ADD).call([2, 3]) == (0, 5)


@pytest.mark.skipif(not LINUX, reason="the backings are Linux strategies")
@pytest.mark.parametrize("name", ["mprotect", "dualmap-memfd", "dualmap-shm", "dualmap-file"])
def test_each_linux_strategy(name):
    force_or_skip(name)
    try:
        assert runtime.strategy() == name
        fds = len(os.listdir("/proc/self/fd"))
        blocks = [CodeBlock(const_code(i)) for i in range(200)]
        blocks += [CodeBlock(b"\x90" * 70000 + const_code(200))]  # a second chunk
        assert len(os.listdir("/proc/self/fd")) == fds, "file descriptors leaked"
        add = CodeBlock(ADD_CHECKED)
        assert add.call([INT64_MAX, 1])[0] == 1 and add.call([2, 3]) == (0, 5)
        assert all(b.call([]) == (0, i) for i, b in enumerate(blocks))
        assert wx_mappings() == []
        exec_view = [perms for perms, line in maps()
                     if int(line.split("-")[0], 16) <= add.address < int(line.split()[0].split("-")[1], 16)]
        assert len(exec_view) == 1 and exec_view[0][2] == "x" and exec_view[0][1] == "-"
        if name.startswith("dualmap"):
            assert exec_view[0][3] == "s"  # MAP_SHARED: the RW view is another mapping
    finally:
        runtime.force_strategy("auto")


# ---------------------------------------------------------------- /proc/self/maps

@pytest.mark.skipif(not LINUX, reason="/proc/self/maps is Linux")
def test_no_wx_mapping_and_bounded_mappings_after_churn(mode):
    settle()
    baseline = len(maps())
    live = []
    for _round in range(6):
        live += [CodeBlock(b"\x90" * (i % 300) + const_code(i)) for i in range(700)]
        assert wx_mappings() == [], "a writable+executable mapping exists"
        for b in live[::2]:
            b.free()
        live = live[1::2]
        assert all(b.call([])[0] == 0 for b in live[::37])
    assert wx_mappings() == []
    mid = len(maps())
    for b in live:
        b.free()
    live.clear()
    settle()
    after = len(maps())
    assert wx_mappings() == []
    # ~2 MB of live code at most above: a few dozen chunks, each at most one
    # mapping per page (mprotect) or two mappings (dual)
    assert mid - baseline < 40 * (CHUNK_SIZE // 4096 + 2)
    assert after - baseline <= 20, f"{after - baseline} mappings left after freeing everything"


# ---------------------------------------------------------------- threads

def test_threads_compile_and_call_concurrently(mode):
    errors: list[str] = []
    shared = CodeBlock(spin_code(-1))  # runs while others write into neighbouring pages
    barrier = threading.Barrier(8)

    def worker(t: int) -> None:
        try:
            barrier.wait()
            mine = []
            for i in range(300):
                value = t * 1_000_000 + i
                block = CodeBlock(const_code(value) if i % 3 else spin_code(value))
                mine.append((value, block))
                if i % 5 == 0:
                    assert shared.call([20_000]) == (0, -1)
                for v, b in mine[-10:]:
                    if b.call([3]) != (0, v):
                        errors.append(f"thread {t}: block for {v} returned {b.call([3])}")
                if i % 4 == 0:
                    mine.pop(len(mine) // 2)[1].free()
            for v, b in mine:
                if b.call([1]) != (0, v):
                    errors.append(f"thread {t}: late check of {v} failed")
        except Exception as exc:  # noqa: BLE001
            errors.append(f"thread {t}: {exc!r}")

    done = threading.Event()

    def spinner() -> None:  # long runs of code in a page that keeps being rewritten
        while not done.is_set():
            if shared.call([300_000]) != (0, -1):
                errors.append("spinner: wrong result")

    threads = [threading.Thread(target=worker, args=(t,)) for t in range(8)]
    spin = threading.Thread(target=spinner)
    spin.start()
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    done.set()
    spin.join()
    assert errors == []
    assert shared.call([1]) == (0, -1)
    if LINUX:
        assert wx_mappings() == []


# ---------------------------------------------------------------- fork

FORK_SCRIPT = r"""
import os, struct, sys
from jitcore.runtime import CodeBlock, force_strategy, strategy, stats

mode = sys.argv[1]
if mode != "auto":
    force_strategy(mode)
STORE_OK = bytes.fromhex("4889c231c0c3")
def const(v):
    return CodeBlock(b"\x48\xb8" + struct.pack("<q", v) + STORE_OK)

def check(label, blocks, base):
    bad = [(i, b.call(())) for i, b in enumerate(blocks) if b.call(()) != (0, base + i)]
    if bad:
        print(f"{label}: {len(bad)} blocks wrong, e.g. {bad[:3]}", file=sys.stderr)
    return not bad

old = [const(1000 + i) for i in range(100)]
holes = [const(9000 + i) for i in range(100)]
for b in holes[::2]:
    b.free()                      # free space inside the pre-fork chunk
to_parent_r, to_parent_w = os.pipe()
to_child_r, to_child_w = os.pipe()
pid = os.fork()
if pid == 0:
    ok = check("child: old before", old, 1000)
    mine = [const(2_000_000 + i) for i in range(300)]   # child writes first
    os.write(to_parent_w, b"1")
    os.read(to_child_r, 1)                               # parent has written and freed
    more = [const(2_500_000 + i) for i in range(300)]
    ok &= check("child: old", old, 1000)
    ok &= check("child: mine", mine, 2_000_000)
    ok &= check("child: more", more, 2_500_000)
    os.write(to_parent_w, b"2")
    os._exit(0 if ok else 1)
os.read(to_parent_r, 1)                                  # child has written
mine = [const(3_000_000 + i) for i in range(300)]
for b in old[:50]:
    b.free()                                             # the child still uses these
os.write(to_child_w, b"1")
os.read(to_parent_r, 1)                                  # child has written again
ok = check("parent: old", old[50:], 1050)
ok &= check("parent: mine", mine, 3_000_000)
_, status = os.waitpid(pid, 0)
child_ok = os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0
print(strategy(), ok, child_ok)
sys.exit(0 if ok and child_ok else 1)
"""


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")
@pytest.mark.parametrize("fork_mode", ["auto", "dualmap"] if LINUX else ["auto"])
def test_fork_parent_and_child_keep_their_code(fork_mode):
    proc = run_script(FORK_SCRIPT, fork_mode)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    used, ok, child_ok = proc.stdout.split()
    assert (ok, child_ok) == ("True", "True")
    if fork_mode == "dualmap":
        assert used.startswith("dualmap")


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")
@pytest.mark.skipif(not LINUX, reason="dual mapping is forced on Linux only")
def test_fork_freezes_shared_chunks():
    script = r"""
    import os, struct, sys
    from jitcore.runtime import CodeBlock, force_strategy, stats
    force_strategy("dualmap")
    code = lambda v: b"\x48\xb8" + struct.pack("<q", v) + bytes.fromhex("4889c231c0c3")
    a = CodeBlock(code(1)); b = CodeBlock(code(2))
    b.free()
    fill = [CodeBlock(code(i)) for i in range(65536 // 16 - 1)]  # a's chunk is full
    spare = CodeBlock(code(4))
    spare.free()                  # a second chunk, empty: kept as the spare
    assert stats()["chunks"] == 2, stats()
    def mapping_of(addr):
        for line in open("/proc/self/maps"):
            lo, hi = (int(x, 16) for x in line.split()[0].split("-"))
            if lo <= addr < hi:
                return lo, hi
    lo, hi = mapping_of(a.address)  # a's chunk (its executable view)
    pid = os.fork()
    chunks = stats()["chunks"]    # the spare is shared with the other side now: unmapped
    for x in fill[::2]:
        x.free()                  # frozen: this space is never reused
    c = CodeBlock(code(3))        # both sides: must not go into a's chunk
    inside = lo <= c.address < hi
    if pid == 0:
        os._exit(1 if inside or chunks != 1 else 0)
    _, st = os.waitpid(pid, 0)
    print(inside, chunks, os.WEXITSTATUS(st))
    """
    proc = run_script(script)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split() == ["False", "1", "0"]
