"""What a compile gives: `Compiled`, the native code for one signature and
what each stage made of it (and `Stages`, what explain asks to keep).

A module of its own because calls that load code from the code cache
(jitcore/cache.py) make a Compiled without importing the compiler.
"""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from .errors import CompileError
    from .ir import RaiseSite
    from .regalloc import Allocation
    from .runtime import CodeBlock
    from .x86_64.encoder import Symbol


class Stages:
    """What compile_function(keep_stages=True) keeps besides Compiled's own fields."""

    __slots__ = ("pass_ir", "listing", "origins", "render_ns")

    def __init__(self, pass_ir: list[str], listing: list[tuple[int, int, str]],
                 origins: list[tuple[str, int | None] | None], render_ns: int = 0) -> None:
        self.pass_ir = pass_ir  # the IR as text after each entry of Compiled.passes
        self.listing = listing  # Assembler.listing(): (offset, length, Intel text)
        # per listing entry: the IR instruction it was generated for and that
        # instruction's source line, or None (prologue, epilogue, exits, labels)
        self.origins = origins
        self.render_ns = render_ns  # time spent rendering text, not counted in Compiled.timings_ns


class Compiled:
    """The native code for one signature, and what each stage made of it."""

    __slots__ = ("name", "signature", "ir_before", "passes", "ir", "allocation", "slots",
                 "frame_bytes", "code", "block", "tuple_shapes", "returns", "timings_ns", "stages",
                 "callees", "records", "raise_sites", "capped", "relocations", "targets")

    def __init__(self, name: str, signature: tuple[str, ...], ir_before: str,
                 passes: list[tuple[int, str, int]], ir: str, allocation: Allocation | None,
                 slots: int, frame_bytes: int, code: bytes, block: CodeBlock,
                 tuple_shapes: list[tuple[str, ...]], returns: list[tuple[str, ...]],
                 timings_ns: dict[str, int] | None = None, stages: Stages | None = None,
                 callees: tuple[object, ...] = (), records: bool = True,
                 raise_sites: tuple[RaiseSite, ...] = (),
                 capped: tuple[CompileError, ...] = (),
                 relocations: tuple[tuple[int, Symbol], ...] = (),
                 targets: tuple[Any, ...] = ()) -> None:
        self.name = name
        self.signature = signature  # IR types of the arguments
        self.ir_before = ir_before  # the IR as the front end built it ("" unless keep_text)
        self.passes = passes  # (round, pass, changes)
        self.ir = ir  # the IR after the passes ("" unless keep_text)
        # where each value lives (None unless keep_text: it is the largest thing
        # a compile makes besides the code, and a live function needs none of it)
        self.allocation = allocation
        self.slots = slots  # 8-byte stack slots in the function's frame (values spilled by the allocator)
        # stack one activation of the code takes (the native depth budget's unit)
        self.frame_bytes = frame_bytes
        self.code = code
        self.block = block
        self.tuple_shapes = tuple_shapes  # STATUS_TUPLE + i returns a tuple of shape i
        self.returns = returns  # what its returns give: ("int",), ("tuple", "int", "float"), ...
        self.timings_ns: dict[str, int] = timings_ns if timings_ns is not None else {}
        self.stages = stages  # only with keep_stages
        # The jitted functions this code calls natively (their NativeTarget.owner):
        # the code jumps through their cells to their code, so they live as long
        # as it does, even when the globals that named them are rebound or deleted.
        self.callees = callees
        # Whether its calls keep undo records of their stores (passes/records.py):
        # if not, callers pass 0 for each buffer's record.
        self.records = records
        # Where the code raises CPython's exception in place (abi.STATUS_RAISE).
        self.raise_sites = raise_sites
        # Paths that run in CPython because they bring a block more combinations
        # of local types than it is compiled for (ir.Function.capped): why.
        self.capped = capped
        # Where the code holds an address valid only in this process (a C
        # helper, a callee's cell): (offset of its 8 bytes, what it is), for
        # the code cache (jitcore/cache.py) to put this process's there.
        self.relocations = relocations
        # How its native calls reach their callees (calls.NativeTarget), one
        # per callee's cell: what the code cache checks again as it loads.
        self.targets = targets

    def __repr__(self) -> str:
        return f"<Compiled {self.name}{self.signature}: {len(self.code)} bytes>"

    @property
    def nparams(self) -> int:
        return len(self.signature)
