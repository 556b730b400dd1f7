"""Constant folding, copy propagation and algebraic identities, block by block.

Walking a block forward, `known` maps a value to what it currently equals (a
constant or another value). Operands are rewritten through it, instructions
whose operands are all constants are evaluated at compile time with Python's
own arithmetic (the same IEEE doubles and exact ints the native code
imitates), and identities such as `x + 0` become moves. What could deopt at
run time (overflow, division by zero, negative shifts) is left alone, so that
the interpreter still gets to raise or compute the big result. Because locals
are mutable values, redefining a value forgets everything known about it and
through it.
"""

from __future__ import annotations

from ..ir import BOOL, COMMUTATIVE, Const, Function, Inst, Operand, Value, fits_int64

TYPE_CHECKING = False
if TYPE_CHECKING:  # (typing is slow to import; see jitcore/ir.py)
    from collections.abc import Callable
    from typing import Any

# (lambdas rather than the operator module: a first call pays for each import)
COMPARE: dict[str, Callable[[Any, Any], bool]] = {
    "lt": lambda a, b: a < b, "le": lambda a, b: a <= b, "eq": lambda a, b: a == b,
    "ne": lambda a, b: a != b, "gt": lambda a, b: a > b, "ge": lambda a, b: a >= b,
}


def _int_div(a: int, b: int) -> int | None:
    return a // b if b != 0 else None


def _int_mod(a: int, b: int) -> int | None:
    return a % b if b != 0 else None


def _shl(a: int, b: int) -> int | None:
    return a << b if 0 <= b < 64 else (0 if a == 0 and b >= 0 else None)


def _shr(a: int, b: int) -> int | None:
    return a >> b if b >= 0 else None


# op -> Python function giving the result, or None when it must stay for run time.
EVALUATE: dict[str, Callable[..., object]] = {
    "add": lambda a, b: a + b, "sub": lambda a, b: a - b, "mul": lambda a, b: a * b,
    "and": lambda a, b: a & b, "or": lambda a, b: a | b, "xor": lambda a, b: a ^ b,
    "neg": lambda a: -a, "not": lambda a: ~a,
    "floordiv": _int_div, "mod": _int_mod, "shl": _shl, "shr": _shr,
    "min": min, "max": max,
    "truth": lambda a: int(a != 0), "ftruth": lambda a: int(a != 0.0),
    "fadd": lambda a, b: a + b, "fsub": lambda a, b: a - b, "fmul": lambda a, b: a * b,
    "fdiv": lambda a, b: a / b if b != 0.0 else None,
    "fneg": lambda a: -a, "fabs": abs, "i2f": float,
    "i2f_exact": lambda a: float(a) if float(a) == a else None,
}


def run(func: Function) -> int:
    changes = 0
    for block in func.blocks:
        known = _Known()
        for inst in block.insts:
            changes += _propagate(inst, known.equals)
            changes += _fold(inst)
            if inst.dst is not None:
                known.forget(inst.dst)
                if inst.op == "mov" and inst.args[0] is not inst.dst:
                    known.record(inst.dst, inst.args[0])
    return changes


class _Known:
    """What each value currently equals, walking one block forward.

    `copies_of[v]` lists the values recorded as copies of v, so that
    redefining v forgets them without a scan over everything known (a block
    of thousands of statements would make that quadratic). Entries there may
    be stale; `forget` checks each one still refers to v.
    """

    def __init__(self) -> None:
        self.equals: dict[Value, Operand] = {}
        self.copies_of: dict[Value, list[Value]] = {}

    def record(self, dst: Value, source: Operand) -> None:
        self.equals[dst] = source
        if isinstance(source, Value):
            self.copies_of.setdefault(source, []).append(dst)

    def forget(self, value: Value) -> None:
        self.equals.pop(value, None)
        for copy in self.copies_of.pop(value, ()):
            if self.equals.get(copy) is value:
                del self.equals[copy]


def _propagate(inst: Inst, known: dict[Value, Operand]) -> int:
    changes = 0
    for i, arg in enumerate(inst.args):
        if isinstance(arg, Value) and arg in known:
            inst.args[i] = known[arg]
            changes += 1
    return changes


def _evaluate(inst: Inst) -> object | None:
    values = [a.value for a in inst.args]  # type: ignore[union-attr]
    if inst.op in ("cmp", "fcmp"):
        return int(COMPARE[inst.kind](*values))
    if inst.op == "select":
        return values[1] if values[0] else values[2]
    fn = EVALUATE.get(inst.op)
    return fn(*values) if fn is not None else None


def _fold(inst: Inst) -> int:
    if inst.dst is None or inst.op == "mov" or not inst.args:
        return 0
    changes = 0
    if inst.op in COMMUTATIVE and isinstance(inst.args[0], Const) and isinstance(inst.args[1], Value):
        inst.args.reverse()  # constants second: the form x86 immediates take
        changes = 1
    if all(isinstance(a, Const) for a in inst.args) and inst.dst.type.numpy is None:
        # (constants are Python's int, bool and float: a NumPy result stays a computation)
        result = _evaluate(inst)
        if result is None:
            return changes
        if inst.dst.type.is_float:
            result = float(result)  # type: ignore[arg-type]
        elif not fits_int64(result):  # type: ignore[arg-type]
            # Checked arithmetic that overflows on every call: leave it to
            # run time, which hands the call to the interpreter.
            return changes
        _become_move(inst, Const(result, inst.dst.type))  # type: ignore[arg-type]
        return 1
    if inst.op == "select" and isinstance(inst.args[0], Const):
        _become_move(inst, inst.args[1] if inst.args[0].value else inst.args[2])
        return 1
    simpler = _identity(inst)
    if simpler is not None:
        _become_move(inst, simpler)
        return 1
    return changes


def _identity(inst: Inst) -> Operand | None:
    """An operand equal to inst's result, when an integer identity gives one.

    None for floats: x + 0.0 is not x when x is -0.0, and x * 1.0 keeps
    signalling NaNs quiet differently, so float code is left as written.
    """
    if len(inst.args) != 2:
        return None
    a, b = inst.args
    op = inst.op

    def is_const(x: Operand, value: int) -> bool:
        return isinstance(x, Const) and not x.type.is_float and x.value == value

    zero = Const(0, inst.dst.type if inst.dst is not None else BOOL)
    if op in ("add", "or", "xor", "sub") and is_const(b, 0):
        return a
    if op in ("add", "or", "xor") and is_const(a, 0):
        return b
    if op == "mul" and is_const(b, 1):
        return a
    if op == "mul" and is_const(a, 1):
        return b
    if op in ("mul", "and") and (is_const(a, 0) or is_const(b, 0)):
        return zero
    if op == "and" and is_const(b, -1):
        return a
    if op in ("sub", "xor") and isinstance(a, Value) and a is b:
        return zero
    if op in ("and", "or") and isinstance(a, Value) and a is b:
        return a
    return None


def _become_move(inst: Inst, source: Operand) -> None:
    inst.op, inst.args, inst.checked, inst.kind = "mov", [source], False, ""
