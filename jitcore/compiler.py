"""The pipeline, in the order data flows: bytecode -> IR -> passes -> registers -> x86-64 -> memory.

`compile_function` runs every stage for one signature (the IR types of the
arguments) and keeps what each stage produced, so that tests, `disassemble`,
`explain` and the command line can show any stage.
"""

from __future__ import annotations

import time
from types import FunctionType

from . import abi
from .compiled import Compiled, Stages
from .errors import CompileError
from .frontend import build_ir
from .ir import INT, Function, Inst
from .passes import PassTrace, optimize, records
from .regalloc import allocate
from .runtime import CodeBlock
from .x86_64.lower import lower

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Sequence


__all__ = ["Compiled", "Stages", "compile_function"]


def compile_function(func: FunctionType, signature: Sequence[str] | None = None,
                     returns: list[tuple[str, ...]] | None = None,
                     keep_text: bool = False, keep_stages: bool = False) -> Compiled:
    """Compile func for argument types `signature` (default: all int), or raise
    CompileError / ExecMemError. `returns`: see build_ir. With keep_text the
    IR is also kept as text before and after the passes (for people to read;
    rendering it costs compile time, so the dispatcher does not ask).
    keep_stages (implies keep_text) also keeps the IR after every pass run and
    the annotated assembly listing (`Compiled.stages`, for jitcore.explain);
    the machine code is the same either way."""
    clock = time.perf_counter_ns
    keep_text = keep_text or keep_stages
    trace = PassTrace() if keep_stages else None
    t0 = clock()
    ir = build_ir(func, signature, returns)
    t1 = clock()
    ir_before = ir.dump() if keep_text else ""
    t1_text = clock()
    report = optimize(ir, trace)
    records.run(ir)
    t2 = clock()
    alloc = allocate(ir)
    t3 = clock()
    marks: list[tuple[int, Inst, Inst | None]] | None = [] if keep_stages else None
    asm, shapes, frame_bytes = lower(ir, alloc, marks)
    if frame_bytes > abi.MAX_FRAME_BYTES:
        code_object = func.__code__
        raise CompileError(f"{-(-frame_bytes // 1024)} KB of stack per call (more than the "
                           f"{abi.MAX_FRAME_BYTES // 1024} KB native code may take): split the "
                           f"function", code_object.co_filename, code_object.co_firstlineno,
                           func.__qualname__)
    code = asm.assemble()
    t4 = clock()
    block = CodeBlock(code)
    t5 = clock()
    render = (t1_text - t1) + (trace.render_ns if trace is not None else 0)
    timings = dict(frontend=t1 - t0, passes=t2 - t1_text - (trace.render_ns if trace else 0),
                   regalloc=t3 - t2, encode=t4 - t3, memory=t5 - t4)
    returns = sorted({(inst.kind,) + (inst.data if inst.kind == "tuple" else ())
                      for inst in ir.insts() if inst.op == "ret"}, key=repr)  # (shapes nest)
    stages = None
    if trace is not None:
        t6 = clock()
        listing = asm.listing()
        assert marks is not None
        stages = Stages(trace.texts, listing, _origins(ir, marks, listing))
        stages.render_ns = render + clock() - t6
    targets = tuple({inst.data.cell: inst.data for inst in ir.insts() if inst.op == "call"}.values())
    callees = tuple({id(target.owner): target.owner for target in targets}.values())
    arg_types = tuple(signature) if signature is not None else (INT,) * func.__code__.co_argcount
    return Compiled(func.__qualname__, arg_types, ir_before, report,
                    ir.dump() if keep_text else "", alloc if keep_text else None, alloc.slots,
                    frame_bytes, code, block, shapes, returns, timings,
                    stages, callees, ir.records, tuple(ir.raise_sites()),
                    tuple(ir.capped), tuple(asm.relocations), targets)


# -- which IR instruction each machine instruction comes from (keep_stages) --

# Labels Lowering binds between the code of IR instructions: where one ends.
_BOUNDARY_LABELS = {"exit", "deopt", "interrupted", "call_failed"}


def _origins(ir: Function, marks: list[tuple[int, Inst, Inst | None]],
             listing: list[tuple[int, int, str]]) -> list[tuple[str, int | None] | None]:
    """The IR instruction (text, source line) behind each listing entry, from
    where the lowering noted each IR instruction's code starts (`marks`)."""
    boundaries = _BOUNDARY_LABELS | {block.name for block in ir.blocks}
    pending = iter(marks)
    mark = next(pending, None)
    current: tuple[str, int | None] | None = None
    origins: list[tuple[str, int | None] | None] = [None] * len(listing)
    for i, (_, length, text) in enumerate(listing):
        while mark is not None and mark[0] <= i:
            _, inst, fused = mark
            current = (repr(inst) + (f"; {fused!r}" if fused is not None else ""), inst.line)
            mark = next(pending, None)
        if length == 0 and text.endswith(":") and text[:-1] in boundaries:
            current = None
        origins[i] = current
    return origins
