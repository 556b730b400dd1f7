"""Virtual values -> machine registers and stack slots, by linear scan.

Poletto & Sarkar's linear scan: number the instructions in layout order, give
every value one live interval [first definition, last use] (widened to whole
blocks where liveness says it crosses a block boundary, which also covers
loops), walk the intervals by start and hand out free registers. When none is
free, the value that is cheapest to keep in memory goes to a stack slot: each
of its uses and definitions costs 8 per loop around it (a back edge in the
layout), so an inner loop's counter keeps its register and an array's shape,
read once per outer turn, gives its up.

Two register classes: FLOAT values live in SSE registers, everything else in
general-purpose ones. A call to a C helper clobbers every caller-saved
register (all SSE registers among them), so a value live across a call gets a
callee-saved register or a slot.

Registers that are never handed out:
    rsp          the stack pointer
    rdi, rsi     the entry ABI's argument and result pointers (see abi.py)
    rax, r11     scratch for the code generator (two-address fix-ups,
                 64-bit immediates, memory-to-memory moves, status codes)
    rdx          scratch too: idiv and cqo write it, and it passes helper arguments
    xmm14, xmm15 scratch for float code
Caller-saved registers come first, so that small functions need no
push/pop of callee-saved ones.
"""

from __future__ import annotations

from .ir import Block, Function, Value, use_counts
from .passes.liveness import live_in_out
from .record import Record
from .x86_64.registers import (
    CALLEE_SAVED,
    XMMS,
    Reg,
    r8,
    r9,
    r10,
    r12,
    r13,
    r14,
    r15,
    rbp,
    rbx,
    rcx,
)

ALLOCATABLE: list[Reg] = [rcx, r8, r9, r10, rbx, r12, r13, r14, r15, rbp]
ALLOCATABLE_XMM: list[Reg] = list(XMMS[:14])
CALL_OPS = {"helper", "call"}


class Slot(Record):
    """The index-th 8-byte stack slot of the frame. Immutable; equal by index."""

    __slots__ = ("index",)

    def __init__(self, index: int) -> None:
        self.index = index

    def _fields(self) -> tuple[object, ...]:
        return (self.index,)

    def __repr__(self) -> str:
        return f"[slot {self.index}]"


Location = Reg | Slot


class Interval:
    """Where one value lives, in instruction positions. There is one per value,
    so it is equal only to itself (_scan removes it from lists by equality)."""

    __slots__ = ("value", "start", "end", "hint", "crosses_call", "weight")

    def __init__(self, value: Value, start: int, end: int, hint: Value | None = None,
                 crosses_call: bool = False, weight: float = 0.0) -> None:
        self.value = value
        self.start = start
        self.end = end
        self.hint = hint  # a value whose register this one would like to share
        self.crosses_call = crosses_call
        self.weight = weight  # what keeping it in memory costs: its uses and definitions, by loop depth

    def __repr__(self) -> str:
        return f"<Interval {self.value!r}: {self.start}-{self.end}>"


class Allocation:
    """Where each value lives (a register or a stack slot), and how many slots the frame has."""

    __slots__ = ("locations", "slots")

    def __init__(self, locations: dict[Value, Location] | None = None, slots: int = 0) -> None:
        self.locations: dict[Value, Location] = locations if locations is not None else {}
        self.slots = slots

    def __repr__(self) -> str:
        return f"<Allocation: {len(self.locations)} values, {self.slots} slots>"

    @property
    def callee_saved(self) -> list[Reg]:
        used = set(loc for loc in self.locations.values() if isinstance(loc, Reg))
        return [r for r in CALLEE_SAVED if r in used]

    def dump(self) -> str:
        return "\n".join(f"{v!r:>8} -> {loc!r}" for v, loc in
                         sorted(self.locations.items(), key=lambda item: item[0].id))


def allocate(func: Function, registers: list[Reg] = ALLOCATABLE,
             xmm_registers: list[Reg] = ALLOCATABLE_XMM) -> Allocation:
    alloc = Allocation()
    intervals = _intervals(func)
    _scan([iv for iv in intervals if not iv.value.type.is_float], registers, alloc)
    _scan([iv for iv in intervals if iv.value.type.is_float], xmm_registers, alloc)
    return alloc


def _scan(intervals: list[Interval], registers: list[Reg], alloc: Allocation) -> None:
    free = list(registers)
    rank = {reg: i for i, reg in enumerate(registers)}  # prefer registers in this order
    active: list[Interval] = []  # sorted by end
    for current in intervals:
        # Registers of intervals that ended by now are free again. An interval
        # ending where the current one starts may share its register: the
        # instruction reads its operands before it writes its result.
        for done in [iv for iv in active if iv.end <= current.start]:
            active.remove(done)
            free.append(alloc.locations[done.value])  # type: ignore[arg-type]
        allowed = [r for r in free if not current.crosses_call or r in CALLEE_SAVED]
        reg = _pick(allowed, rank, current, alloc)
        if reg is not None:
            free.remove(reg)
            alloc.locations[current.value] = reg
            active.append(current)
            active.sort(key=lambda iv: iv.end)
            continue
        # No register: spill the one of the least weight (of those ending
        # last, on a tie), of this one and the active ones whose register
        # this one could use.
        candidates = [iv for iv in active
                      if not current.crosses_call or alloc.locations[iv.value] in CALLEE_SAVED]
        victim = min(candidates, key=lambda iv: (iv.weight, -iv.end)) if candidates else None
        if victim is not None and (victim.weight, -victim.end) < (current.weight, -current.end):
            alloc.locations[current.value] = alloc.locations[victim.value]
            alloc.locations[victim.value] = _new_slot(alloc)
            active.remove(victim)
            active.append(current)
            active.sort(key=lambda iv: iv.end)
        else:
            alloc.locations[current.value] = _new_slot(alloc)


def _pick(free: list[Reg], rank: dict[Reg, int], current: Interval, alloc: Allocation) -> Reg | None:
    if not free:
        return None
    if current.hint is not None:
        hinted = alloc.locations.get(current.hint)
        if isinstance(hinted, Reg) and hinted in free:  # (a stack slot never is)
            return hinted
    return min(free, key=rank.__getitem__)


def _new_slot(alloc: Allocation) -> Slot:
    alloc.slots += 1
    return Slot(alloc.slots - 1)


SPILL_COST_PER_LOOP = 8


def fused_compares(func: Function, uses: dict[Value, int] | None = None) -> set[Value]:
    """The results of compares that the branch right after them alone reads:
    the code generator tests and branches on the flags (lower.py, fusable),
    and they need no register. `uses`: use_counts(func), if the caller has it."""
    if uses is None:
        uses = use_counts(func)
    fused = set()
    for block in func.blocks:
        for inst, following in zip(block.insts, block.insts[1:], strict=False):
            if following.op == "br" and inst.op in ("cmp", "fcmp", "truth") \
                    and inst.dst is not None and following.args[0] is inst.dst and uses.get(inst.dst) == 1:
                fused.add(inst.dst)
    return fused


def _loop_depths(func: Function) -> dict[Block, int]:
    """How many loops each block is in, as the layout shows them: a jump back
    from block L to block H makes a loop of every block from H to L."""
    position = {block: i for i, block in enumerate(func.blocks)}
    nesting = [0] * (len(func.blocks) + 1)
    for block in func.blocks:
        for succ in block.successors:
            if position[succ] <= position[block]:
                nesting[position[succ]] += 1
                nesting[position[block] + 1] -= 1
    depths, running = {}, 0
    for i, block in enumerate(func.blocks):
        running += nesting[i]
        depths[block] = running
    return depths


def _intervals(func: Function) -> list[Interval]:
    """Live intervals in order of start. Parameters are defined at position 0."""
    live_in, live_out = live_in_out(func)
    spans: dict[Value, Interval] = {}
    calls: list[int] = []

    def touch(value: Value, pos: int) -> Interval:
        iv = spans.get(value)
        if iv is None:
            iv = spans[value] = Interval(value, pos, pos)
        else:
            iv.end = pos  # (the walk goes in order: positions only grow)
        return iv

    for param in func.params:
        spans[param] = Interval(param, 0, 0)
    depth = _loop_depths(func)
    touched: set[Value] = set()  # read or written by an instruction
    pos = 0
    for block in func.blocks:
        block_start = pos + 1
        for value in live_in[block]:
            touch(value, block_start)
        cost = float(SPILL_COST_PER_LOOP ** min(depth[block], 6))
        for inst in block.insts:
            pos += 1
            if inst.op in CALL_OPS:
                calls.append(pos)
            for arg in inst.args:
                if isinstance(arg, Value):
                    touch(arg, pos).weight += cost
                    touched.add(arg)
            if inst.dst is not None:
                iv = touch(inst.dst, pos)
                iv.weight += cost
                touched.add(inst.dst)
                if iv.hint is None and inst.args and isinstance(inst.args[0], Value):
                    iv.hint = inst.args[0]
        for value in live_out[block]:
            touch(value, pos + 1)  # live past the block's last instruction
    # A parameter nothing reads or writes needs no place (its load is skipped),
    # nor does a compare the branch after it reads from the flags.
    fused = fused_compares(func)
    intervals = [iv for v, iv in spans.items()
                 if (v in touched or v not in func.params) and v not in fused]
    for iv in intervals:
        iv.crosses_call = any(iv.start < p < iv.end for p in calls)
    return sorted(intervals, key=lambda iv: (iv.start, iv.value.id))
