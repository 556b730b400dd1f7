"""The pipeline, in the order data flows: bytecode -> IR -> passes -> registers -> x86-64 -> memory.

`compile_function` runs every stage for one signature (the IR types of the
arguments) and keeps what each stage produced, so that tests, `disassemble`
and the command line can show any stage.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from types import FunctionType

from .frontend import build_ir
from .passes import optimize
from .regalloc import Allocation, allocate
from .runtime import CodeBlock
from .x86_64.lower import lower


@dataclass
class Compiled:
    name: str
    signature: tuple[str, ...]  # IR types of the arguments
    ir_before: str  # the IR as the front end built it ("" unless keep_text)
    passes: list[tuple[int, str, int]]  # (round, pass, changes)
    ir: str  # the IR after the passes ("" unless keep_text)
    allocation: Allocation
    code: bytes
    block: CodeBlock
    tuple_shapes: list[tuple[str, ...]]  # STATUS_TUPLE + i returns a tuple of shape i
    returns: list[tuple[str, ...]]  # what its returns give: ("int",), ("tuple", "int", "float"), ...
    timings_ns: dict[str, int] = field(default_factory=dict)

    @property
    def nparams(self) -> int:
        return len(self.signature)


def compile_function(func: FunctionType, signature: Sequence[str] | None = None,
                     returns: list[tuple[str, ...]] | None = None,
                     keep_text: bool = False) -> Compiled:
    """Compile func for argument types `signature` (default: all int), or raise
    CompileError / ExecMemError. `returns`: see build_ir. With keep_text the
    IR is also kept as text before and after the passes (for people to read;
    rendering it costs compile time, so the dispatcher does not ask)."""
    clock = time.perf_counter_ns
    t0 = clock()
    ir = build_ir(func, signature, returns)
    ir_before = ir.dump() if keep_text else ""
    t1 = clock()
    report = optimize(ir)
    t2 = clock()
    alloc = allocate(ir)
    t3 = clock()
    asm, shapes = lower(ir, alloc)
    code = asm.assemble()
    t4 = clock()
    block = CodeBlock(code)
    t5 = clock()
    timings = dict(frontend=t1 - t0, passes=t2 - t1, regalloc=t3 - t2, encode=t4 - t3, memory=t5 - t4)
    returns = sorted({(inst.kind,) + (inst.data if inst.kind == "tuple" else ())
                      for inst in ir.insts() if inst.op == "ret"})
    return Compiled(func.__qualname__, tuple(p.type for p in ir.params), ir_before, report,
                    ir.dump() if keep_text else "", alloc, code, block, shapes, returns, timings)
