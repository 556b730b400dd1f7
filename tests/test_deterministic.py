"""The same function compiles to the same machine code in every process,
absolute addresses aside (helpers, cells and the poll word move with ASLR).

Sets of blocks or values iterate in an order that follows their addresses;
a pass that walked one to decide what code comes first made code that
differed from run to run (licm's hoisting did, 1 run in 6). Each process
here has its own addresses and string hashes; the listings must agree.
"""

from __future__ import annotations

import os
import subprocess
import sys

TESTS_DIR = os.path.dirname(os.path.abspath(__file__))

SCRIPT = r"""
import inspect, random, re, sys
sys.path.insert(0, sys.argv[1])
random.seed(sys.argv[2])
padding = []
import kernels
import jitcore
from jitcore.compiler import compile_function

for name, value in sorted(vars(kernels).items()):
    func = value.py_func if isinstance(value, jitcore.Dispatcher) else value
    if not inspect.isfunction(func):
        continue
    # objects of random sizes in between: the compile's blocks and values get
    # other addresses before each function (sets of them then iterate otherwise)
    padding.append([bytearray(random.randrange(1, 200)) for _ in range(random.randrange(50))])
    try:
        compiled = compile_function(func, keep_stages=True)
    except Exception as exc:
        print(name, type(exc).__name__)
        continue
    text = "\n".join(t for _, _, t in compiled.stages.listing)
    text = re.sub(r"0x[0-9a-f]{6,}|\b\d{7,}\b", "ADDRESS", text)
    print(name, len(compiled.code))
    print(text)
    # the bytes, with the addresses the assembler noted as this process's blanked
    code = bytearray(compiled.code)
    for offset, symbol in compiled.relocations:
        code[offset:offset + 8] = bytes(8)
    print("bytes", code.hex(), [symbol[0] for _, symbol in compiled.relocations])
"""


def _listing(seed: str) -> str:
    env = dict(os.environ, PYTHONHASHSEED=seed)
    out = subprocess.run([sys.executable, "-c", SCRIPT, TESTS_DIR, seed], capture_output=True,
                         text=True, env=env, check=True, timeout=300)
    return out.stdout


def test_only_the_noted_addresses_differ_between_processes():
    """What the code cache relies on: code made in one process runs in
    another once its relocations (Compiled.relocations) hold that process's
    addresses. Here the processes' addresses differ (ASLR, padding), so an
    address the assembler did not note would show as differing bytes."""
    first, second = _listing("5"), _listing("6")
    bytes_lines = [line for line in first.splitlines() if line.startswith("bytes ")]
    assert len(bytes_lines) > 100 and any("helper" in line for line in bytes_lines)
    assert any("poll_slow" in line for line in bytes_lines)
    assert first == second


def test_the_corpus_compiles_to_the_same_code_in_every_process():
    first = _listing("1")
    assert first.count("\n") > 1000  # (the corpus did compile)
    for seed in ("2", "3", "4"):
        assert _listing(seed) == first, seed
