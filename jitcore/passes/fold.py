"""Constant folding, copy propagation and algebraic identities, block by block.

Walking a block forward, `known` maps a value to what it currently equals (a
constant or another value). Operands are rewritten through it, instructions
whose operands are all constants are evaluated at compile time (checked
arithmetic only when the exact result fits in int64: otherwise the overflow
is left for run time, where it sends the call to the interpreter), and
identities such as `x + 0` become moves. Because locals are mutable values,
redefining a value forgets everything known about it and through it.
"""

from __future__ import annotations

from typing import Callable, Dict, Optional

from ..ir import COMMUTATIVE, Const, Function, Inst, Operand, Value, fits_int64

EVALUATE: Dict[str, Callable[..., int]] = {
    "add": lambda a, b: a + b,
    "sub": lambda a, b: a - b,
    "mul": lambda a, b: a * b,
    "and": lambda a, b: a & b,
    "or": lambda a, b: a | b,
    "xor": lambda a, b: a ^ b,
    "neg": lambda a: -a,
    "not": lambda a: ~a,
}


def run(func: Function) -> int:
    changes = 0
    for block in func.blocks:
        known: Dict[Value, Operand] = {}
        for inst in block.insts:
            changes += _propagate(inst, known)
            changes += _fold(inst)
            if inst.dst is not None:
                _forget(known, inst.dst)
                if inst.op == "mov" and inst.args[0] is not inst.dst:
                    known[inst.dst] = inst.args[0]
    return changes


def _propagate(inst: Inst, known: Dict[Value, Operand]) -> int:
    changes = 0
    for i, arg in enumerate(inst.args):
        if isinstance(arg, Value) and arg in known:
            inst.args[i] = known[arg]
            changes += 1
    return changes


def _forget(known: Dict[Value, Operand], value: Value) -> None:
    known.pop(value, None)
    for key in [k for k, v in known.items() if v is value]:
        del known[key]


def _fold(inst: Inst) -> int:
    if inst.op not in EVALUATE:
        return 0
    changes = 0
    if inst.op in COMMUTATIVE and isinstance(inst.args[0], Const) and isinstance(inst.args[1], Value):
        inst.args.reverse()  # constants second: the form x86 immediates take
        changes = 1
    if all(isinstance(a, Const) for a in inst.args):
        result = EVALUATE[inst.op](*(a.value for a in inst.args))  # type: ignore[union-attr]
        if not fits_int64(result):
            # Only checked arithmetic can leave int64 (bitwise ops on int64
            # values stay in range); it overflows on every call, so leave it
            # to run time, which hands the call to the interpreter.
            return 0
        _become_move(inst, Const(result))
        return 1
    simpler = _identity(inst)
    if simpler is not None:
        _become_move(inst, simpler)
        return 1
    return changes


def _identity(inst: Inst) -> Optional[Operand]:
    """An operand equal to inst's result, when an algebraic identity gives one."""
    if len(inst.args) != 2:
        return None
    a, b = inst.args
    op = inst.op

    def is_const(x: Operand, value: int) -> bool:
        return isinstance(x, Const) and x.value == value

    if op in ("add", "or", "xor") and is_const(b, 0):
        return a
    if op in ("add", "or", "xor") and is_const(a, 0):
        return b
    if op == "sub" and is_const(b, 0):
        return a
    if op == "mul" and is_const(b, 1):
        return a
    if op == "mul" and is_const(a, 1):
        return b
    if op in ("mul", "and") and (is_const(a, 0) or is_const(b, 0)):
        return Const(0)
    if op == "and" and is_const(b, -1):
        return a
    if op == "and" and is_const(a, -1):
        return b
    if op in ("sub", "xor") and isinstance(a, Value) and a is b:
        return Const(0)
    if op in ("and", "or") and isinstance(a, Value) and a is b:
        return a
    return None


def _become_move(inst: Inst, source: Operand) -> None:
    inst.op, inst.args, inst.checked = "mov", [source], False
