"""Virtual values -> machine registers and stack slots, by linear scan.

Poletto & Sarkar's linear scan: number the instructions in layout order, give
every value one live interval [first definition, last use] (widened to whole
blocks where liveness says it crosses a block boundary), walk the intervals by
start and hand out free registers; when none is free, the interval that ends
last goes to a stack slot.

Registers that are never handed out:
    rsp          the stack pointer
    rdi, rsi     the entry ABI's argument and result pointers (see abi.py)
    rax, r11     scratch for the code generator (two-address fix-ups,
                 64-bit immediates, memory-to-memory moves, status codes)
Caller-saved registers come first, so that small functions need no
push/pop of callee-saved ones.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Dict, List, Optional, Union

from .ir import Function, Value
from .passes.liveness import live_sets
from .x86_64.registers import (CALLEE_SAVED, Reg, r8, r9, r10, r12, r13, r14, r15, rbp, rbx, rcx,
                               rdx)

ALLOCATABLE: List[Reg] = [rcx, rdx, r8, r9, r10, rbx, r12, r13, r14, r15, rbp]


@dataclass(frozen=True)
class Slot:
    """The index-th 8-byte stack slot of the frame."""

    index: int

    def __repr__(self) -> str:
        return f"[slot {self.index}]"


Location = Union[Reg, Slot]


@dataclass
class Interval:
    value: Value
    start: int
    end: int
    hint: Optional[Value] = None  # a value whose register this one would like to share


@dataclass
class Allocation:
    locations: Dict[Value, Location] = field(default_factory=dict)
    slots: int = 0

    @property
    def callee_saved(self) -> List[Reg]:
        used = set(loc for loc in self.locations.values() if isinstance(loc, Reg))
        return [r for r in CALLEE_SAVED if r in used]

    def dump(self) -> str:
        return "\n".join(f"{v!r:>6} -> {loc!r}" for v, loc in
                         sorted(self.locations.items(), key=lambda item: item[0].id))


def allocate(func: Function, registers: List[Reg] = ALLOCATABLE) -> Allocation:
    alloc = Allocation()
    free = list(registers)
    active: List[Interval] = []  # sorted by end
    for current in _intervals(func):
        # Registers of intervals that ended by now are free again. An interval
        # ending where the current one starts may share its register: the
        # instruction reads its operands before it writes its result.
        for done in [iv for iv in active if iv.end <= current.start]:
            active.remove(done)
            free.append(alloc.locations[done.value])  # type: ignore[arg-type]
        reg = _pick(free, registers, current, alloc)
        if reg is not None:
            free.remove(reg)
            alloc.locations[current.value] = reg
            active.append(current)
            active.sort(key=lambda iv: iv.end)
            continue
        # No register: spill whichever of the active ones and this one ends last.
        victim = active[-1]
        if victim.end > current.end:
            alloc.locations[current.value] = alloc.locations[victim.value]
            alloc.locations[victim.value] = _new_slot(alloc)
            active[-1] = current
            active.sort(key=lambda iv: iv.end)
        else:
            alloc.locations[current.value] = _new_slot(alloc)
    return alloc


def _pick(free: List[Reg], order: List[Reg], current: Interval, alloc: Allocation) -> Optional[Reg]:
    if not free:
        return None
    if current.hint is not None:
        hinted = alloc.locations.get(current.hint)
        if hinted in free:
            return hinted  # type: ignore[return-value]
    return min(free, key=order.index)


def _new_slot(alloc: Allocation) -> Slot:
    alloc.slots += 1
    return Slot(alloc.slots - 1)


def _intervals(func: Function) -> List[Interval]:
    """Live intervals in order of start. Parameters are defined at position 0."""
    live_out = live_sets(func)
    spans: Dict[Value, Interval] = {}

    def touch(value: Value, pos: int) -> Interval:
        iv = spans.get(value)
        if iv is None:
            iv = spans[value] = Interval(value, pos, pos)
        iv.start, iv.end = min(iv.start, pos), max(iv.end, pos)
        return iv

    for param in func.params:
        spans[param] = Interval(param, 0, 0)
    pos = 0
    for block in func.blocks:
        block_start = pos + 1
        for inst in block.insts:
            pos += 1
            for value in inst.uses():
                touch(value, pos)
            if inst.dst is not None:
                iv = touch(inst.dst, pos)
                if iv.hint is None and inst.args and isinstance(inst.args[0], Value):
                    iv.hint = inst.args[0]
        for value in live_out[block]:
            touch(value, block_start)
            touch(value, pos)
    used = set(v for inst in func.insts() for v in inst.uses())
    intervals = [iv for v, iv in spans.items() if v in used or v not in func.params]
    return sorted(intervals, key=lambda iv: (iv.start, iv.value.id))
